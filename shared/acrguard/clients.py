"""The one client factory: every SDK client acrguard uses is built here.

The SDKs have no endpoint override by environment, so the factory takes an endpoint and protocol
(for the local cloud) and credentials (see ``acrguard.credentials``), and sets the retry policy
once (``acrguard.retry``). SDK modules are imported lazily, only when a client of that product is
first asked for, to keep cold starts short.

With an endpoint override the factory also sends ``x-acs-region-id`` so the local cloud knows
the region of products whose requests carry none (ACR).

Flow control: a factory built from the config carries a ``FlowControl`` (``cloud.flow_control``; see
``acrguard.ratelimit``), and ``call`` makes every call of an operation wait for its place under that
operation's published quota, so every job is paced the same way. Throttling that still happens (another
client of the account using the quota) is retried here, not inside the SDK: each attempt waits for a
place again, and the flow control counts it. The retries follow the factory's ``RetryPolicy``
(attempts, exponential backoff with equal jitter, the server's ``x-acs-retry-after`` when it sends one).
"""

from __future__ import annotations

import importlib
import random
import threading
import time
import weakref
from contextlib import nullcontext
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from acrguard import credentials as creds
from acrguard.credential_variables import secret_values
from acrguard.errors import CloudCallError, TransientCloudError
from acrguard.ratelimit import THROTTLING_CODES, FlowControl
from acrguard.redact import redact_text
from acrguard.retry import RetryPolicy

if TYPE_CHECKING:
    from acrguard.config.model import AcrguardConfig

#: product -> (client module, regional?)
PRODUCTS: dict[str, tuple[str, bool]] = {
    "cr": ("alibabacloud_cr20181201.client", True),
    "vpc": ("alibabacloud_vpc20160428.client", True),
    "ram": ("alibabacloud_ram20150501.client", False),
    # RAM's identity API: GetUser by AccessKey id, the credential report (the pull-key audit)
    "ims": ("alibabacloud_ims20190815.client", False),
    "sts": ("alibabacloud_sts20150401.client", True),
    "cbn": ("alibabacloud_cbn20170912.client", False),
    "fc": ("alibabacloud_fc20230330.client", True),
    # where global events (RAM, IMS) are stored: for `acrguard doctor`
    "actiontrail": ("alibabacloud_actiontrail20200706.client", True),
    # ACK (cs 2015-12-15): the clusters whose acr-configuration ConfigMap the pull-key audit reads
    "cs": ("alibabacloud_cs20151215.client", True),
    # the member accounts of a Resource Directory: organisations (acrguard.org.accounts)
    "resourcemanager": ("alibabacloud_resourcemanager20200331.client", False),
}


@dataclass(frozen=True)
class EndpointOverride:
    """Where to send API calls instead of the public endpoints (the local cloud)."""

    endpoint: str  # host:port, no scheme
    protocol: str = "http"
    oss_endpoint: str | None = None  # host:port of the OSS front end (path-style addressing)

    def __post_init__(self) -> None:
        for name, value in (("endpoint", self.endpoint), ("oss_endpoint", self.oss_endpoint or "")):
            if "://" in value or "/" in value:
                raise ValueError(f"{name} must be host:port without a scheme or path, got {value!r}")
        if self.protocol not in ("http", "https"):
            raise ValueError(f"protocol must be http or https, got {self.protocol!r}")


