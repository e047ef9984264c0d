"""Rewards for online RL (trainer `grpo`, harness/training/grpo.py): one small module each, registered by name.

    # harness/rewards/my_reward.py -- the whole file; the registry imports every module of this package
    from harness.rewards.base import reward

    @reward("my_reward", "one line for `harness list`", reads=("grpo.some_field",))
    def my_reward(cfg):
        '''cfg: the ExperimentConfig, its `grpo` section with the recipe's overrides applied.'''
        def score(text: str, problem: dict) -> float:
            ...
        return score

A reward is a factory: `fn(cfg)` builds a scorer once per training run, and the scorer maps one completion's text
(cut at the prompt template's stop texts and stripped, as evaluation cuts its generations) and its problem
(`question`, `answer` (the reference), `solution` (the reference solution), `truncated`) to a float. `reads`: the
config fields the scores depend on; the training stage keys them (harness/stages/kinds/grpo.py).

Registered: `correct` (correct.py: 1 for a right final answer, by evaluation's checker) and `verifier` (verifier.py:
correctness shaped by the MathVerifier's error profile). `harness list` names them; `harness list NAME` prints one
with its formula. Model text is only ever parsed (verifier, verifier.answers), never evaluated.

May import: harness.config, harness.registry, harness.runtime, harness.data, harness.models and verifier; never
training, pairs, stages or reporting (pyproject.toml [tool.importlinter]).
"""
