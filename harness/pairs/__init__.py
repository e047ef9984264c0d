"""Preference pairs from a verified sample pool: pair builders and per-pair weight schemes.

Owns: builder registration (base.py), the weight schemes and `weigh` (weights.py), whole-solution builders
(whole.py, structural.py), step builders (step.py), pair-set assembly (build.py) and the pool summary (pool.py).
May import harness.config, harness.registry, harness.runtime, harness.models (step resampling) and verifier;
never training, stages or reporting.

Builders and weight schemes register by name in harness.registry (`@pair_builder(name, description)` in base.py,
`@weight_scheme(name, description)` in weights.py) from any module of this package: the registry imports every
module here, so a new one needs no other edit. `harness list` names them all; `harness list NAME` shows one.
Whole-solution builders (whole.py, structural.py):
  random      chosen = a clean, complete correct sample (the reference solution when the policy has none),
              rejected = a uniformly random incorrect sample                  -> vanilla DPO data
  hard        same chosen; rejected = the hardest negative: verifier hard negatives first, then by lower
              absurdity, then nearer answer (smaller distance)                -> hard-negative DPO data
  structural  same chosen; rejected = logical flaws before arithmetic slips, then as `hard`
Row builders (step.py): `step` and `step_corrected` put the shared prefix up to the first flawed step into the
prompt; chosen/rejected are continuations from there                          -> Step-DPO data

Two kinds of builder. A *picker* `fn(negs, rng) -> sample` picks a rejected among a problem's incorrect samples;
`build_pairs` pairs it with a chosen and writes the whole-solution row. A *row builder*
(`@pair_builder(name, description, rows=True)`) is `fn(BuildContext) -> (rows, extra stats)` and writes whole rows itself
(use `pair_row` for the shared fields); a row may set `eos: False` for a completion that stops mid-solution
(harness/training/dpo.py then keeps TRL from appending the end-of-text token).

On-policy negatives: a wrong greedy completion (`greedy: true`, sampling.include_greedy) is always the first
rejected of its problem; a picker chooses the others. `pairs.max_per_problem` pairs per problem, each with a
distinct rejected. A policy sample is a chosen only if correct, clean (no arithmetic, consistency or form flaw)
and complete (coverage <= pairs.chosen_max_coverage, default 0).

Weight schemes:
  uniform   w = 1
  verifier  w_raw = (1 - absurdity)^alpha * (1 - distance)^gamma * (1 + structure_bonus * broken)
            where broken = 1 if the rejected chain has an arithmetic or consistency flaw.
            w = clip(w_raw / mean(w_raw), clip_min, clip_max), then renormalized to mean 1
            over the whole dataset (never per batch: an all-zero batch would give NaN).
  structural  w_raw = (1 - absurdity)^alpha * (1 - distance)^gamma * (1 + logic_bonus * logical) * slip
            where logical = 1 for true arithmetic with a consistency or coverage flag (a value-flow deviation:
            a misread relation, a left-out quantity) and slip = slip_factor when the arithmetic is false, else 1;
            normalized as `verifier`. With builder `structural` (structural.py) it targets logical flaws, the
            paper's stated intent; `verifier` with `hard` is kept as the ablation.
In the planted-flaw world every pair row also carries `planted` and the pair statistics `planted` (planted.py).
"""

from harness.pairs.base import BuildContext, NoPairs, clean_correct, hardness, is_negative, pair_builder, pair_row
from harness.pairs.build import build_pairs
from harness.pairs.pool import pool_summary, pool_table
from harness.pairs.weights import normalize_weights, verifier_weight, weigh, weight_scheme

__all__ = ["BuildContext", "NoPairs", "build_pairs", "clean_correct", "hardness", "is_negative", "normalize_weights",
           "pair_builder", "pair_row", "pool_summary", "pool_table", "verifier_weight", "weigh", "weight_scheme"]
