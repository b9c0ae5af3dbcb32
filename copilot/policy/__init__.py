"""The collections policy: the policy file, tier and cadence decisions, and pauses on dunning."""
