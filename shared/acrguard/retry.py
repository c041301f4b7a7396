"""The one retry policy for every SDK client: keyed on error codes, exponential backoff with jitter.

The SDK retries nothing by default and ignores ``RuntimeOptions.autoretry``; only
``Config.retry_options`` works (read in ``alibabacloud_tea_openapi/client.py``). A
``Throttling.User`` without ``x-acs-retry-after`` arrives as a plain ``ClientException``, so the
condition is keyed on error codes; when the server sends ``x-acs-retry-after`` the SDK honours it.
The retryable codes come from the official Terraform provider's retry lists
(``alicloud/resource_alicloud_route_entry.go``, ``alicloud/resource_alicloud_cen_transit_router_route_entry.go``)
and the common gateway codes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: Codes that mean "try again later" on every product.
COMMON_RETRYABLE = (
    "Throttling", "Throttling.User", "Throttling.Api", "Throttling.Concurrent", "ServiceUnavailable",
    "SystemBusy", "InternalError", "UnknownError", "SLB_SERVICE_ERROR", "SystemError",
    "LastTokenProcessing", "OperationFailed.DistibuteLock", "ServiceBusy",
)

#: Extra per-product codes (asynchronous state machines that clear by themselves).
PRODUCT_RETRYABLE: dict[str, tuple[str, ...]] = {
    "vpc": ("TaskConflict", "OperationConflict", "IncorrectRouteEntryStatus", "IncorrectVpcStatus",
            "IncorrectStatus.RouteTableStatus", "IncorrectInstanceStatus", "InvalidVBRStatus",
            "VpnGateway.Configuring", "OperationFailed.LastTokenProcessing", "IncorrectStatus.VpnGateway"),
    "cbn": ("Operation.Blocking", "IncorrectStatus.Status",
            "OperationFailed.CreateRouteEntryWithSameDestinationCidrBlock"),
}


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded retries: ``max_attempts`` in all, delays ``base * 2**n`` with equal jitter, capped."""

    max_attempts: int = 4
    base_delay_ms: int = 200
    max_delay_ms: int = 5000
    extra_codes: tuple[str, ...] = field(default_factory=tuple)
    retry_network_errors: bool = True

    def codes_for(self, product: str) -> list[str]:
        """Every code retried for ``product``."""
        return sorted({*COMMON_RETRYABLE, *PRODUCT_RETRYABLE.get(product, ()), *self.extra_codes})

    def sdk_options(self, product: str) -> Any:
        """The ``darabonba`` ``RetryOptions`` for a client of ``product``."""
        from darabonba.policy.retry import RetryCondition, RetryOptions

        if self.max_attempts <= 1:
            return RetryOptions({"retryable": False, "retryCondition": []})
        condition = RetryCondition({
            "maxAttempts": self.max_attempts,
            "errorCode": self.codes_for(product),
            # RetryError: connection refused/reset or read timeout inside the SDK.
            "exception": ["RetryError"] if self.retry_network_errors else [],
            "backoff": {"policy": "ExponentialWithEqualJitter", "period": self.base_delay_ms,
                        "cap": self.max_delay_ms},
            "maxDelay": self.max_delay_ms,
        })
        return RetryOptions({"retryable": True, "retryCondition": [condition]})

    def is_retryable(self, product: str, code: str | None) -> bool:
        """Whether an error code is one this policy treats as transient."""
        return code is not None and code in self.codes_for(product)
