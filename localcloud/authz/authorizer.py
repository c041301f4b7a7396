"""Authorize one request: the caller's policies, the request's action and resources, the decision.

Who is bound by what (RAM's evaluation process, step "identity policies", and the STS pages):

* an account's root identity (its own AccessKey) may do everything;
* a RAM user: the policies attached to it plus those of every group it belongs to;
* a role session (STS credentials): the policies attached to the role, and, when ``AssumeRole``
  was given a ``Policy``, that session policy as well (a call must be allowed by both; a deny in
  either wins: https://www.alibabacloud.com/help/en/resource-access-management/latest/policy-evaluation-process).

Each attached policy counts at its default version. Condition keys the local cloud fills in:
``acs:SourceIp`` (the client's address as the server sees it), ``acs:CurrentTime`` (the local
cloud's clock, ISO 8601 UTC), ``acs:SecureTransport`` (``false``: every front end speaks plain HTTP)
and ``acs:MFAPresent`` (``false``: AccessKey calls carry no MFA). Any other key is unknown
(``localcloud.authz.conditions`` says how that reads).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from localcloud.authz.actions import ActionRow, RequestFacts, resources_for, row_for
from localcloud.authz.policy import IDENTITY_POLICY, SESSION_POLICY, Decision, Policy, Request, evaluate
from localcloud.errors import CloudError

if TYPE_CHECKING:
    from collections.abc import Mapping

    from localcloud.core.identity import Principal
    from localcloud.core.state import CloudState

MISSING_ROW = "LocalCloud.AuthorizationRowMissing"


@dataclass(frozen=True)
class Authorization:
    """The outcome for one request: the row used, the RAM action and resources, and the decision."""

    row: ActionRow
    action: str
    resources: tuple[str, ...]
    decision: Decision

    @property
    def allowed(self) -> bool:
        """Whether the call may go ahead."""
        return self.decision.allowed


@lru_cache(maxsize=2048)
def _parsed(name: str, document: str, policy_type: str, version: str, layer: str) -> Policy:
    return Policy.parse(name, document, type=policy_type, version=version, layer=layer)


def identity_policies(cloud: CloudState, principal: Principal) -> list[Policy]:
    """The identity policies of a RAM user or a role session (the default version of each)."""
    ram = cloud.backend("ram", principal.account_id, None)
    if principal.kind == "ram-user":
        attached = ram.identity_policies("User", principal.user_name or "")
    elif principal.kind == "assumed-role" and principal.token is not None:
        attached = ram.identity_policies("Role", principal.token.role_name)
    else:
        attached = []
    policies = []
    for policy, version in attached:
        try:
            policies.append(_parsed(policy.name, version.document, policy.type, version.version_id, IDENTITY_POLICY))
        except ValueError:  # a document RAM would not have accepted: it grants nothing
            continue
    return policies


def condition_keys(cloud: CloudState, source_ip: str) -> dict[str, list[str]]:
    """The condition keys of a request, by lower-cased name."""
    return {"acs:sourceip": [source_ip], "acs:currenttime": [cloud.clock.iso()],
            "acs:securetransport": ["false"], "acs:mfapresent": ["false"]}


def decide(cloud: CloudState, principal: Principal, request: Request) -> Decision:
    """The decision for a non-root caller: identity policies, then the session policy of a role session."""
    identity = evaluate(identity_policies(cloud, principal), request)
    session_text = principal.token.session_policy if principal.token is not None else None
    if session_text is None or identity.explicit_deny:
        return identity
    try:
        session = evaluate([_parsed("session-policy", session_text, "Session", "", SESSION_POLICY)], request,
                           SESSION_POLICY)
    except ValueError:
        session = Decision(False, True, request.resources[0] if request.resources else "*", (), SESSION_POLICY)
    if session.explicit_deny or not identity.allowed:
        return session if session.explicit_deny else identity
    return session if not session.allowed else identity


def authorize(cloud: CloudState, principal: Principal, product: str, api: str, region: str,
              params: Mapping[str, str], path_params: Mapping[str, str] | None = None,
              source_ip: str = "127.0.0.1") -> Authorization | None:
    """Authorize a call; None when it needs no decision (the account's root, or an API that needs no permission).

    Raises ``CloudError`` ``LocalCloud.AuthorizationRowMissing`` (403) when a non-root caller calls
    an API without a row in ``localcloud.authz.actions``.
    """
    if principal.kind == "root":
        return None
    row = row_for(product, api)
    if row is None:
        raise CloudError(MISSING_ROW, f"localcloud: no RAM authorization row for {product} {api}; add "
                         f"ActionRow({product!r}, {api!r}, '<service>:<Action>', (<resource ARNs>), source=...) "
                         "to localcloud/authz/actions.py.", 403)
    if row.action is None:
        return None
    facts = RequestFacts(cloud, principal, product, api, region, params, path_params or {})
    with cloud.lock:
        resources = resources_for(row, facts)
        request = Request(row.action, resources, condition_keys(cloud, source_ip))
        decision = decide(cloud, principal, request)
    return Authorization(row, row.action, resources, decision)
