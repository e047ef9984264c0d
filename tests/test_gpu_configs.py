"""harness/configs/accelerate/*.yaml parse with accelerate's own loader and name the engine they claim; sampling's vLLM
fields validate; report_to reaches the trainers (and a missing tracker package is a one-line config error)."""
import importlib.util

import pytest

from harness.config import CONFIGS_DIR, ConfigError, load_config

from .conftest import ROOT

ACC = CONFIGS_DIR / "accelerate"
ENGINES = {"ddp.yaml": ("MULTI_GPU", None), "zero2.yaml": ("DEEPSPEED", 2), "zero3.yaml": ("DEEPSPEED", 3),
           "fsdp.yaml": ("FSDP", None)}


@pytest.mark.parametrize("name", sorted(ENGINES))
def test_accelerate_config_parses_and_names_its_engine(name):
    from accelerate.commands.config.config_args import load_config_from_file
    c = load_config_from_file(str(ACC / name))
    engine, stage = ENGINES[name]
    assert c.distributed_type.value == engine and c.mixed_precision == "bf16" and not c.use_cpu
    assert f"--config_file harness/configs/accelerate/{name}" in (ACC / name).read_text()  # its launch line is right
    if engine == "DEEPSPEED":
        assert c.deepspeed_config["zero_stage"] == stage
        # accumulation comes from the run (sft/dpo.grad_accum through TrainingArguments), not the file: with the key
        # absent accelerate leaves DeepSpeed's value "auto" and the HF Trainer fills it from its own arguments
        assert "gradient_accumulation_steps" not in c.deepspeed_config
        assert c.deepspeed_config.get("zero3_save_16bit_model", stage != 3)
    if engine == "FSDP":
        import transformers.models.qwen2.modeling_qwen2 as qwen2
        assert hasattr(qwen2, c.fsdp_config["fsdp_transformer_layer_cls_to_wrap"])
        assert c.fsdp_config["fsdp_state_dict_type"] == "FULL_STATE_DICT"


def test_every_accelerate_config_is_tested():
    assert {p.name for p in ACC.glob("*.yaml")} == set(ENGINES)


@pytest.mark.parametrize("override,msg", [
    ("sampling.tensor_parallel_size=2", "needs sampling.backend=vllm"),
    ("sampling.gpu_memory_utilization=1.5", "must lie in (0, 1]"),
    ("sampling.cache=paged", "allowed values are dynamic, static"),
    ("sft.report_to=mlflow", "allowed values are none, tensorboard, wandb"),
])
def test_bad_gpu_fields_are_one_line_config_errors(override, msg):
    with pytest.raises(ConfigError, match=msg.replace("(", r"\(").replace(")", r"\)")):
        load_config("tiny", [override])


def test_vllm_fields_default_and_validate():
    c = load_config("tiny", ["sampling.backend=vllm", "sampling.tensor_parallel_size=4"])
    assert c.sampling.gpu_memory_utilization == 0.9 and c.sampling.tensor_parallel_size == 4


def _trainer(cfg, micro_model, tmp_path):
    from datasets import Dataset

    from harness.training.common import load_policy
    from harness.training.sft import sft_trainer
    model, tok = load_policy(str(micro_model), cfg)
    ds = Dataset.from_list([{"prompt": "Question: 1+1?\nAnswer:", "completion": " 2"}] * 8)
    return sft_trainer(cfg, cfg.sft, model, tok, ds, tmp_path / "work")


def test_report_to_reaches_the_trainer(micro_model, tmp_path):
    from transformers.integrations import TensorBoardCallback
    cfg = load_config("tiny", [f"run_dir={tmp_path}", "device=cpu"])
    assert _trainer(cfg, micro_model, tmp_path).args.report_to in ([], ["none"], "none")  # default: nothing
    have_tb = importlib.util.find_spec("tensorboard") or importlib.util.find_spec("tensorboardX")
    cfg = load_config("tiny", [f"run_dir={tmp_path}", "device=cpu", "sft.report_to=tensorboard",
                                                       "sft.max_steps=2", "sft.logging_steps=1", "sft.batch_size=4"])
    if not have_tb:
        with pytest.raises(ConfigError, match="sft.report_to=tensorboard: the tensorboard package is not installed"):
            _trainer(cfg, micro_model, tmp_path)
        return
    trainer = _trainer(cfg, micro_model, tmp_path)
    assert trainer.args.report_to == ["tensorboard"]
    assert any(isinstance(cb, TensorBoardCallback) for cb in trainer.callback_handler.callbacks)
    trainer.train()
    assert list((tmp_path / "tensorboard").rglob("events.out.tfevents.*"))  # beside work/, kept with the stage


@pytest.mark.skipif(importlib.util.find_spec("wandb") is not None, reason="wandb installed")
def test_report_to_wandb_without_wandb_is_a_config_error(micro_model, tmp_path):
    cfg = load_config("tiny", [f"run_dir={tmp_path}", "device=cpu", "dpo.report_to=wandb"])
    from harness.training.dpo import dpo_args
    with pytest.raises(ConfigError, match="dpo.report_to=wandb: the wandb package is not installed"):
        dpo_args(cfg, cfg.dpo, tmp_path / "w", ("sigmoid",), 1.0)


def test_gpu_session_time_limit_and_carried_wheels_match_what_a_run_needs():
    """The smoke's time cap lies between its measured wall (benchmarks/results/gpu_smoke.json, one H200) and the
    config's own target, and smoke + benchmark caps leave room for the install inside one 10-minute device call (a
    slower GPU's session must raise SMOKE_LIMIT, and this test with it);
    scipy/statsmodels/pydantic travel and are import-checked before any training (a box without them would otherwise
    die at the report, after every recipe trained)."""
    import json
    import re

    from .conftest import ROOT
    session = (ROOT / "benchmarks" / "gpu_session.sh").read_text()
    wheels = (ROOT / "benchmarks" / "gpu_wheels.sh").read_text()
    smoke = (CONFIGS_DIR / "gpu-smoke.yaml").read_text()
    minutes = int(re.search(r"in under (\d+) minutes", smoke).group(1))
    measured = json.loads((ROOT / "benchmarks" / "results" / "gpu_smoke.json").read_text())["wall_seconds"]
    smoke_cap = int(re.search(r"SMOKE_LIMIT:-(\d+)", session).group(1))
    bench_cap = int(re.search(r"BENCH_LIMIT:-(\d+)", session).group(1))
    assert measured * 1.05 < smoke_cap <= minutes * 60
    assert smoke_cap + bench_cap + 50 <= 600   # install/import check (~15 s measured) and slack inside the call
    for pkg in ("scipy==", "statsmodels==", "patsy==", "pydantic==", "pydantic_core=="):
        assert pkg in wheels, pkg
    check = next(line for line in session.splitlines() if line.startswith('"$PY" -c "import trl'))
    for mod in ("scipy", "statsmodels", "pydantic", "pandas", "matplotlib"):
        assert mod in check, mod


def test_deepspeed_accumulation_left_to_the_run(monkeypatch):
    """With no gradient_accumulation_steps in the config file, accelerate exports none, and its DeepSpeedPlugin holds
    "auto": the HF Trainer then fills it from TrainingArguments (sft/dpo.grad_accum), so each stage keeps its own."""
    from accelerate.utils import DeepSpeedPlugin
    monkeypatch.delenv("ACCELERATE_GRADIENT_ACCUMULATION_STEPS", raising=False)
    assert DeepSpeedPlugin(zero_stage=2).deepspeed_config["gradient_accumulation_steps"] == "auto"
