"""IMS in the local cloud, through the real ``alibabacloud_ims20190815`` SDK: GetUser and the credential report."""

from __future__ import annotations

import base64
import csv
import io
import json
from typing import Any

import pytest
from alibabacloud_ims20190815 import models as ims
from alibabacloud_ram20150501 import models as ram

from acrguard.clients import call
from acrguard.errors import CloudCallError
from localcloud import LocalCloud
from localcloud.products.ims import COLUMNS, MAX_REPORT_USERS
from support import ACCOUNT, ROOT_KEY, base_world, make_factory

PULLER_KEY = "LTAI5tImsPullerKey0001"
SECOND_KEY = "LTAI5tImsPullerKey0002"


@pytest.fixture
def world() -> dict[str, Any]:
    """The base world plus a user with two keys (one used, one inactive) and a console login, and an alias."""
    data = base_world()
    account = data["accounts"][ACCOUNT]["global"]
    account["ram"]["users"].append({
        "name": "puller", "create_date": "2025-01-05T00:00:00Z",
        "login_profile": {"create_date": "2025-01-06T00:00:00Z"},
        "access_keys": [
            {"id": SECOND_KEY, "secret": "s2", "status": "Inactive", "create_date": "2025-03-01T00:00:00Z"},
            {"id": PULLER_KEY, "secret": "s1", "create_date": "2025-02-01T00:00:00Z",
             "last_used": "2025-04-01T00:00:00Z"},
        ]})
    account["ims"] = {"account_alias": "example", "credential_report": {"generation_s": 30}}
    return data


def ram_call(factory, api: str, **params: Any) -> Any:
    """Call a RAM API by name with snake_case parameters, through ``acrguard.clients.call``."""
    method = "".join("_" + c.lower() if c.isupper() else c for c in api).lstrip("_")
    return call("ram", api, getattr(factory.ram(), method), getattr(ram, f"{api}Request")(**params))


def ims_call(factory, api: str, **params: Any) -> Any:
    """Call an IMS API by name with snake_case parameters, through ``acrguard.clients.call``."""
    method = "".join("_" + c.lower() if c.isupper() else c for c in api).lstrip("_")
    func = getattr(factory.client("ims"), method)
    request = getattr(ims, f"{api}Request", None)  # GenerateCredentialReport takes no request
    return call("ims", api, func, request(**params)) if request is not None else call("ims", api, func)


def error_of(factory, api: str, **params: Any) -> CloudCallError:
    """The ``CloudCallError`` a call raises."""
    with pytest.raises(CloudCallError) as caught:
        ims_call(factory, api, **params)
    return caught.value


def report_rows(body: Any) -> list[dict[str, str]]:
    """The CSV rows of one ``GetCredentialReport`` page."""
    return list(csv.DictReader(io.StringIO(base64.b64decode(body.content).decode("utf-8"))))


def ready_report(cloud, factory) -> None:
    """Generate the report and let its generation time pass."""
    ims_call(factory, "GenerateCredentialReport")
    cloud.advance(31)


# -- GetUser ---------------------------------------------------------------------------------------

def test_get_user_by_access_key_id_names_the_owner(cloud, factory):
    """UserAccessKeyId maps a key to the RAM user owning it, also when the key is inactive."""
    user = ims_call(factory, "GetUser", user_access_key_id=PULLER_KEY).user
    assert (user.user_name, user.user_principal_name) == ("puller", "puller@example.onaliyun.com")
    assert ims_call(factory, "GetUser", user_access_key_id=SECOND_KEY).user.user_name == "puller"


def test_get_user_by_id_and_by_logon_name(cloud, factory):
    """UserId and UserPrincipalName name the same user."""
    user_id = ims_call(factory, "GetUser", user_access_key_id=PULLER_KEY).user.user_id
    assert ims_call(factory, "GetUser", user_id=user_id).user.user_name == "puller"
    assert ims_call(factory, "GetUser", user_principal_name="puller@EXAMPLE.onaliyun.com").user.user_name == "puller"


@pytest.mark.parametrize("key_id", ["LTAI5tNobodyOwnsThis01", ROOT_KEY])
def test_a_key_no_ram_user_owns_is_entity_not_exist_user(cloud, factory, key_id):
    """An unknown key and the account's root key have no RAM user: EntityNotExist.User (404)."""
    error = error_of(factory, "GetUser", user_access_key_id=key_id)
    assert (error.code, error.status) == ("EntityNotExist.User", 404)


def test_get_user_needs_exactly_one_name(cloud, factory):
    """None or two of the three names is InvalidParameter."""
    assert error_of(factory, "GetUser").code == "InvalidParameter"
    assert error_of(factory, "GetUser", user_access_key_id=PULLER_KEY, user_id="1").code == "InvalidParameter"


# -- the credential report ---------------------------------------------------------------------------

def test_generation_goes_started_inprogress_completed(cloud, factory):
    """A generation starts, runs for its generation time, then is complete; Get fails until then."""
    assert ims_call(factory, "GenerateCredentialReport").state == "STARTED"
    assert ims_call(factory, "GenerateCredentialReport").state == "INPROGRESS"
    assert error_of(factory, "GetCredentialReport").code == "EntityNotExist.CredentialReport"
    cloud.advance(31)
    assert ims_call(factory, "GenerateCredentialReport").state == "COMPLETED"
    assert ims_call(factory, "GetCredentialReport").is_truncated == "false"


