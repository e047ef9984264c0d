"""Progress for a person: elapsed times in a readable form, a recipe counter whose ETA comes from the recipes after
the first (which carries SFT, the slice and the pool) that did real work, and lm-eval's own bars off unless asked."""
import time

from harness.runtime.progress import RecipeClock, fmt_seconds


def test_fmt_seconds():
    assert [fmt_seconds(s) for s in (None, 0.4, 42, 61, 365, 3725)] == ["–", "0s", "42s", "1m01s", "6m05s", "1h02m"]


def test_eta_from_the_recipes_after_the_first(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(time, "time", lambda: now[0])
    clock = RecipeClock(total=5)
    clock.start()
    now[0] += 400  # recipe 1: SFT and the shared stages
    clock.finish(computed=True)
    assert "ETA" not in clock.line()  # nothing to extrapolate from yet
    for cost, computed in ((60, True), (0.5, False), (40, True)):  # a cached recipe does not lower the estimate
        clock.start()
        now[0] += cost
        clock.finish(computed)
    assert clock.line() == f"elapsed {fmt_seconds(500.5)} · ETA ~{fmt_seconds(50)}"  # 1 left x mean(60, 40)
    clock.start()
    now[0] += 10
    clock.finish(True)
    assert "ETA" not in clock.line()  # all done


def test_lm_eval_bars_follow_verbose():
    import lm_eval.models.huggingface as hf

    from harness.stages.evaluate import lm_eval_bars
    original = hf.tqdm
    for show in (False, True):
        with lm_eval_bars(show):
            bar = hf.tqdm(range(3), disable=False)  # lm-eval passes disable= itself
            assert bar.disable is (not show)
            bar.close()
        assert hf.tqdm is original
