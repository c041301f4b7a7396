"""Check 1, ``identity``: who the doctor's credentials are (STS ``GetCallerIdentity``).

``GetCallerIdentity`` needs no permission (its page publishes no authorization:
https://help.aliyun.com/document_detail/371868.htm), so an error here is about the credentials
themselves or the network. Its answer (``AccountId``, ``Arn``, ``IdentityType``: ``Account``,
``RAMUser`` or ``AssumedRoleUser``, per ``GetCallerIdentityResponseBody`` in
``alibabacloud_sts20150401/models/_get_caller_identity_response_body.py``) tells the later checks
the account the function roles must belong to.
"""

from __future__ import annotations

from acrguard.clients import ClientFactory, call
from acrguard.doctor.answers import describe, is_bad_credentials
from acrguard.doctor.context import CallerIdentity, DoctorContext
from acrguard.doctor.model import CheckResult, Status, single
from acrguard.errors import CloudCallError, TransientCloudError

NAME = "identity"
_ROOT = ("these are the account's root credentials: doctor needs only reads and one DryRun; run it as a RAM user "
         "with the policy in docs/doctor.md")


def read_identity(factory: ClientFactory) -> CallerIdentity:
    """The caller's account, ARN and identity type."""
    body = call("sts", "GetCallerIdentity", factory.sts().get_caller_identity)
    return CallerIdentity(body.account_id or "", body.arn or "", body.identity_type or "", body.principal_id or "")


def _credentials_fix(exc: CloudCallError) -> str:
    code = exc.code or ""
    if code.startswith("InvalidSecurityToken"):
        return "the STS token expired or does not match its AccessKey: get fresh temporary credentials"
    if code.startswith("SignatureDoesNotMatch"):
        return "the AccessKey secret does not match the AccessKey id: check cloud.credentials (or the --profile)"
    return ("the AccessKey is unknown or disabled: check cloud.credentials, --profile or ALIBABA_CLOUD_ACCESS_KEY_ID, "
            "and that the key is Active (RAM console > Users > the user > AccessKey)")


def check_identity(ctx: DoctorContext) -> CheckResult:
    """PASS with the account and ARN; FAIL when the credentials are refused; cannot tell on a passing trouble."""
    try:
        who = read_identity(ctx.factory)
    except TransientCloudError as exc:
        return single(NAME, Status.UNKNOWN, describe(exc),
                      "a transient failure (throttling, 5xx or network): check the endpoint and run doctor again")
    except CloudCallError as exc:
        ctx.identity_refused = True
        evidence = f"the credentials were refused: {describe(exc)}"
        if is_bad_credentials(exc):
            return single(NAME, Status.FAIL, evidence, _credentials_fix(exc))
        return single(NAME, Status.FAIL, evidence, f"see the answer ({exc}); fix the credentials and run doctor again")
    ctx.caller = who
    evidence = f"account {who.account_id}, {who.identity_type or 'unknown type'} {who.arn}"
    details = (_ROOT,) if who.identity_type == "Account" else ()
    return single(NAME, Status.PASS, evidence, details=details,
                  data={"account_id": who.account_id, "arn": who.arn, "identity_type": who.identity_type})
