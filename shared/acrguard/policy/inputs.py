"""Read policies from the JSON people have at hand, with errors that name the file and JSON path.

Accepted shapes (one per file, or a JSON list of them):

* a bare policy document ``{"Version": "1", "Statement": [...]}``: a Custom policy named after the
  file, attached to the user;
* ``{"PolicyName", "PolicyType", "DefaultVersion", "PolicyDocument", "Attachment"?}`` where
  ``PolicyDocument`` is an object or JSON text (as RAM returns it) and ``Attachment`` is ``user``
  (default) or ``group:<name>``; a System policy without ``PolicyDocument`` is taken from the
  offline copies (``system_policies``);
* the output of ``aliyun ram GetPolicy``: ``{"Policy": {...}, "DefaultPolicyVersion": {"VersionId",
  "PolicyDocument"}}``. Its deprecated ``Policy.PolicyDocument`` is ignored: only the default
  version is in force (GetPolicyResponseBodyPolicy in alibabacloud-ram20150501).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import PurePath
from typing import Any

from acrguard.policy.document import PolicyDocumentError, load_json_text, parse_document
from acrguard.policy.evaluate import CUSTOM, SYSTEM, AttachedPolicy, PolicyRef
from acrguard.policy.system_policies import system_policy


def policies_from_text(text: str | bytes, source: str) -> list[AttachedPolicy]:
    """Parse a file's text into attached policies; raises PolicyDocumentError or BadInputError."""
    return policies_from_json(load_json_text(text, source), source)


def policies_from_json(data: Any, source: str) -> list[AttachedPolicy]:
    """Turn decoded JSON (one shape above, or a list of them) into attached policies."""
    stem = PurePath(source).stem or "policy"
    if isinstance(data, list):
        if not data:
            raise PolicyDocumentError(source, [("$", "is an empty list; expected policies")])
        return [_one(item, source, f"$[{i}]", f"{stem}-{i + 1}") for i, item in enumerate(data)]
    return [_one(data, source, "$", stem)]


def _one(data: Any, source: str, path: str, default_name: str) -> AttachedPolicy:
    if not isinstance(data, Mapping):
        raise PolicyDocumentError(source, [(path, "expected a policy document or a policy object")])
    if "Statement" in data or "Version" in data:
        document = _document(data, source, path)
        origin = source + _system_twin(document)
        return AttachedPolicy(PolicyRef(default_name, CUSTOM, "", "user", origin, assumed=("name", "type")), document)
    if "DefaultPolicyVersion" in data or "Policy" in data:
        return _get_policy_output(data, source, path)
    if "PolicyName" in data or "PolicyDocument" in data:
        return _wrapper(data, source, path, default_name)
    raise PolicyDocumentError(source, [(path, "neither a policy document (Version, Statement) nor a policy object "
                                              "(PolicyName, PolicyType, DefaultVersion, PolicyDocument)")])


def _wrapper(data: Mapping[str, Any], source: str, path: str, default_name: str) -> AttachedPolicy:
    problems: list[tuple[str, str]] = []
    name = _text(data, "PolicyName", source, path, problems, default=default_name)
    kind = _text(data, "PolicyType", source, path, problems, default=CUSTOM)
    version = _text(data, "DefaultVersion", source, path, problems, default="")
    attachment = _text(data, "Attachment", source, path, problems, default="user")
    if kind not in (SYSTEM, CUSTOM):
        problems.append((f"{path}.PolicyType", f'expected "System" or "Custom", got {kind!r}'))
    if attachment != "user" and not (attachment.startswith("group:") and attachment[6:].strip()):
        problems.append((f"{path}.Attachment", f'expected "user" or "group:<name>", got {attachment!r}'))
    if problems:
        raise PolicyDocumentError(source, problems)
    assumed = tuple(field for field, key in (("name", "PolicyName"), ("type", "PolicyType")) if data.get(key) is None)
    if "PolicyDocument" not in data:
        if kind != SYSTEM:
            raise PolicyDocumentError(source, [(f"{path}.PolicyDocument",
                                                "missing; only System policies can be looked up offline")])
        policy = system_policy(name).attached(version or None, attachment)
        return AttachedPolicy(PolicyRef(policy.ref.name, SYSTEM, policy.ref.default_version, attachment,
                                        f"{source}: {policy.ref.origin}"), policy.document)
    document = _document(data["PolicyDocument"], source, f"{path}.PolicyDocument")
    return AttachedPolicy(PolicyRef(name, kind, version, attachment, source, assumed=assumed), document)


def _get_policy_output(data: Mapping[str, Any], source: str, path: str) -> AttachedPolicy:
    policy = data.get("Policy") if isinstance(data.get("Policy"), Mapping) else {}
    default = data.get("DefaultPolicyVersion")
    if not isinstance(default, Mapping) or "PolicyDocument" not in default:
        raise PolicyDocumentError(source, [(f"{path}.DefaultPolicyVersion.PolicyDocument",
                                            "missing; the default version's document is the one in force "
                                            "(Policy.PolicyDocument is deprecated and not used)")])
    name = str(policy.get("PolicyName") or PurePath(source).stem)
    kind = str(policy.get("PolicyType") or CUSTOM)
    version = str(default.get("VersionId") or policy.get("DefaultVersion") or "")
    document = _document(default["PolicyDocument"], source, f"{path}.DefaultPolicyVersion.PolicyDocument")
    assumed = tuple(field for field, known in (("name", policy.get("PolicyName")),
                                               ("type", policy.get("PolicyType") in (SYSTEM, CUSTOM))) if not known)
    return AttachedPolicy(PolicyRef(name, kind if kind in (SYSTEM, CUSTOM) else CUSTOM, version, "user", source,
                                    assumed=assumed), document)


def _system_twin(document: Any) -> str:
    """`` (the same document as System policy X vN)`` when a bare document is a known system policy's body."""
    from acrguard.policy.system_policies import system_policies

    wanted = json.dumps(getattr(document, "raw", document), sort_keys=True)
    for policy in system_policies().values():
        for body in policy.versions.values():
            if json.dumps(body.document, sort_keys=True) == wanted:
                return f" (the same document as System policy {policy.name} {body.version})"
    return ""


def _document(value: Any, source: str, path: str) -> Any:
    """Parse (to validate) a document found at ``path``; errors carry the full path."""
    try:
        return parse_document(value, source=source)
    except PolicyDocumentError as exc:
        prefix = path if not isinstance(value, (str, bytes)) else f"{path} (JSON text) "
        problems = [(_join(prefix, inner), message) for inner, message in exc.problems]
        raise PolicyDocumentError(source, problems) from None


def _join(prefix: str, inner: str) -> str:
    if prefix.endswith(" "):
        return prefix + inner
    return prefix + inner[1:] if inner.startswith("$") else f"{prefix}.{inner}"


def _text(data: Mapping[str, Any], key: str, source: str, path: str, problems: list[tuple[str, str]], *,
          default: str) -> str:
    if key not in data or data[key] is None:
        return default
    value = data[key]
    if not isinstance(value, str) or not value.strip():
        problems.append((f"{path}.{key}", "expected a non-empty string"))
        return default
    return value.strip()
