"""Parse and lint the ``kube-system/acr-configuration`` ConfigMap of aliyun-acr-credential-helper.

The ConfigMap is YAML whose ``data.acr-registry-info`` value is itself YAML (a block string holding
a list of per-instance mappings; a single mapping or JSON is accepted too). Users paste it from the
docs and get the indentation wrong, so the lint reports *every* problem it can find, each with a
line and column in the outer file (the inner block's positions are translated) and a
plain-language hint. Keys and their meaning: the ACR docs on aliyun-acr-credential-helper
(https://www.alibabacloud.com/help/en/acr/user-guide/non-secret-pulling-container-image and
https://www.alibabacloud.com/help/en/acr/user-guide/use-secret-free-components-to-pull-images-across-accounts).

Rules the lint follows: parse the outer file, parse ``acr-registry-info`` separately, accept a
list, a mapping or JSON; a parse failure is its own finding; the raw text is also searched for
``customAccessKey`` so a mis-indented file still yields the key id. ``customAccessKeySecret`` is
never copied into a message, a hint or the JSON.

A ConfigMap is untrusted input: the outer file and every inner block are read with
``acrguard.boundedyaml`` (at most 1 MiB, the Kubernetes ConfigMap limit, and bounded aliases,
nesting and expansion), so an alias bomb is one ``yaml.limit`` error found in milliseconds.
"""

from __future__ import annotations

import difflib
import itertools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from acrguard import boundedyaml
from acrguard.redact import mask_access_key_id, redact_text

#: Top-level ``data`` keys of the self-managed helper (the ACR docs above).
DATA_KEYS = ("service-account", "watch-namespace", "expiring-threshold", "acr-api-version", "acr-registry-info",
             "notify-email", "rrsa", "webhook-configuration", "acr-registry")
#: Keys of one instance entry inside ``acr-registry-info`` (the ACR docs above).
ENTRY_KEYS = ("instanceId", "regionId", "domains", "assumeRoleARN", "expireDuration", "rrsaRoleARN",
              "rrsaOIDCProviderRoleARN", "customAccessKey", "customAccessKeySecret")
#: Block-string settings and their keys (the ACR docs above: ``rrsa``, ``webhook-configuration``).
BLOCK_SETTINGS = {"rrsa": ("enable",), "webhook-configuration": ("enable", "failure-policy", "timeout-seconds")}
REGISTRY_INFO = "acr-registry-info"

_RAW_KEY = re.compile(r"""customAccessKey(?!Secret)["']?\s*[:=]\s*["']?([A-Za-z0-9.]{8,})""")
_REGION = re.compile(r"^[a-z]{2,}-[a-z0-9-]+$")
_BLOCK_KEY = re.compile(r"^(?P<indent> *)(?P<key>[\w.-]+)\s*:\s*[|>][+-]?\d*\s*(#.*)?$")

ERROR = "error"
WARNING = "warning"
INFO = "info"  # said, but not a problem: it does not change the exit code

#: Placeholders of the published ConfigMap samples (the ACR docs above, cross-account page: ``instanceId:
#: "cri-xxx"``, ``domains: "xxxxx-registry.cn-hangzhou.cr.aliyuncs.com"``, ``assumeRoleARN: "<ARN of the role
#: created in Account B>"``, ``acs:ram::100XXXXXXXX9630:role/XXXX``, ``customAccessKey: "xxxxx"``,
#: ``customAccessKeySecret: "xxxxxx"``) and the other common forms (``LTAI****``, ``<your-access-key-id>``,
#: ``${...}``): a run of three or more x not touching another letter, ``<…>``, asterisks, ``your-…``.
_PLACEHOLDER = re.compile(r"(?i)(?<![a-wyz])x{3,}(?![a-wyz])|<[^<>]*>|\*{2,}|\$\{[^}]*\}|(?<![a-z])your[-_ ]")
_ROLE_ARN = re.compile(r"^acs:ram::[^:]*:role/(?P<name>[^/\s]+)$", re.IGNORECASE)


@dataclass(frozen=True)
class Problem:
    """One lint problem: where (1-based line and column of the outer file), what, and how to fix it."""

    severity: str  # "error", "warning" or "info"
    code: str
    message: str
    line: int | None = None
    column: int | None = None
    hint: str = ""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping."""
        return {"severity": self.severity, "code": self.code, "line": self.line, "column": self.column,
                "message": self.message, "hint": self.hint}

    def render(self, source: str) -> str:
        """``FILE:LINE:COL: severity: message`` plus an indented hint line."""
        where = source + (f":{self.line}" if self.line else "") + (f":{self.column}" if self.column else "")
        text = f"{where}: {self.severity}: {self.message}"
        return text + (f"\n    hint: {self.hint}" if self.hint else "")


@dataclass(frozen=True)
class RegistryEntry:
    """One instance entry of ``acr-registry-info``. The secret itself is never kept."""

    index: int
    instance_id: str | None = None
    region_id: str | None = None
    domains: tuple[str, ...] = ()
    access_key_id: str | None = field(default=None, repr=False)
    has_secret: bool = False
    line: int | None = None

    @property
    def masked_key(self) -> str | None:
        """The AccessKey id as shown to people (``LTAI****Mn3x``)."""
        return mask_access_key_id(self.access_key_id) if self.access_key_id else None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping with the key id masked."""
        return {"index": self.index, "instanceId": self.instance_id, "regionId": self.region_id,
                "domains": list(self.domains), "accessKeyId": self.masked_key, "hasSecret": self.has_secret,
                "line": self.line}


