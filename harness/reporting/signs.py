"""Failure signs read from a DPO trainer's log history: did the chosen likelihood fall (likelihood displacement)?

The raw `logps/chosen` of TRL's log is the summed log-probability of the *current batch's* chosen completions, so
its first and last logged values compare different batches: pairs with a longer or rarer chosen side log lower
values whatever training does (a step pair's chosen is one line; a whole pair's is a solution). The sign used
here is the batch-free one TRL logs beside it: `rewards/chosen` = beta * (log pi(y_w|x) - log pi_ref(y_w|x)), the
policy's chosen log-likelihood against the reference's *on the same pairs*. Divided by beta it is in nats per pair;
below zero at the end of training means the policy now rates its chosen completions less likely than the SFT
model did - the displacement of Pal et al. 2024 (DPOP) and Razin et al. 2024.
"""
from __future__ import annotations

TAIL = 0.25
"""Share of the last log entries averaged for the end-of-training value (single entries are one batch each)."""
TOLERANCE = 0.01
"""Nats per pair below zero before a recipe is flagged: float noise of the log-ratio at the start is ~1e-4."""


def chosen_trend(log_history: list[dict] | None, beta: float) -> dict | None:
    """-> {logps_start, logps_end, chosen_logratio_end, rejected_logratio_end, fell} or None without DPO logs.

    logps_*: raw `logps/chosen` at the first and last log (batch-dependent, shown for reference);
    *_logratio_end: mean of `rewards/*` / beta over the last TAIL of the log (nats per pair vs the reference);
    fell: chosen_logratio_end < -TOLERANCE (the displacement sign). Recipes without a preference term (rft) log no
    rewards: their `fell` is None.
    """
    hist = [h for h in (log_history or []) if "logps/chosen" in h]
    if not hist:
        return None
    tail = hist[-max(1, round(len(hist) * TAIL)):]
    out = {"logps_start": hist[0]["logps/chosen"], "logps_end": hist[-1]["logps/chosen"],
           "chosen_logratio_end": None, "rejected_logratio_end": None, "fell": None}
    if all("rewards/chosen" in h for h in tail) and beta > 0:
        out["chosen_logratio_end"] = sum(h["rewards/chosen"] for h in tail) / len(tail) / beta
        out["fell"] = out["chosen_logratio_end"] < -TOLERANCE
    if all("rewards/rejected" in h for h in tail) and beta > 0:
        out["rejected_logratio_end"] = sum(h["rewards/rejected"] for h in tail) / len(tail) / beta
    return out
