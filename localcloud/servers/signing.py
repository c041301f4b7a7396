"""Verification of the two request-signing schemes the Alibaba Cloud SDKs use.

* ACS3-HMAC-SHA256 (the default of the Darabonba/Tea SDKs): an ``Authorization`` header over a
  canonical request built from the method, path, sorted query, the signed headers and the
  ``x-acs-content-sha256`` payload hash.
* The v2 RPC form (HMAC-SHA1): ``Signature`` in the query over ``POST&%2F&<canonical query>`` keyed
  with ``secret + "&"``.

The algorithms are written from the SDK source (``alibabacloud_tea_openapi/utils.py``,
``get_authorization`` and ``get_rpcsignature``) and the published "V3 request structure and
signature" guide of Alibaba Cloud's OpenAPI documentation (help.aliyun.com, "Request syntax and
signature method V3").
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from urllib.parse import quote

from localcloud.errors import CloudError

ACS3 = "ACS3-HMAC-SHA256"


def _pct(value: str) -> str:
    return quote(value, safe="~", encoding="utf-8")


@dataclass(frozen=True)
class Acs3Authorization:
    """The parts of an ``Authorization: ACS3-HMAC-SHA256 ...`` header."""

    access_key_id: str
    signed_headers: tuple[str, ...]
    signature: str


def authorization_fields(header: str, algorithm: str) -> dict[str, str]:
    """The ``Name=value`` fields after ``<algorithm> `` in an Authorization header (ACS3 and OSS V4)."""
    fields: dict[str, str] = {}
    for part in header[len(algorithm) + 1:].split(","):
        name, sep, value = part.strip().partition("=")
        if sep:
            fields[name] = value
    return fields


def parse_acs3_authorization(header: str) -> Acs3Authorization:
    """Split an ACS3 Authorization header, or raise ``IncompleteSignature``."""
    if not header.startswith(ACS3 + " "):
        raise CloudError("IncompleteSignature", "The request signature does not conform to Aliyun standards "
                         f"(unsupported algorithm in Authorization: expected {ACS3}).", 400)
    fields = authorization_fields(header, ACS3)
    missing = [name for name in ("Credential", "SignedHeaders", "Signature") if not fields.get(name)]
    if missing:
        raise CloudError("IncompleteSignature", "The request signature does not conform to Aliyun standards "
                         f"(missing {', '.join(missing)} in Authorization).", 400)
    return Acs3Authorization(fields["Credential"], tuple(fields["SignedHeaders"].split(";")), fields["Signature"])


def acs3_string_to_sign(method: str, path: str, query: dict[str, str], headers: dict[str, str],
                        signed_headers: tuple[str, ...], payload_hash: str) -> str:
    """Build the ACS3 string to sign from the request as received."""
    canonical_query = "&".join(f"{k}={_pct(query[k])}" for k in sorted(query))
    canonical_headers = "".join(f"{name}:{headers.get(name, '').strip()}\n" for name in signed_headers)
    # METHOD\nPATH\nQUERY\n<each signed header as "name:value\n">\nSIGNED;HEADERS\nPAYLOAD-HASH
    canonical_request = (f"{method}\n{path or '/'}\n{canonical_query}\n{canonical_headers}\n"
                         f"{';'.join(signed_headers)}\n{payload_hash}")
    digest = hashlib.sha256(canonical_request.encode("utf-8")).hexdigest()
    return f"{ACS3}\n{digest}"


def acs3_signature(secret: str, string_to_sign: str) -> str:
    """Hex HMAC-SHA256 of the string to sign."""
    return hmac.new(secret.encode("utf-8"), string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def v2_string_to_sign(method: str, query: dict[str, str]) -> str:
    """Build the v2 RPC string to sign from every query parameter but ``Signature``."""
    canonical = "&".join(f"{_pct(k)}={_pct(query[k])}" for k in sorted(query) if k != "Signature")
    return f"{method}&%2F&{_pct(canonical)}"


def v2_signature(secret: str, string_to_sign: str) -> str:
    """Base64 HMAC-SHA1 keyed with ``secret + '&'``."""
    mac = hmac.new((secret + "&").encode("utf-8"), string_to_sign.encode("utf-8"), hashlib.sha1)
    return base64.b64encode(mac.digest()).decode("ascii")


def signatures_equal(expected: str, given: str) -> bool:
    """Constant-time comparison."""
    return hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8"))


def mismatch(string_to_sign: str) -> CloudError:
    """The error the gateway gives for a wrong signature (it echoes its string to sign)."""
    return CloudError("SignatureDoesNotMatch", "Specified signature does not match our calculation. "
                      f"server string to sign is:{string_to_sign}", 400)
