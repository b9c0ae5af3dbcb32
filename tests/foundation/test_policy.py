"""The policy file is validated and a bad one is refused with a message naming the problem."""

import tomllib

import pytest

from copilot.errors import PolicyError
from copilot.policy.model import load_policy, parse_policy
from copilot.resources import default_policy_path


def _default() -> dict:
    return tomllib.loads(default_policy_path().read_text())


def test_default_policy_loads():
    policy = load_policy(None)
    assert [t.tier for t in policy.tiers] == [1, 2, 3, 4]
    assert policy.tier_rule(1).touch_days == [5, 10, 15, 20, 30]


def test_yaml_policy(tmp_path):
    import yaml

    path = tmp_path / "policy.yaml"
    data = _default()
    data["caps"]["per_account_per_week"] = 3
    path.write_text(yaml.safe_dump(data))
    assert load_policy(path).caps.per_account_per_week == 3


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d["tiers"][1].update(min_days=40), "tier 2 must start the day after tier 1 ends"),
        (lambda d: d["tiers"].pop(), "tiers must define tier 1, 2, 3 and 4"),
        (lambda d: d["caps"].update(quiet_weekdays=["funday"]), "unknown weekday 'funday'"),
        (lambda d: d.update(colour="blue"), "colour: is not a known policy field"),
        (lambda d: d["segment"]["long-tail"].update(auto_send_tiers=[2]), "only allowed for tier 1"),
        (lambda d: d["caps"].update(per_contact_per_day="many"), "caps.per_contact_per_day"),
    ],
)
def test_invalid_policy_is_refused(mutate, message):
    data = _default()
    mutate(data)
    with pytest.raises(PolicyError, match="is invalid") as err:
        parse_policy(data, "p.toml")
    assert message in str(err.value)


def test_unparseable_file(tmp_path):
    path = tmp_path / "policy.toml"
    path.write_text("[tiers\nbroken")
    with pytest.raises(PolicyError, match="is not valid toml"):
        load_policy(path)


def test_missing_file(tmp_path):
    with pytest.raises(PolicyError, match="cannot be read"):
        load_policy(tmp_path / "nope.toml")
