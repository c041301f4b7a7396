"""How each product answers a call that RAM refused: code, HTTP status, message and ``AccessDeniedDetail``.

OpenAPI products (JSON envelope ``RequestId``/``HostId``/``Code``/``Message``/``Recommend``):

* RAM: ``NoPermission``, 403, "You are not authorized to do this action. Resource: <arn> Action:
  <action>" (the form Function Compute's CLI quotes from RAM's ``GetRole``:
  https://github.com/alibaba/funcraft/pull/243 and its FAQ; funcraft/pull/231 matches the code).
* STS: ``NoPermission``, 403, "You are not authorized to do this action. You should be authorized by
  RAM." for every refusal of ``AssumeRole`` (caller is the account itself, no ``sts:AssumeRole``, or
  the role's trust policy does not name the caller):
  https://help.aliyun.com/en/ram/support/faq-about-ram-roles-and-sts-tokens and
  https://www.alibabacloud.com/help/doc-detail/28763.html.
* Function Compute: ``AccessDenied``, 403, "the caller is not authorized to perform '<action>' on
  resource '<arn>'" (the FC 2.0 answer funcraft matches, funcraft/pull/243; the emulator's choice
  for FC 3.0, whose error pages publish no RAM code).
* Every other product (ACR, VPC, CEN, ActionTrail): the OpenAPI gateway's ``Forbidden.RAM``, 403,
  "User not authorized to operate on the specified resource, or this API doesn't support RAM."
  (public error codes, https://help.aliyun.com/en/document_detail/3064376.html; users report the
  same envelope, e.g. https://github.com/acmesh-official/acme.sh/issues/1898). The per-API pages
  of ACR, VPC and CEN list no RAM code of their own (CEN's pages name a 400 ``Unauthorized`` "The
  AccessKeyId is unauthorized." without saying when), so the gateway's code is the emulator's choice.

Every OpenAPI refusal also carries ``AccessDeniedDetail`` (``AuthAction``, ``AuthPrincipalType``
``SubUser``/``AssumedRoleUser``, ``AuthPrincipalOwnerId``, ``AuthPrincipalDisplayName``,
``NoPermissionType`` ``ImplicitDeny``/``ExplicitDeny``, ``PolicyType``, ``EncodedDiagnosticMessage``),
the object the SDK surfaces as ``exception.accessDeniedDetail`` (``alibabacloud_tea_openapi`` reads
``AccessDeniedDetail`` from the body); fields from the sample 403 response in ACK's RRSA guide
(help.aliyun.com, "use RRSA to authorize pods", the ``cs:DescribeClustersForRegion`` example), OSS's
0003-00000201 page and RAM's ``DecodeDiagnosticMessage`` page
(https://help.aliyun.com/zh/ram/developer-reference/api-ram-2015-05-01-decodediagnosticmessage).
The display name is the user's id for a RAM user and ``<role>:<session>`` for a role session.
``EncodedDiagnosticMessage`` is opaque in the real cloud; here it is Base64 JSON of the
``DecodeDiagnosticMessage`` fields (the emulator's choice).

OSS (XML ``Error``): ``AccessDenied``, 403, with ``EC`` and ``AccessDeniedDetail`` in the body and
``x-oss-ec`` in the headers. An explicit deny is ``0003-00000201`` with the message "Access denied by
bucket policy." as OSS's own example shows it (https://www.alibabacloud.com/help/en/oss/support/0003-00000201);
no allow is ``0003-00000001``, "You have no right to access this object because of bucket acl."
(https://www.alibabacloud.com/help/en/oss/support/0003-00000001 describes the case; the message is
the one OSS gives unsigned requests, the emulator's choice).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from localcloud.errors import CloudError

if TYPE_CHECKING:
    from localcloud.authz.policy import Decision
    from localcloud.core.identity import Principal
    from localcloud.core.state import CloudState


@dataclass(frozen=True)
class Refusal:
    """A product's answer to a refused call (``message`` may name ``{action}`` and ``{resource}``)."""

    code: str
    status: int
    message: str


GATEWAY = Refusal("Forbidden.RAM", 403,
                  "User not authorized to operate on the specified resource, or this API doesn't support RAM.")
STS_MESSAGE = "You are not authorized to do this action. You should be authorized by RAM."

#: Product -> its refusal; products not listed answer with the gateway's ``GATEWAY``.
REFUSALS: dict[str, Refusal] = {
    "ram": Refusal("NoPermission", 403, "You are not authorized to do this action. Resource: {resource} "
                                        "Action: {action}"),
    "sts": Refusal("NoPermission", 403, STS_MESSAGE),
    "fc": Refusal("AccessDenied", 403, "the caller is not authorized to perform '{action}' on resource '{resource}'"),
}

OSS_EXPLICIT = ("0003-00000201", "Access denied by bucket policy.")
OSS_IMPLICIT = ("0003-00000001", "You have no right to access this object because of bucket acl.")


def refusal_for(product: str) -> Refusal:
    """How ``product`` refuses a call."""
    return REFUSALS.get(product, GATEWAY)


def access_denied_detail(cloud: CloudState, principal: Principal, action: str, decision: Decision) -> dict[str, str]:
    """The ``AccessDeniedDetail`` object of a refusal."""
    if principal.kind == "assumed-role" and principal.token is not None:
        kind, display = "AssumedRoleUser", f"{principal.token.role_name}:{principal.token.session_name}"
    else:
        ram = cloud.backend("ram", principal.account_id, None)
        user = getattr(ram, "users", {}).get(principal.user_name or "")
        kind, display = "SubUser", str(getattr(user, "user_id", None) or principal.user_name or principal.account_id)
    diagnostic = {
        "AuthAction": action, "AuthResource": decision.resource, "ExplicitDeny": decision.explicit_deny,
        "NoPermissionPolicyType": decision.layer,
        "AuthPrincipal": {"AuthPrincipalType": kind, "AuthPrincipalOwnerId": principal.account_id,
                          "AuthPrincipalDisplayName": display},
        "MatchedPolicies": [{"Effect": "Deny" if decision.explicit_deny else "Allow", "PolicyIdentifier": p.name,
                             "PolicyType": p.type, "PolicyVersion": p.version} for p in decision.matched],
    }
    encoded = base64.b64encode(json.dumps(diagnostic, separators=(",", ":")).encode()).decode()
    return {"PolicyType": decision.layer, "AuthPrincipalOwnerId": principal.account_id, "AuthPrincipalType": kind,
            "AuthPrincipalDisplayName": display, "NoPermissionType": decision.no_permission_type,
            "AuthAction": action, "EncodedDiagnosticMessage": encoded}


def openapi_refusal(cloud: CloudState, product: str, principal: Principal, action: str,
                    decision: Decision) -> CloudError:
    """The error an OpenAPI product answers a refused call with."""
    refusal = refusal_for(product)
    message = refusal.message.format(action=action, resource=decision.resource)
    detail: dict[str, Any] = access_denied_detail(cloud, principal, action, decision)
    return CloudError(refusal.code, message, refusal.status, extra={"AccessDeniedDetail": detail})