@dataclass(frozen=True)
class ConfigMapReport:
    """The outcome of parsing one ConfigMap: problems, the entries that parsed, and every key id seen."""

    source: str
    problems: tuple[Problem, ...]
    entries: tuple[RegistryEntry, ...]
    parsed: bool
    access_key_ids: tuple[str, ...] = field(default=(), repr=False)

    @property
    def errors(self) -> list[Problem]:
        """Problems of severity error."""
        return [p for p in self.problems if p.severity == ERROR]

    @property
    def warnings(self) -> list[Problem]:
        """Problems of severity warning."""
        return [p for p in self.problems if p.severity == WARNING]

    @property
    def notes(self) -> list[Problem]:
        """What the lint says that is not a problem (severity info): where the credentials come from."""
        return [p for p in self.problems if p.severity == INFO]

    @property
    def exit_code(self) -> int:
        """0 clean, 1 warnings only, 2 any error."""
        return 2 if self.errors else 1 if self.warnings else 0

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping (key ids masked, never a secret)."""
        return {"source": self.source, "parsed": self.parsed, "exit_code": self.exit_code,
                "errors": len(self.errors), "warnings": len(self.warnings), "notes": len(self.notes),
                "problems": [p.to_dict() for p in self.problems], "entries": [e.to_dict() for e in self.entries],
                "accessKeyIds": [mask_access_key_id(k) for k in self.access_key_ids]}


# -- entry points -------------------------------------------------------------------------------

def lint_file(path: str | Path) -> ConfigMapReport:
    """Lint a ConfigMap file; an unreadable file is an ``OSError``/``UnicodeDecodeError`` for the caller."""
    size, limit = Path(path).stat().st_size, boundedyaml.DEFAULT_LIMITS.max_bytes
    if size > limit:  # not even read
        return _refused(str(path), boundedyaml.YamlLimitError(
            str(path), f"the file is {size:,} bytes; a ConfigMap holds at most {limit:,}"))
    return lint_text(Path(path).read_text(encoding="utf-8"), str(path))


def lint_text(text: str, source: str = "<configmap>") -> ConfigMapReport:
    """Parse and lint ConfigMap text (YAML), collecting every problem found."""
    try:
        boundedyaml.check_size(text, source=source)
    except boundedyaml.YamlLimitError as exc:
        return _refused(source, exc)
    linter = _Linter(text, source)
    return linter.run()


def _refused(source: str, exc: boundedyaml.YamlLimitError) -> ConfigMapReport:
    """The report on an input refused before parsing (too large)."""
    problem = Problem(ERROR, "yaml.limit", exc.problem, hint=_LIMIT_HINT)
    return ConfigMapReport(source, (problem,), (), False)


# -- the linter ---------------------------------------------------------------------------------

@dataclass
class _Block:
    """Where the inner YAML sits in the outer file: first content line (0-based) and indentation."""

    text: str
    first_line: int
    indent: int
    literal: bool = True

    def position(self, line: int, column: int) -> tuple[int, int]:
        """1-based outer (line, column) of a 0-based inner position."""
        if self.literal:
            return self.first_line + line + 1, column + self.indent + 1
        return self.first_line + 1, column + self.indent + 1


class _Linter:
    def __init__(self, text: str, source: str) -> None:
        self.text = text.replace("\r\n", "\n")
        self.lines = self.text.split("\n")
        self.source = source
        self.problems: list[Problem] = []
        self.entries: list[RegistryEntry] = []
        self.parsed = True
        self.refused = False  # over a YAML limit: nothing more is parsed

    def add(self, severity: str, code: str, message: str, line: int | None = None, column: int | None = None,
            hint: str = "") -> None:
        self.problems.append(Problem(severity, code, message, line, column, hint))

    def run(self) -> ConfigMapReport:
        self._tabs()
        self._unindented_blocks()
        document = self._outer()
        if document is not None:
            self._structure(document)
        elif not self.refused:
            block = self._raw_block()
            if block is not None:
                self._inner(block)
        raw = {m.group(1): m for m in reversed(list(_RAW_KEY.finditer(self.text))) if not _placeholder(m.group(1))}
        ids = list(dict.fromkeys([e.access_key_id for e in self.entries if e.access_key_id]
                                 + [k for k in sorted(raw, key=lambda k: raw[k].start())]))
        if ids and not any(e.access_key_id for e in self.entries):
            for key_id in ids:
                line, column = self._position(raw[key_id].start()) if key_id in raw else (None, None)
                self.add(WARNING, "access-key.plaintext",
                         f"AccessKey {mask_access_key_id(key_id)} in plain text (found in the text, outside any "
                         "instance entry the lint could read)", line, column, _PLAINTEXT_HINT)
        problems = sorted(_dedupe(self.problems), key=lambda p: (p.line or 0, p.column or 0))
        return ConfigMapReport(self.source, tuple(problems), tuple(self.entries), self.parsed, tuple(ids))

    def _position(self, offset: int) -> tuple[int, int]:
        """1-based (line, column) of a character offset in the text."""
        before = self.text[:offset]
        return before.count("\n") + 1, offset - (before.rfind("\n") + 1) + 1

    # -- raw scans ------------------------------------------------------------------------
    def _tabs(self) -> None:
        for number, line in enumerate(self.lines, 1):
            leading = re.match(r"[ \t]*", line).group(0)  # type: ignore[union-attr]
            if "\t" in leading and line.strip():
                self.add(ERROR, "yaml.tab", "tab character in the indentation", number, leading.index("\t") + 1,
                         "YAML does not allow tabs for indentation; replace the tab with spaces")

    def _unindented_blocks(self) -> None:
        """``acr-registry-info: |`` followed by lines that are not indented more than the key."""
        for number, line in enumerate(self.lines):
            match = _BLOCK_KEY.match(line)
            if not match:
                continue
            indent = len(match.group("indent"))
            following = next((i for i in range(number + 1, len(self.lines)) if self.lines[i].strip()), None)
            if following is None:
                continue
            text = self.lines[following]
            own = len(text) - len(text.lstrip(" "))
            if own <= indent and text.lstrip().startswith("-"):
                self.add(ERROR, "registry-info.not-indented",
                         f"the list under '{match.group('key')}: |' is not indented", following + 1, own + 1,
                         f"indent every line of the list at least {indent + 2} spaces (two more than "
                         f"'{match.group('key')}'), so it becomes part of the block string")

    # -- outer document -------------------------------------------------------------------
    def _outer(self) -> yaml.Node | None:
        try:
            nodes = boundedyaml.compose_all(self.text, self.source)
        except boundedyaml.YamlLimitError as exc:
            self._limit(exc, None)
            return None
        except yaml.MarkedYAMLError as exc:
            self.parsed = False
            self._yaml_error(exc, self.lines, None)
            return None
        except yaml.YAMLError as exc:
            self.parsed = False
            self.add(ERROR, "yaml.syntax", f"not valid YAML: {exc}", hint=_GENERIC_HINT)
            return None
        if not nodes:
            self.parsed = False
            self.add(ERROR, "configmap.empty", "the file is empty", hint="paste the whole ConfigMap, starting at "
                     "'apiVersion: v1'")
            return None
        chosen = next((n for n in nodes if isinstance(n, yaml.MappingNode) and _value(n, "kind") == "ConfigMap"),
                      nodes[0])
        return chosen

    def _structure(self, root: yaml.Node) -> None:
        if not isinstance(root, yaml.MappingNode):
            self.parsed = False
            self.add(ERROR, "configmap.not-mapping", "the document is not a mapping of keys",
                     *_pos(root), hint="a ConfigMap starts with 'apiVersion: v1' and 'kind: ConfigMap'")
            return
        kind = _value(root, "kind")
        if kind is not None and kind != "ConfigMap":
            self.add(WARNING, "configmap.kind", f"kind is {kind!r}, expected ConfigMap", *_pos(_child(root, "kind")))
        metadata = _child(root, "metadata")
        if isinstance(metadata, yaml.MappingNode):
            name, namespace = _value(metadata, "name"), _value(metadata, "namespace")
            if name not in (None, "acr-configuration"):
                self.add(WARNING, "configmap.name", f"metadata.name is {name!r}; the helper reads "
                         "'acr-configuration'", *_pos(_child(metadata, "name")))
            if namespace not in (None, "kube-system"):
                self.add(WARNING, "configmap.namespace", f"metadata.namespace is {namespace!r}; the helper reads "
                         "kube-system", *_pos(_child(metadata, "namespace")))
        data = _child(root, "data")
        if data is None:
            self.add(ERROR, "configmap.no-data", "there is no 'data' section", 1, 1,
                     "the helper's settings go under 'data:' (see the examples in the ACK docs)")
            return
        if not isinstance(data, yaml.MappingNode):
            self.add(ERROR, "configmap.data-not-mapping", "'data' is not a mapping of keys", *_pos(data),
                     "put one setting per line under 'data:', indented two spaces")
            return
        self._data(data)

    def _data(self, data: yaml.MappingNode) -> None:
        seen: set[str] = set()
        for key_node, value_node in data.value:
            key = str(key_node.value)
            line, column = _pos(key_node)
            if key in seen:
                self.add(ERROR, "data.duplicate-key", f"'{key}' appears twice; only the last one counts", line, column,
                         "remove one of them")
            seen.add(key)
            if key not in DATA_KEYS:
                self.add(WARNING, "data.unknown-key", f"unknown key '{key}'", line, column,
                         _did_you_mean(key, DATA_KEYS))
            if key == REGISTRY_INFO:
                self._registry_value(value_node)
            elif not isinstance(value_node, yaml.ScalarNode):
                self.add(ERROR, "data.not-string", f"'{key}' must be a string", *_pos(value_node),
                         f"ConfigMap values are strings: write '{key}: |' and indent the content under it")
            elif value_node.tag != "tag:yaml.org,2002:str" and value_node.value != "":
                self.add(ERROR, "data.not-string", f"'{key}' is not a string ({value_node.value!r})", *_pos(value_node),
                         f'ConfigMap values must be strings: quote it, e.g. {key}: "{value_node.value}"')
            else:
                self._comment_in_value(key, value_node)
                if key in BLOCK_SETTINGS and str(value_node.value).strip():
                    self._settings_block(key, value_node)
        if REGISTRY_INFO not in seen:
            if "acr-registry" in seen:
                self.add(WARNING, "data.legacy", "only the legacy 'acr-registry' key is set", *_pos(data),
                         "newer helper versions read 'acr-registry-info'; see the ACK docs")
            else:
                self.add(ERROR, "data.no-registry-info", f"'{REGISTRY_INFO}' is missing", *_pos(data),
                         f"add '{REGISTRY_INFO}: |' with the list of instances indented under it")

    def _settings_block(self, key: str, node: yaml.ScalarNode) -> None:
        """``rrsa`` and ``webhook-configuration`` hold YAML mappings of their own: parse and check their keys."""
        block = _block_of(node, self.lines)
        try:
            value = boundedyaml.load(block.text, self.source)
        except boundedyaml.YamlLimitError as exc:
            self._limit(exc, block, where=key)
            return
        except yaml.MarkedYAMLError as exc:
            self._yaml_error(exc, block.text.split("\n"), block, where=key)
            return
        except yaml.YAMLError:
            return
        if not isinstance(value, dict):
            self.add(ERROR, "settings.shape", f"'{key}' must hold 'name: value' lines", *block.position(0, 0),
                     f"for example: {key}: |\n    enable: true")
            return
        known = BLOCK_SETTINGS[key]
        lines = block.text.split("\n")

        def where(name: str) -> tuple[int, int]:
            found = next((i for i, t in enumerate(lines) if re.match(rf"\s*{re.escape(name)}\s*:", t)), 0)
            return block.position(found, len(lines[found]) - len(lines[found].lstrip()) if lines else 0)

        for name, setting in value.items():
            if str(name) not in known:
                self.add(WARNING, "settings.unknown-key", f"'{key}': unknown key '{name}'", *where(str(name)),
                         _did_you_mean(str(name), known))
            elif name == "failure-policy" and setting not in ("Ignore", "Fail"):
                self.add(WARNING, "settings.value", f"'{key}': failure-policy should be Ignore or Fail",
                         *where(str(name)), "the default is Ignore")

    def _comment_in_value(self, key: str, node: yaml.ScalarNode) -> None:
        value = str(node.value)
        match = re.search(r"\s(#|//)", value)
        if match and node.style in ('"', "'"):
            self.add(WARNING, "value.comment-inside", f"the value of '{key}' contains '{match.group(1)}', which "
                     "looks like a comment inside the quotes", *_pos(node),
                     "move the comment after the closing quote and start it with ' #'")

    def _registry_value(self, node: yaml.Node) -> None:
        line, column = _pos(node)
        if not isinstance(node, yaml.ScalarNode):
            self.add(ERROR, "registry-info.not-string", f"'{REGISTRY_INFO}' is a YAML {_kind(node)}, not a string",
                     line, column, f"write '{REGISTRY_INFO}: |' and indent the list under it, so it is a block "
                     "string the helper parses itself")
            return
        if not str(node.value).strip():
            if not any(p.code == "registry-info.not-indented" for p in self.problems):
                self.add(ERROR, "registry-info.empty", f"'{REGISTRY_INFO}' is empty", line, column,
                         "list the instances under it, indented more than the key")
            return
        self._inner(_block_of(node, self.lines))

    def _raw_block(self) -> _Block | None:
        """The ``acr-registry-info`` block found in the raw text (used when the outer file does not parse)."""
        for number, line in enumerate(self.lines):
            match = _BLOCK_KEY.match(line)
            if not match or match.group("key") != REGISTRY_INFO:
                continue
            indent = len(match.group("indent"))
            body: list[str] = []
            for text in self.lines[number + 1:]:
                if text.strip() and len(text) - len(text.lstrip(" \t")) <= indent:
                    break
                body.append(text)
            content = [t for t in body if t.strip()]
            if not content:
                body = _unindented_list(self.lines, number + 1)
                content = [t for t in body if t.strip()]
            if not content:
                return None
            inner = min(len(t) - len(t.lstrip(" ")) for t in content)
            return _Block("\n".join(t[inner:] for t in body), number + 1, inner)
        return None

    # -- inner block ----------------------------------------------------------------------
    def _inner(self, block: _Block) -> None:
        inner_lines = block.text.split("\n")
        try:
            value = boundedyaml.load(block.text, self.source)
        except boundedyaml.YamlLimitError as exc:
            self._limit(exc, block)
            return
        except yaml.MarkedYAMLError as exc:
            self.parsed = False
            self._yaml_error(exc, inner_lines, block)
            self._salvage(block)
            return
        except yaml.YAMLError as exc:
            self.parsed = False
            self.add(ERROR, "registry-info.syntax", f"'{REGISTRY_INFO}' is not valid YAML: {exc}",
                     *block.position(0, 0), _GENERIC_HINT)
            return
        items = value if isinstance(value, list) else [value]
        if not all(isinstance(item, dict) for item in items):
            self.add(ERROR, "registry-info.shape", f"'{REGISTRY_INFO}' must be a list of instances (or one instance)",
                     *block.position(0, 0), "each instance starts with '- instanceId: ...' and its other keys line "
                     "up under 'instanceId'")
            return
        starts = _item_lines(inner_lines)
        for index, item in enumerate(items):
            start = starts[index] if index < len(starts) else 0
            self._entry(index, item, block, inner_lines, start)

    def _salvage(self, block: _Block) -> None:
        """After an inner parse error, parse each list item alone to report its problems and keep good ones."""
        inner_lines = block.text.split("\n")
        starts = _item_lines(inner_lines)
        if len(starts) < 2:
            return
        bounds = [*starts, len(inner_lines)]
        for index, (start, end) in enumerate(itertools.pairwise(bounds)):
            chunk = "\n".join(inner_lines[start:end])
            try:
                value = boundedyaml.load(chunk, self.source)
            except boundedyaml.YamlLimitError as exc:
                self._limit(exc, _Block(chunk, block.first_line + start, block.indent))
                return
            except yaml.MarkedYAMLError as exc:
                mark = exc.problem_mark
                if mark is not None and not any(p.line == block.position(start + mark.line, 0)[0]
                                                for p in self.problems):
                    sub = _Block(chunk, block.first_line + start, block.indent)
                    self._yaml_error(exc, chunk.split("\n"), sub)
                continue
            except yaml.YAMLError:
                continue
            if isinstance(value, list) and len(value) == 1 and isinstance(value[0], dict):
                self._entry(index, value[0], block, inner_lines, start)

    def _entry(self, index: int, item: dict[str, Any], block: _Block, lines: list[str], start: int) -> None:
        def where(key: str) -> tuple[int, int]:
            for offset, text in enumerate(lines[start:], start):
                found = re.search(r"(^|[\s{,-])" + re.escape(key) + r"\s*:", text)
                if found:
                    return block.position(offset, found.start() + len(found.group(1)))
                if offset > start and re.match(r"\s*-\s", text):
                    break
            return block.position(start, 0)

        for key in item:
            if str(key) not in ENTRY_KEYS:
                self.add(WARNING, "entry.unknown-key", f"instance {index}: unknown key '{key}'", *where(str(key)),
                         _did_you_mean(str(key), ENTRY_KEYS))
        for key, value in item.items():
            if isinstance(value, str) and re.search(r"\s(#|//)", value):
                self.add(WARNING, "value.comment-inside", f"instance {index}: the value of '{key}' contains what "
                         "looks like a comment", *where(str(key)),
                         "a comment inside the quotes is part of the value; move it after the closing quote and "
                         "start it with ' #'")
        instance_id = item.get("instanceId")
        if instance_id is None or str(instance_id).strip() == "":
            self.add(WARNING, "entry.empty-instance-id", f"instance {index}: instanceId is empty",
                     *where("instanceId"), "an empty instanceId means Personal Edition; for Enterprise Edition set "
                     "the instance id (cri-...)")
        elif not str(instance_id).startswith("cri-"):
            self.add(WARNING, "entry.instance-id", f"instance {index}: instanceId {str(instance_id)!r} does not look "
                     "like an Enterprise Edition id (cri-...)", *where("instanceId"), _comment_hint(str(instance_id)))
        region = item.get("regionId")
        if region not in (None, "") and not _REGION.match(str(region)):
            self.add(WARNING, "entry.region-id", f"instance {index}: regionId {str(region)!r} is not a region id",
                     *where("regionId"), "use an id such as cn-hangzhou; " + _comment_hint(str(region)))
        domains = item.get("domains")
        if domains is not None and not isinstance(domains, str):
            self.add(WARNING, "entry.domains", f"instance {index}: domains should be one comma-separated string",
                     *where("domains"), 'write domains: "a.example.com,b.example.com"')
        duration = item.get("expireDuration")
        if duration is not None and (not isinstance(duration, int) or not 900 <= duration <= 43200):
            self.add(WARNING, "entry.expire-duration", f"instance {index}: expireDuration should be seconds "
                     "between 900 and 43200", *where("expireDuration"), "the default is 3600")
        for key, value in item.items():
            if str(key) in ENTRY_KEYS and isinstance(value, str) and _placeholder(value):
                shown = "its value is not shown" if key == "customAccessKeySecret" else repr(redact_text(value))
                self.add(ERROR, "entry.placeholder", f"instance {index}: {key} is still a placeholder from the "
                         f"docs ({shown})", *where(str(key)), _PLACEHOLDER_HINTS.get(str(key), _PLACEHOLDER_HINT))
        key_id = item.get("customAccessKey")
        has_secret = bool(item.get("customAccessKeySecret"))
        if key_id and _placeholder(str(key_id)):
            key_id = None  # a sample value, reported above: no key, nothing to audit
        elif key_id:
            self.add(WARNING, "access-key.plaintext", f"instance {index}: AccessKey {mask_access_key_id(str(key_id))} "
                     "is stored in plain text", *where("customAccessKey"), _PLAINTEXT_HINT)
        if not item.get("customAccessKey") and not has_secret:
            self._no_static_key(index, item, where("assumeRoleARN" if item.get("assumeRoleARN") else
                                                   "rrsaRoleARN" if item.get("rrsaRoleARN") else "instanceId"))
        if key_id:
            if not has_secret:
                self.add(ERROR, "entry.secret-missing", f"instance {index}: customAccessKey has no "
                         "customAccessKeySecret", *where("customAccessKey"), "the helper needs both keys")
        elif has_secret and not item.get("customAccessKey"):
            self.add(ERROR, "entry.key-missing", f"instance {index}: customAccessKeySecret without customAccessKey",
                     *where("customAccessKeySecret"), "the helper needs both keys")
        if isinstance(domains, str):
            domain_list = tuple(d.strip() for d in domains.split(",") if d.strip())
        elif isinstance(domains, list):
            domain_list = tuple(str(d) for d in domains)
        else:
            domain_list = ()
        self.entries.append(RegistryEntry(index, str(instance_id) if instance_id not in (None, "") else None,
                                          str(region) if region not in (None, "") else None, domain_list,
                                          str(key_id) if key_id else None, has_secret, block.position(start, 0)[0]))

    def _no_static_key(self, index: int, item: dict[str, Any], at: tuple[int, int]) -> None:
        """No AccessKey: say where the helper's credentials come from, and what to check instead."""
        instance = str(item.get("instanceId") or "")
        scope = f" --instance-id {instance}" if instance.startswith("cri-") and not _placeholder(instance) else ""
        arn = str(item.get("assumeRoleARN") or item.get("rrsaRoleARN") or "")
        if arn:
            how = ("assumes" if item.get("assumeRoleARN") else "uses through RRSA")
            match = _ROLE_ARN.match(arn)
            role = match.group("name") if match and not _placeholder(arn) else None
            what = f"the role {role}" if role else "the role in " + ("assumeRoleARN" if item.get("assumeRoleARN")
                                                                      else "rrsaRoleARN")
            message = (f"instance {index}: no AccessKey in this ConfigMap: the helper {how} {what}, so what the "
                       "cluster can do is that role's policies")
        else:
            role = None
            message = (f"instance {index}: no AccessKey in this ConfigMap: the helper uses the cluster's own RAM "
                       "role (the worker role, or AliyunCSManagedAcrRole for clusters created from 2023-04-03 "
                       "with tokenMode auto), so what the cluster can do is that role's policies")
        name = role or "<ROLE_NAME>"
        hint = (f"check them instead of a key: aliyun ram ListPoliciesForRole --RoleName {name} lists them; save "
                "each with aliyun ram GetPolicy --PolicyName NAME --PolicyType TYPE > NAME.json and run "
                f"python -m acrguard policy check NAME.json ...{scope} (the role needs only cr:GetAuthorizationToken, "
                "cr:ListInstanceEndpoint and cr:PullRepository)")
        if not role:
            hint += "; <ROLE_NAME> is the name at the end of the role's ARN (acs:ram::<account>:role/<name>)"
        self.add(INFO, "entry.no-static-key", message, *at, hint)

    # -- errors and hints -----------------------------------------------------------------
    def _limit(self, exc: boundedyaml.YamlLimitError, block: _Block | None, where: str = REGISTRY_INFO) -> None:
        """A YAML limit was hit (alias bomb, deep nesting, recursion): one error, and nothing more is parsed."""
        self.parsed = False
        self.refused = True
        line, column = (exc.line or 1) - 1, (exc.column or 1) - 1
        out_line, out_column = block.position(line, column) if block else (line + 1, column + 1)
        prefix = f"in '{where}': " if block else ""
        self.add(ERROR, "yaml.limit", f"{prefix}{exc.problem}", out_line if exc.line else None,
                 out_column if exc.line else None, _LIMIT_HINT)

    def _yaml_error(self, exc: yaml.MarkedYAMLError, lines: list[str], block: _Block | None,
                    where: str = REGISTRY_INFO) -> None:
        mark = exc.problem_mark
        line, column = (mark.line, mark.column) if mark is not None else (0, 0)
        out_line, out_column = block.position(line, column) if block else (line + 1, column + 1)
        if any(p.code in ("yaml.tab", "registry-info.not-indented") and p.line == out_line for p in self.problems):
            return  # already reported with a precise hint
        code, hint = _hint(exc, lines, line, column)
        prefix = f"in '{where}': " if block else ""
        self.add(ERROR, code, f"{prefix}{_plain(exc.problem or 'syntax error')}", out_line, out_column, hint)


