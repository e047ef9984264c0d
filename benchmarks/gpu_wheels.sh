#!/usr/bin/env bash
# Wheels an offline GPU box needs beside its own torch/transformers/accelerate, downloaded on a machine that
# reaches PyPI, so that there `pip install --no-index --no-deps --find-links DIR ...` works.
#   bash benchmarks/gpu_wheels.sh [DIR] [PYTHON_VERSION] [lean]   # defaults: build/gpu-wheels 3.12
# lean: only what the lent H200 image lacks (trl, datasets, lm-eval, math-verify, pydantic, DeepSpeed and their own
# needs; 15 MB before DeepSpeed's 1.6 MiB sdist and its 5 small needs joined, not re-measured since; use its own DIR,
# which it empties of wheels first), for a transfer capped at 64 MiB with the working tree; the full set is ~103 MB.
# DIR (under build/, git-ignored) then travels to the GPU machine (e.g. as a carried path); benchmarks/gpu_session.sh
# installs from it only what the image lacks. Versions are the set this repo is tested with (CPU venv, 2026-11);
# PYTHON_VERSION must be the GPU image's (`python -V` there): compiled wheels (xxhash, lxml, pandas,
# matplotlib's kiwisolver/contourpy, pillow) are built per Python version.
set -euo pipefail
LEAN=${3:-}
DIR=${1:-build/gpu-wheels}
PYV=${2:-3.12}
PY=${PYTHON:-python3}
ABI="cp${PYV/./}"
mkdir -p "$DIR"
# The import closure of `harness compare` + lm-eval + the report, minus what the GPU image ships (torch and its
# CUDA libraries, transformers, tokenizers, safetensors, huggingface_hub, accelerate, peft, pyarrow, fsspec, numpy,
# sympy, jinja2, pyyaml, requests, tqdm, packaging, psutil, regex, filelock). Unused lm-eval extras
# (rouge-score, sqlitedict, scikit-learn, evaluate) are left out: nothing the harness runs imports them.
PKGS=(
  trl==1.16.0 datasets==5.2.0 dill==0.4.1 multiprocess==0.70.19 xxhash==4.1.0
  lm_eval==0.4.13 sacrebleu==2.6.0 portalocker==4.4.2 colorama==0.4.6 tabulate==0.10.0 lxml==6.1.3
  math-verify==0.9.0 latex2sympy2_extended==1.11.0 antlr4-python3-runtime==4.11.0
  rich==15.0.0 markdown-it-py mdurl pygments typer==0.29.2 click shellingham==1.5.4 annotated-doc==0.0.7
  filelock==4.3.1 pandas==3.1.1 python-dateutil==2.9.0.post0 pytz==2026.6 tzdata six==1.17.0
  matplotlib contourpy kiwisolver fonttools cycler pyparsing pillow
  # the report's statistics (bootstrap, exact McNemar, Holm): some GPU images ship them, an offline box may not,
  # and without them a run dies at the report after every recipe has trained
  scipy==1.17.1 statsmodels==0.15.0 patsy==1.0.3
  # config validation (harness/config.py)
  pydantic==2.14.4 pydantic_core==2.50.5 annotated-types==0.8.0 typing-inspection==0.4.5 typing_extensions==4.16.0
  # DeepSpeed's own needs beyond torch/numpy/packaging/psutil/pydantic/tqdm (its requirements.txt, 0.18.6)
  hjson py-cpuinfo msgpack einops ninja
)
if [ "$LEAN" = lean ]; then  # the image has the rest (KINDS.md's package list; checked in a run, 2026-12-04)
  rm -f "$DIR"/*.whl  # the folder travels as it is: wheels of a full download left in it would break the 64 MiB cap
  PKGS=(
    trl==1.16.0 datasets==5.2.0 dill==0.4.1 multiprocess==0.70.19
    lm_eval==0.4.13 math-verify==0.9.0 latex2sympy2_extended==1.11.0 antlr4-python3-runtime==4.11.0
    pydantic==2.14.4 pydantic_core==2.50.5 annotated-types==0.8.0 typing-inspection==0.4.5 typing_extensions==4.16.0
    pytz==2026.6 tzdata
    hjson py-cpuinfo msgpack einops ninja
  )
fi
"$PY" -m pip download --quiet --no-deps --only-binary=:all: --dest "$DIR" \
  --python-version "$PYV" --implementation cp --abi "$ABI" --abi abi3 --abi none \
  --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
  --platform any "${PKGS[@]}"
# DeepSpeed (the ZeRO configs, gpu_session.sh's engine part) has no wheel on PyPI: its source distribution travels
# (1.6 MiB) and gpu_session.sh builds it there against the image's torch (--no-build-isolation, DS_BUILD_OPS=0: no op
# is compiled at install time)
"$PY" -m pip download --quiet --no-deps --no-binary :all: --dest "$DIR" deepspeed==0.18.6
echo "$PYV" > "$DIR/PYTHON_VERSION"
du -sh "$DIR"
ls "$DIR" | wc -l | xargs echo "wheels:"
