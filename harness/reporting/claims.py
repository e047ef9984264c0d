"""The sentences of report.md that state a property of the numbers, written from the statistics, and the check that
reads report text back against them.

    draws_sentence(stats)            how many SFT draws every interval and MDE resamples, and what that leaves out
    mde_sentences(stats, task)       the MDE range per baseline over *every* recipe compared, naming both ends
    best_sentence(stats, task)       "best on every count" only when the comparisons establish it
    family_sentence(stats, task)     the Holm family of one paired table and its size
    replicate_sentence(stats)        what a recipe's replicates vary, read from their stage keys
    check(text, stats)               -> the sentences of `text` that stats.json contradicts ([] when none)

A claim about an interval, an MDE range, a best recipe or a draw count is only ever produced here, from the same
dict that becomes stats.json; `check` runs on every built report (build.py) so hand-edited or stale wording that
outruns the numbers fails the build instead of shipping. `stats` may be in memory or a JSON round trip (int or
str keys).
"""
from __future__ import annotations

import re

ALPHA = 0.05
BASE_KEYS = (("vs_sft", "sft"), ("vs_control", None))


def _pct(x: float) -> str:
    return f"{100 * x:.1f}"


def comparisons(stats: dict) -> list[dict]:
    """Every paired comparison of the paired tables, all tasks."""
    return [r[k] for rows in stats["tasks"].values() for r in rows for k, _ in BASE_KEYS if r.get(k)]


def draw_counts(stats: dict) -> set[int]:
    """The distinct n_sft_seeds over every comparison (one value when every comparison spans the same draws)."""
    return {int(c.get("n_sft_seeds", 1)) for c in comparisons(stats)}


def draws_sentence(stats: dict, task: str | None = None) -> str:
    """One paragraph: the draw count of the comparisons and whether the SFT draw's own spread is in the intervals."""
    counts = draw_counts(stats)
    draws = (stats.get("draws") or {}).get("recipes") or []
    sft_only = (stats.get("draws") or {}).get("sft_only") or []
    if not counts:
        return ""
    if len(counts) > 1:
        return (f"SFT draws per comparison: {min(counts)} to {max(counts)} (recipes trained on different sets of SFT "
                "draws): an interval over one draw is conditional on that checkpoint; read each row's own count.")
    t = counts.pop()
    seeds = ", ".join(str(d) for d in draws)
    if t > 1:
        return (f"SFT draws in every comparison: {t} (SFT seeds {seeds}): every interval and MDE resamples the draws "
                "first, then problems within each (the draw is a random effect); per-draw Δ is tabled beside the "
                "pooled one.")
    out = (f"SFT draws in every comparison: 1 (SFT seed {seeds}, the checkpoint every recipe starts from): every "
           "interval and MDE is conditional on that one checkpoint, and its own spread is in none of them.")
    spread = ((stats.get("sft_seed_spread") or {}).get(task) or {}).get("per_sft_seed") if task else None
    if sft_only:
        out += (f" SFT seed(s) {', '.join(str(d) for d in sft_only)} trained no recipe (the slice's placebo only)"
                + (": the SFT draws score " + ", ".join(f"{_pct(v)} (SFT seed {k})" for k, v in spread.items())
                   + ", a spread no interval above includes." if spread else "."))
    return out


def mde_range(stats: dict, task: str, key: str) -> tuple[list[tuple[str, float]], int] | None:
    """([(recipe, mde)] sorted by mde, number of recipes compared) for one task and baseline key; None if none."""
    rows = [r for r in stats["tasks"].get(task, []) if r.get(key)]
    have = sorted(((r["recipe"], r[key]["mde"]) for r in rows if r[key].get("mde") is not None), key=lambda x: x[1])
    return (have, len(rows)) if have else None


def mde_sentences(stats: dict, task: str, label: str) -> list[str]:
    out = []
    for key, base in BASE_KEYS:
        base = base or (stats.get("baselines") or {}).get("control")
        rng = mde_range(stats, task, key)
        if not rng or not base:
            continue
        have, n = rng
        lacking = n - len(have)
        out.append(f"MDE vs {base} on {label}: {_pct(have[0][1])}–{_pct(have[-1][1])} points over all {n} recipes "
                   f"compared (smallest {have[0][0]}, largest {have[-1][0]})"
                   + (f"; {lacking} with no MDE (no discordant problem)" if lacking else "") + ".")
    return out


