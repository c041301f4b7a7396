"""open_store: the backend the ``state:`` config names, with its client from the factory."""

from __future__ import annotations

import alibabacloud_oss_v2 as oss
import pytest

from acrguard.clients import ClientFactory, EndpointOverride
from acrguard.config.state import StateConfig
from acrguard.credentials import StaticCredentials
from acrguard.state import OssStateStore, SqliteStateStore, StateError, open_store
from support import REGION, ROOT_KEY, ROOT_SECRET


def test_sqlite_config_opens_a_sqlite_file(tmp_path):
    """backend sqlite stores in the configured file (created with its directory)."""
    path = tmp_path / "deep" / "state.db"
    store = open_store(StateConfig(backend="sqlite", path=str(path)))
    assert isinstance(store, SqliteStateStore)
    store.update("x", lambda value: value.__setitem__("x", 1))
    assert path.exists()
    store.close()


def test_oss_config_opens_the_functions_folder_through_the_factory(cloud, factory):
    """backend oss keeps a function's records under its folder beside the key, with the factory's OSS client."""
    config = StateConfig(backend="oss", bucket="acrguard-state", key="prod/state.json", region=REGION,
                         lock_ttl_seconds=300)
    store = open_store(config, factory, job="endpoint_keeper")
    assert isinstance(store, OssStateStore) and store.lock_ttl_seconds == 300
    store.update("x/y", lambda value: value.__setitem__("x", 1))
    stored = factory.oss().get_object(oss.GetObjectRequest(bucket="acrguard-state",
                                                           key="prod/acrguard-endpoint-keeper/records/x/y"))
    assert stored.body.read() == b'{"x":1}'


def test_a_namespace_keeps_records_apart_in_both_backends(cloud, factory, tmp_path):
    """``namespace`` opens the records kept apart under it: a column in SQLite, a folder in OSS."""
    sqlite = StateConfig(backend="sqlite", path=str(tmp_path / "state.db"))
    open_store(sqlite, namespace="accounts/1/").put("k", {"n": 1}, None)
    assert open_store(sqlite).list("") == [] and open_store(sqlite, namespace="accounts/1/").list("") == ["k"]
    config = StateConfig(backend="oss", bucket="acrguard-state", key="state/acrguard.json", region=REGION)
    open_store(config, factory, job="whitelist_guard", namespace="accounts/1/").put("k", {"n": 1}, None)
    assert factory.oss().get_object(oss.GetObjectRequest(
        bucket="acrguard-state", key="state/acrguard-whitelist-guard/accounts/1/records/k")).body.read() == b'{"n":1}'
    with pytest.raises(StateError, match="ends with '/'"):
        open_store(sqlite, namespace="accounts")


def test_oss_without_a_factory_is_a_state_error():
    """The OSS backend cannot be opened without credentials."""
    with pytest.raises(StateError, match="needs cloud credentials"):
        open_store(StateConfig(backend="oss", bucket="acrguard-state"))


def test_an_override_without_an_oss_endpoint_is_refused():
    """Pointing the factory at a local cloud without naming its OSS endpoint is an error, not the public cloud."""
    factory = ClientFactory(REGION, credentials=StaticCredentials(ROOT_KEY, ROOT_SECRET),
                            override=EndpointOverride("127.0.0.1:1"))
    with pytest.raises(ValueError, match="oss_endpoint"):
        factory.oss()
