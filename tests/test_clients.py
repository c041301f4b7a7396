"""The client factory: credential order, endpoint override, lazy imports, error conversion."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from types import SimpleNamespace
from typing import Any

import pytest
from alibabacloud_ram20150501 import models as ram_models

from acrguard.clients import ClientFactory, EndpointOverride, call
from acrguard.credentials import StaticCredentials, from_context, from_environment, resolve
from acrguard.errors import CloudCallError, TransientCloudError
from support import ACCOUNT, INSTANCE_ID, REGION, ROOT_KEY, ROOT_SECRET

ENV = {"ALIBABA_CLOUD_ACCESS_KEY_ID": "LTAIenv0000000001", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "env-secret",
       "ALIBABA_CLOUD_SECURITY_TOKEN": "env-token"}
CONTEXT = SimpleNamespace(credentials=SimpleNamespace(access_key_id="STS.ctx0000001", access_key_secret="ctx-secret",
                                                      security_token="ctx-token"))


def test_explicit_credentials_come_first():
    """Credentials from config win over the FC environment and the context."""
    explicit = StaticCredentials("LTAIexplicit00001", "s")
    assert resolve(explicit, environ=ENV, context=CONTEXT) is explicit


def test_fc_environment_comes_before_context():
    """FC's ALIBABA_CLOUD_* variables win over context.credentials."""
    found = resolve(environ=ENV, context=CONTEXT)
    assert (found.access_key_id, found.security_token, found.source) == ("LTAIenv0000000001", "env-token",
                                                                         "environment")


def test_context_credentials_when_environment_is_empty():
    """python3.10's context.credentials is used when the environment has none."""
    found = resolve(environ={}, context=CONTEXT)
    assert (found.access_key_id, found.source) == ("STS.ctx0000001", "fc-context")


def test_nothing_found_means_default_chain():
    """With no explicit, environment or context credentials, the default chain is used (None)."""
    assert resolve(environ={}, context=SimpleNamespace()) is None
    assert from_environment({"ALIBABA_CLOUD_ACCESS_KEY_ID": "LTAIonlyid"}) is None
    assert from_context(SimpleNamespace(credentials=SimpleNamespace(access_key_id="", access_key_secret=""))) is None


def test_credentials_never_print_their_secret():
    """repr/str of credentials mask the id and hide the secret and token."""
    text = repr(StaticCredentials("LTAI5tAbCdEfGhIjKlMn3x", "top-secret", "tok-secret"))
    assert "top-secret" not in text and "tok-secret" not in text
    assert "LTAI****Mn3x" in text


@pytest.mark.parametrize("endpoint", ["http://127.0.0.1:80", "127.0.0.1:80/x"])
def test_endpoint_override_rejects_urls(endpoint):
    """The override is host:port; a scheme or path is refused."""
    with pytest.raises(ValueError, match="host:port"):
        EndpointOverride(endpoint)


def test_clients_are_cached_per_product_and_region(cloud, factory):
    """The same product and region return the same client; another region a new one."""
    assert factory.cr() is factory.cr()
    assert factory.cr("cn-shanghai") is not factory.cr()
    assert factory.ram() is factory.client("ram", "cn-shanghai")  # RAM is global


def test_call_converts_errors_and_masks_nothing_secret(cloud):
    """A failed call becomes CloudCallError with code and request id, without the secret."""
    factory = ClientFactory(REGION, credentials=StaticCredentials(ROOT_KEY, "wrong-secret-value"),
                            override=EndpointOverride(cloud.endpoints()["openapi"]))
    with pytest.raises(CloudCallError) as caught:
        call("ram", "ListUsers", factory.ram().list_users, ram_models.ListUsersRequest())
    assert caught.value.code == "SignatureDoesNotMatch" and caught.value.request_id
    assert "wrong-secret-value" not in str(caught.value)


def _run(code: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ALIBABA_CLOUD_")}
    clean.update(env, ALIBABA_CLOUD_ECS_METADATA_DISABLED="true")
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=clean, timeout=60)


def test_default_chain_reads_a_credentials_uri(cloud):
    """With nothing configured, the alibabacloud-credentials chain (here a credentials URI) signs the calls."""
    code = (
        "import json\n"
        "from acrguard.clients import ClientFactory, EndpointOverride, call\n"
        f"f = ClientFactory({REGION!r}, override=EndpointOverride({cloud.endpoints()['openapi']!r}))\n"
        "b = call('sts', 'GetCallerIdentity', f.sts().get_caller_identity)\n"
        "print(json.dumps({'type': b.identity_type, 'account': b.account_id}))\n"
    )
    uri = f"http://{cloud.endpoints()['openapi']}/_localcloud/credentials-uri"
    result = _run(code, {"ALIBABA_CLOUD_CREDENTIALS_URI": uri})
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"type": "AssumedRoleUser", "account": ACCOUNT}


def test_environment_credentials_sign_calls_in_a_fresh_process(cloud):
    """FC-style environment variables are enough for a handler process to call the cloud."""
    code = (
        "from acrguard.clients import ClientFactory, EndpointOverride, call\n"
        f"f = ClientFactory.for_invocation({REGION!r}, override=EndpointOverride({cloud.endpoints()['openapi']!r}))\n"
        "print(call('sts', 'GetCallerIdentity', f.sts().get_caller_identity).identity_type)\n"
    )
    result = _run(code, {"ALIBABA_CLOUD_ACCESS_KEY_ID": ROOT_KEY, "ALIBABA_CLOUD_ACCESS_KEY_SECRET": ROOT_SECRET})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "Account"


