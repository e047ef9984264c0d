"""Training on real TRL trainers: what SFT and DPO share (common: trainer arguments, checkpoints, overrides, loading
and saving a policy), SFT (sft), the equal-compute SFT control (sft_more), weighted DPO/RPO (dpo), online RL with a
registered reward (grpo).

May import: harness.config, harness.runtime, harness.data, harness.models, harness.rewards. Never stages or
reporting.
"""
