"""Problems in, problems out: the synthetic MetaMathQA-style generator (synthetic), and the loaders for local or hub
data (GSM8K, MATH-500, MetaMathQA) with the train/validation/test split and SFT rows (loaders).

May import: harness.config, harness.runtime.
"""