class ClientFactory:
    """Builds (and caches per product and region) SDK clients with one set of settings."""

    def __init__(self, region: str, *, credentials: creds.StaticCredentials | None = None,
                 override: EndpointOverride | None = None, retry: RetryPolicy | None = None,
                 connect_timeout_ms: int = 5000, read_timeout_ms: int = 10000, credential_client: Any = None,
                 flow_control: FlowControl | None = None) -> None:
        self.region = region
        #: paces every call of the factory's clients (None: not paced; throttling is still retried by ``call``)
        self.flow_control = flow_control
        self.credentials = credentials
        self.override = override
        self.retry = retry or RetryPolicy()
        self.connect_timeout_ms = connect_timeout_ms
        self.read_timeout_ms = read_timeout_ms
        self._clients: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()
        self._default_chain: Any = credential_client  # None: the alibabacloud-credentials default chain

    @classmethod
    def for_invocation(cls, region: str, *, explicit: creds.StaticCredentials | None = None, context: Any = None,
                       override: EndpointOverride | None = None, retry: RetryPolicy | None = None) -> ClientFactory:
        """A factory with credentials resolved in the documented order (see ``acrguard.credentials``)."""
        return cls(region, credentials=creds.resolve(explicit, context=context), override=override, retry=retry)

    @classmethod
    def from_config(cls, config: AcrguardConfig, context: Any = None, *,
                    credential_client: Any = None) -> ClientFactory:
        """A factory from the ``cloud:`` section: region, endpoint override, credentials, retries, flow control.

        Credentials: ``cloud.credentials`` if given, else the FC environment, else
        ``context.credentials``, else the ``alibabacloud-credentials`` default chain;
        ``credential_client`` (the CLI's ``--profile``) replaces all of them.
        """
        cloud = config.cloud
        explicit = None
        if cloud.credentials is not None:
            explicit = creds.StaticCredentials(cloud.credentials.access_key_id, cloud.credentials.access_key_secret,
                                               cloud.credentials.security_token, source="config")
        override = EndpointOverride(cloud.endpoint, cloud.protocol, cloud.oss_endpoint) if cloud.endpoint else None
        retry = RetryPolicy(max_attempts=cloud.retry.max_attempts, base_delay_ms=cloud.retry.base_delay_ms,
                            max_delay_ms=cloud.retry.max_delay_ms, extra_codes=tuple(cloud.retry.extra_codes))
        static = None if credential_client is not None else creds.resolve(explicit, context=context)
        return cls(cloud.region, credentials=static, override=override, retry=retry,
                   connect_timeout_ms=cloud.connect_timeout_ms, read_timeout_ms=cloud.read_timeout_ms,
                   credential_client=credential_client, flow_control=FlowControl.from_config(cloud.flow_control))

    # -- building ----------------------------------------------------------------------------
    def config(self, product: str, region: str | None = None) -> Any:
        """The ``alibabacloud_tea_openapi`` ``Config`` for a client of ``product`` in ``region``."""
        from alibabacloud_tea_openapi import utils_models

        region = region or self.region
        config = utils_models.Config(region_id=region, connect_timeout=self.connect_timeout_ms,
                                     read_timeout=self.read_timeout_ms,
                                     retry_options=_without_throttling(self.retry.sdk_options(product)))
        if self.credentials is not None:
            config.access_key_id = self.credentials.access_key_id
            config.access_key_secret = self.credentials.access_key_secret
            config.security_token = self.credentials.security_token
        else:
            config.credential = self._default_credential_client()
        if self.override is not None:
            config.endpoint = self.override.endpoint
            config.protocol = self.override.protocol
            config.global_parameters = utils_models.GlobalParameters(headers={"x-acs-region-id": region})
        elif product == "fc":
            # fc20230330 derives "<account>.<region>.fc.aliyuncs.com" only with an account id;
            # the regional "fcv3" endpoint works for every account.
            config.endpoint = f"fcv3.{region}.aliyuncs.com"
        return config

    def credential_client(self) -> Any:
        """The ``alibabacloud_credentials`` client used when no static credentials are set."""
        return self._default_credential_client()

    def _default_credential_client(self) -> Any:
        if self._default_chain is None:
            from alibabacloud_credentials.client import Client as CredentialClient

            self._default_chain = CredentialClient()
        return self._default_chain

    def client(self, product: str, region: str | None = None) -> Any:
        """The SDK client of ``product`` (``cr``, ``vpc``, ``ram``, ``sts``, ``cbn``, ``fc``, ``actiontrail``)."""
        if product not in PRODUCTS:
            raise ValueError(f"unknown product {product!r}; known: {sorted(PRODUCTS)}")
        module_name, regional = PRODUCTS[product]
        key = (product, (region or self.region) if regional else "")
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                module = importlib.import_module(module_name)
                client = module.Client(self.config(product, region))
                self._clients[key] = client
                _owner(client, self)
            return client

    def cr(self, region: str | None = None) -> Any:
        """Container Registry (cr 2018-12-01)."""
        return self.client("cr", region)

    def vpc(self, region: str | None = None) -> Any:
        """VPC (vpc 2016-04-28): route tables, VPN gateways."""
        return self.client("vpc", region)

    def ram(self) -> Any:
        """RAM (ram 2015-05-01), a global service."""
        return self.client("ram")

    def sts(self, region: str | None = None) -> Any:
        """STS (sts 2015-04-01)."""
        return self.client("sts", region)

    def cbn(self) -> Any:
        """CEN (cbn 2017-09-12), a global service."""
        return self.client("cbn")

    def fc(self, region: str | None = None) -> Any:
        """Function Compute 3.0 (fc 2023-03-30)."""
        return self.client("fc", region)

    def oss(self, region: str | None = None, *, endpoint: str | None = None) -> Any:
        """Object Storage Service (``alibabacloud_oss_v2.Client``), V4-signed, with the factory's retry bounds.

        ``endpoint`` (host[:port]) overrides the regional public endpoint; with an endpoint override
        the local cloud's OSS front end is used, over its protocol, with path-style addressing.
        """
        region = region or self.region
        if endpoint is None and self.override is not None:
            endpoint = self.override.oss_endpoint
            if not endpoint:
                raise ValueError("the endpoint override names no OSS endpoint (EndpointOverride.oss_endpoint)")
        key = ("oss", f"{region}|{endpoint or ''}")
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                client = self._build_oss(region, endpoint)
                self._clients[key] = client
            return client

    def _build_oss(self, region: str, endpoint: str | None) -> Any:
        import alibabacloud_oss_v2 as oss

        config = oss.config.load_default()
        config.region = region
        config.connect_timeout = self.connect_timeout_ms / 1000
        config.readwrite_timeout = self.read_timeout_ms / 1000
        config.credentials_provider = self._oss_credentials()
        if self.retry.max_attempts <= 1:
            config.retryer = oss.retry.NopRetryer()
        else:
            config.retryer = oss.retry.StandardRetryer(max_attempts=self.retry.max_attempts,
                                                       base_delay=self.retry.base_delay_ms / 1000,
                                                       max_backoff=self.retry.max_delay_ms / 1000)
        if endpoint:
            config.endpoint = endpoint
            if self.override is not None:
                config.disable_ssl = self.override.protocol == "http"
                config.use_path_style = True
        return oss.Client(config)

    def _oss_credentials(self) -> Any:
        from alibabacloud_oss_v2 import credentials as oss_credentials
        from alibabacloud_oss_v2.types import Credentials

        if self.credentials is not None:
            return oss_credentials.StaticCredentialsProvider(self.credentials.access_key_id,
                                                             self.credentials.access_key_secret,
                                                             self.credentials.security_token)
        chain = self._default_credential_client()

        def current() -> Credentials:
            found = chain.get_credential()
            return Credentials(found.access_key_id, found.access_key_secret, found.security_token or None)

        return oss_credentials.CredentialsProviderFunc(current)


