from harness.registry import Recipe, register

# grpo with the verifier's shaped reward (harness/rewards/verifier.py: grpo.flaw_penalty, near_credit, form_penalty)
register(Recipe(name="grpo_v", description="Online GRPO from SFT, reward shaped by the verifier",
                trainer="grpo", reward="verifier", order=91))