def between(stats: dict, task: str, a: str, b: str) -> dict | None:
    """The comparison a - b on `task` where the tables hold one (either direction, sign turned to a - b)."""
    rows = {r["recipe"]: r for r in stats["tasks"].get(task, [])}
    control = (stats.get("baselines") or {}).get("control")
    for x, y, sign in ((a, b, 1), (b, a, -1)):
        key = "vs_sft" if y == "sft" else ("vs_control" if y == control else None)
        c = (rows.get(x) or {}).get(key) if key else None
        if c:
            lo, hi = (c["low"], c["high"]) if sign > 0 else (-c["high"], -c["low"])
            return {"diff": sign * c["diff"], "low": lo, "high": hi, "p_holm": c.get("p_holm", c.get("p"))}
    return None


def separated(c: dict | None) -> bool:
    """a is established above b: the interval excludes 0 in a's favour and the Holm-adjusted p is below ALPHA."""
    return bool(c) and c["low"] > 0 and c["p_holm"] < ALPHA


def best_status(stats: dict) -> dict:
    """{task: (top recipe, accuracy, [recipes it is not separated from])} and whether one recipe is best on every
    count (top on every task and separated from every other recipe on each)."""
    per = {}
    for task, rows in stats["tasks"].items():
        if not rows:
            continue
        top = max(rows, key=lambda r: r["accuracy"]["mean"])
        loose = [r["recipe"] for r in rows if r is not top and not separated(between(stats, task, top["recipe"], r["recipe"]))]
        per[task] = (top["recipe"], top["accuracy"]["mean"], loose)
    tops = {v[0] for v in per.values()}
    best = next(iter(tops)) if len(tops) == 1 and all(not v[2] for v in per.values()) else None
    return {"tasks": per, "best": best}


def best_sentence(stats: dict, labels: dict) -> str:
    st = best_status(stats)
    if st["best"]:
        return (f"{st['best']} is the best on every count: highest accuracy on every task, above every other recipe "
                f"with an interval excluding 0 and Holm p < {ALPHA}.")
    parts = []
    for task, (top, acc, loose) in st["tasks"].items():
        parts.append(f"highest accuracy on {labels.get(task, task)}: {top} ({_pct(acc)}), not separated from "
                     f"{len(loose)} of {len(stats['tasks'][task]) - 1} others" + (f" ({', '.join(loose)})" if loose else ""))
    return ("No recipe is established as best on every count (separated = a comparison in the tables whose interval "
            f"excludes 0 and whose Holm p < {ALPHA}; recipes never compared directly are not separated): "
            + "; ".join(parts) + ".")


def family_sentence(stats: dict, task: str) -> str:
    f = (stats.get("families") or {}).get(task)
    if not f or not f["size"]:  # a task scored for sft alone makes no comparison
        return ""
    return (f"Holm family: {f['name']}, {f['size']} comparisons; the sign-test p and the permutation p are each "
            "adjusted over it.")


STAGE_WORDS = {"data": "data split", "base": "base-model initialisation", "sft": "SFT checkpoint",
               "pool": "sampled pool", "pairs": "pair set", "train": "trained policy"}


def replicate_sentence(stats: dict) -> str:
    """What a replicate varies: a whole pipeline draw, a pool and what follows, or the training only."""
    rep = stats.get("replicates")
    if not rep:
        return "One run per recipe: nothing is replicated; every interval is over problems given one pipeline draw."
    n, st = rep["runs"], rep["stages"]
    varied = [s for s in ("base", "sft", "pool", "pairs", "train") if st.get(s, 1) > 1]
    shared = [STAGE_WORDS[s] for s in ("data", "base", "sft", "pool", "pairs") if st.get(s) == 1]
    if st.get("sft", 1) > 1 and st.get("pool", 1) > 1:
        kind = "each replicate is a whole pipeline draw"
    elif st.get("pool", 1) > 1:
        kind = "replicates share the SFT and vary the pool and what follows it"
    else:
        kind = "replicates vary the training only (its data order and any sampling inside it)"
    return (f"What a replicate varies (read from the runs' stage keys): each recipe has {n} runs; {kind}"
            + (f" — distinct per run: {', '.join(STAGE_WORDS[s] for s in varied)}" if varied else "")
            + (f"; shared by all: {', '.join(shared)}" if shared else "") + ".")


# --- reading report text back -------------------------------------------------------------------------------------

_SPREAD_IN = re.compile(r"every interval (?:and MDE )?(?:above )?(?:includes|resamples)|SFT (?:seeds|draws) are "
                        r"resampled first|spread is in the interval", re.I)
