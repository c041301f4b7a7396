"""Keep secrets out of logs, errors, alerts and exports.

AccessKey IDs are shown masked (``LTAI****Ab3x``); secrets, STS tokens and webhook tokens are
never shown. ``redact_text`` scrubs free text (exception messages, URLs) before it is logged.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

_AK_ID = re.compile(r"\b(LTAI|STS\.)[A-Za-z0-9]{8,}\b")
_QUERY_SECRET = re.compile(r"(?i)\b(access_token|key|token|sign|signature|secret|securitytoken|"
                           r"accesskeysecret|x-acs-security-token)=([^&\s\"']+)")
_AUTH_HEADER = re.compile(r"(?i)(authorization:\s*\S+\s+)\S+")
_HOOK_PATH = re.compile(r"(?i)(/(?:bot/v2/hook|services)/)[^\s\"'?]+")


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
    """A webhook URL with its token, key and signature replaced by ``****``."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable url>"
    path = _HOOK_PATH.sub(r"\1****", parts.path)
    query = _QUERY_SECRET.sub(lambda m: f"{m.group(1)}=****", parts.query)
    return urlunsplit((parts.scheme, parts.netloc, path, query, ""))


def redact_text(text: str, secrets: tuple[str, ...] = ()) -> str:
    """Free text with AccessKey ids masked and known secrets and token parameters removed."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "****")
    text = _QUERY_SECRET.sub(lambda m: f"{m.group(1)}=****", text)
    text = _AUTH_HEADER.sub(r"\1****", text)
    text = _HOOK_PATH.sub(r"\1****", text)
    return _AK_ID.sub(lambda m: mask_access_key_id(m.group(0)), text)
