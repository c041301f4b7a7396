"""API rate limits per account and operation, answered with ``Throttling.User`` as the gateway does.

Alibaba Cloud throttles each OpenAPI operation per account: the "QPS limit for a single user" is
the total of the account, its RAM users and its roles. Quota Center and each product's "flow
control information" page (流控信息) give each operation's quota as ``N/T(s)`` ("300/60(s)": 300
calls a minute; "100/1(s)": 100 a second), with the dimension "regionId, API, ParentUid"
(https://help.aliyun.com/en/openapi/throttling-and-quota-management). A call over it is denied:
the SDK sees ``Throttling.User`` with HTTP 400 as a ``ClientException``; with an
``x-acs-retry-after`` header it raises ``ThrottlingException`` instead (the installed
``alibabacloud_tea_openapi`` client's error handling).

Nothing is limited unless a world or a caller asks for it:

* world ``rate_limits: published`` (or ``default``, the same) for ``PUBLISHED_RULES``: the published
  figure of every operation the local cloud emulates, each rule naming its source or saying
  "emulator's choice" where no figure was found (see ``published_figures()``);
* world ``rate_limits: [{product: ram, action: "List*", limit: 100, period_s: 1}, ...]`` for rules of
  one's own;
* ``rate_limits(cloud).add(product="ram", limit=100)`` on a running cloud.

Emulator's choices, not documented behaviour: a sliding window (at most ``limit`` admitted calls in
any ``period_s``) rather than fixed buckets; only admitted calls count toward the window; the
window runs on the cloud's clock (``LocalCloud.advance`` moves it); the window is per account and
operation, not per region as the published dimension says; the message text.
"""

from __future__ import annotations

import fnmatch
import threading
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from localcloud.errors import CloudError

if TYPE_CHECKING:
    from localcloud.cloud import LocalCloud

THROTTLED_CODE = "Throttling.User"
THROTTLED_MESSAGE = "Request was denied due to user flow control."


