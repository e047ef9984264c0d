"""Training on real TRL trainers: what SFT and DPO share (common: trainer arguments, checkpoints, overrides, loading
and saving a policy), SFT (sft), the equal-compute SFT control (sft_more), weighted DPO/RPO (dpo).

May import: harness.config, harness.runtime, harness.data, harness.models. Never stages or reporting.
"""
