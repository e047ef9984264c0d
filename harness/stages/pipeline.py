"""The stages of `harness compare`: data -> base -> sft -> pool -> slice -> pairs -> train -> evaluate -> report.

Every stage is cached under a key derived from its inputs (harness/runtime/cache.py), so a rerun skips what
is finished and a killed run resumes. DPO recipes share one SFT checkpoint and one sample pool, so
they differ only in the pair builder, the weight scheme and the loss they declare.

Seeds: one Pipeline serves one (seed, sft_seed). The data split always comes from `cfg.seed`, so every
seed is evaluated on the same problems (paired); base model and SFT use `sft_seed`; sampling, pairs,
DPO training use `seed`. Evaluation is greedy, so its key holds no seed: the shared SFT checkpoint is
evaluated once however many seeds reuse it. The near-miss slice is always selected by the primary SFT
(`cfg.seed`) and frozen (harness/stages/near_slice.py), so every seed and recipe is scored on the same slice.
"""
from __future__ import annotations

import dataclasses
import functools
import hashlib
from pathlib import Path

from harness.runtime.cache import Stage
from harness.config import ExperimentConfig
from harness.data.loaders import build_splits, read_jsonl, sft_rows, write_jsonl
from harness.runtime.device import resolve_device, use_bf16
from harness.runtime.progress import console, fmt_seconds, in_worker
from harness.registry import Recipe
from harness.pairs import NoPairs


def _asdict(x):
    return dataclasses.asdict(x)


def dpo_train_payload(cfg: ExperimentConfig, recipe: Recipe, sft_key: str, pairs_key: str, seed: int) -> dict:
    """What a DPO-trainer stage's key covers. rft's NLL (loss_type ('sft',)) never reads beta, so beta stays out of
    its key: a beta sweep, or a study at another beta, reuses its training."""
    dpo = _asdict(cfg.dpo)
    if "sigmoid" not in recipe.loss_type:
        dpo.pop("beta")
    return {"sft": sft_key, "pairs": pairs_key, "dpo": dpo, "overrides": recipe.overrides,
            "loss_type": list(recipe.loss_type), "seed": seed}


def _fingerprint(folder: Path, suffixes: tuple[str, ...]) -> str:
    h = hashlib.sha256()
    for p in sorted(folder.glob("*")):
        if p.suffix in suffixes:
            h.update(p.name.encode() + p.read_bytes())
    return h.hexdigest()[:12]


@functools.lru_cache(maxsize=None)  # once per process: one run keys all its stages with the same code
def tasks_fingerprint() -> str:
    """Hash of the task folder: a change of scoring or prompts invalidates cached evaluations."""
    from harness.stages.evaluate import TASKS_DIR
    return _fingerprint(TASKS_DIR, (".yaml", ".py"))


@functools.lru_cache(maxsize=None)
def verifier_fingerprint() -> str:
    """Hash of the verifier's code: its verdicts feed pools, pairs and evaluation logs."""
    import verifier
    return _fingerprint(Path(verifier.__file__).parent, (".py",))


