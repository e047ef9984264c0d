"""The stage kinds of `harness compare`, one module each (harness/stages/kind.py says what a kind declares):

    data      the train/validation/test problems                    (data.*)
    base      the model SFT starts from: built here, or external (a hub id / local dir for model.kind=pretrained)
    sft       SFT on the training split's reference solutions        (trainer 'sft')
    sftmore   SFT continued at the DPO budget: the equal-compute control (trainer 'sft_more')
    pool      k samples per training problem from the SFT policy, each with its verdict
    slice     the near-correct-error slice, selected by the primary SFT and frozen
    pairrows  one pair builder's rows over the pool, before weights
    pairs     those rows weighted by one scheme
    dpo       weighted DPO (and RPO, the rft NLL) from the SFT checkpoint (trainer 'dpo')
    eval      greedy lm-eval evaluation of one trained model
    valeval   the sweep's greedy evaluation on the validation split

Discovered by harness/stages/kind.py `load_kinds`: a new kind is a new module here that calls `register`.
"""
