"""The OpenAPI front end: authenticates, dispatches RPC and ROA calls, injects faults, records.

RPC calls are dispatched by ``x-acs-action``/``x-acs-version`` (ACS3) or ``Action``/``Version``
in the query (v2); ROA calls by ``x-acs-version`` plus method and path. The product is chosen by
the API version, which is unique per product. The region is the ``RegionId`` parameter, else the
``x-acs-region-id`` header (sent by acrguard's client factory only when an endpoint override is
set), else the account's default region.

Order of the checks: the API is found (``InvalidVersion``, ``InvalidAction.NotFound``), the
signature and credentials verified, the call authorized against the caller's RAM policies
(``localcloud.authz``; a refusal answers as the product does, see ``localcloud.authz.refusals``),
then rate limits (``localcloud.ratelimit``, off unless configured: a call over its limit is answered
``Throttling.User`` at once), then fault rules. Refusals are recorded in ``cloud.requests`` with
their code like every other error. The order is the emulator's choice: a refused call never counts
toward a rate limit nor consumes a fault rule.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote

from localcloud.authz.authorizer import authorize
from localcloud.authz.refusals import openapi_refusal
from localcloud.errors import CloudError
from localcloud.httpserver import QuietHandler
from localcloud.ratelimit import rate_limits
from localcloud.servers import signing
from localcloud.service import Call, Service

if TYPE_CHECKING:
    from localcloud.core.identity import Principal
    from localcloud.core.state import CloudState

V2_SYSTEM_PARAMS = {"Action", "Version", "Format", "Timestamp", "SignatureNonce", "SignatureMethod",
                    "SignatureVersion", "AccessKeyId", "SecurityToken", "Signature", "SignatureType"}
ADMIN_PREFIX = "/_localcloud/"


class _Dispatch:
    """What a request resolved to before the handler runs."""

    def __init__(self, service: Service | None, action: str, version: str, handler: Any = None,
                 path_params: dict[str, str] | None = None) -> None:
        self.service = service
        self.action = action
        self.version = version
        self.handler = handler
        self.path_params = path_params or {}

    @property
    def product(self) -> str:
        return self.service.product if self.service else "unknown"


def make_handler(cloud: CloudState) -> type[QuietHandler]:
    """Build the request handler class bound to ``cloud``."""
    nonces: set[str] = set()
    nonce_lock = threading.Lock()

    class OpenApiHandler(QuietHandler):
        def do_GET(self) -> None:
            self._handle()

        def do_POST(self) -> None:
            self._handle()

        def do_PUT(self) -> None:
            self._handle()

        def do_DELETE(self) -> None:
            self._handle()

        def do_PATCH(self) -> None:
            self._handle()

        # -----------------------------------------------------------------------------------
        def _handle(self) -> None:
            raw_path, _, raw_query = self.path.partition("?")
            if raw_path.startswith(ADMIN_PREFIX):
                from localcloud.servers.admin import handle_admin

                status, payload = handle_admin(cloud, self.command, raw_path, raw_query, self.read_body())
                self.send_bytes(status, json.dumps(payload, default=str).encode())
                return
            request_id = cloud.new_request_id()
            body = self.read_body()
            query = dict(parse_qsl(raw_query, keep_blank_values=True))
            headers = {k.lower(): v for k, v in self.headers.items()}
            dispatch = _Dispatch(None, headers.get("x-acs-action") or query.get("Action", ""),
                                 headers.get("x-acs-version") or query.get("Version", ""))
            principal: Principal | None = None
            region: str | None = None
            params: dict[str, Any] = {}
            try:
                dispatch = self._dispatch(raw_path, query, headers)
                principal = self._authenticate(raw_path, query, headers, body)
                params = self._params(query, headers, body)
                region = params.get("RegionId") or headers.get("x-acs-region-id") or \
                    cloud.default_region(principal.account_id)
                authorization = authorize(cloud, principal, dispatch.product, dispatch.action, region, params,
                                          dispatch.path_params, self.client_address[0])
                if authorization is not None and not authorization.allowed:
                    raise openapi_refusal(cloud, dispatch.product, principal, authorization.action,
                                          authorization.decision)
                denied = rate_limits(cloud).admit(principal.account_id, dispatch.product, dispatch.action)
                if denied is not None:
                    raise denied.error()
                fault = cloud.faults.pick(dispatch.product, dispatch.action)
                if fault is not None:
                    if fault.latency_ms:
                        time.sleep(fault.latency_ms / 1000)
                    if fault.drop:
                        self._record(dispatch, principal, region, params, 0, "ConnectionDropped", True)
                        self.close_connection = True
                        return
                    if fault.code:
                        extra = {"x-acs-retry-after": str(fault.retry_after_ms)} if fault.retry_after_ms else {}
                        raise _Injected(fault.code, fault.message or f"Injected fault: {fault.code}.",
                                        fault.status, extra)
                call = Call(cloud=cloud, product=dispatch.product, action=dispatch.action,
                            version=dispatch.version, account_id=principal.account_id, region=region,
                            principal=principal, request_id=request_id, params=params,
                            path_params=dispatch.path_params, method=self.command,
                            path=unquote(raw_path), body=body, headers=headers)
                assert dispatch.service is not None
                with cloud.lock:
                    backend = cloud.backend(dispatch.product, principal.account_id,
                                            region if dispatch.service.regional else None)
                    result = dispatch.handler(call, backend)
                status, payload = (result if isinstance(result, tuple) else (200, result))
                if isinstance(payload, dict):
                    payload = {"RequestId": request_id, **payload}
                self._record(dispatch, principal, region, params, status, None, False)
                if status < 300 and not (isinstance(payload, dict) and payload.get("IsSuccess") is False):
                    cloud.trail.record(dispatch.product, dispatch.action, dispatch.version, principal, region,
                                       params, headers, request_id)
                if fault is not None and fault.lose_answer:
                    self.close_connection = True  # carried out, but the answer never reaches the client
                    return
                self.send_bytes(status, json.dumps(payload, ensure_ascii=False).encode("utf-8"),
                                headers={"x-acs-request-id": request_id})
            except CloudError as err:
                injected = isinstance(err, _Injected)
                self._record(dispatch, principal, region, params, err.status, err.code, injected)
                envelope = {"RequestId": request_id, "HostId": self.headers.get("host", ""), "Code": err.code,
                            "Message": err.message, "Recommend": f"https://api.aliyun.com/troubleshoot?q={err.code}"}
                envelope.update({k: v for k, v in err.extra.items() if not k.startswith("x-")})
                extra_headers = {k: v for k, v in err.extra.items() if k.startswith("x-")}
                extra_headers["x-acs-request-id"] = request_id
                self.send_bytes(err.status, json.dumps(envelope, ensure_ascii=False).encode("utf-8"),
                                headers=extra_headers)

        def _record(self, dispatch: _Dispatch, principal: Principal | None, region: str | None,
                    params: dict[str, Any], status: int, error: str | None, fault: bool) -> None:
            cloud.requests.append(time=time.time(), product=dispatch.product, action=dispatch.action,
                                  version=dispatch.version, account_id=principal.account_id if principal else None,
                                  region=region, access_key_id=principal.access_key_id if principal else None,
                                  params=dict(params), status=status, error_code=error, fault=fault)

        def _dispatch(self, raw_path: str, query: dict[str, str], headers: dict[str, str]) -> _Dispatch:
            version = headers.get("x-acs-version") or query.get("Version") or ""
            services = [s for (v, _), s in cloud.services.items() if v == version]
            if not services:
                raise CloudError("InvalidVersion", f"Specified parameter Version {version!r} is not valid.", 400)
            path = unquote(raw_path)
            if path not in ("", "/"):
                for service in services:
                    found = service.match_route(self.command, path)
                    if found:
                        route, path_params = found
                        return _Dispatch(service, route.action, version, route.handler, path_params)
                raise CloudError("InvalidAction.NotFound",
                                 f"Specified api is not found, please check your url and method: {self.command} {path}",
                                 404)
            action = headers.get("x-acs-action") or query.get("Action") or ""
            for service in services:
                if action in service.actions:
                    return _Dispatch(service, action, version, service.actions[action])
            raise CloudError("InvalidAction.NotFound",
                             f"Specified api is not found, please check your url and method: {action}", 404)

        def _authenticate(self, raw_path: str, query: dict[str, str], headers: dict[str, str],
                          body: bytes) -> Principal:
            authorization = headers.get("authorization", "")
            if authorization:
                auth = signing.parse_acs3_authorization(authorization)
                principal, secret = cloud.authenticate(auth.access_key_id, headers.get("x-acs-security-token"))
                if "host" not in auth.signed_headers:
                    raise CloudError("IncompleteSignature", "The host header must be signed.", 400)
                payload_hash = headers.get("x-acs-content-sha256", "")
                if payload_hash != hashlib.sha256(body).hexdigest():
                    raise CloudError("IncompleteSignature", "x-acs-content-sha256 does not match the body.", 400)
                string_to_sign = signing.acs3_string_to_sign(self.command, raw_path, query, headers,
                                                             auth.signed_headers, payload_hash)
                expected = signing.acs3_signature(secret, string_to_sign)
                if not signing.signatures_equal(expected, auth.signature):
                    raise signing.mismatch(string_to_sign)
                nonce = headers.get("x-acs-signature-nonce", "")
            elif "Signature" in query:
                if "AccessKeyId" not in query:
                    raise CloudError("IncompleteSignature", "The request has no AccessKeyId.", 400)
                principal, secret = cloud.authenticate(query["AccessKeyId"], query.get("SecurityToken"))
                string_to_sign = signing.v2_string_to_sign(self.command, query)
                expected = signing.v2_signature(secret, string_to_sign)
                if not signing.signatures_equal(expected, query["Signature"]):
                    raise signing.mismatch(string_to_sign)
                nonce = query.get("SignatureNonce", "")
            else:
                raise CloudError("IncompleteSignature", "The request signature does not conform to Aliyun "
                                 "standards: no Authorization header and no Signature parameter.", 400)
            if nonce:
                with nonce_lock:
                    if nonce in nonces:
                        raise CloudError("SignatureNonceUsed", "The request signature nonce has been used.", 400)
                    nonces.add(nonce)
            return principal

        @staticmethod
        def _params(query: dict[str, str], headers: dict[str, str], body: bytes) -> dict[str, str]:
            params = {k: v for k, v in query.items() if k not in V2_SYSTEM_PARAMS}
            if body and "application/x-www-form-urlencoded" in headers.get("content-type", ""):
                params.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
            return params

    return OpenApiHandler


class _Injected(CloudError):
    """An error produced by a fault rule rather than by a handler."""

    def __init__(self, code: str, message: str, status: int, extra: dict[str, str]) -> None:
        super().__init__(code, message, status, extra=extra)