class Pipeline:
    def __init__(self, cfg: ExperimentConfig, seed: int | None = None, sft_seed: int | None = None,
                 shared: dict | None = None):
        from harness.runtime.device import resolve_precision
        cfg = resolve_precision(cfg)
        self.seed = cfg.seed if seed is None else seed
        self.sft_seed = cfg.seed if sft_seed is None else sft_seed
        self.data_cfg = cfg  # data split and the near-miss slice: always the primary seed
        self.cfg = dataclasses.replace(cfg, seed=self.seed)
        self.sft_cfg = dataclasses.replace(cfg, seed=self.sft_seed)
        self.run_dir = Path(cfg.run_dir)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        # stage results are shared between the pipelines of one `harness compare` (one per seed)
        shared = shared if shared is not None else {}
        self.timings: dict[str, dict] = shared.setdefault("timings", {})
        self._memo: dict[str, tuple[Stage, dict]] = shared.setdefault("memo", {})
        self._availability: dict[str, bool] = shared.setdefault("availability", {})
        self._shared = shared

    @property
    def is_primary(self) -> bool:
        return self.seed == self.data_cfg.seed and self.sft_seed == self.data_cfg.seed

    @property
    def pool_seed(self) -> int:
        """Seed of the pool and its pairs: `sampling.seed` when set (one pool shared by every seed), else the run's."""
        return self.seed if self.cfg.sampling.seed is None else self.cfg.sampling.seed

    def primary(self) -> "Pipeline":
        return self if self.is_primary else Pipeline(self.data_cfg, shared=self._shared)

    def tag(self, label: str, sft_only: bool = False) -> str:
        """Stage label for logs and timings: 'pool' for the primary seed, 'pool@seed1' otherwise."""
        parts = [] if self.sft_seed == self.data_cfg.seed else [f"sft{self.sft_seed}"]
        if not sft_only and self.seed != self.data_cfg.seed:
            parts.append(f"seed{self.seed}")
        return label + ("@" + ",".join(parts) if parts else "")

    def completed(self) -> list[tuple[Stage, dict]]:
        """Every stage this run (all its seeds) has finished or read from the cache, in order: (stage, meta)."""
        return list(self._memo.values())

    def run_stage(self, label: str, name: str, payload, fn, resumable: bool = False) -> tuple[Stage, dict]:
        st = Stage(self.run_dir, name, payload, resumable=resumable)
        if st.dir.name in self._memo:
            return self._memo[st.dir.name]
        meta = st.run(fn)
        if not meta["cached"] and not in_worker():  # one line per stage that did work: what, how long, where
            console.log(f"[bold cyan]{label}[/] {fmt_seconds(meta.get('seconds'))} [dim]{st.dir.name}[/]")
        self.timings[label] = {"seconds": meta.get("seconds"), "cached": meta["cached"], "dir": st.dir.name}
        self._memo[st.dir.name] = (st, meta)
        return st, meta

    # ---- data and models ------------------------------------------------------------------------
    def data(self) -> Stage:
        def fn(out: Path) -> dict:
            splits = build_splits(self.cfg.data, self.data_cfg.seed)
            for name, rows in splits.items():
                write_jsonl(out / f"{name}.jsonl", rows)
            return {"counts": {k: len(v) for k, v in splits.items()}}
        payload = {"data": _asdict(self.cfg.data), "seed": self.data_cfg.seed}
        if self.cfg.data.planted_rate > 0:  # the planted labels gained flawed_line/correct_line (reads_flaw)
            payload["planted_labels"] = 2
        return self.run_stage("data", "data", payload, fn)[0]

    def split(self, name: str) -> list[dict]:
        return read_jsonl(self.data().dir / f"{name}.jsonl")

    def base(self) -> str:
        """Directory (or hub id) of the model SFT starts from."""
        return self._base()[0]

    def base_key(self) -> str:
        """What identifies the base model in downstream cache keys: a stage key or a hub id, never a path
        under run_dir, so a run directory can be moved or copied and stay cached."""
        return self._base()[1]

    def _base(self) -> tuple[str, str]:
        m = self.cfg.model
        if m.kind == "pretrained":
            return m.name_or_path, m.name_or_path

        def fn(out: Path) -> dict:
            from harness.models.tiny import build_model, train_tokenizer
            tpl = self.cfg.data.prompt_template
            texts = [tpl.format(question=p["question"]) + " " + p["solution"] for p in self.split("train")[:5000]]
            tok = train_tokenizer(texts, m.vocab_size, out)
            model = build_model(tok, m.hidden_size, m.layers, m.heads, m.kv_heads, m.intermediate_size,
                                m.max_positions, self.sft_seed)
            model.save_pretrained(out)
            return {"params": sum(p.numel() for p in model.parameters()), "vocab": len(tok)}
        payload = {"data": self.data().key, "model": _asdict(m), "seed": self.sft_seed}
        st = self.run_stage(self.tag("base", sft_only=True), "base", payload, fn)[0]
        return str(st.dir), st.key

    def sft(self, overrides: dict | None = None) -> tuple[Stage, dict]:
        def fn(out: Path) -> dict:
            from transformers import AutoTokenizer

            from harness.training.sft import train_sft
            from harness.training.sft_tokens import pretokenize
            rows = sft_rows(self.split("train"), self.cfg.data.prompt_template)
            rows = pretokenize(rows, AutoTokenizer.from_pretrained(self.base()))  # one batched call, TRL's result
            work = out / "work"
            log = train_sft(self.sft_cfg, rows, self.base(), out / "model", work, overrides)
            _drop_checkpoints(work)
            return {"log_history": log}
        return self.run_stage(self.tag("train:sft", sft_only=True), "sft", self._sft_payload(overrides), fn,
                              resumable=True)

    def _sft_payload(self, overrides: dict | None = None) -> dict:
        return {"base": self.base_key(), "data": self.data().key, "sft": _asdict(self.cfg.sft),
                "overrides": overrides or {}, "prompt": self.cfg.data.prompt_template, "seed": self.sft_seed}

    def sft_key(self) -> str:
        """The SFT stage's key without training it (data and base stages run if not cached: both are cheap)."""
        from harness.runtime.cache import stage_key
        return stage_key("sft", self._sft_payload())

    def sft_more(self, recipe: Recipe) -> tuple[Stage, dict]:
        """SFT continued from the SFT checkpoint on the training split's reference solutions, reshuffled (the ones
        SFT has seen: harness/training/sft_more.py), as the equal-compute control `sft_more`: the DPO recipes'
        steps and batch size, so it costs what they cost; the recipe's overrides set its learning rate."""
        from harness.training.sft_more import continuation_section, train_sft_more
        section = continuation_section(self.cfg, recipe.overrides)
        sft_stage, _ = self.sft()

        def fn(out: Path) -> dict:
            meta = train_sft_more(self.cfg, self.split("train"), str(sft_stage.dir / "model"), out / "model",
                                  out / "work", section)
            _drop_checkpoints(out / "work")
            return meta
        payload = {"sft": sft_stage.key, "section": _asdict(section), "seed": self.seed}
        return self.run_stage(self.tag(f"train:{recipe.name}"), "sftmore", payload, fn, resumable=True)

    # ---- sampling, verification, pairs (hard-negative mining) -----------------------------------
    def _sample_and_verify(self, out: Path, problems: list[dict], seed: int,
                           include_greedy: bool = False) -> tuple[list[dict], dict]:
        from verifier import MathVerifier

        from harness.models.sampling import sample
        device = resolve_device(self.cfg.device)
        recs, stats = sample(str(self.sft()[0].dir / "model"), problems, self.cfg.data.prompt_template,
                             self.cfg.sampling, seed, device, use_bf16(device, self.cfg.model.dtype),
                             include_greedy=include_greedy)
        by_id = {p["id"]: p for p in problems}
        items = [{"question": by_id[r["problem_id"]]["question"], "solution": r["solution"],
                  "reference_answer": by_id[r["problem_id"]]["answer"],
                  "reference_solution": by_id[r["problem_id"]]["solution"], "truncated": r["truncated"]} for r in recs]
        with console.status(f"verifying {len(items)} samples"):
            verdicts = MathVerifier(self.cfg.verifier).verify_batch(items)
        for r, v in zip(recs, verdicts):
            r["verdict"] = v.to_dict()
        from harness.data.planted import label_records  # planted-flaw world: ground truth on every sample
        label_records(recs, by_id, "problem_id", lambda r: r["verdict"]["pred_answer"], lambda r: r["solution"])
        write_jsonl(out / "samples.jsonl", recs)
        return recs, stats

    def pool(self) -> tuple[Stage, dict]:
        """k samples per training problem from the SFT policy, each with its verdict."""
        def fn(out: Path) -> dict:
            from harness.pairs import pool_summary
            problems = self.split("train")[: self.cfg.sampling.n_problems]
            recs, stats = self._sample_and_verify(out, problems, self.pool_seed, self.cfg.sampling.include_greedy)
            summary = pool_summary(recs, len(problems))
            from harness.pairs.pool import pool_table
            console.print(pool_table(summary, stats))
            return {"sampling": stats, "summary": summary}
        payload = {"sft": self.sft()[0].key, "sampling": _asdict(self.cfg.sampling),
                   "verifier": _asdict(self.cfg.verifier), "verifier_code": verifier_fingerprint(), "seed": self.pool_seed}
        return self.run_stage(self.tag("pool"), "pool", payload, fn)

    def near_miss_slice(self) -> tuple[Stage, dict]:
        """The near-correct-error slice, selected on the primary SFT's greedy solutions and frozen
        (harness/stages/near_slice.py): the same lm-eval task, limits and configured verifier as the evaluation."""
        if not self.is_primary:
            return self.primary().near_miss_slice()
        from harness.stages.near_slice import SLICE_RULE, SLICE_VERSION
        synthetic = self.cfg.data.source == "synthetic"
        source = "hardneg_synth" if synthetic else "hardneg_gsm8k_cot"

        def fn(out: Path) -> dict:
            from harness.stages.evaluate import run_lm_eval, task_metadata
            from harness.stages.near_slice import freeze_slice, select_near_miss
            # synthetic: its own test split; real data: the GSM8K test set (never trained on)
            if synthetic:
                problems = self.split("test")
            else:
                from harness.data.loaders import load_gsm8k
                problems = load_gsm8k("test", self.cfg.eval.gsm8k_path)
            metadata = task_metadata(self.cfg, str(self.data().dir / "test.jsonl") if synthetic else None, None)
            with console.status(f"near-miss slice: SFT greedy on {source}"):
                _, throughput = run_lm_eval(str(self.sft()[0].dir / "model"), self.cfg, [source], metadata, out)
            greedy = read_jsonl(out / f"samples_{source}.jsonl")
            rows, summary = select_near_miss(problems, greedy)
            write_jsonl(out / "near_miss.jsonl", rows)
            frozen = freeze_slice(out, rows, len(greedy), self.sft()[0], payload)
            return {"n_problems": len(rows), "of": len(greedy), "source": source, "throughput": throughput,
                    "summary": summary, "slice_hash": frozen["slice_hash"], "model_hash": frozen["model_hash"]}
        payload = {"sft": self.sft()[0].key, "data": self.data().key, "source": source, "eval": _slice_eval_settings(self.cfg, source),
                   "prompt": self.cfg.data.prompt_template, "verifier": _asdict(self.cfg.verifier),
                   "verifier_code": verifier_fingerprint(), "tasks_fingerprint": tasks_fingerprint(),
                   "version": SLICE_VERSION, "rule": SLICE_RULE, "seed": self.cfg.seed}
        return self.run_stage("slice", "slice", payload, fn)

    def pair_rows(self, builder: str) -> tuple[Stage, dict]:
        """The rows of one builder over the pool, before any weight scheme (harness/stages/pair_sets.py): built
        once however many schemes use them (step pairs resample a chosen for every flawed step: the costly part)."""
        def fn(out: Path) -> dict:
            from harness.pairs import build_pairs
            from harness.pairs.step import PolicyContext
            samples = read_jsonl(self.pool()[0].dir / "samples.jsonl")
            problems = self.split("train")[: self.cfg.sampling.n_problems]
            rows, stats = build_pairs(builder, "uniform", problems, samples, self.cfg.pairs,
                                      self.cfg.data.prompt_template, self.pool_seed,
                                      PolicyContext.of(self.cfg, str(self.sft()[0].dir / "model")))
            write_jsonl(out / "pairs.jsonl", rows)
            return {"stats": stats}
        payload = self._pair_rows_payload(builder)
        failed = self._shared.setdefault("no_pairs", {})  # a builder that found nothing is not run again per scheme
        key = Stage(self.run_dir, "pairrows", payload).dir.name
        if key in failed:
            raise failed[key]
        try:
            return self.run_stage(self.tag(f"pairs:{builder}"), "pairrows", payload, fn)
        except NoPairs as e:
            failed[key] = e
            raise

    def _pair_rows_payload(self, builder: str) -> dict:
        return {"pool": self.pool()[0].key, "builder": builder, "pairs": _asdict(self.cfg.pairs), "seed": self.pool_seed}

    def mark_no_pairs(self, builder: str, error: NoPairs) -> None:
        """Record that `builder` found no pairs in this pool (another process tried: `harness compare --jobs`), so
        this process skips its recipes without building them again."""
        key = Stage(self.run_dir, "pairrows", self._pair_rows_payload(builder)).dir.name
        self._shared.setdefault("no_pairs", {})[key] = error

    def pairs(self, builder: str, scheme: str) -> tuple[Stage, dict]:
        rows_stage, rows_meta = self.pair_rows(builder)

        def fn(out: Path) -> dict:
            from harness.stages.pair_sets import weigh
            rows, stats = weigh(read_jsonl(rows_stage.dir / "pairs.jsonl"), rows_meta["stats"], scheme, self.cfg.pairs)
            write_jsonl(out / "pairs.jsonl", rows)
            return {"stats": stats}
        payload = {"rows": rows_stage.key, "scheme": scheme, "pairs": _asdict(self.cfg.pairs), "seed": self.pool_seed}
        return self.run_stage(self.tag(f"pairs:{builder}/{scheme}"), "pairs", payload, fn)

    # ---- recipes --------------------------------------------------------------------------------
    def train(self, recipe: Recipe) -> tuple[str, dict, str]:
        """-> (model dir, stage meta, stage key)"""
        if recipe.trainer == "sft":
            st, meta = self.sft(recipe.overrides or None)
            return str(st.dir / "model"), meta, st.key
        if recipe.trainer == "sft_more":
            st, meta = self.sft_more(recipe)
            return str(st.dir / "model"), meta, st.key
        pair_stage, _ = self.pairs(recipe.pairs, recipe.weights)
        sft_stage, _ = self.sft()

        def fn(out: Path) -> dict:
            from harness.training.dpo import train_dpo
            rows = read_jsonl(pair_stage.dir / "pairs.jsonl")
            work = out / "work"
            log = train_dpo(self.cfg, rows, str(sft_stage.dir / "model"), out / "model", work, recipe,
                            ref_cache=self.run_dir / "cache" / "ref_logps")
            _drop_checkpoints(work)
            return {"log_history": log}
        payload = dpo_train_payload(self.cfg, recipe, sft_stage.key, pair_stage.key, self.seed)
        st, meta = self.run_stage(self.tag(f"train:{recipe.name}"), "dpo", payload, fn, resumable=True)
        return str(st.dir / "model"), meta, st.key

    def _benchmark_available(self, task: str) -> bool:
        """Real benchmarks need their data; the embedded default still runs (and says so) without it."""
        if task not in self._availability:
            reason = _check_benchmark(task, self.cfg)
            if reason and self.cfg.model.kind != "tiny":
                from harness.data.loaders import DataError
                raise DataError(reason)
            if reason:
                console.log(f"[yellow]skipping {task}: {reason}")
            self._availability[task] = reason is None
        return self._availability[task]

    def evaluate(self, recipe: Recipe) -> tuple[Stage, dict]:
        """-> (eval stage, meta with `scores` per task); the stage dir holds samples_<task>.jsonl."""
        from harness.stages.evaluate import run_lm_eval, task_metadata
        model_dir, _, train_key = self.train(recipe)
        tasks = list(self.cfg.eval.tasks)
        synth = str(self.data().dir / "test.jsonl") if self.cfg.data.source == "synthetic" else None
        near, slice_key = None, None
        if "hardneg_near_miss" in tasks:
            st, meta = self.near_miss_slice()
            near, slice_key = str(st.dir / "near_miss.jsonl"), st.key
            if meta["n_problems"] == 0:
                console.log("[yellow]near-miss slice is empty (the SFT policy made no hard negatives on test); skipping it")
                tasks.remove("hardneg_near_miss")
        if synth is None and "hardneg_synth" in tasks:
            tasks.remove("hardneg_synth")
        if self.cfg.eval.real_benchmarks_for == "sft" and recipe.trainer != "sft":
            tasks = [t for t in tasks if t not in REAL_BENCHMARKS]
        tasks = [t for t in tasks if self._benchmark_available(t)]
        metadata = task_metadata(self.cfg, synth, near)

        whole_synth = (self.cfg.eval.slice_from_synth and "hardneg_synth" in tasks
                       and self.cfg.eval.task_limits.get("hardneg_synth", self.cfg.eval.limit) is None)
        derive = whole_synth and "hardneg_near_miss" in tasks
        # the slice stage already ran the primary SFT greedily on the whole synthetic test split, with these settings
        reuse = (whole_synth and "hardneg_near_miss" in self.cfg.eval.tasks and self.is_primary
                 and recipe.trainer == "sft" and not recipe.overrides
                 and self.near_miss_slice()[1].get("source") == "hardneg_synth")

        def fn(out: Path) -> dict:
            from harness.stages.evaluate import subset_task
            run_tasks = [t for t in tasks if not (derive and t == "hardneg_near_miss")
                         and not (reuse and t == "hardneg_synth")]
            scores, throughput = {}, {}
            if run_tasks:
                with console.status(f"lm-eval: {recipe.name} on {', '.join(run_tasks)}"):
                    scores, throughput = run_lm_eval(model_dir, self.cfg, run_tasks, metadata, out)
            if reuse:
                subset_task(out, "hardneg_synth", "hardneg_synth", None, scores, self.near_miss_slice()[0].dir)
                throughput = {**throughput, "hardneg_synth_from": "slice"}
            from harness.data.planted import label_eval_rows  # planted-flaw world: labels on every eval row
            label_eval_rows(out, self.split("test"))
            if derive:
                ids = [r["id"] for r in read_jsonl(near)]
                subset_task(out, "hardneg_synth", "hardneg_near_miss", ids, scores)
            return {"scores": scores, "throughput": throughput, "tasks": tasks}
        portable = {k: v for k, v in metadata.items() if k not in ("synth_path", "near_miss_path")}
        # greedy decoding: no seed in the key, so one checkpoint shared by several seeds is evaluated once
        # real_benchmarks_for acts through `tasks`: left out, so a run at its default keeps its evaluations' keys
        settings = {k: v for k, v in _asdict(self.cfg.eval).items() if k != "real_benchmarks_for"}
        payload = {"model": train_key, "eval": settings, "tasks": tasks, "metadata": portable,
                   "data": self.data().key, "slice": slice_key, "tasks_fingerprint": tasks_fingerprint(),
                   "verifier_code": verifier_fingerprint(), "verifier": _asdict(self.cfg.verifier)}
        return self.run_stage(self.tag(f"eval:{recipe.name}"), "eval", payload, fn)


