"""``whitelist.identity``: recognising acrguard's own calls in ActionTrail actors."""

from __future__ import annotations

from acrguard.findings import Actor
from acrguard.whitelist.identity import OwnIdentity, caller_identity, is_own
from support import ROOT_KEY

ROLE = OwnIdentity("acs:ram::1234567890123456:assumed-role/acrguard-keeper/fc-123", "STS.abc", "333")
USER = OwnIdentity("acs:ram::1234567890123456:user/acrguard", "LTAI5tAcrguardKey001")
ROOT = OwnIdentity("acs:ram::1234567890123456:root", "LTAI5tRootKey0000001")


def test_same_access_key_is_own():
    """The AccessKey id acrguard signs with identifies it whatever the identity string says."""
    assert is_own(Actor("ram-user:someone", access_key_id="LTAI5tAcrguardKey001"), USER)


def test_same_ram_user_is_own_and_another_is_not():
    """A RAM user matches by name."""
    assert is_own(Actor("ram-user:acrguard"), USER)
    assert not is_own(Actor("ram-user:alice"), USER)


def test_any_session_of_the_same_role_is_own():
    """Role sessions match by role name or role id, whatever the session name."""
    assert is_own(Actor("assumed-role:acrguard-keeper/fc-999"), ROLE)
    assert is_own(Actor("assumed-role:333/fc-999"), ROLE)
    assert not is_own(Actor("assumed-role:ops/alice"), ROLE)


def test_root_is_own_only_by_access_key():
    """People use the root account too: root matches only by AccessKey id."""
    assert not is_own(Actor("root-account", access_key_id="LTAI5tSomeoneElse001"), ROOT)
    assert is_own(Actor("root-account", access_key_id="LTAI5tRootKey0000001"), ROOT)


def test_caller_identity_comes_from_sts(cloud, factory):
    """acrguard's identity is read with GetCallerIdentity through the SDK."""
    own = caller_identity(factory)
    assert own.arn == "acs:ram::1234567890123456:root" and own.access_key_id == ROOT_KEY
    assert own.kind == "root-account"
