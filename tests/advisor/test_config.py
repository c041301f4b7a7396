"""``instances[].image_advisor``: defaults, sizes, repository patterns, and errors with their path."""

from __future__ import annotations

import pytest

from acrguard.advisor.sizes import GiB
from acrguard.config import load_config_data
from acrguard.config.advisor import ImageAdvisorConfig
from acrguard.errors import ConfigError


def load(advisor):
    return load_config_data({"instances": [{"name": "test", "instance_id": "cri-test0000000000001",
                                            "image_advisor": advisor}]})


def test_defaults_report_over_one_gib_and_sweep_nothing():
    """An empty section reports (never writes), over 1 GiB, and names no repositories to sweep."""
    policy = load({}).instances[0].image_advisor
    assert (policy.policy, policy.size_threshold, policy.repositories) == ("report", GiB, ())


def test_the_section_is_optional():
    """Instances without the section are not advised on."""
    config = load_config_data({"instances": [{"name": "test", "instance_id": "cri-test0000000000001"}]})
    assert config.instances[0].image_advisor is None


def test_threshold_accepts_units():
    """``size_threshold: 800MB`` is 800,000,000 bytes."""
    assert load({"size_threshold": "800MB"}).instances[0].image_advisor.size_threshold == 800_000_000


def test_bad_values_are_reported_with_their_path():
    """A bad policy, size or pattern names where it is and what was expected."""
    with pytest.raises(ConfigError) as error:
        load({"policy": "fix", "size_threshold": "big", "repositories": ["Apps/Web", "apps"]})
    text = "\n".join(error.value.problems)
    assert "instances[0].image_advisor.policy" in text
    assert "instances[0].image_advisor.size_threshold" in text and "1GiB" in text
    assert "instances[0].image_advisor.repositories[0]" in text and "namespace/repository" in text
    assert "instances[0].image_advisor.repositories[1]" in text


def test_patterns_pick_what_sweeps_check_and_ignore_wins():
    """Sweeps check matching repositories; pushes check every repository; ``ignore`` excludes from both."""
    policy = ImageAdvisorConfig(repositories=("apps/*", "tools/big"), ignore=("apps/legacy-*",))
    assert policy.sweeps("apps", "web") and policy.sweeps("tools", "big")
    assert not policy.sweeps("tools", "small")
    assert not policy.sweeps("apps", "legacy-ui") and not policy.watches("apps", "legacy-ui")
    assert policy.watches("tools", "small")