_GENERIC_HINT = ("compare the indentation with the examples in the ACK docs: keys of one mapping start in the same "
                 "column, and list items ('- ') sit under their parent key")
_LIMIT_HINT = ("a ConfigMap needs no anchors or aliases (&name, *name): write the values out; if the file came "
               "from someone else, check it was not made to exhaust the tools that read it")
_PLACEHOLDER_HINT = "replace the sample value from the docs with the real one"
_PLACEHOLDER_HINTS = {
    "instanceId": "the Enterprise Edition instance id (cri-…) from the ACR console's instance list",
    "domains": "the instance's domains (ACR console: Access Control), or leave domains out to use all of them",
    "assumeRoleARN": "the ARN of the role to assume, from the role's Basic Information in the RAM console "
                     "(acs:ram::<account id>:role/<name>)",
    "rrsaRoleARN": "the ARN of the cluster's RRSA role, from the RAM console (acs:ram::<account id>:role/<name>)",
    "rrsaOIDCProviderRoleARN": "the ARN of the cluster's OIDC provider, from the cluster's RRSA settings in the ACK "
                               "console",
    "customAccessKey": "the AccessKey id of the pull user (or drop the key and use RRSA or the worker role)",
    "customAccessKeySecret": "the AccessKey secret of the pull user (or drop the key and use RRSA or the worker role)",
}
_PLAINTEXT_HINT = ("anyone who can read ConfigMaps in kube-system can use this key; prefer RRSA or the worker role, "
                   "or make sure the key can only pull")