def test_no_report_before_any_generation(cloud, factory):
    """GetCredentialReport before any generation: EntityNotExist.CredentialReport (404)."""
    error = error_of(factory, "GetCredentialReport")
    assert (error.code, error.status) == ("EntityNotExist.CredentialReport", 404)


def test_report_is_base64_csv_with_the_documented_columns(cloud, factory):
    """Content decodes to CSV: <root> first, then users by logon name, keys oldest first, N/A where empty."""
    ready_report(cloud, factory)
    body = ims_call(factory, "GetCredentialReport")
    rows = report_rows(body)
    assert tuple(rows[0]) == COLUMNS
    assert rows[0]["user"] == "<root>" and rows[0]["password_exist"] == "TRUE"
    assert rows[0]["access_key_1_exist"] == "TRUE"  # the root key of the world
    puller = next(r for r in rows if r["user"] == "puller@example.onaliyun.com")
    assert puller["password_exist"] == "TRUE" and puller["password_last_changed"] == "2025-01-06T00:00:00Z"
    assert (puller["access_key_1_active"], puller["access_key_1_last_rotated"], puller["access_key_1_last_used"]) == \
        ("TRUE", "2025-02-01T00:00:00Z", "2025-04-01T00:00:00Z")
    assert (puller["access_key_2_active"], puller["access_key_2_last_used"]) == ("FALSE", "N/A")
    assert puller["additional_access_key_1_exist"] == "FALSE" and puller["user_last_logon"] == "-"
    plain = next(r for r in rows if r["user"].startswith("user-00@"))
    assert (plain["password_exist"], plain["password_active"], plain["access_key_1_exist"]) == ("FALSE", "N/A", "FALSE")
    assert body.generated_time.endswith("Z")


def test_report_pages_with_max_items_and_next_token(cloud, factory):
    """MaxItems rows a page, each page with the header; NextToken until the last page."""
    ready_report(cloud, factory)
    names, token, pages = [], None, 0
    while True:
        body = ims_call(factory, "GetCredentialReport", max_items="3", next_token=token)
        names += [r["user"] for r in report_rows(body)]
        pages += 1
        if body.is_truncated != "true":
            break
        token = body.next_token
    assert pages == 3 and len(names) == 9 and names[0] == "<root>"
    assert error_of(factory, "GetCredentialReport", max_items="3502").code == "InvalidParameter"


def test_a_report_is_reused_for_four_hours_then_regenerated(cloud, factory):
    """Within four hours Generate answers COMPLETED with the old data; after them a new generation starts."""
    ready_report(cloud, factory)
    first = ims_call(factory, "GetCredentialReport").generated_time
    ram_call(factory, "DeleteLoginProfile", user_name="puller")
    assert ims_call(factory, "GenerateCredentialReport").state == "COMPLETED"
    stale = next(r for r in report_rows(ims_call(factory, "GetCredentialReport")) if r["user"].startswith("puller@"))
    assert stale["password_exist"] == "TRUE"  # the report still shows the state when it was generated
    cloud.advance(4 * 3600)
    assert ims_call(factory, "GenerateCredentialReport").state == "STARTED"
    cloud.advance(31)
    body = ims_call(factory, "GetCredentialReport")
    fresh = next(r for r in report_rows(body) if r["user"].startswith("puller@"))
    assert fresh["password_exist"] == "FALSE" and body.generated_time != first


@pytest.fixture
def crowded(world: dict[str, Any]) -> dict[str, Any]:
    """More RAM users than a report may hold."""
    world["accounts"][ACCOUNT]["global"]["ram"]["users"] += [{"name": f"bulk-{i:04d}"}
                                                             for i in range(MAX_REPORT_USERS)]
    return world


def test_more_than_3500_users_cannot_generate_a_report(crowded):
    """An account over the documented 3,500-user limit gets LimitExceeded.CredentialReport (409)."""
    with LocalCloud(crowded) as big, pytest.raises(CloudCallError) as caught:
        ims_call(make_factory(big), "GenerateCredentialReport")
    assert (caught.value.code, caught.value.status) == ("LimitExceeded.CredentialReport", 409)


def test_get_user_is_authorized_as_ram_get_user_on_the_owner(cloud, factory):
    """A RAM user allowed ram:GetUser on user/puller only may map puller's key, not another user's."""
    document = json.dumps({"Version": "1", "Statement": [{"Effect": "Allow", "Action": "ram:GetUser",
                                                          "Resource": f"acs:ram::{ACCOUNT}:user/puller"}]})
    ram_call(factory, "CreatePolicy", policy_name="get-puller", policy_document=document)
    ram_call(factory, "CreateUser", user_name="auditor")
    ram_call(factory, "AttachPolicyToUser", policy_name="get-puller", policy_type="Custom", user_name="auditor")
    created = ram_call(factory, "CreateAccessKey", user_name="auditor").access_key
    auditor = make_factory(cloud, created.access_key_id, created.access_key_secret)
    assert ims_call(auditor, "GetUser", user_access_key_id=PULLER_KEY).user.user_name == "puller"
    assert error_of(auditor, "GetUser", user_access_key_id=created.access_key_id).status == 403
    assert error_of(auditor, "GenerateCredentialReport").status == 403
