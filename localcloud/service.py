"""How a product plugs into the local cloud: a ``Service`` with its backend and action handlers.

Each product module (``localcloud/products/<product>.py``) defines a backend class (state for one
account, and one region when the product is regional) and registers its actions::

    SERVICE = Service("cr", "2018-12-01", CrBackend, regional=True)

    @SERVICE.action("GetInstance")
    def get_instance(call: Call, backend: CrBackend) -> dict: ...

    @SERVICE.route("GET", "/2023-03-30/functions/{functionName}")   # ROA products
    def get_function(call: Call, backend: FcBackend) -> dict: ...

Handlers return the response body (a dict; ``RequestId`` is added) or raise ``CloudError``.
Every action must also have its RAM authorization row in ``localcloud.authz.actions`` (the gateway
refuses non-root callers of an action without one).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from localcloud.errors import CloudError, invalid_parameter, missing_parameter

if TYPE_CHECKING:
    from localcloud.core.identity import Principal
    from localcloud.core.state import CloudState

Handler = Callable[["Call", Any], Any]
T = TypeVar("T")


@dataclass
class Call:
    """One authenticated API request, as handed to a product handler."""

    cloud: CloudState
    product: str
    action: str
    version: str
    account_id: str
    region: str
    principal: Principal
    request_id: str
    params: dict[str, str] = field(default_factory=dict)
    path_params: dict[str, str] = field(default_factory=dict)
    method: str = "POST"
    path: str = "/"
    body: bytes = b""
    #: the request's headers, names lower-cased (ROA APIs that take parameters in headers: FC's InvokeFunction)
    headers: dict[str, str] = field(default_factory=dict)

    # -- parameter helpers -------------------------------------------------------------------
    def get(self, name: str, default: str | None = None) -> str | None:
        """A string parameter, or ``default``."""
        value = self.params.get(name)
        return default if value is None or value == "" else value

    def require(self, name: str) -> str:
        """A required string parameter (``MissingParameter`` when absent)."""
        value = self.get(name)
        if value is None:
            raise missing_parameter(name)
        return value

    def get_int(self, name: str, default: int, *, minimum: int | None = None, maximum: int | None = None) -> int:
        """An integer parameter within bounds (``InvalidParameter`` otherwise)."""
        raw = self.get(name)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            raise invalid_parameter(name, raw, "not an integer") from None
        if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
            raise invalid_parameter(name, raw, f"must be between {minimum} and {maximum}")
        return value

    def get_bool(self, name: str, default: bool | None = None) -> bool | None:
        """A boolean parameter (``true``/``false``, any case)."""
        raw = self.get(name)
        if raw is None:
            return default
        if raw.lower() in ("true", "false"):
            return raw.lower() == "true"
        raise invalid_parameter(name, raw, "expected true or false")

    def get_list(self, name: str) -> list[str]:
        """A list parameter sent flat (``Name.1``, ``Name.2``) or as a JSON array string."""
        raw = self.params.get(name)
        if raw:
            try:
                value = json.loads(raw)
            except ValueError:
                return [raw]
            return [str(v) for v in value] if isinstance(value, list) else [str(value)]
        indexed = sorted(((int(m.group(1)), v) for k, v in self.params.items()
                          if (m := re.fullmatch(re.escape(name) + r"\.(\d+)", k))))
        return [v for _, v in indexed]

    def get_objects(self, name: str) -> list[dict[str, str]]:
        """A list of objects sent flat (``Name.1.Key``) or as a JSON array string."""
        raw = self.params.get(name)
        if raw:
            try:
                value = json.loads(raw)
            except ValueError:
                raise invalid_parameter(name, raw, "expected a JSON array") from None
            if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
                raise invalid_parameter(name, raw, "expected a JSON array of objects")
            return value
        found: dict[int, dict[str, str]] = {}
        for key, value in self.params.items():
            match = re.fullmatch(re.escape(name) + r"\.(\d+)\.(.+)", key)
            if match:
                found.setdefault(int(match.group(1)), {})[match.group(2)] = value
        return [found[i] for i in sorted(found)]

    def json_body(self) -> dict[str, Any]:
        """The request body parsed as a JSON object (ROA writes)."""
        if not self.body:
            return {}
        try:
            value = json.loads(self.body)
        except ValueError:
            raise CloudError("InvalidParameter", "The request body is not valid JSON.", 400) from None
        if not isinstance(value, dict):
            raise CloudError("InvalidParameter", "The request body must be a JSON object.", 400)
        return value


@dataclass
class RoaRoute:
    """A REST route of an ROA product."""

    method: str
    template: str
    action: str
    handler: Handler
    pattern: re.Pattern[str]


class Service:
    """A product: its name, API version, backend class and handlers."""

    def __init__(self, product: str, version: str, backend_cls: Callable[..., Any], *, regional: bool,
                 check_world: Callable[[CloudState], None] | None = None) -> None:
        self.product = product
        self.version = version
        self.backend_cls = backend_cls
        self.regional = regional
        #: Called after every ``load_world`` to check a product's own world section (``ValueError``).
        self.check_world = check_world
        self.actions: dict[str, Handler] = {}
        self.routes: list[RoaRoute] = []

    def action(self, name: str) -> Callable[[Handler], Handler]:
        """Register an RPC action handler."""
        def register(func: Handler) -> Handler:
            self.actions[name] = func
            return func
        return register

    def route(self, method: str, template: str, action: str | None = None) -> Callable[[Handler], Handler]:
        """Register an ROA route; ``{name}`` segments become ``call.path_params``."""
        def register(func: Handler) -> Handler:
            regex = "^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template)) + "/?$"
            name = action or "".join(part.capitalize() for part in func.__name__.split("_"))
            self.routes.append(RoaRoute(method.upper(), template, name, func, re.compile(regex)))
            return func
        return register

    def match_route(self, method: str, path: str) -> tuple[RoaRoute, dict[str, str]] | None:
        """The ROA route for a method and (decoded) path, with its path parameters."""
        for route in self.routes:
            if route.method == method.upper():
                match = route.pattern.match(path)
                if match:
                    return route, match.groupdict()
        return None


# -- paging helpers shared by the products ------------------------------------------------------

def page_by_number(items: Sequence[T], page_no: int, page_size: int) -> list[T]:
    """The items of 1-based page ``page_no`` of ``page_size``."""
    start = (page_no - 1) * page_size
    return list(items[start:start + page_size])


def page_by_marker(items: Sequence[T], marker: str | None, max_items: int) -> tuple[list[T], str | None]:
    """RAM-style paging: an opaque marker (the next offset, base64) and ``IsTruncated``."""
    import base64

    start = 0
    if marker:
        try:
            start = int(base64.b64decode(marker.encode("ascii"), validate=True).decode("ascii"))
        except (ValueError, UnicodeDecodeError):
            raise CloudError("InvalidParameter.Marker", f"The specified Marker {marker!r} is invalid.", 400) \
                from None
    page = list(items[start:start + max_items])
    end = start + len(page)
    next_marker = base64.b64encode(str(end).encode("ascii")).decode("ascii") if end < len(items) else None
    return page, next_marker


def page_by_token(items: Sequence[T], token: str | None, max_results: int) -> tuple[list[T], str | None]:
    """VPC/CEN-style paging with ``NextToken`` (empty when done)."""
    page, marker = page_by_marker(items, token, max_results)
    return page, marker


class ClientTokens:
    """``ClientToken`` idempotency shared by the products that document it (VPC, CEN).

    A request repeated with the same token and the same parameters gets the first answer again
    without acting twice; the same token with other parameters is ``IdempotentParameterMismatch``
    (the common Alibaba Cloud code). Only successful answers are remembered, so a request that
    failed may be retried with its token. Tokens never expire here (the emulator's choice).
    """

    def __init__(self) -> None:
        self._answers: dict[tuple[str, str], tuple[tuple[tuple[str, str], ...], Any]] = {}

    def run(self, call: Call, handler: Callable[[], T]) -> T:
        """Answer ``call`` through ``handler`` unless its token was already answered."""
        import copy

        token = call.get("ClientToken")
        if token is None:
            return handler()
        key = (call.action, token)
        fingerprint = tuple(sorted((k, v) for k, v in call.params.items() if k != "ClientToken"))
        if key in self._answers:
            seen, answer = self._answers[key]
            if seen != fingerprint:
                raise CloudError("IdempotentParameterMismatch", "The request uses the same client token as a "
                                 "previous, but non-identical request.", 400)
            return copy.deepcopy(answer)
        answer = handler()
        self._answers[key] = (fingerprint, copy.deepcopy(answer))
        return answer
