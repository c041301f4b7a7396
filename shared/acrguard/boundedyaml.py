"""Read YAML from outside (config files, ConfigMaps, ``s.yaml``) with bounds on size, aliases and nesting.

``yaml.SafeLoader`` builds no arbitrary objects, but it does let a few hundred bytes stand for
gigabytes: each alias (``*a``) repeats everything its anchor names, so nine aliases of nine
aliases of … (the "billion laughs" document) made ``configmap lint`` spend 37 s and 640 MiB on a
587-byte file, and ``config check`` 116 s and 1.1 GB on 408 bytes. An anchor can also contain its
own alias (a cycle), and deep nesting exhausts Python's recursion. ``BoundedLoader`` therefore

* refuses input over ``max_bytes`` before parsing it;
* counts aliases and the nesting depth while the node graph is composed (``compose_node``),
  failing at the first alias or level over the limit, before anything is built;
* then measures the graph as if every alias were expanded (each node once, memoized, so in time
  linear in the file) and refuses a cycle, or more than ``max_nodes`` values or ``max_chars``
  characters of text in the expanded document;
* and only then constructs Python objects. A value PyYAML cannot build (a 5,000-digit integer, a
  date such as ``9999-99-99``) becomes a ``yaml.YAMLError`` with its position instead of a bare
  ``ValueError``.

PyYAML stays the parser. The defaults: 1 MiB, as Kubernetes limits a ConfigMap ("The data stored
in a ConfigMap cannot exceed 1 MiB", https://kubernetes.io/docs/concepts/configuration/configmap/);
10,000 aliases; 64 levels; 250,000 values and 4 MiB of text once expanded, close to what a 1 MiB
file without aliases can hold. go-yaml (which Kubernetes uses) bounds alias expansion the same
way, by the share of decoding that comes from aliases (``allowedAliasRatio``, go-yaml ``v3/decode.go``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from acrguard.errors import BadInputError


@dataclass(frozen=True)
class YamlLimits:
    """How much one YAML input may hold."""

    max_bytes: int = 1024 * 1024
    max_aliases: int = 10_000
    max_depth: int = 64
    max_nodes: int = 250_000
    max_chars: int = 4 * 1024 * 1024


DEFAULT_LIMITS = YamlLimits()


class YamlLimitError(BadInputError):
    """A YAML input over one of the limits; ``problem`` says which, with ``line``/``column`` when known."""

    def __init__(self, source: str, problem: str, line: int | None = None, column: int | None = None) -> None:
        self.source = source
        self.problem = problem
        self.line = line
        self.column = column
        where = f"line {line}, column {column}: " if line is not None else ""
        super().__init__(f"{source}: {where}{problem}")

    @property
    def located(self) -> str:
        """``line L, column C: problem`` (or just the problem when no position is known)."""
        return (f"line {self.line}, column {self.column}: " if self.line is not None else "") + self.problem


_WHY = "refused so that a small file cannot expand into a huge document"


def _mark(mark: Any) -> tuple[int | None, int | None]:
    return (mark.line + 1, mark.column + 1) if mark is not None else (None, None)


class BoundedLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that counts aliases and nesting while composing (see the module docstring)."""

    def __init__(self, stream: str | bytes, limits: YamlLimits = DEFAULT_LIMITS, source: str = "<yaml>") -> None:
        super().__init__(stream)
        self.limits = limits
        self.source = source
        self._aliases = 0
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        """Compose one node, counting it against the alias and depth limits first."""
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > self.limits.max_aliases:
                raise YamlLimitError(self.source, f"more than {self.limits.max_aliases:,} aliases (*name); {_WHY}",
                                     *_mark(event.start_mark))
            return super().compose_node(parent, index)
        self._depth += 1
        try:
            if self._depth > self.limits.max_depth:
                raise YamlLimitError(self.source, f"nested more than {self.limits.max_depth} levels deep",
                                     *_mark(event.start_mark))
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_object(self, node: Any, deep: bool = False) -> Any:
        """Build one value; a value PyYAML cannot represent becomes a ``ConstructorError`` at its position."""
        try:
            return super().construct_object(node, deep)
        except (ValueError, OverflowError) as exc:
            raise yaml.constructor.ConstructorError(None, None, f"cannot read this value: {exc}",
                                                    node.start_mark) from None