def _hint(exc: yaml.MarkedYAMLError, lines: list[str], line: int, column: int) -> tuple[str, str]:
    """A code and plain-language hint for a PyYAML error at 0-based (line, column) of ``lines``."""
    problem = exc.problem or ""
    text = lines[line] if 0 <= line < len(lines) else ""
    before = text[:column].rstrip()
    if "\\t" in problem or "\t" in problem:
        return "yaml.tab", "YAML does not allow tabs for indentation; replace the tab with spaces"
    if "found ','" in problem and re.search(r"[\"']\s*,\s*[\"']", text):
        return "yaml.comma-list", ('quote the whole list once, e.g. domains: "a.example.com,b.example.com"')
    comment = _comment_above(lines, line)
    if comment is not None:
        return "yaml.comment-indent", (f"the comment on line {comment + 1} is indented less than the lines around "
                                       "it and ends the block there; indent it like its neighbours or remove it")
    if before.endswith(("\"", "'")) and column > 0 and not text[column:].lstrip().startswith("#"):
        return "yaml.text-after-value", ("there is text after a quoted value; if it is a comment, start it with "
                                         "' #' (a space, then '#'), otherwise put it inside the quotes")
    if "block mapping start" in problem or "mapping values are not allowed" in problem:
        own = len(text) - len(text.lstrip(" "))
        sibling = _sibling_indent(lines, line)
        if sibling is not None and sibling != own:
            return "yaml.indentation", (f"this key is indented {own} spaces but the keys above it use {sibling}; "
                                        "keys of one mapping must start in the same column")
        return "yaml.indentation", ("a key is indented differently from the keys above it, or a value containing "
                                    "': ' needs quotes")
    if "expected <block end>" in problem:
        return "yaml.indentation", ("this line does not line up with the lines above it; " + _GENERIC_HINT)
    if "could not find expected ':'" in problem:
        return "yaml.missing-colon", "a key is missing its ':' or a continued value is not indented"
    return "yaml.syntax", _GENERIC_HINT


