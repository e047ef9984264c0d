#!/usr/bin/env bash
# The GPU check in parts, for a lent GPU machine holding a copy of this working tree and the wheels from
# benchmarks/gpu_wheels.sh (default build/gpu-wheels; `lean` for the lent H200 image). Each part runs under its own
# `timeout` and writes its own JSON (with the git revision) to $OUT (the device tool's return folder) or
# build/gpu-session, so a part that dies or overruns leaves the others' results and a JSON saying how it ended.
#   bash benchmarks/gpu_session.sh                  # install, then engines + paper_train + sampling (<= 8 min, one H100)
#   bash benchmarks/gpu_session.sh engines          # or one part: engines | paper_train | sampling | smoke | bench
#   bash benchmarks/gpu_session.sh --dry-run        # every default part at toy size on the CPU (tests/test_gpu_session.py)
# Parts:
#   engines      weighted DPO, 3 steps, precomputed reference log-probs, under `accelerate launch --num_processes 1`
#                with harness/configs/accelerate/{zero2,zero3,fsdp}.yaml; the saved 16-bit model is reloaded and its
#                logits compared (benchmarks/gpu_engines.py) -> engine_zero2.json, engine_zero3.json, engine_fsdp.json
#   paper_train  our SFT and weighted DPO at the paper's shape: 256 + 512 = 768 tokens, batch 8, accumulation 4, full
#                151,936 vocabulary, random weights (benchmarks/gpu_throughput.py) -> paper_train.json
#   sampling     batch 256, prompt 128, 512 new tokens, temperature 0.8, top-p 0.95, every decoder
#                (benchmarks/sampling_throughput.py) -> sampling.json
#   smoke, bench (not in the default set: with the parts above they overrun 8 minutes) the whole-pipeline smoke run
#                (harness compare --config gpu-smoke, 338 s on an H200) and the original throughput table
set -uo pipefail
cd "$(dirname "$0")/.."
DRY=0
if [ "${1:-}" = --dry-run ]; then DRY=1; shift; fi
PART=${1:-all}
WHEELS=${WHEELS:-build/gpu-wheels}
DEST=${OUT:-build/gpu-session}
# caps in seconds (estimates, not yet measured on an H100: ~15 s install, process start and imports ~15 s per part):
# install 20 + 3 x ENGINE 60 + PAPER 120 + SAMPLING 150 = 470 s <= 8 minutes
ENGINE_LIMIT=${ENGINE_LIMIT:-60}
PAPER_LIMIT=${PAPER_LIMIT:-120}
SAMPLING_LIMIT=${SAMPLING_LIMIT:-150}
SMOKE_LIMIT=${SMOKE_LIMIT:-360}
BENCH_LIMIT=${BENCH_LIMIT:-190}
mkdir -p "$DEST"
# nothing left from an earlier session passes for this one's
rm -f "$DEST"/{results,manifest,gpu_throughput,gpu_smoke,engine_zero2,engine_zero3,engine_fsdp,paper_train,sampling,smoke,bench}.json
exec > >(tee -a "$DEST/session.log") 2>&1
export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TOKENIZERS_PARALLELISM=false TRL_TELEMETRY=0 PYTHONUNBUFFERED=1
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
PY=${PYTHON:-python3}
REV=$(git rev-parse HEAD 2>/dev/null || echo unknown)
want() { [ "$PART" = all ] && [[ " engines paper_train sampling " == *" $1 "* ]] || [ "$PART" = "$1" ]; }

if [ "$DRY" = 0 ]; then
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
fi
"$PY" -c "import sys, torch, transformers; print('python', sys.version.split()[0], '| torch', torch.__version__, '| transformers', transformers.__version__, '| cuda', torch.cuda.is_available())"

# install only what the image lacks: --no-deps/--no-index, so the image's torch and transformers stay as they are
if [ "$DRY" = 0 ] && [ -d "$WHEELS" ]; then
  want_py=$(cat "$WHEELS/PYTHON_VERSION" 2>/dev/null || echo "?")
  have_py=$("$PY" -c "import sys; print(f'{sys.version_info[0]}.{sys.version_info[1]}')")
  [ "$want_py" = "$have_py" ] || echo "warning: wheels were fetched for Python $want_py, this is $have_py: compiled ones will not install"
  missing=$("$PY" - "$WHEELS" <<'PYEOF'
import importlib.metadata as md, re, sys
from pathlib import Path
names = {re.sub(r"[-_.]+", "-", w.name.split("-")[0]).lower(): w for w in Path(sys.argv[1]).glob("*.whl")}
for n, w in sorted(names.items()):
    try:
        md.version(n)
    except md.PackageNotFoundError:
        print(w)
PYEOF
)
  if [ -n "$missing" ]; then
    "$PY" -m pip install --quiet --no-index --no-deps --find-links "$WHEELS" $missing || echo "warning: some wheels failed to install"
  fi
  echo "installed $(echo "$missing" | grep -c whl) carried wheels"
  # DeepSpeed travels as its source distribution (no wheel on PyPI); built against the image's torch, its ops compiled
  # only when first used (DS_BUILD_OPS=0), so the build takes seconds
  ds=$(ls "$WHEELS"/deepspeed-*.tar.gz 2>/dev/null | head -n 1)
  if [ -n "$ds" ] && ! "$PY" -c "import deepspeed" 2>/dev/null; then
    DS_BUILD_OPS=0 "$PY" -m pip install --quiet --no-index --no-deps --no-build-isolation --find-links "$WHEELS" "$ds" \
      || echo "warning: deepspeed did not install; the ZeRO parts record it as not installed"
  fi
