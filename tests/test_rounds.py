"""Iterated rounds (Recipe.rounds, harness/stages/kinds/rounds.py): round r samples a fresh pool from round r-1's
policy, mines and trains from it; round 1 is the non-iterated recipe's own stages."""
import pytest

from harness.config import ConfigError, load_config
from harness.registry import Recipe, get_recipe, register
from harness.runtime.io import read_jsonl
from harness.stages.kinds.rounds import trained
from harness.stages.pipeline import Pipeline

from .test_pipeline import micro_overrides


def _iter2():
    return register(Recipe(name="test_iter2_rft", description="rft iterated twice (test)", trainer="dpo",
                           pairs="hard", weights="uniform", loss_type=("sft",), overrides={"rpo_alpha": 1.0},
                           rounds=2, order=999))


def test_rounds_are_checked_at_registration():
    with pytest.raises(ConfigError, match="rounds=0"):
        Recipe(name="bad", description="x", trainer="dpo", pairs="hard", rounds=0)
    with pytest.raises(ConfigError, match="rounds=2: .* only for trainers that read pairs"):
        Recipe(name="bad", description="x", trainer="sft", rounds=2)


def test_round_graph_shares_round_one_and_chains_the_policy(tmp_path):
    cfg = load_config(None, micro_overrides(tmp_path))
    pipe = Pipeline(cfg)
    it, rft = _iter2(), get_recipe("rft")
    final = pipe.train_node(it)
    assert final.p("round") == 2
    assert pipe.key(trained(final, 1)) == pipe.key(pipe.train_node(rft))  # round 1 is rft's own training
    pool2 = pipe.payload(pipe.node("pool", round=2, recipe=it.name))
    assert pool2["upstream"]["policy"] == pipe.key(pipe.train_node(rft))
    assert pipe.payload(final)["upstream"]["policy"] == pipe.key(pipe.train_node(rft))
    assert pipe.payload(pipe.node("pool"))["upstream"]["policy"] == pipe.key(pipe.node("sft"))


@pytest.mark.slow
def test_two_rounds_sample_two_pools_from_different_models(tmp_path):
    cfg = load_config(None, micro_overrides(tmp_path))
    pipe = Pipeline(cfg)
    it = _iter2()
    model_dir, meta, _ = pipe.train(it)
    pools = sorted(p for p in tmp_path.iterdir() if p.name.startswith("pool-") and (p / "meta.json").is_file())
    assert len(pools) == 2
    one, two = pipe.run(pipe.node("pool"))[0], pipe.run(pipe.node("pool", round=2, recipe=it.name))[0]
    assert {one.dir, two.dir} == set(pools)
    # sampled from different models: the SFT, then round 1's training
    assert pipe.path(pipe.node("sft")) != pipe.path(trained(pipe.train_node(it), 1))
    a, b = read_jsonl(one.dir / "samples.jsonl"), read_jsonl(two.dir / "samples.jsonl")
    assert len(a) == len(b) and [r["problem_id"] for r in a] == [r["problem_id"] for r in b]
    assert [r["solution"] for r in a] != [r["solution"] for r in b]
    assert (tmp_path / model_dir.split(str(tmp_path) + "/")[-1]).is_dir() and meta["log_history"]
