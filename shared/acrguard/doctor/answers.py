"""How doctor reads a cloud error: a DryRun that passed, a RAM refusal, refused credentials, or a passing trouble.

* ``DryRunOperation``: the request passed every check and was not carried out (the VPC and CEN
  pages and the SDK docstrings of ``DryRun``, e.g. ``CreateRouteEntryRequest.dry_run`` in
  ``alibabacloud_vpc20160428/models/_create_route_entry_request.py``).
* RAM refusals: the OpenAPI gateway's ``Forbidden.RAM`` (public error codes,
  https://help.aliyun.com/en/document_detail/3064376.html), RAM's and STS's ``NoPermission``
  (https://help.aliyun.com/en/ram/support/faq-about-ram-roles-and-sts-tokens), Function Compute's
  ``AccessDenied``; any ``Forbidden*`` or ``NoPermission*`` code is read as a refusal too.
* Refused credentials: ``InvalidAccessKeyId.*``, ``SignatureDoesNotMatch``, ``InvalidSecurityToken.*``
  (the public error codes page; the SDKs surface them as the error ``Code``).
"""

from __future__ import annotations

from acrguard.doctor.needs import grant_hint
from acrguard.errors import CloudCallError, TransientCloudError

DRY_RUN_PASSED = "DryRunOperation"
REFUSAL_CODES = frozenset({"Forbidden.RAM", "NoPermission", "AccessDenied", "Forbidden", "Forbidden.AccessDenied"})
KEY_CODE_PREFIXES = ("InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidSecurityToken", "IncompleteSignature",
                     "MissingSecurityToken", "NoCredentials")


def dry_run_passed(exc: CloudCallError) -> bool:
    """Whether the error is the DryRun's "would have succeeded"."""
    return exc.code == DRY_RUN_PASSED


def is_refusal(exc: CloudCallError) -> bool:
    """Whether RAM refused the call (the caller lacks the permission)."""
    code = exc.code or ""
    return code in REFUSAL_CODES or code.startswith(("Forbidden", "NoPermission"))


def is_bad_credentials(exc: CloudCallError) -> bool:
    """Whether the cloud refused the credentials themselves (unknown, disabled or expired key, wrong secret)."""
    return (exc.code or "").startswith(KEY_CODE_PREFIXES)


def unknown_fix(exc: CloudCallError, product: str | None = None) -> str:
    """What to do when a read failed: grant the action, retry later, or read the message."""
    if is_refusal(exc):
        return grant_hint(exc.api, product) + ", then run doctor again"
    if isinstance(exc, TransientCloudError):
        return "a transient failure (throttling, 5xx or network): run doctor again"
    return f"see the answer ({exc.code}); run doctor again once it is fixed"


def describe(exc: CloudCallError) -> str:
    """``CreateRouteEntry answered Forbidden.RAM`` (no request details, no secrets)."""
    return f"{exc.api} answered {exc.code or 'an error'}"
