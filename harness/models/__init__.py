"""Models and generation: the embedded tiny Qwen2 model and its tokenizer (tiny), sampling solutions from a policy
with HF generate or vLLM (sampling), and the child process vLLM runs in (sampling_child).

May import: harness.config, harness.runtime, verifier.
"""