@dataclass(frozen=True)
class RateRule:
    """At most ``limit`` calls in any ``period_s`` seconds, for each (account, product, action) it matches.

    ``product``/``action`` are ``fnmatch`` patterns; ``*`` gives every matching operation its own
    window (the gateway counts per operation). ``retry_after_ms`` adds ``x-acs-retry-after``.
    ``source`` says where the figure comes from (a URL, or "emulator's choice: why").
    """

    limit: int
    period_s: float = 1.0
    product: str = "*"
    action: str = "*"
    retry_after_ms: int | None = None
    source: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.limit, int) or isinstance(self.limit, bool) or self.limit < 1:
            raise ValueError(f"limit must be a positive integer, got {self.limit!r}")
        if not isinstance(self.period_s, (int, float)) or self.period_s <= 0:
            raise ValueError(f"period_s must be a positive number, got {self.period_s!r}")
        if self.retry_after_ms is not None and (not isinstance(self.retry_after_ms, int) or self.retry_after_ms < 1):
            raise ValueError(f"retry_after_ms must be a positive integer, got {self.retry_after_ms!r}")
        if not isinstance(self.source, str):
            raise ValueError(f"source must be a string, got {self.source!r}")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RateRule:
        """A rule from a world or caller mapping (unknown keys are an error)."""
        allowed = set(cls.__dataclass_fields__)
        unknown = set(data) - allowed
        if unknown:
            raise ValueError(f"unknown rate limit keys: {sorted(unknown)}; allowed: {sorted(allowed)}")
        if "limit" not in data:
            raise ValueError("a rate limit needs 'limit' (calls per period_s)")
        return cls(**data)

    def matches(self, product: str, action: str) -> bool:
        """Whether this rule governs ``product``/``action``."""
        return fnmatch.fnmatchcase(product, self.product) and fnmatch.fnmatchcase(action, self.action)

    @property
    def rate(self) -> float:
        """Calls a second this rule allows in the long run."""
        return self.limit / self.period_s

    def error(self) -> CloudError:
        """The answer to a call over the limit."""
        extra = {"x-acs-retry-after": str(self.retry_after_ms)} if self.retry_after_ms else {}
        return CloudError(THROTTLED_CODE, THROTTLED_MESSAGE, 400, extra=extra)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping."""
        return {"product": self.product, "action": self.action, "limit": self.limit, "period_s": self.period_s,
                "retry_after_ms": self.retry_after_ms, "source": self.source}


# -- the published figures ----------------------------------------------------------------------------

_RAM = ("https://help.aliyun.com/zh/ram/developer-reference/api-ram-2015-05-01-quota, "
        "https://alibabacloud.com/help/en/ram/developer-reference/api-ram-2015-05-01-quota")
_RAM_PATTERN = ("emulator's choice: not in the copies of the RAM flow-control page read; the page gives "
                "{pattern} to every other operation of its kind")
_IMS_CHOICE = ("emulator's choice: no flow-control figure for IMS (ims 2019-08-15) was found; the RAM page "
               "(" + _RAM.split(", ")[0] + ") gives {pattern} to RAM's operations of this kind")
_STS = "https://www.alibabacloud.com/help/en/ram/developer-reference/api-sts-2015-04-01-quota (Jul 31, 2025)"
_VPN = "https://help.aliyun.com/zh/vpn/sub-product-ipsec-vpn/developer-reference/api-vpc-2016-04-28-quota-vpns"
_VPC_CHOICE = ("emulator's choice: not in the copies of the VPC flow-control page read "
               "(https://help.aliyun.com/zh/vpc/developer-reference/api-vpc-2016-04-28-quota); {why}")
_CEN_CHOICE = ("emulator's choice: not in the copies of the CEN flow-control page read "
               "(https://help.aliyun.com/zh/cen/developer-reference/api-cbn-2017-09-12-quota); {why}")


def _ram(actions: str, limit: int, source: str = _RAM) -> list[RateRule]:
    return [RateRule(limit=limit, period_s=1.0, product="ram", action=action, source=source)
            for action in actions.split()]


#: Every operation the local cloud emulates, with its published quota or the emulator's stated choice.
#: The first matching rule governs a call; the last rule catches operations added later.
PUBLISHED_RULES: tuple[RateRule, ...] = (
    # RAM: reads 100/1(s), writes 20/1(s), attach/detach and group membership 10/1(s)
    *_ram("ListUsers GetUser ListGroupsForUser ListUsersForGroup ListPolicies ListPoliciesForUser "
          "ListPoliciesForGroup ListEntitiesForPolicy GetPolicyVersion ListAccessKeys GetAccessKeyLastUsed "
          "GetLoginProfile", 100),
    *_ram("CreatePolicy CreatePolicyVersion DeletePolicyVersion CreateAccessKey UpdateAccessKey CreateLoginProfile "
          "DeleteLoginProfile", 20),
    *_ram("AttachPolicyToUser DetachPolicyFromGroup AddUserToGroup RemoveUserFromGroup", 10),
    *_ram("ListGroups GetPolicy ListPolicyVersions ListPoliciesForRole", 100,
          _RAM_PATTERN.format(pattern="100/1(s) (reads)")),
    *_ram("CreateUser CreateGroup SetDefaultPolicyVersion DeleteAccessKey", 20,
          _RAM_PATTERN.format(pattern="20/1(s) (create, update, delete)")),
    *_ram("DetachPolicyFromUser AttachPolicyToGroup", 10,
          _RAM_PATTERN.format(pattern="10/1(s) (attach, detach)")),
    # IMS (ims 2019-08-15): no flow-control page of its own was found; RAM's pattern for its kind
    RateRule(limit=100, period_s=1.0, product="ims", action="GetUser",
             source=_IMS_CHOICE.format(pattern="100/1(s) (reads)")),
    RateRule(limit=100, period_s=1.0, product="ims", action="GetCredentialReport",
             source=_IMS_CHOICE.format(pattern="100/1(s) (reads)")),
    RateRule(limit=20, period_s=1.0, product="ims", action="GenerateCredentialReport",
             source=_IMS_CHOICE.format(pattern="20/1(s) (create, update, delete)")),
    # STS
    RateRule(limit=100, period_s=1.0, product="sts", action="AssumeRole", source=_STS),
    RateRule(limit=100, period_s=1.0, product="sts", action="GetCallerIdentity", source=_STS),
    # VPC and VPN Gateway
    RateRule(limit=600, period_s=60.0, product="vpc", action="DescribeVpnConnection", source=_VPN),
    RateRule(limit=120, period_s=60.0, product="vpc", action="ModifyVpnConnectionAttribute",
             source="emulator's choice: not in the copies of the VPN flow-control page read (" + _VPN + "); its "
                    "other Modify* operations (ModifyTunnelAttribute, ModifyCustomerGatewayAttribute) are 120/60(s)"),
    RateRule(limit=300, period_s=60.0, product="vpc", action="CreateRouteEntry",
             source=_VPC_CHOICE.format(why="its ModifyRouteEntry is 300/60(s)")),
    RateRule(limit=300, period_s=60.0, product="vpc", action="DeleteRouteEntry",
             source=_VPC_CHOICE.format(why="its ModifyRouteEntry is 300/60(s)")),
    RateRule(limit=600, period_s=60.0, product="vpc", action="DescribeRouteEntryList",
             source=_VPC_CHOICE.format(why="its Describe* reads are 300-1200/60(s); 600 taken")),
    # CEN
    RateRule(limit=3, period_s=1.0, product="cbn", action="ResolveAndRouteServiceInCen",
             source=_CEN_CHOICE.format(why="its route and attachment writes are 2-3/1(s); 3 taken")),
    RateRule(limit=3, period_s=1.0, product="cbn", action="DeleteRouteServiceInCen",
             source=_CEN_CHOICE.format(why="its route and attachment writes are 2-3/1(s); 3 taken")),
    RateRule(limit=300, period_s=60.0, product="cbn", action="DescribeRouteServicesInCen",
             source=_CEN_CHOICE.format(why="its Describe* reads are 300/60(s)")),
    RateRule(limit=3, period_s=1.0, product="cbn", action="CreateTransitRouterRouteEntry",
             source=_CEN_CHOICE.format(why="its transit router writes are 3/1(s)")),
    RateRule(limit=3, period_s=1.0, product="cbn", action="DeleteTransitRouterRouteEntry",
             source=_CEN_CHOICE.format(why="its transit router writes are 3/1(s)")),
    RateRule(limit=500, period_s=60.0, product="cbn", action="ListTransitRouterRouteEntries",
             source=_CEN_CHOICE.format(why="its ListTransitRouter* reads are 350-500/60(s); 500 taken")),
    # ACR, ActionTrail, Function Compute, anything else
    RateRule(limit=100, period_s=1.0, product="cr", action="*",
             source="emulator's choice: no published flow-control figure for Container Registry (cr 2018-12-01) "
                    "was found; each operation 100/1(s)"),
    RateRule(limit=100, period_s=1.0, product="actiontrail", action="*",
             source="emulator's choice: no published flow-control figure for ActionTrail (2020-07-06) was found; "
                    "each operation 100/1(s)"),
    RateRule(limit=100, period_s=1.0, product="fc", action="InvokeFunction",
             source="emulator's choice: no published flow-control figure for FC 3.0's InvokeFunction API was found "
                    "(https://alibabacloud.com/help/tc/functioncompute/fc-3-0/product-overview/limits-of-usage gives "
                    "payload and instance limits); 100/1(s) as FC's other operations here"),
    RateRule(limit=20, period_s=1.0, product="resourcemanager", action="ListAccounts",
             source="https://help.aliyun.com/zh/resource-management/resource-directory/developer-reference/"
                    "api-resourcemanager-2020-03-31-quota (20/1(s); another revision, .../developer-reference/"
                    "api-resourcemanager-2020-03-31-quota, says 50/1(s): the stricter one is emulated)"),
    RateRule(limit=50, period_s=1.0, product="resourcemanager", action="ListFoldersForParent",
             source="https://help.aliyun.com/zh/resource-management/developer-reference/"
                    "api-resourcemanager-2020-03-31-quota"),
    RateRule(limit=100, period_s=1.0, product="fc", action="*",
             source="emulator's choice: no published flow-control figure for the FC 3.0 reads was found; each "
                    "operation 100/1(s)"),
    RateRule(limit=100, period_s=1.0, product="cs", action="*",
             source="emulator's choice: no published flow-control figure for Container Service for Kubernetes "
                    "(cs 2015-12-15) was found; each operation 100/1(s)"),
    RateRule(limit=100, period_s=1.0,
             source="emulator's choice: an operation not listed above (added to the local cloud later) gets 100/1(s)"),
)

#: ``rate_limits: default`` means the published figures (the name older worlds and callers use).
DEFAULT_RULES: tuple[RateRule, ...] = PUBLISHED_RULES
#: world values that select ``PUBLISHED_RULES``
PUBLISHED_NAMES = ("published", "default")


def published_figures() -> list[dict[str, Any]]:
    """``PUBLISHED_RULES`` as JSON-ready mappings (product, action, limit, period_s, source), for client-side pacers."""
    return [rule.to_dict() for rule in PUBLISHED_RULES]


@dataclass
class _Window:
    admitted: deque[float] = field(default_factory=deque)
    denied: int = 0


class RateLimits:
    """The rules, and the sliding window of each (account, product, action) they govern."""

    def __init__(self, rules: Iterable[RateRule] = (), clock: Callable[[], float] | None = None) -> None:
        import time

        self._rules = list(rules)
        self._clock = clock or time.monotonic
        self._windows: dict[tuple[str, str, str], _Window] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_world(cls, data: Any, clock: Callable[[], float] | None = None) -> RateLimits:
        """Limits from a world's ``rate_limits``: absent, ``published``/``default``, or a list of rule mappings."""
        if data is None or data is False:
            return cls((), clock)
        if data in PUBLISHED_NAMES or data is True:
            return cls(PUBLISHED_RULES, clock)
        if not isinstance(data, list):
            raise ValueError("world: rate_limits must be 'published' (or 'default') or a list of "
                             "{product, action, limit, period_s}")
        rules = []
        for index, item in enumerate(data):
            if not isinstance(item, dict):
                raise ValueError(f"world: rate_limits[{index}]: expected a mapping, got {type(item).__name__}")
            try:
                rules.append(RateRule.from_dict(item))
            except (TypeError, ValueError) as exc:
                raise ValueError(f"world: rate_limits[{index}]: {exc}") from None
        return cls(rules, clock)

    def add(self, rule: RateRule | None = None, **fields: Any) -> RateRule:
        """Add a rule after the others (``add(RateRule(...))`` or ``add(limit=100, product="ram")``)."""
        chosen = rule if rule is not None else RateRule.from_dict(fields)
        with self._lock:
            self._rules.append(chosen)
        return chosen

    def clear(self) -> None:
        """Remove every rule and forget every window."""
        with self._lock:
            self._rules.clear()
            self._windows.clear()

    def rules(self) -> list[RateRule]:
        """A copy of the rules, in order."""
        with self._lock:
            return list(self._rules)

    def rule_for(self, product: str, action: str) -> RateRule | None:
        """The first rule governing ``product``/``action`` (None: unlimited)."""
        with self._lock:
            return next((r for r in self._rules if r.matches(product, action)), None)

    def admit(self, account_id: str, product: str, action: str) -> RateRule | None:
        """Count a call if its window has room; else return the rule that denies it (its ``error()`` answers)."""
        with self._lock:
            rule = next((r for r in self._rules if r.matches(product, action)), None)
            if rule is None:
                return None
            now = self._clock()
            window = self._windows.setdefault((account_id, product, action), _Window())
            while window.admitted and window.admitted[0] <= now - rule.period_s:
                window.admitted.popleft()
            if len(window.admitted) >= rule.limit:
                window.denied += 1
                return rule
            window.admitted.append(now)
            return None

    def denied(self, product: str | None = None, action: str | None = None) -> int:
        """How many calls were throttled (optionally of one product/action)."""
        with self._lock:
            return sum(w.denied for (_, p, a), w in self._windows.items()
                       if product in (None, p) and action in (None, a))


_ATTRIBUTE = "_localcloud_rate_limits"
_lock = threading.Lock()


def rate_limits(cloud: LocalCloud) -> RateLimits:
    """The cloud's rate limits, built from ``cloud.world["rate_limits"]`` (again after a new world is loaded).

    The limits live beside the cloud rather than in it; a world error is raised here, naming
    ``rate_limits[i]``. Rules added by a caller last until another world object is loaded.
    """
    with _lock:
        held = getattr(cloud, _ATTRIBUTE, None)
        if held is None or held[0] is not cloud.world:
            limits = RateLimits.from_world(cloud.world.get("rate_limits"), clock=cloud.clock.now)
            held = (cloud.world, limits)
            setattr(cloud, _ATTRIBUTE, held)
        return held[1]