_PLAIN = {"<block mapping start>": "a key at an unexpected indentation", "<scalar>": "unexpected text",
          "'-'": "a list item at an unexpected indentation", "','": "an unexpected ','"}


def _plain(problem: str) -> str:
    """PyYAML's message in plain words, keeping the original in parentheses."""
    match = re.fullmatch(r"expected <block end>, but found (.+)", problem)
    if match:
        found = match.group(1).strip("'") if match.group(1).startswith("'<") else match.group(1)
        return f"{_PLAIN.get(found, 'unexpected ' + found)} (YAML: {problem})"
    return problem


def _comment_above(lines: list[str], line: int) -> int | None:
    """A comment line just above ``line`` that is indented less than both its neighbours."""
    for index in range(line - 1, -1, -1):
        text = lines[index]
        if not text.strip():
            continue
        if not text.lstrip().startswith("#"):
            return None
        own = len(text) - len(text.lstrip(" "))
        below = len(lines[line]) - len(lines[line].lstrip(" ")) if line < len(lines) else 0
        above = next((len(t) - len(t.lstrip(" ")) for t in reversed(lines[:index])
                      if t.strip() and not t.lstrip().startswith("#")), 0)
        return index if own < below and own < above else None
    return None


def _sibling_indent(lines: list[str], line: int) -> int | None:
    """Indentation of the nearest key line above ``line`` (skipping comments and list markers)."""
    for text in reversed(lines[:line]):
        stripped = text.strip()
        if not stripped or stripped.startswith("#"):
            continue
        own = len(text) - len(text.lstrip(" "))
        if stripped.startswith("- "):
            return own + 2
        return own
    return None


