"""The system policies acrguard knows offline."""

from __future__ import annotations

import pytest

from acrguard.errors import BadInputError
from acrguard.policy.document import parse_document
from acrguard.policy.system_policies import system_policies, system_policy


def test_every_offline_copy_parses_and_names_its_source() -> None:
    """Each version of each known system policy is a valid document with a source."""
    known = system_policies()
    assert {"AdministratorAccess", "ReadOnlyAccess", "AliyunContainerRegistryFullAccess",
            "AliyunContainerRegistryReadOnlyAccess"} <= set(known)
    for policy in known.values():
        assert policy.default_version in policy.versions
        for body in policy.versions.values():
            parse_document(body.document, source=f"{policy.name} {body.version}")
            assert body.source


def test_reconstructed_copies_say_so() -> None:
    """A reconstructed or truncated copy carries that in its provenance."""
    assert system_policy("AdministratorAccess").attached().ref.origin == "offline copy (reconstructed)"
    assert system_policy("PowerUserAccess").attached().ref.origin == "offline copy (partial)"
    assert system_policy("AliyunCSManagedAcrRolePolicy").attached().ref.origin == "offline copy"


def test_versions_are_selectable_and_the_default_is_used_otherwise() -> None:
    """A named version is used when given; the default version otherwise."""
    policy = system_policy("aliyuncontainerregistryreadonlyaccess")
    assert policy.attached().ref.default_version == policy.default_version
    assert policy.attached("v1").document["Statement"][0]["Action"][-1] == "cr:PullRepository"
    assert policy.attached("v2").document["Statement"][0]["Action"][-1] == "cr:Pull*"


def test_unknown_names_and_versions_are_clear_errors() -> None:
    """Asking for an unknown policy or version names what is known."""
    with pytest.raises(BadInputError, match="known: "):
        system_policy("NoSuchPolicy")
    with pytest.raises(BadInputError, match="no offline copy of version v9"):
        system_policy("AdministratorAccess").attached("v9")
