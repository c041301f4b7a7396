"""Security Token Service (sts 2015-04-01): ``AssumeRole`` and ``GetCallerIdentity``.

Roles are looked up in the RAM backend of the role's account (``roles``). Credentials issued
here authenticate later requests until they expire on the local cloud's clock, after which the
gateway answers ``InvalidSecurityToken.Expired``.
"""

from __future__ import annotations

import re
from typing import Any

from localcloud.errors import CloudError
from localcloud.service import Call, Service


class StsBackend:
    """STS keeps no state of its own: tokens live on the cloud (they authenticate every product)."""

    def __init__(self, cloud: Any, account_id: str, region: str) -> None:
        self.cloud = cloud
        self.account_id = account_id

    def seed(self, data: dict[str, Any]) -> None:
        """Nothing to seed."""


SERVICE = Service("sts", "2015-04-01", StsBackend, regional=False)
ROLE_ARN = re.compile(r"^acs:ram::(\d+):role/([\w.@-]{1,64})$", re.IGNORECASE)


@SERVICE.action("AssumeRole")
def assume_role(call: Call, backend: StsBackend) -> dict[str, Any]:
    """Temporary credentials for ``RoleArn`` (duration 900–3600 s, default 3600)."""
    role_arn = call.require("RoleArn")
    session = call.require("RoleSessionName")
    duration = call.get_int("DurationSeconds", 3600)
    if not 900 <= duration <= 3600:
        raise CloudError("InvalidParameter.DurationSeconds",
                         "The parameter DurationSeconds must be between 900 and 3600 (the role's maximum).", 400)
    if not re.fullmatch(r"[\w.@-]{2,64}", session):
        raise CloudError("InvalidParameter.RoleSessionName", "The parameter RoleSessionName is wrongly formed.",
                         400)
    match = ROLE_ARN.match(role_arn)
    if not match:
        raise CloudError("InvalidParameter.RoleArn", "The parameter RoleArn is wrongly formed.", 400)
    account_id, role_name = match.groups()
    if account_id not in call.cloud.accounts:
        raise CloudError("EntityNotExist.Role", f"The role not exists: {role_arn}.", 404)
    ram = call.cloud.backend("ram", account_id, None)
    roles = getattr(ram, "roles", {})
    role = next((r for name, r in roles.items() if name.lower() == role_name.lower()), None)
    if role is None:
        raise CloudError("EntityNotExist.Role", f"The role not exists: {role_arn}.", 404)
    token = call.cloud.issue_sts_token(account_id, role_arn, session, duration)
    expiration = call.cloud.clock.iso(duration)
    return {
        "Credentials": {"AccessKeyId": token.access_key_id, "AccessKeySecret": token.secret,
                        "SecurityToken": token.token, "Expiration": expiration},
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