#: clients whose first request is done (see ``_first_request``), and the locks of those whose first request is not
_FIRST_REQUESTS: weakref.WeakKeyDictionary[Any, threading.Lock | None] = weakref.WeakKeyDictionary()
#: how long other requests of a client wait for its first one: enough for the SDK to build its session (about
#: 20-40 ms of CPU), short enough that a slow first answer does not hold the others back for its whole round trip
FIRST_REQUEST_WAIT_S = 0.1
_FIRST_REQUESTS_LOCK = threading.Lock()


def _first_request(func: Any) -> threading.Lock | None:
    """The lock the first request of ``func``'s client holds, None once that request is done.

    The SDK (``darabonba.core.DaraCore._get_session``) builds its HTTP session for an endpoint at the
    first request, with a TLS context that loads the whole CA store (about 20 ms of CPU), and keeps
    no lock: threads that start on a new client together each build one, and all but one are thrown
    away (five at the endpoint keeper's first sweep, 100+ ms of its cold start; ``bench/cold_start.py``).
    So the first request of each client goes first: the others wait for it (at most
    ``FIRST_REQUEST_WAIT_S``, by when the session exists), then run side by side.
    """
    client = getattr(func, "__self__", None)
    if client is None:
        return None
    with _FIRST_REQUESTS_LOCK:
        try:
            if client not in _FIRST_REQUESTS:
                _FIRST_REQUESTS[client] = threading.Lock()
            return _FIRST_REQUESTS[client]
        except TypeError:  # not weakly referenceable: nothing to remember it by
            return None