def _placeholder(value: str) -> bool:
    """Whether a value is a placeholder of the published samples (``cri-xxx``, ``<ARN of …>``, ``LTAI****``)."""
    return bool(_PLACEHOLDER.search(value))


def _comment_hint(value: str) -> str:
    if re.search(r"\s(#|//)|[\u4e00-\u9fff]", value):
        return "the value seems to contain a comment; move comments after the value and start them with ' #'"
    return "check the value"


def _did_you_mean(key: str, known: tuple[str, ...]) -> str:
    lowered = {k.lower(): k for k in known}
    match = lowered.get(key.lower()) or next(iter(difflib.get_close_matches(key, known, n=1, cutoff=0.75)), None)
    if match:
        return f"did you mean '{match}'? (keys are case-sensitive)"
    return "known keys: " + ", ".join(known)


def _unindented_list(lines: list[str], start: int) -> list[str]:
    """A list pasted without indentation right after ``key: |``: its lines, up to the next key."""
    first = next((i for i in range(start, len(lines)) if lines[i].strip()), None)
    if first is None or not lines[first].lstrip().startswith("-"):
        return []
    indent = len(lines[first]) - len(lines[first].lstrip(" "))
    body = []
    for text in lines[start:]:
        own = len(text) - len(text.lstrip(" "))
        if text.strip() and (own < indent or (own == indent and not text.lstrip().startswith("-"))):
            break
        body.append(text)
    return body