_DRAWS = re.compile(r"SFT draws in every comparison: (\d+)")
_MDE = re.compile(r"MDE vs (\S+) on (\S+): ([\d.]+)–([\d.]+) points over all (\d+) recipes")
# "MDE 2.3-3.0 points vs SFT and 1.1-1.6 vs rft": every range after an MDE in one sentence
_MDE_LOOSE = re.compile(r"(?:MDE|and|,) ([\d.]+)\s*[–-]\s*([\d.]+)(?: points)? vs\s+`?(\w+)`?")
_WHOLE_DRAW = re.compile(r"whole pipeline draw", re.I)
_TRAIN_ONLY = re.compile(r"(?:vary|varies) the training (?:order )?only", re.I)
_BEST = re.compile(r"`?(\w+)`?,? (?:is )?the best on every count")


def _sentences(text: str) -> list[str]:
    """Sentences of markdown text: a single line break is a wrap inside a sentence, a blank line ends it."""
    text = re.sub(r"(?<!\n)\n(?!\n)", " ", text)
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+|\n\s*\n", text) if s.strip()]


def _mde_ranges(stats: dict, base: str) -> list[tuple[str, str, int]]:
    control = (stats.get("baselines") or {}).get("control")
    base = base.strip("`").lower()
    key = "vs_sft" if base == "sft" else ("vs_control" if base == (control or "").lower() else None)
    out = []
    for task in stats["tasks"] if key else []:
        rng = mde_range(stats, task, key)
        if rng:
            out.append((_pct(rng[0][0][1]), _pct(rng[0][-1][1]), rng[1]))
    return out


def check(text: str, stats: dict) -> list[str]:
    """Each sentence of `text` that states a draw count, SFT spread inside the intervals, an MDE range or a best
    recipe, checked against `stats`: -> ['<sentence>: <why it is wrong>'], [] when all agree. Also checks that the
    sft accuracy row spans the same SFT draws as the comparisons (never an average with another checkpoint)."""
    counts = draw_counts(stats)
    bad = []
    for s in _sentences(text):
        if _SPREAD_IN.search(s) and (not counts or min(counts) < 2):
            bad.append(f"{s}: claims the SFT draw's spread is in the intervals, but n_sft_seeds is {sorted(counts)}")
        for m in _DRAWS.finditer(s):
            if counts != {int(m.group(1))}:
                bad.append(f"{s}: claims {m.group(1)} SFT draw(s) in every comparison, stats has {sorted(counts)}")
        for m in _MDE.finditer(s):
            base, lo, hi, n = m.group(1), m.group(3), m.group(4), int(m.group(5))
            if (lo, hi, n) not in _mde_ranges(stats, base):
                bad.append(f"{s}: MDE range vs {base} is {_mde_ranges(stats, base)} (low, high, recipes) in stats")
        if "MDE" in s and not _MDE.search(s):
            for m in _MDE_LOOSE.finditer(s):
                if (m.group(1), m.group(2)) not in [(lo, hi) for lo, hi, _ in _mde_ranges(stats, m.group(3))]:
                    bad.append(f"{s}: MDE {m.group(1)}–{m.group(2)} vs {m.group(3)} is not the range over every "
                               f"recipe compared: {_mde_ranges(stats, m.group(3))}")
        st = (stats.get("replicates") or {}).get("stages") or {}
        if _WHOLE_DRAW.search(s) and "replicate" in s.lower() and not (st.get("sft", 1) > 1 and st.get("pool", 1) > 1):
            bad.append(f"{s}: calls a replicate a whole pipeline draw, but the runs' keys vary {st}")
        if _TRAIN_ONLY.search(s) and (st.get("pool", 1) > 1 or st.get("sft", 1) > 1):
            bad.append(f"{s}: says replicates vary the training only, but the runs' keys vary {st}")
        for m in _BEST.finditer(s):
            if best_status(stats)["best"] != m.group(1):
                bad.append(f"{s}: {m.group(1)} is not established as best on every count "
                           f"(stats: {best_status(stats)['tasks']})")
    for task, rows in stats["tasks"].items():
        sft = next((r for r in rows if r["recipe"] == "sft"), None)
        if sft and counts and sft["accuracy"].get("n_sft_seeds", 1) not in counts:
            bad.append(f"sft row on {task}: averages {sft['accuracy']['n_sft_seeds']} SFT draws while the comparisons "
                       f"pair with {sorted(counts)}")
    return bad
