"""Keep secrets out of logs, errors, alerts and exports.

AccessKey ids are shown masked (``LTAI****Ab3x``); secrets, STS tokens and webhook tokens are
never shown. ``redact_text`` scrubs free text (exception messages, URLs, JSON, robot answers)
before it is logged or sent:

* known secrets passed by the caller (longest first, so a secret that contains another is
  removed whole), also URL-encoded and escaped as in a JSON string;
* ``name=value`` pairs whose name ends in ``token``, ``secret``, ``signature``, ``sign``,
  ``password`` or ``key`` (``AccessKeySecret=``, ``SecurityToken=``, ``access_token=``,
  ``customAccessKeySecret=``, ``security_token='…'``), with ``=`` written plainly or
  URL-encoded as ``%3D`` (the SDKs' "string to sign" in signature errors is URL-encoded);
* JSON and Python-literal pairs (``"SecurityToken": "…"``, ``'AccessKeySecret': '…'``) and the
  ``x-acs-security-token``/``x-oss-security-token`` and ``Authorization`` headers;
* webhook path tokens: Feishu/Lark ``/bot/v2/hook/…``, Slack ``/services/T…/B…/…`` (and
  ``/workflows/``, ``/triggers/``), generic ``/webhook(s)/…`` and ``/hook(s)/…``;
* AccessKey ids (``LTAI…``, ``STS.…``), masked, also right after a URL-encoded ``=``.

``redact_url`` shows a webhook URL by its host: query values always become ``****``, and the
path is kept only for the platforms whose token is in the query (DingTalk ``/robot/send``, WeCom
``/cgi-bin/webhook/send``) or in a path segment ``redact_text`` knows; any other path (a generic
webhook, whose token may be anywhere in it) becomes ``/****``, and ``user:password@`` ``****@``.
"""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qsl, quote, quote_plus, urlsplit, urlunsplit

_AK_ID = re.compile(r"(?:(?<=%[0-9A-Fa-f]{2})|(?<![A-Za-z0-9]))(LTAI|STS\.)[A-Za-z0-9]{8,}(?![A-Za-z0-9])")
_SECRET_NAME = r"[A-Za-z0-9_.\-]*(?:token|secret|signature|sign|password|passwd|key)"
_PAIR_SECRET = re.compile(rf"(?i)({_SECRET_NAME})(=|%3D)((?:[\"']|%2[27])?)([^&\s\"'<>,;)\\]+)")
_JSON_SECRET = re.compile(r"(?i)(\\?[\"'][A-Za-z0-9_.\-]*(?:token|secret|signature|password|passwd|sign)\\?[\"']"
                          r"\s*:\s*\\?[\"'])([^\"'\\]+)")
_HEADER_SECRET = re.compile(r"(?i)((?:x-acs-security-token|x-oss-security-token)\s*:\s*)([^\s\"',\\]+)")
_AUTH_HEADER = re.compile(r"(?i)(authorization:\s*\S+\s+)[^\s\"'\\]+")
_HOOK_PATH = re.compile(r"(?i)(/(?:bot/v2/hook|services|workflows|triggers|webhooks?|hooks?)/)[^\s\"'?#<>\\]+")
#: Paths of robots whose token is in the query, not the path: shown as they are.
_QUERY_TOKEN_PATHS = ("/robot/send", "/cgi-bin/webhook/send")


def mask_access_key_id(key_id: str | None) -> str:
    """``LTAI5tAbCdEfGhIjKlMn3x`` -> ``LTAI****Mn3x``; short or empty ids become ``****``."""
    if not key_id:
        return "****"
    if key_id.startswith("STS.") and len(key_id) > 10:
        return "STS.****" + key_id[-4:]
    if len(key_id) <= 8:
        return "****"
    return key_id[:4] + "****" + key_id[-4:]


def redact_url(url: str) -> str:
    """A webhook URL with its token, key, signature and any unknown path replaced by ``****``."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable url>"
    netloc = parts.netloc
    if "@" in netloc:
        netloc = "****@" + netloc.rsplit("@", 1)[1]
    path = parts.path
    if path.rstrip("/").endswith(_QUERY_TOKEN_PATHS):
        pass
    elif _HOOK_PATH.search(path):
        path = _HOOK_PATH.sub(r"\1****", path)
    elif path not in ("", "/"):
        path = "/****"
    query = "&".join(f"{name}=****" for name, _ in parse_qsl(parts.query, keep_blank_values=True))
    return urlunsplit((parts.scheme, netloc, path, query, ""))


def _known_forms(secret: str) -> tuple[str, ...]:
    """A secret as it may appear in text: as is, URL-encoded (both ways) and escaped inside a JSON string."""
    escaped = json.dumps(secret)[1:-1]
    return tuple(dict.fromkeys((secret, quote(secret, safe=""), quote_plus(secret), escaped)))


def redact_text(text: str, secrets: tuple[str, ...] = ()) -> str:
    """Free text with AccessKey ids masked and known secrets, secret pairs and webhook tokens removed."""
    for secret in sorted((s for s in secrets if s and len(s) >= 4), key=len, reverse=True):
        for form in _known_forms(secret):
            text = text.replace(form, "****")
    text = _PAIR_SECRET.sub(lambda m: f"{m.group(1)}{m.group(2)}{m.group(3)}****", text)
    text = _JSON_SECRET.sub(r"\1****", text)
    text = _HEADER_SECRET.sub(r"\1****", text)
    text = _AUTH_HEADER.sub(r"\1****", text)
    text = _HOOK_PATH.sub(r"\1****", text)
    return _AK_ID.sub(lambda m: mask_access_key_id(m.group(0)), text)
