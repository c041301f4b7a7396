"""Dispatch and error shapes: v2 signatures, unknown actions, raw HTTP requests, the admin API."""

from __future__ import annotations

import json

import pytest
import requests
from alibabacloud_ram20150501 import models as ram_models
from alibabacloud_tea_openapi import utils_models

from acrguard.clients import call
from acrguard.errors import CloudCallError
from support import ROOT_KEY, ROOT_SECRET


def _v2_ram_client(cloud, secret=ROOT_SECRET):
    from alibabacloud_ram20150501.client import Client

    return Client(utils_models.Config(access_key_id=ROOT_KEY, access_key_secret=secret,
                                      endpoint=cloud.endpoints()["openapi"], protocol="http",
                                      signature_algorithm="v2"))


def test_v2_hmac_sha1_signature_is_accepted(cloud):
    """The legacy RPC signature (HMAC-SHA1 in the query) authenticates like ACS3.

    Source: alibabacloud_tea_openapi/utils.py (get_rpcsignature).
    """
    body = call("ram", "ListUsers", _v2_ram_client(cloud).list_users, ram_models.ListUsersRequest(max_items=2))
    assert [u.user_name for u in body.users.user] == ["user-00", "user-01"]
    assert cloud.requests.filter(action="ListUsers")[0].params == {"MaxItems": "2"}


def test_v2_with_wrong_secret_is_rejected(cloud):
    """A v2 request signed with the wrong secret gets SignatureDoesNotMatch.

    Source: alibabacloud_tea_openapi/utils.py (get_rpcsignature); the gateway's code.
    """
    with pytest.raises(CloudCallError) as caught:
        call("ram", "ListUsers", _v2_ram_client(cloud, "wrong").list_users, ram_models.ListUsersRequest())
    assert caught.value.code == "SignatureDoesNotMatch"


def _post(cloud, headers=None, query=""):
    return requests.post(f"http://{cloud.endpoints()['openapi']}/{query}", headers=headers or {}, timeout=5)


def test_unsigned_request_is_incomplete_signature(cloud):
    """A request with neither an Authorization header nor a Signature parameter is refused.

    Source: the gateway's code; the message: emulator's choice.
    """
    response = _post(cloud, {"x-acs-action": "ListUsers", "x-acs-version": "2015-05-01"})
    assert response.status_code == 400
    body = response.json()
    assert body["Code"] == "IncompleteSignature"
    assert set(body) >= {"Code", "Message", "RequestId"}


def test_malformed_authorization_is_incomplete_signature(cloud):
    """An ACS3 Authorization header without a signature is refused with IncompleteSignature.

    Source: the gateway's code; the message: emulator's choice.
    """
    response = _post(cloud, {"x-acs-action": "ListUsers", "x-acs-version": "2015-05-01",
                             "Authorization": f"ACS3-HMAC-SHA256 Credential={ROOT_KEY}"})
    assert response.json()["Code"] == "IncompleteSignature"


def test_unknown_action_is_invalid_action_not_found(cloud, factory):
    """An action the product does not have answers InvalidAction.NotFound (404), not a crash.

    Source: emulator's choice (status and message; the gateway's code).
    """
    client = factory.ram()
    params = utils_models.Params(action="NoSuchAction", version="2015-05-01", protocol="HTTPS", pathname="/",
                                 method="POST", auth_type="AK", style="RPC", req_body_type="formData",
                                 body_type="json")
    with pytest.raises(Exception) as caught:
        client.call_api(params, utils_models.OpenApiRequest(query={}), __import__("darabonba.runtime").runtime
                        .RuntimeOptions())
    assert getattr(caught.value, "code", None) == "InvalidAction.NotFound"
    assert getattr(caught.value, "status_code", None) == 404
    assert cloud.requests.filter(action="NoSuchAction")[0].error_code == "InvalidAction.NotFound"


def test_unknown_version_is_rejected(cloud):
    """A version no product has is InvalidVersion.

    Source: emulator's choice (status and message; the gateway's code).
    """
    response = _post(cloud, {"x-acs-action": "ListUsers", "x-acs-version": "1999-01-01"})
    assert response.json()["Code"] == "InvalidVersion"


def test_entity_errors_carry_the_real_code_and_status(factory):
    """RAM's EntityNotExist.Policy arrives as a 404 ClientException with the code.

    Source: the RAM API pages' error tables; alibabacloud_tea_openapi/client.py.
    """
    with pytest.raises(CloudCallError) as caught:
        call("ram", "GetPolicy", factory.ram().get_policy,
             ram_models.GetPolicyRequest(policy_name="nope", policy_type="Custom"))
    assert (caught.value.code, caught.value.status) == ("EntityNotExist.Policy", 404)


def test_admin_api_lists_requests_and_takes_faults(cloud, factory):
    """The admin API shows the request log and adds fault rules over plain HTTP."""
    base = f"http://{cloud.endpoints()['openapi']}/_localcloud"
    call("ram", "ListUsers", factory.ram().list_users, ram_models.ListUsersRequest())
    log = requests.get(f"{base}/requests?product=ram", timeout=5).json()["requests"]
    assert [r["action"] for r in log] == ["ListUsers"]
    added = requests.post(f"{base}/faults", data=json.dumps({"action": "ListUsers", "code": "Throttling.User",
                                                              "times": 5}), timeout=5)
    assert added.status_code == 200
    with pytest.raises(CloudCallError):
        call("ram", "ListUsers", factory.ram().list_users, ram_models.ListUsersRequest())
    bad = requests.post(f"{base}/faults", data=json.dumps({"acton": "x"}), timeout=5)
    assert bad.status_code == 400 and "acton" in bad.json()["error"]