elif [ "$DRY" = 0 ]; then
  echo "no $WHEELS: assuming trl, datasets, lm-eval, math-verify (and deepspeed for ZeRO) are installed"
fi
# everything a run imports, the report's statistics included: fail here in seconds, not at the report after training
"$PY" -c "import trl, datasets, lm_eval, math_verify, filelock, rich, typer, pydantic, scipy.stats, statsmodels.stats.multitest, pandas, matplotlib; print('trl', trl.__version__, '| datasets', datasets.__version__, '| scipy', scipy.__version__, '| statsmodels', statsmodels.__version__, '| lm_eval ok')" || { echo "missing packages; see above"; exit 3; }

declare -A RC SECS
# part NAME LIMIT JSON COMMAND...: run under `timeout`; a part that leaves no JSON gets one saying how it ended
part() {
  local name=$1 limit=$2 json=$3; shift 3
  local t0; t0=$(date +%s)
  timeout "$limit" "$@" > "$DEST/$name.out" 2> "$DEST/$name.err"
  local rc=$?
  RC[$name]=$rc; SECS[$name]=$(( $(date +%s) - t0 ))
  echo "$name: exit $rc in ${SECS[$name]} s (cap $limit s)"
  tail -n 8 "$DEST/$name.out"; [ "$rc" = 0 ] || tail -n 25 "$DEST/$name.err"
  if [ ! -s "$json" ]; then
    local why="exit $rc"; [ "$rc" = 124 ] && why="timeout after $limit s"
    "$PY" -c "import json, sys; json.dump({'part': sys.argv[1], 'git_revision': sys.argv[2], 'exit': sys.argv[3], **({'failed': sys.argv[4] + ' with no JSON of its own'} if sys.argv[3] != '0' else {'note': 'exited 0; its results are in its own files'}), 'err_tail': open(sys.argv[5], errors='replace').read()[-2000:]}, open(sys.argv[6], 'w'), indent=2)" \
      "$name" "$REV" "$rc" "$why" "$DEST/$name.err" "$json"
  fi
}
dry() { [ "$DRY" = 1 ] && echo "$1"; }

if want engines; then
  for e in zero2 zero3 fsdp; do
    part "engine_$e" "$ENGINE_LIMIT" "$DEST/engine_$e.json" "$PY" benchmarks/gpu_engines.py --engine "$e" \
      --out "$DEST/engine_$e.json" --timeout $(( ENGINE_LIMIT - 5 )) $(dry --dry-run)
  done
fi
if want paper_train; then
  if [ "$DRY" = 1 ]; then
    size=(--cpu-smoke --prompt-tokens 16 --completion-tokens 32 --grad-accum 2)
  else
    size=(--prompt-tokens 256 --completion-tokens 512 --batch 8 --grad-accum 4 --steps 3)
  fi
  part paper_train "$PAPER_LIMIT" "$DEST/paper_train.json" "$PY" benchmarks/gpu_throughput.py --cases sft,wdpo \
    "${size[@]}" --out "$DEST/paper_train.json"
fi
if want sampling; then
  if [ "$DRY" = 1 ]; then
    size=(--smoke --batch 4 --prompt-len 8 --max-new-tokens 8)
  else
    size=(--batch 256 --prompt-len 128 --max-new-tokens 512 --rounds 1)
  fi
  part sampling "$SAMPLING_LIMIT" "$DEST/sampling.json" "$PY" benchmarks/sampling_throughput.py "${size[@]}" \
    --temperature 0.8 --top-p 0.95 --out "$DEST/sampling.json"
fi
if [ "$PART" = smoke ]; then  # every registered recipe at the Qwen2.5-1.5B shape, random weights
  part smoke "$SMOKE_LIMIT" "$DEST/smoke.json" "$PY" -m harness.cli compare --config gpu-smoke --recipes all \
    run_dir=build/gpu-smoke-run
  if [ "${RC[smoke]}" = 0 ]; then  # an earlier run's files in the run directory must not pass for this one's
    cp build/gpu-smoke-run/results.json build/gpu-smoke-run/manifest.json "$DEST/"
    cp -r build/gpu-smoke-run/report "$DEST/smoke-report" 2>/dev/null
  fi
fi
if [ "$PART" = bench ]; then  # the original table: our SFT and DPO steps, stock TRL, sampling at 256 new tokens
  part bench "$BENCH_LIMIT" "$DEST/bench.json" "$PY" benchmarks/gpu_throughput.py \
    --out "$DEST/gpu_throughput.json"
fi
# one line per part (and the smoke's condensed figures when it exited 0)
"$PY" benchmarks/gpu_summary.py "$DEST" $([ "${RC[smoke]:-1}" = 0 ] && echo --write)
status=0
for name in "${!RC[@]}"; do [ "${RC[$name]}" = 0 ] || status=1; done
echo "parts: $(for n in "${!RC[@]}"; do printf '%s=%s ' "$n" "${RC[$n]}"; done); files in $DEST"
exit $status
