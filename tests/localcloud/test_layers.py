"""The local cloud's layers: an acyclic import graph, imports only downward, nothing from acrguard, a row per API."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from localcloud.authz.actions import ROWS, TABLE
from localcloud.core.state import CloudState, product_modules

PACKAGE = Path(__file__).resolve().parents[2] / "localcloud"

#: Bottom-up layers: a module may import its own layer and the layers below, never above.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("building blocks", ("localcloud.errors", "localcloud.clock", "localcloud.httpserver", "localcloud.service")),
    ("authorization", ("localcloud.authz",)),
    ("state", ("localcloud.core", "localcloud.products", "localcloud.chat", "localcloud.registry",
               "localcloud.ratelimit", "localcloud.worlds")),
    ("servers", ("localcloud.servers",)),
    ("the cloud", ("localcloud.cloud", "localcloud.__main__", "localcloud")),
)


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in PACKAGE.rglob("*.py")}


def _type_checking_lines(tree: ast.Module) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                lines.update(range(child.lineno, (child.end_lineno or child.lineno) + 1))
    return lines


def import_graph() -> dict[str, set[str]]:
    """Runtime imports between localcloud modules (type-only imports under ``TYPE_CHECKING`` left out).

    ``from localcloud.x import y`` counts as an import of ``localcloud.x.y`` when that is a module.
    The product modules ``CloudState`` loads by name count as imports of ``localcloud.core.state``.
    """
    modules = _modules()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        type_only = _type_checking_lines(tree)
        for node in ast.walk(tree):
            if getattr(node, "lineno", None) in type_only:
                continue
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [f"{node.module}.{alias.name}" if f"{node.module}.{alias.name}" in modules else node.module
                           for alias in node.names]
            graph[name].update(t for t in targets if t in modules and t != name)
    graph["localcloud.core.state"].update(f"localcloud.products.{m}" for m in product_modules())
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt):], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def _layer(module: str) -> int:
    best = None
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and (best is None or len(prefix) > best[1]):
                best = (index, len(prefix))
    assert best is not None, f"{module} belongs to no layer: add it to LAYERS"
    return best[0]


def test_the_import_graph_has_no_cycle():
    """No chain of runtime imports leads back to where it started."""
    assert _cycle(import_graph()) is None, " -> ".join(_cycle(import_graph()) or [])


def test_modules_import_only_their_layer_and_the_layers_below():
    """State never imports a server, authorization never imports state, nothing imports the cloud."""
    upward = [f"{src} ({LAYERS[_layer(src)][0]}) -> {dst} ({LAYERS[_layer(dst)][0]})"
              for src, targets in import_graph().items() for dst in targets if _layer(dst) > _layer(src)]
    assert upward == []


ACRGUARD = re.compile(r"^\s*(from|import)\s+acrguard\b|files\(\s*['\"]acrguard|['\"]acrguard/data", re.MULTILINE)


def test_localcloud_uses_nothing_of_acrguard():
    """No module imports acrguard or reads its data files: the witness does not reason like the product."""
    offenders = [str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py")
                 if ACRGUARD.search(p.read_text(encoding="utf-8"))]
    assert offenders == []


def _emulated() -> set[tuple[str, str]]:
    state = CloudState()
    apis = {(s.product, a) for s in state.services_by_product.values() for a in s.actions}
    apis |= {(s.product, r.action) for s in state.services_by_product.values() for r in s.routes}
    return apis | {("oss", op) for op in ("PutObject", "GetObject", "HeadObject", "DeleteObject", "ListObjectsV2")}


def test_every_emulated_api_has_an_authorization_row():
    """An API without a row would be refused to every RAM identity: whoever adds an API adds its row."""
    assert sorted(_emulated() - set(TABLE)) == []


@pytest.mark.parametrize("row", ROWS, ids=lambda r: f"{r.product}.{r.api}")
def test_every_row_names_an_emulated_api_and_its_source(row):
    """No row outlives its API, and each says where its action and resources come from."""
    assert (row.product, row.api) in _emulated()
    assert row.source
    assert row.action is None or re.fullmatch(r"[a-z]+:[A-Z][A-Za-z]+", row.action)