def measure(root: yaml.Node, limits: YamlLimits = DEFAULT_LIMITS, source: str = "<yaml>") -> tuple[int, int]:
    """``(values, characters)`` of the document once its aliases are expanded; ``YamlLimitError`` over a limit.

    Each node is measured once (shared nodes are what aliases point to), so this takes time linear
    in the size of the file however much the aliases would expand. A node reachable from itself
    (an anchor holding its own alias) is refused.
    """
    memo: dict[int, tuple[int, int, int]] = {}  # id(node) -> (values, characters, depth below)
    active: set[int] = set()

    def over(what: str, node: yaml.Node) -> YamlLimitError:
        return YamlLimitError(source, what, *_mark(node.start_mark))

    def visit(node: yaml.Node, level: int) -> tuple[int, int, int]:
        key = id(node)
        known = memo.get(key)
        if known is not None:
            if level + known[2] - 1 > limits.max_depth:
                raise over(f"nested more than {limits.max_depth} levels deep once its aliases are expanded", node)
            return known
        if key in active:
            raise over("an alias refers to a collection that contains it (a recursive alias); refused", node)
        if level > limits.max_depth:
            raise over(f"nested more than {limits.max_depth} levels deep once its aliases are expanded", node)
        if isinstance(node, yaml.ScalarNode):
            result = (1, len(node.value), 1)
        else:
            active.add(key)
            children = node.value if isinstance(node, yaml.SequenceNode) else [n for pair in node.value for n in pair]
            values, chars, depth = 1, 0, 0
            for child in children:
                child_values, child_chars, child_depth = visit(child, level + 1)
                values += child_values
                chars += child_chars
                depth = max(depth, child_depth)
                if values > limits.max_nodes:
                    raise over(f"more than {limits.max_nodes:,} values once its aliases are expanded; {_WHY}", node)
                if chars > limits.max_chars:
                    raise over(f"more than {limits.max_chars:,} characters of text once its aliases are expanded; "
                               f"{_WHY}", node)
            active.discard(key)
            result = (values, chars, depth + 1)
        memo[key] = result
        return result

    values, chars, _depth = visit(root, 1)
    return values, chars


def check_size(text: str | bytes, limits: YamlLimits = DEFAULT_LIMITS, source: str = "<yaml>") -> None:
    """``YamlLimitError`` when ``text`` is longer than ``limits.max_bytes`` (UTF-8 bytes)."""
    size = len(text) if isinstance(text, bytes) else len(text.encode("utf-8", errors="replace"))
    if size > limits.max_bytes:
        raise YamlLimitError(source, f"the input is {size:,} bytes; at most {limits.max_bytes:,} are read")


def compose_all(text: str | bytes, source: str = "<yaml>", limits: YamlLimits = DEFAULT_LIMITS) -> list[yaml.Node]:
    """The node graph of every document in ``text``, each within ``limits`` (nothing is constructed)."""
    check_size(text, limits, source)
    loader = BoundedLoader(text, limits, source)
    try:
        nodes = []
        while loader.check_node():
            node = loader.get_node()
            if node is not None:
                measure(node, limits, source)
                nodes.append(node)
        return nodes
    finally:
        loader.dispose()


def load(text: str | bytes, source: str = "<yaml>", limits: YamlLimits = DEFAULT_LIMITS) -> Any:
    """One YAML document as Python data, like ``yaml.safe_load``, within ``limits``.

    Raises ``YamlLimitError`` over a limit and ``yaml.YAMLError`` for invalid YAML.
    """
    check_size(text, limits, source)
    loader = BoundedLoader(text, limits, source)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        measure(node, limits, source)
        return loader.construct_document(node)
    finally:
        loader.dispose()
