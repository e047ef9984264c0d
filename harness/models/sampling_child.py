"""`python -m harness.models.sampling_child JOB.json RESULT.json`: one sampling call in its own process.

harness/models/sampling.py starts this for the vLLM backend so the engine's GPU memory is freed when the process
exits, before the next (training) stage needs it. RESULT.json is written only on success.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path


def main(job_path: str, result_path: str) -> None:
    from harness.config import SamplingConfig
    from harness.models.sampling import sample_in_process
    from harness.runtime.io import write_json_atomic
    job = json.loads(Path(job_path).read_text())
    cfg = SamplingConfig(**job["cfg"])
    records, stats = sample_in_process(job["model_dir"], job["problems"], job["template"], cfg, job["seed"],
                                       job["device"], job["dtype_bf16"], job["greedy"], job.get("stop_template"))
    write_json_atomic(result_path, {"records": records, "stats": stats}, indent=None)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: python -m harness.models.sampling_child JOB.json RESULT.json")
    main(sys.argv[1], sys.argv[2])
