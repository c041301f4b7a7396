"""Where acrguard calls the cloud, and which deployed function can reach each call: read from the source.

Every cloud API call goes through ``acrguard.clients.call(product, api, func, ...)`` or
``call_oss(api, func, ...)``. ``find_call_sites`` walks acrguard's source with ``ast`` and returns
each such call with its product and API name. The name is a string literal, a value of a
module-level dict literal indexed at the call (``ACTIONS[op.kind]``: every value counts), or a
parameter of a small wrapper whose callers pass a literal (``self._call("ListUsers", …)``);
anything else is returned as ``Unresolved`` so a test can refuse it.

Reachability (``Reachability``) is a graph of top-level *symbols* (a function, a class with all
its methods, or a module's own top-level code), not of modules: importing one helper from a module
(``from acrguard.whitelist.guard import finding_dict``) does not make the module's every API
reachable. The rules, all conservative:

* a module's top-level code (imports, assignments, decorated definitions, which a decorator may
  register) runs when any of its symbols, or any module beneath it, is imported;
* a reachable symbol reaches every acrguard symbol its body names, directly or through an
  imported module (``targets.build``), and every module its body imports;
* a class is one symbol: all its methods come with it (calls through ``self`` or through an
  object of a reachable class are not resolved, so all of them count);
* ``if TYPE_CHECKING:`` imports are not run, so they are no edges.

Dynamic imports are not followed; ``dynamic_imports`` lists them so a test can hold them to the
known ones (``acrguard.jobs.load`` imports the job module by name from a table).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

CLIENTS = "acrguard.clients"
MODULE = "<module>"  # the symbol standing for a module's own top-level code

Symbol = tuple[str, str]  # (module, top-level name or MODULE)


@dataclass(frozen=True)
class CallSite:
    """One cloud API call: ``product``/``api`` as passed to ``call``/``call_oss``, and where it is."""

    product: str
    api: str
    module: str
    symbol: str  # the top-level function or class that holds the call
    line: int

    @property
    def where(self) -> str:
        """``module:line`` for messages."""
        return f"{self.module}:{self.line}"


@dataclass(frozen=True)
class Unresolved:
    """A call to ``call``/``call_oss`` (or a wrapper of it) whose product or API name is not static."""

    module: str
    symbol: str
    line: int
    reason: str


@dataclass(frozen=True)
class DynamicImport:
    """An ``importlib.import_module``/``spec_from_file_location`` call, which the graph cannot follow."""

    module: str
    symbol: str
    line: int


@dataclass
class _Module:
    name: str
    tree: ast.Module
    is_package: bool
    symbols: dict[str, ast.stmt] = field(default_factory=dict)  # top-level defs and classes
    top_level: list[ast.stmt] = field(default_factory=list)  # everything else (runs on import)
    imports: dict[str, str] = field(default_factory=dict)  # local name -> "module" or "module:attr"
    dicts: dict[str, list[str]] = field(default_factory=dict)  # module-level NAME = {...: "str"} values


def _is_type_checking(node: ast.stmt) -> bool:
    if not isinstance(node, ast.If):
        return False
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or \
        (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _walk(nodes: Iterable[ast.AST]) -> Iterator[ast.AST]:
    """Every node beneath ``nodes``, skipping ``if TYPE_CHECKING:`` blocks."""
    stack = list(nodes)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.stmt) and _is_type_checking(node):
            stack.extend(getattr(node, "orelse", []))
            continue
        yield node
        stack.extend(ast.iter_child_nodes(node))


class SourceIndex:
    """acrguard's modules (and any extra entry files) parsed once."""

    def __init__(self, package_dir: Path, package: str = "acrguard", extra: dict[str, Path] | None = None) -> None:
        self.modules: dict[str, _Module] = {}
        for path in sorted(package_dir.rglob("*.py")):
            parts = list(path.relative_to(package_dir).with_suffix("").parts)
            is_package = parts[-1] == "__init__"
            if is_package:
                parts = parts[:-1]
            self._add(".".join([package, *parts]), path, is_package)
        for name, path in (extra or {}).items():
            self._add(name, path, False)
        for module in self.modules.values():  # once every module is known: ``from pkg import submodule``
            module.imports = self._imports(module, module.tree.body)
        self._edges: dict[Symbol, set[Symbol]] = {}

    def _add(self, name: str, path: Path, is_package: bool) -> None:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        module = _Module(name, tree, is_package)
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                module.symbols[node.name] = node
                if node.decorator_list:  # a decorator may register it: runs on import
                    module.top_level.append(node)
            elif not _is_type_checking(node):
                module.top_level.append(node)
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict):
                values = [v.value for v in node.value.values
                          if isinstance(v, ast.Constant) and isinstance(v.value, str)]
                for target in node.targets:
                    if isinstance(target, ast.Name) and len(values) == len(node.value.values):
                        module.dicts[target.id] = values
        self.modules[name] = module

    # -- names ---------------------------------------------------------------------------------
    def _absolute(self, module: _Module, node: ast.ImportFrom) -> str:
        if not node.level:
            return node.module or ""
        base = module.name if module.is_package else module.name.rpartition(".")[0]
        for _ in range(node.level - 1):
            base = base.rpartition(".")[0]
        return f"{base}.{node.module}" if node.module else base

    def _imports(self, module: _Module, body: Iterable[ast.AST]) -> dict[str, str]:
        """Local name -> ``module`` (a module) or ``module:attr`` (a name in a module), for imports in ``body``."""
        found: dict[str, str] = {}
        for node in _walk(body):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        found[alias.asname] = alias.name
                    else:
                        found[alias.name.split(".")[0]] = alias.name.split(".")[0]
            elif isinstance(node, ast.ImportFrom):
                source = self._absolute(module, node)
                for alias in node.names:
                    target = f"{source}.{alias.name}"
                    found[alias.asname or alias.name] = target if target in self.modules else f"{source}:{alias.name}"
        return found

    def _symbol_of(self, target: str, depth: int = 0) -> Symbol | None:
        """The acrguard symbol an import target names (a module's top-level code, or one of its names).

        A name a package re-exports (``from acrguard.routes.exports import publish_all``) is followed
        to where it is defined.
        """
        if ":" in target:
            name, _, attr = target.partition(":")
            if name not in self.modules:
                return None
            module = self.modules[name]
            if attr in module.symbols:
                return (name, attr)
            if attr in module.imports and depth < 10:
                return self._symbol_of(module.imports[attr], depth + 1) or (name, MODULE)
            return (name, MODULE)
        return (target, MODULE) if target in self.modules else None

    def _imported_modules(self, module: _Module, nodes: Iterable[ast.AST]) -> set[str]:
        """acrguard modules the import statements in ``nodes`` load (with their parent packages)."""
        loaded: set[str] = set()
        for node in _walk(nodes):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                source = self._absolute(module, node)
                names = [source] + [f"{source}.{alias.name}" for alias in node.names]
            for name in names:
                parts = name.split(".")
                loaded.update(".".join(parts[:i]) for i in range(1, len(parts) + 1)
                              if ".".join(parts[:i]) in self.modules)
        return loaded

    def _references(self, module: _Module, nodes: list[ast.AST]) -> set[Symbol]:
        """The acrguard symbols ``nodes`` name or import."""
        local = {**module.imports, **self._imports(module, nodes)}
        edges: set[Symbol] = {(name, MODULE) for name in self._imported_modules(module, nodes)}
        for node in _walk(nodes):
            if isinstance(node, ast.Name):
                if node.id in module.symbols:
                    edges.add((module.name, node.id))
                elif node.id in local:
                    symbol = self._symbol_of(local[node.id])
                    if symbol:
                        edges.add(symbol)
            elif isinstance(node, ast.Attribute):
                chain: list[str] = []
                base: ast.AST = node
                while isinstance(base, ast.Attribute):
                    chain.insert(0, base.attr)
                    base = base.value
                if isinstance(base, ast.Name) and base.id in local and ":" not in local[base.id]:
                    dotted = local[base.id]
                    for attr in chain:
                        if f"{dotted}.{attr}" in self.modules:
                            dotted = f"{dotted}.{attr}"
                            continue
                        if dotted in self.modules and attr in self.modules[dotted].symbols:
                            edges.add((dotted, attr))
                        break
                    if dotted in self.modules:
                        edges.add((dotted, MODULE))
        return edges

    # -- the graph -----------------------------------------------------------------------------
    def edges(self, symbol: Symbol) -> set[Symbol]:
        """What ``symbol`` reaches directly (its module's top-level code included)."""
        if symbol not in self._edges:
            self._edges[symbol] = self._compute_edges(symbol)
        return self._edges[symbol]

    def _compute_edges(self, symbol: Symbol) -> set[Symbol]:
        name, top = symbol
        module = self.modules[name]
        nodes: list[ast.AST] = list(module.top_level) if top == MODULE else [module.symbols[top]]
        found = self._references(module, nodes)
        found.add((name, MODULE))
        parts = name.split(".")
        found.update((".".join(parts[:i]), MODULE) for i in range(1, len(parts)) if ".".join(parts[:i]) in self.modules)
        if top == MODULE:
            found.discard(symbol)
        return found

    def reachable(self, roots: Iterable[Symbol]) -> set[Symbol]:
        """Every symbol reachable from ``roots``."""
        seen: set[Symbol] = set()
        todo = list(roots)
        while todo:
            symbol = todo.pop()
            if symbol in seen or symbol[0] not in self.modules:
                continue
            seen.add(symbol)
            todo.extend(self.edges(symbol) - seen)
        return seen

    def roots_of_file(self, name: str) -> set[Symbol]:
        """A module run as an entry point: its top-level code and every top-level function or class."""
        return {(name, MODULE), *((name, s) for s in self.modules[name].symbols)}

    # -- call sites ----------------------------------------------------------------------------
    def _enclosing(self, module: _Module) -> Iterator[tuple[str, list[ast.AST]]]:
        for name, node in module.symbols.items():
            yield name, [node]
        yield MODULE, [n for n in module.top_level if not isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef,
                                                                          ast.ClassDef))]

    def _callee(self, local: dict[str, str], node: ast.Call) -> str | None:
        func = node.func
        if isinstance(func, ast.Name) and local.get(func.id) in (f"{CLIENTS}:call", f"{CLIENTS}:call_oss"):
            return local[func.id].partition(":")[2]
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and \
                local.get(func.value.id) == CLIENTS and func.attr in ("call", "call_oss"):
            return func.attr
        return None

    def call_sites(self) -> tuple[list[CallSite], list[Unresolved]]:
        """Every ``call``/``call_oss`` in the index, resolved to (product, API) where it is static."""
        sites: list[CallSite] = []
        unresolved: list[Unresolved] = []
        for module in self.modules.values():
            if module.name == CLIENTS:
                continue
            for symbol, nodes in self._enclosing(module):
                local = {**module.imports, **self._imports(module, nodes)}
                for node in nodes:
                    self._scan(module, symbol, node, local, sites, unresolved)
        sites = sorted(set(sites), key=lambda c: (c.module, c.line, c.api))
        return sites, unresolved

    def _scan(self, module: _Module, symbol: str, root: ast.AST, local: dict[str, str], sites: list[CallSite],
              unresolved: list[Unresolved]) -> None:
        functions = [n for n in _walk([root]) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
        for node in _walk([root]):
            if not isinstance(node, ast.Call):
                continue
            callee = self._callee(local, node)
            if callee is None:
                continue
            if callee == "call":
                product_node = node.args[0] if node.args else None
                api_node = node.args[1] if len(node.args) > 1 else None
            else:
                product_node, api_node = ast.Constant("oss"), (node.args[0] if node.args else None)
            if not (isinstance(product_node, ast.Constant) and isinstance(product_node.value, str)):
                unresolved.append(Unresolved(module.name, symbol, node.lineno, "the product is not a string literal"))
                continue
            product = product_node.value
            for api, line, problem, where in self._api_names(module, symbol, functions, node, api_node):
                if problem:
                    unresolved.append(Unresolved(module.name, where, line, problem))
                else:
                    sites.append(CallSite(product, api, module.name, where, line))

    def _api_names(self, module: _Module, symbol: str, functions: list[ast.AST], call: ast.Call,
                   api_node: ast.AST | None) -> Iterator[tuple[str, int, str, str]]:
        """(API name, line, problem, top-level symbol of the line) for each name the call can pass."""
        if isinstance(api_node, ast.Constant) and isinstance(api_node.value, str):
            yield api_node.value, call.lineno, "", symbol
            return
        if isinstance(api_node, ast.Subscript) and isinstance(api_node.value, ast.Name) and \
                api_node.value.id in module.dicts:
            for value in module.dicts[api_node.value.id]:
                yield value, call.lineno, "", symbol
            return
        if isinstance(api_node, ast.Name):
            wrapper = next((f for f in functions if any(n is call for n in ast.walk(f))
                            and api_node.id in [a.arg for a in f.args.args]), None)  # type: ignore[attr-defined]
            if wrapper is not None:
                yield from self._wrapper_callers(module, wrapper, api_node.id)
                return
        yield ("", call.lineno, "the API name is neither a literal, a dict literal's value nor a wrapper's parameter",
               symbol)

    def _wrapper_callers(self, module: _Module, wrapper: ast.AST, param: str) -> Iterator[tuple[str, int, str, str]]:
        """Literal API names passed to a wrapper (``self.<name>(…)`` or ``<name>(…)``) in its module."""
        name = wrapper.name  # type: ignore[attr-defined]
        params = [a.arg for a in wrapper.args.args]  # type: ignore[attr-defined]
        index = params.index(param) - (1 if params and params[0] in ("self", "cls") else 0)
        found = False
        for node in _walk([module.tree]):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            if not ((isinstance(func, ast.Name) and func.id == name) or
                    (isinstance(func, ast.Attribute) and func.attr == name and isinstance(func.value, ast.Name)
                     and func.value.id in ("self", "cls"))):
                continue
            found = True
            where = self._symbol_at(module, node.lineno)
            arg = node.args[index] if len(node.args) > index else \
                next((k.value for k in node.keywords if k.arg == param), None)
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                yield arg.value, node.lineno, "", where
            else:
                yield "", node.lineno, f"{name}(…) is called with an API name that is not a string literal", where
        if not found:
            yield ("", wrapper.lineno, f"wrapper {name} passes {param} to call(), but nothing in its module calls it",  # type: ignore[attr-defined]
                   self._symbol_at(module, wrapper.lineno))  # type: ignore[attr-defined]

    @staticmethod
    def _symbol_at(module: _Module, line: int) -> str:
        for name, node in module.symbols.items():
            if node.lineno <= line <= (node.end_lineno or node.lineno):
                return name
        return MODULE

    def dynamic_imports(self) -> list[DynamicImport]:
        """``import_module``/``spec_from_file_location`` calls: imports the graph does not follow."""
        found = []
        for module in self.modules.values():
            for symbol, nodes in self._enclosing(module):
                for node in _walk(nodes):
                    if isinstance(node, ast.Call):
                        func = node.func
                        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                        if name in ("import_module", "spec_from_file_location", "__import__"):
                            found.append(DynamicImport(module.name, symbol, node.lineno))
        return found


def package_dir() -> Path:
    """The directory of the installed ``acrguard`` package (its source)."""
    import acrguard

    return Path(acrguard.__file__).resolve().parent


def entry_module(job: str) -> str:
    """The module name ``for_functions`` gives a function's entry file ``functions/<job>/index.py``."""
    return f"functions.{job}.index"


def for_functions(repo: Path, jobs: Iterable[str]) -> SourceIndex:
    """acrguard's source plus the functions' entry files (``functions/<job>/index.py`` under ``repo``)."""
    return SourceIndex(package_dir(), extra={entry_module(job): repo / "functions" / job / "index.py" for job in jobs})


def function_roots(index: SourceIndex, job: str) -> set[Symbol]:
    """Where a function starts: its entry file (handler, initializer) and its job module.

    ``acrguard.jobs.load`` imports the job module by name (``importlib``), an edge the graph cannot
    see, so the job module is a root of its own.
    """
    return index.roots_of_file(entry_module(job)) | {(f"acrguard.jobs.{job}", MODULE)}