def _item_lines(lines: list[str]) -> list[int]:
    """0-based lines where top-level list items (``- ``) start in the inner block."""
    starts = [i for i, t in enumerate(lines) if re.match(r"-(\s|$)", t)]
    return starts or [next((i for i, t in enumerate(lines) if t.strip()), 0)]


def _block_of(node: yaml.ScalarNode, lines: list[str]) -> _Block:
    """Where a scalar's content sits in the outer file (block scalars start on the next line)."""
    start = node.start_mark.line
    if node.style in ("|", ">"):
        content = [i for i in range(start + 1, min(node.end_mark.line + 1, len(lines))) if lines[i].strip()]
        indent = (len(lines[content[0]]) - len(lines[content[0]].lstrip(" "))) if content else 0
        return _Block(str(node.value), start + 1, indent, literal=node.style == "|")
    return _Block(str(node.value), start, node.start_mark.column + (1 if node.style in ('"', "'") else 0),
                  literal=False)


def _child(node: yaml.Node | None, key: str) -> yaml.Node | None:
    if not isinstance(node, yaml.MappingNode):
        return None
    for key_node, value_node in node.value:
        if getattr(key_node, "value", None) == key:
            return value_node
    return None


def _value(node: yaml.Node | None, key: str) -> str | None:
    child = _child(node, key)
    return str(child.value) if isinstance(child, yaml.ScalarNode) else None


def _pos(node: yaml.Node | None) -> tuple[int | None, int | None]:
    if node is None:
        return None, None
    return node.start_mark.line + 1, node.start_mark.column + 1


def _kind(node: yaml.Node) -> str:
    return "list" if isinstance(node, yaml.SequenceNode) else "mapping" if isinstance(node, yaml.MappingNode) \
        else "value"


def _dedupe(problems: list[Problem]) -> list[Problem]:
    seen: set[tuple[Any, ...]] = set()
    out = []
    for problem in problems:
        key = (problem.code, problem.line, problem.column, problem.message)
        if key not in seen:
            seen.add(key)
            out.append(problem)
    return out
