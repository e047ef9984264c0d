# Two commands that work on a fresh machine (2 CPU cores, no GPU, package registries only):
#   make demo   - create .venv, install, run `harness compare --recipes all` on the embedded tiny default
#   make test   - same set-up, run the test suite
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# CPU wheel of torch; a bare `torch` would pull a multi-GB CUDA build. GPU users: install torch first, then `pip install -e .`
TORCH_SPEC ?= torch==2.13.0
export HF_HUB_OFFLINE ?= 1
export HF_DATASETS_OFFLINE ?= 1
export TOKENIZERS_PARALLELISM = false

.PHONY: setup demo test test-fast bench clean

$(BIN)/.installed: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q "$(TORCH_SPEC)"
	$(BIN)/pip install -q -e ".[test]"
	touch $@

setup: $(BIN)/.installed

demo: setup
	$(BIN)/harness compare --config configs/tiny.yaml --recipes all

test: setup
	$(BIN)/python -m pytest -q -x --durations=15

test-fast: setup
	$(BIN)/python -m pytest -q -x -m "not slow"

bench: setup
	$(BIN)/python benchmarks/verifier_throughput.py

clean:
	rm -rf runs .pytest_cache .hypothesis
