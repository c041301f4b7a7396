"""Security Token Service (sts 2015-04-01): ``AssumeRole`` and ``GetCallerIdentity``.

Roles are looked up in the RAM backend of the role's account. Credentials issued here authenticate
later requests until they expire on the local cloud's clock, after which the gateway answers
``InvalidSecurityToken.Expired``.

Who may assume a role (https://www.alibabacloud.com/help/doc-detail/28763.html and
https://help.aliyun.com/en/ram/support/faq-about-ram-roles-and-sts-tokens): only a RAM user or a role
session, never the account itself; the caller's own policies must allow ``sts:AssumeRole`` on the
role's ARN (checked by the gateway through ``localcloud.authz``), and the role's trust policy must
name the caller (``localcloud.authz.trust``). All three refusals answer ``NoPermission`` (403)
"You are not authorized to do this action. You should be authorized by RAM.", the message the FAQ
gives for each cause; the trust refusal carries ``AccessDeniedDetail.PolicyType``
``AssumeRolePolicy``. A ``Policy`` parameter becomes the session policy (at most 1024 characters in
the SDK's docstring; not enforced here): the session may do only what both it and the role allow.
``ExternalId`` (2 to 1,224 characters of letters, digits and ``_+=,.@:/-``, the SDK model's docstring:
``alibabacloud_sts20150401/models/_assume_role_request.py``; https://help.aliyun.com/document_detail/2361741.html)
is the value of the condition key ``sts:ExternalId`` when the trust policy is evaluated; a trust
policy that requires it refuses a request without it (a key the request does not carry makes the
condition unknown, and an ``Allow`` whose condition is unknown does not apply). A malformed one is
``InvalidParameter.ExternalId`` (emulator's choice of code).
A cloud service (Function Compute) obtains a role's credentials through ``service_credentials``
when the role's trust policy names it, as FC does before it invokes a function with its role.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from localcloud.authz.policy import TRUST_POLICY, Decision, Policy
from localcloud.authz.refusals import STS_MESSAGE, access_denied_detail
from localcloud.authz.trust import Caller, trusts
from localcloud.core.identity import Credentials
from localcloud.errors import CloudError
from localcloud.service import Call, Service

if TYPE_CHECKING:
    from localcloud.core.identity import StsToken
    from localcloud.core.state import CloudState


class StsBackend:
    """STS keeps no state of its own: tokens live on the cloud (they authenticate every product)."""

    def __init__(self, cloud: Any, account_id: str, region: str) -> None:
        self.cloud = cloud
        self.account_id = account_id

    def seed(self, data: dict[str, Any]) -> None:
        """Nothing to seed."""


SERVICE = Service("sts", "2015-04-01", StsBackend, regional=False)
ROLE_ARN = re.compile(r"^acs:ram::(\d+):role/([\w.@-]{1,64})$", re.IGNORECASE)


def _role(cloud: CloudState, role_arn: str) -> tuple[str, Any]:
    """The account and RAM role an ARN names (``InvalidParameter.RoleArn``, ``EntityNotExist.Role``)."""
    match = ROLE_ARN.match(role_arn)
    if not match:
        raise CloudError("InvalidParameter.RoleArn", "The parameter RoleArn is wrongly formed.", 400)
    account_id, role_name = match.groups()
    role = cloud.backend("ram", account_id, None).role(role_name) if account_id in cloud.accounts else None
    if role is None:
        raise CloudError("EntityNotExist.Role", f"The role not exists: {role_arn}.", 404)
    return account_id, role


def _session_policy(call: Call) -> str | None:
    raw = call.get("Policy")
    if raw is None:
        return None
    try:
        Policy.parse("session-policy", raw)
    except ValueError:
        raise CloudError("InvalidParameter.PolicyGrammar", "The parameter Policy has not passed grammar check.",
                         400) from None
    return raw


@SERVICE.action("AssumeRole")
def assume_role(call: Call, backend: StsBackend) -> dict[str, Any]:
    """Temporary credentials for ``RoleArn`` (duration 900–3600 s, default 3600), for a caller the role trusts."""
    role_arn = call.require("RoleArn")
    session = call.require("RoleSessionName")
    duration = call.get_int("DurationSeconds", 3600)
    if not 900 <= duration <= 3600:
        raise CloudError("InvalidParameter.DurationSeconds",
                         "The parameter DurationSeconds must be between 900 and 3600 (the role's maximum).", 400)
    if not re.fullmatch(r"[\w.@-]{2,64}", session):
        raise CloudError("InvalidParameter.RoleSessionName", "The parameter RoleSessionName is wrongly formed.",
                         400)
    session_policy = _session_policy(call)
    principal = call.principal
    if principal.kind == "root":
        raise CloudError("NoPermission", STS_MESSAGE, 403)
    account_id, role = _role(call.cloud, role_arn)
    caller = Caller.ram(principal.account_id, user=principal.user_name,
                        role=principal.token.role_name if principal.token is not None else None)
    keys = {"acs:currenttime": [call.cloud.clock.iso()], "acs:securetransport": ["false"]}
    external_id = call.get("ExternalId")
    if external_id is not None:
        if not re.fullmatch(r"[\w+=,.@:/-]{2,1224}", external_id):
            raise CloudError("InvalidParameter.ExternalId", "The parameter ExternalId is wrongly formed.", 400)
        keys["sts:externalid"] = [external_id]
    if not trusts(role.trust_policy, caller, keys):
        denied = Decision(False, False, role_arn, (), TRUST_POLICY)
        raise CloudError("NoPermission", STS_MESSAGE, 403, extra={
            "AccessDeniedDetail": access_denied_detail(call.cloud, principal, "sts:AssumeRole", denied)})
    token = call.cloud.issue_sts_token(account_id, role_arn, session, duration, session_policy)
    return _credentials_body(call.cloud, token, account_id, role.name, session, duration)


def _credentials_body(cloud: CloudState, token: StsToken, account_id: str, role_name: str, session: str,
                      duration: int) -> dict[str, Any]:
    return {
        "Credentials": {"AccessKeyId": token.access_key_id, "AccessKeySecret": token.secret,
                        "SecurityToken": token.token, "Expiration": cloud.clock.iso(duration)},
        "AssumedRoleUser": {"Arn": f"acs:ram::{account_id}:assumed-role/{role_name}/{session}",
                            "AssumedRoleId": f"{token.role_id}:{session}"},
    }


@SERVICE.action("GetCallerIdentity")
def get_caller_identity(call: Call, backend: StsBackend) -> dict[str, Any]:
    """Who signed this request."""
    principal = call.principal
    body: dict[str, Any] = {"AccountId": principal.account_id, "Arn": principal.arn}
    if principal.kind == "assumed-role" and principal.token is not None:
        body.update(IdentityType="AssumedRoleUser", RoleId=principal.token.role_id,
                    PrincipalId=f"{principal.token.role_id}:{principal.token.session_name}")
    elif principal.kind == "ram-user":
        ram = call.cloud.backend("ram", principal.account_id, None)
        user = getattr(ram, "users", {}).get(principal.user_name)
        user_id = getattr(user, "user_id", None) or principal.user_name or ""
        body.update(IdentityType="RAMUser", UserId=user_id, PrincipalId=user_id)
    else:
        body.update(IdentityType="Account", PrincipalId=principal.account_id)
    return body


def service_credentials(cloud: CloudState, role_arn: str, service: str, session_name: str,
                        duration: int) -> Credentials:
    """Temporary credentials a cloud service obtains for a role whose trust policy names it.

    ``CloudError``: ``InvalidParameter.RoleArn``, ``EntityNotExist.Role``, or ``NoPermission`` when
    the trust policy does not name ``service``.
    """
    with cloud.lock:
        account_id, role = _role(cloud, role_arn)
        if not trusts(role.trust_policy, Caller(service=service), {"acs:currenttime": [cloud.clock.iso()]}):
            raise CloudError("NoPermission", f"{STS_MESSAGE} (the trust policy of {role_arn} does not name "
                             f"the service {service})", 403)
        token = cloud.issue_sts_token(account_id, role_arn, session_name, duration)
        return Credentials(token.access_key_id, token.secret, token.token, cloud.clock.iso(duration))

