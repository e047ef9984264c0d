#!/usr/bin/env bash
# The whole GPU check in one command, for a lent GPU machine holding a copy of this working tree and the wheels
# from benchmarks/gpu_wheels.sh (default build/gpu-wheels; `lean` for the lent H200 image). Budget: ~9.5 minutes at
# most on one H200.
#   bash benchmarks/gpu_session.sh            # install, smoke run (every recipe), throughput benchmark, summary
#   bash benchmarks/gpu_session.sh smoke      # or only one part: smoke | bench
# Results: $OUT (the device tool's return folder) or build/gpu-session: smoke results.json + report, the benchmark
# JSON (also at benchmarks/results/gpu_throughput.json) and session.log.
set -uo pipefail
cd "$(dirname "$0")/.."
PART=${1:-all}
WHEELS=${WHEELS:-build/gpu-wheels}
DEST=${OUT:-build/gpu-session}
# caps in seconds, so that install + smoke + benchmark end inside a 10-minute call with ~30 s to spare; measured on one
# H200 (2026-12-04), process start to exit: smoke 338 s (its own wall 329 s; gpu-smoke.yaml's target: 480),
# benchmark 174 s, install and import check ~15 s
SMOKE_LIMIT=${SMOKE_LIMIT:-360}
BENCH_LIMIT=${BENCH_LIMIT:-190}
mkdir -p "$DEST"
# nothing left from an earlier session passes for this one's
rm -f "$DEST"/{results,manifest,gpu_throughput,gpu_smoke}.json
exec > >(tee -a "$DEST/session.log") 2>&1
export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TOKENIZERS_PARALLELISM=false TRL_TELEMETRY=0 PYTHONUNBUFFERED=1
PY=${PYTHON:-python3}

nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
"$PY" -c "import sys, torch, transformers; print('python', sys.version.split()[0], '| torch', torch.__version__, '| transformers', transformers.__version__, '| cuda', torch.cuda.is_available())"

# 1. install only what the image lacks: --no-deps/--no-index, so the image's torch and transformers stay as they are
if [ -d "$WHEELS" ]; then
  want=$(cat "$WHEELS/PYTHON_VERSION" 2>/dev/null || echo "?")
  have=$("$PY" -c "import sys; print(f'{sys.version_info[0]}.{sys.version_info[1]}')")
  [ "$want" = "$have" ] || echo "warning: wheels were fetched for Python $want, this is $have: compiled ones will not install"
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
else
  echo "no $WHEELS: assuming trl, datasets, lm-eval, math-verify are installed"
fi
# everything a run imports, the report's statistics included: fail here in seconds, not at the report after training
"$PY" -c "import trl, datasets, lm_eval, math_verify, filelock, rich, typer, pydantic, scipy.stats, statsmodels.stats.multitest, pandas, matplotlib; print('trl', trl.__version__, '| datasets', datasets.__version__, '| scipy', scipy.__version__, '| statsmodels', statsmodels.__version__, '| lm_eval ok')" || { echo "missing packages; see above"; exit 3; }

rc_smoke=skipped; rc_bench=skipped
# 2. the smoke run: every registered recipe at the Qwen2.5-1.5B shape, random weights
if [ "$PART" = all ] || [ "$PART" = smoke ]; then
  t0=$(date +%s)
  timeout "$SMOKE_LIMIT" "$PY" -m harness.cli compare --config gpu-smoke --recipes all \
      run_dir=build/gpu-smoke-run > "$DEST/smoke.out" 2> "$DEST/smoke.err"
  rc_smoke=$?
  echo "smoke: exit $rc_smoke in $(( $(date +%s) - t0 )) s"
  tail -n 25 "$DEST/smoke.out"; [ "$rc_smoke" = 0 ] || tail -n 40 "$DEST/smoke.err"
  if [ "$rc_smoke" = 0 ]; then  # an earlier run's files in the run directory must not pass for this one's
    cp build/gpu-smoke-run/results.json build/gpu-smoke-run/manifest.json "$DEST/"
    cp -r build/gpu-smoke-run/report "$DEST/smoke-report" 2>/dev/null
  fi
fi
# 3. throughput: our SFT and weighted DPO steps, stock TRL DPOTrainer, sampling (dynamic and static cache)
if [ "$PART" = all ] || [ "$PART" = bench ]; then
  t0=$(date +%s)
  timeout "$BENCH_LIMIT" "$PY" benchmarks/gpu_throughput.py --out "$DEST/gpu_throughput.json" \
      > "$DEST/bench.out" 2> "$DEST/bench.err"
  rc_bench=$?
  echo "benchmark: exit $rc_bench in $(( $(date +%s) - t0 )) s"
  cat "$DEST/bench.out"; [ "$rc_bench" = 0 ] || tail -n 40 "$DEST/bench.err"
  [ "$rc_bench" = 0 ] && cp "$DEST/gpu_throughput.json" benchmarks/results/gpu_throughput.json
fi
# 4. summary; a smoke that exited 0 also writes its condensed figures (benchmarks/results/gpu_smoke.json and $DEST)
"$PY" benchmarks/gpu_summary.py "$DEST" $([ "$rc_smoke" = 0 ] && echo --write)
echo "smoke exit: $rc_smoke, benchmark exit: $rc_bench; files in $DEST"
[ "$rc_smoke" = 0 ] || [ "$rc_smoke" = skipped ] && { [ "$rc_bench" = 0 ] || [ "$rc_bench" = skipped ]; }
