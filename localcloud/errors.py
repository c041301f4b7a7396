"""Errors the local cloud answers with, in Alibaba Cloud's error envelope.

Each error is data (moto's style): a code, a message and an HTTP status. The server turns any
``CloudError`` raised by a product handler into the JSON body the SDKs parse
(``Code``, ``Message``, ``RequestId``, ``HostId``), so the real SDK raises the same exception it
would raise against the real cloud.
"""

from __future__ import annotations


class CloudError(Exception):
    """An API error with Alibaba Cloud's code, message and HTTP status."""

    def __init__(self, code: str, message: str, status: int = 400, *, extra: dict | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status
        self.extra = extra or {}


def missing_parameter(name: str) -> CloudError:
    """The error the gateways give when a required parameter is absent."""
    return CloudError("MissingParameter", f"The input parameter \"{name}\" that is mandatory for processing "
                      "this request is not supplied.", 400)


def invalid_parameter(name: str, value: object, why: str = "") -> CloudError:
    """A parameter with a value the API does not accept."""
    detail = f" ({why})" if why else ""
    return CloudError("InvalidParameter", f"The specified parameter \"{name}\" is not valid: {value!r}{detail}.",
                      400)