REAL_BENCHMARKS = ("hardneg_gsm8k_cot", "hardneg_math500")


def _check_benchmark(task: str, cfg: ExperimentConfig) -> str | None:
    """None if the task's data loads, else the one-line reason (offline, no local copy)."""
    from harness.data.loaders import DataError, load_gsm8k, load_math500
    try:
        if task == "hardneg_gsm8k_cot":
            load_gsm8k("test", cfg.eval.gsm8k_path)
        elif task == "hardneg_math500":
            load_math500(cfg.eval.math500_path)
    except DataError as e:
        return str(e)
    return None


def _drop_checkpoints(work: Path) -> None:
    """Intermediate trainer checkpoints only serve resumption; the stage keeps the final model."""
    import shutil
    if work.exists():
        shutil.rmtree(work, ignore_errors=True)  # every rank of a distributed job deletes it at once


def _slice_eval_settings(cfg: ExperimentConfig, source: str) -> dict:
    """The evaluation settings the slice's greedy selection depends on (not the task list: adding a benchmark must
    not reselect the slice)."""
    e = cfg.eval
    out = {"limit": e.task_limits.get(source, e.limit), "max_gen_toks": e.max_gen_toks, "batch_size": e.batch_size,
           "cache": e.cache}
    return out if source == "hardneg_synth" else {**out, "gsm8k_path": e.gsm8k_path}