def _send(func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """``func(*args, **kwargs)``; a client's first request goes first (``_first_request``)."""
    first = _first_request(func)
    if first is not None and first.acquire(timeout=FIRST_REQUEST_WAIT_S):
        try:
            if _FIRST_REQUESTS.get(func.__self__) is first:  # still the first: the others wait for it
                try:
                    return func(*args, **kwargs)
                finally:
                    _FIRST_REQUESTS[func.__self__] = None
        finally:
            first.release()
    return func(*args, **kwargs)


#: the factory (flow control, retry policy) of every client a factory built, for ``call``
_OWNERS: weakref.WeakKeyDictionary[Any, ClientFactory] = weakref.WeakKeyDictionary()


def _owner(client: Any, factory: ClientFactory | None = None) -> ClientFactory | None:
    """Remember ``factory`` as ``client``'s owner (when given); the factory that built ``client``, if known."""
    try:
        if factory is not None:
            _OWNERS[client] = factory
        return _OWNERS.get(client)
    except TypeError:  # not weakly referenceable
        return None


def _without_throttling(options: Any) -> Any:
    """The SDK's retry options without the throttling codes: ``call`` retries those, pacing each attempt."""
    for condition in getattr(options, "retry_condition", None) or []:
        condition.error_code = [code for code in condition.error_code or [] if code not in THROTTLING_CODES]
    return options


def _throttle_delay_s(policy: RetryPolicy, attempt: int, exc: Any) -> float:
    """The wait before attempt ``attempt + 1``: the server's ``x-acs-retry-after``, else the policy's backoff."""
    retry_after = getattr(exc, "retry_after", None)
    if isinstance(retry_after, (int, float)) and retry_after > 0:
        return min(retry_after, policy.max_delay_ms) / 1000
    ceiling = min(policy.max_delay_ms, policy.base_delay_ms * 2 ** (attempt - 1))
    return (ceiling / 2 + random.uniform(0, ceiling / 2)) / 1000


def call(product: str, api: str, func: Any, *args: Any, retry: RetryPolicy | None = None, **kwargs: Any) -> Any:
    """Run one SDK call and return its body; turn every failure into a ``CloudCallError``.

    The call first waits for its place under the operation's quota (the flow control of the factory
    that built the client, see the module docstring). A throttled answer is counted and retried, up
    to the policy's ``max_attempts``, each attempt after a backoff and a new place. ACR answers some
    failures with HTTP 200 and ``IsSuccess: false``; those are errors too. Throttling, 5xx and network
    failures that survived the retries become ``TransientCloudError`` so the invocation fails and FC
    retries it later.
    """
    from Tea.exceptions import TeaException

    policy = retry or RetryPolicy()
    factory = _owner(getattr(func, "__self__", None))
    flow = factory.flow_control if factory is not None else None
    attempts = retry or (factory.retry if factory is not None else policy)
    attempt = 0
    while True:
        attempt += 1
        try:
            with flow.slot(product, api) if flow is not None else nullcontext(0.0):
                response = _send(func, args, kwargs)
            break
        except TeaException as exc:
            code = getattr(exc, "code", None)
            if code in THROTTLING_CODES:
                if flow is not None:
                    flow.throttled(product, api)
                if attempt < attempts.max_attempts:
                    time.sleep(_throttle_delay_s(attempts, attempt, exc))
                    continue
            inner = getattr(exc, "inner_exception", None)
            status = getattr(exc, "status_code", None) or getattr(exc, "statusCode", None)
            message = redact_text(str(getattr(exc, "message", None) or inner or exc), secret_values())
            request_id = getattr(exc, "request_id", None)
            if code is None and _missing_credentials(inner):  # a configuration error, not a network fault
                raise CloudCallError(api, "NoCredentials", f"{creds.NO_CREDENTIALS_HINT} ({message})") from None
            if code is None or code in THROTTLING_CODES or policy.is_retryable(product, code) or \
                    (isinstance(status, int) and status >= 500):
                raise TransientCloudError(api, code or "NetworkError", message, request_id, status) from None
            raise CloudCallError(api, code, message, request_id, status) from None
    body = getattr(response, "body", response)
    if getattr(body, "is_success", None) is False:
        code = getattr(body, "code", None) or "IsSuccessFalse"
        if policy.is_retryable(product, code):
            raise TransientCloudError(api, code, "the API answered IsSuccess=false", getattr(body, "request_id", None))
        raise CloudCallError(api, code, "the API answered IsSuccess=false", getattr(body, "request_id", None))
    return body


def _missing_credentials(inner: Any) -> bool:
    """Whether the SDK failed because no credentials could be had (``CredentialException``)."""
    from alibabacloud_credentials.exceptions import CredentialException

    return isinstance(inner, CredentialException)


def call_oss(api: str, func: Any, *args: Any, retry: RetryPolicy | None = None, **kwargs: Any) -> Any:
    """Run one OSS SDK call and return its result; turn every failure into a ``CloudCallError``.

    The OSS SDK wraps errors in ``OperationError``; the service's answer (code, status, request
    id) is inside. 5xx, throttling codes and network failures that survived the client's retries
    become ``TransientCloudError``.
    """
    from alibabacloud_oss_v2 import exceptions as oss_errors

    policy = retry or RetryPolicy()
    try:
        return func(*args, **kwargs)
    except oss_errors.BaseError as exc:
        inner: Any = exc
        while isinstance(inner, oss_errors.OperationError) and inner.unwrap() is not None:
            inner = inner.unwrap()
        if isinstance(inner, oss_errors.ServiceError):
            code, status = inner.code or None, inner.status_code
            message = redact_text(inner.message or str(code), secret_values())
            if policy.is_retryable("oss", code) or (isinstance(status, int) and status >= 500):
                raise TransientCloudError(api, code, message, inner.request_id or None, status) from None
            raise CloudCallError(api, code, message, inner.request_id or None, status) from None
        transient = (oss_errors.RequestError, oss_errors.ResponseError, oss_errors.InconsistentError,
                     oss_errors.CredentialsFetchError)
        text = redact_text(str(inner), secret_values())
        if isinstance(inner, transient):
            raise TransientCloudError(api, "NetworkError", text, None, None) from None
        raise CloudCallError(api, type(inner).__name__, text) from None