def test_sdk_modules_are_imported_lazily():
    """Building a CR client imports the CR SDK and not the VPC, RAM or FC SDKs."""
    code = (
        "import sys\n"
        "from acrguard.clients import ClientFactory\n"
        "from acrguard.credentials import StaticCredentials\n"
        "before = {m for m in sys.modules if m.startswith('alibabacloud_')}\n"
        "ClientFactory('cn-hangzhou', credentials=StaticCredentials('LTAIx0000000', 's')).cr()\n"
        "after = {m.split('.')[0] for m in sys.modules if m.startswith('alibabacloud_')}\n"
        "print(sorted(before), sorted(after))\n"
    )
    result = _run(code, {})
    assert result.returncode == 0, result.stderr
    before, after = result.stdout.split("] [")
    assert before == "["
    assert "alibabacloud_cr20181201" in after
    assert not {"alibabacloud_vpc20160428", "alibabacloud_ram20150501", "alibabacloud_fc20230330"} & set(
        after.strip("[]\n").replace("'", "").split(", "))


def test_is_success_false_with_http_200_is_an_error(cloud, factory):
    """ACR answering HTTP 200 with IsSuccess=false (here: adding an entry already listed) raises with its code."""
    from alibabacloud_cr20181201 import models as cr_models

    request = cr_models.CreateInstanceEndpointAclPolicyRequest(instance_id=INSTANCE_ID, endpoint_type="internet",
                                                               entry="203.0.113.0/24", comment="again")
    since = cloud.requests.last_seq()
    with pytest.raises(CloudCallError) as caught:
        call("cr", "CreateInstanceEndpointAclPolicy", factory.cr().create_instance_endpoint_acl_policy, request)
    (answer,) = cloud.requests.filter(action="CreateInstanceEndpointAclPolicy", since=since)
    assert answer.status == 200  # the HTTP layer said yes: only the body's IsSuccess tells the failure
    assert caught.value.code == "ACL_ENTRY_ALREADY_EXIST" and "IsSuccess=false" in str(caught.value)
    assert not isinstance(caught.value, TransientCloudError)


def test_sdk_error_messages_lose_secrets_and_the_role_credentials(cloud, factory, monkeypatch):
    """An error message echoing a secret, a URL-encoded token or the role's environment credentials is scrubbed."""
    role_secret, role_token = "RoleSecretFromTheEnv0001", "CAISroleTokenFromTheEnv0001"
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", role_secret)
    monkeypatch.setenv("ALIBABA_CLOUD_SECURITY_TOKEN", role_token)
    echo = (f"server string to sign is: GET&%2F&AccessKeyId%3D{ROOT_KEY}%26SecurityToken%3DCAISencoded0001 "
            f"AccessKeySecret={ROOT_SECRET} role {role_secret} {role_token}")
    cloud.inject(product="ram", action="ListUsers", code="SignatureDoesNotMatch", status=400, message=echo, times=1)
    with pytest.raises(CloudCallError) as caught:
        call("ram", "ListUsers", factory.ram().list_users, ram_models.ListUsersRequest())
    text = str(caught.value) + repr(caught.value.args)
    assert caught.value.code == "SignatureDoesNotMatch" and "string to sign" in text
    for secret in (ROOT_KEY, ROOT_SECRET, "CAISencoded0001", role_secret, role_token):
        assert secret not in text, secret


def _first_requests_together(client: Any, count: int = 8) -> list[float]:
    """``count`` threads make their first ListUsers on ``client`` at once; when each answer came (all must succeed)."""
    import threading
    import time

    barrier, answered, errors = threading.Barrier(count), [], []

    def first_request() -> None:
        barrier.wait()
        try:
            call("ram", "ListUsers", client.list_users, ram_models.ListUsersRequest())
            answered.append(time.monotonic())
        except Exception as exc:  # reported below: every request must succeed
            errors.append(exc)

    threads = [threading.Thread(target=first_request) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    return answered


def test_threads_starting_on_a_new_client_build_one_http_session(cloud, factory, monkeypatch):
    """Concurrent first requests on one client wait for the first, so the SDK builds one session (one TLS context)."""
    import ssl

    import acrguard.clients

    built: list[int] = []
    original = ssl.create_default_context

    def counting(*args: Any, **kwargs: Any) -> Any:
        built.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(ssl, "create_default_context", counting)
    monkeypatch.setattr(acrguard.clients, "FIRST_REQUEST_WAIT_S", 30.0)  # however slow this machine is today
    _first_requests_together(factory.ram())
    assert len(built) == 1


def test_a_slow_first_request_holds_the_others_back_only_briefly(cloud, factory):
    """The other first requests wait for a slow first one at most FIRST_REQUEST_WAIT_S, then go side by side."""
    import time

    from acrguard.clients import FIRST_REQUEST_WAIT_S

    cloud.inject(action="ListUsers", latency_ms=1500, times=1)
    started = time.monotonic()
    answered = sorted(_first_requests_together(factory.ram()))
    assert answered[-2] - started < 1.0 + FIRST_REQUEST_WAIT_S  # seven answered long before the slow one
    assert answered[-1] - started >= 1.5
