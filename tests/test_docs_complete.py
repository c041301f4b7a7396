"""The reference pages are complete: every alert rule the code can raise is in the rule catalogue of
``docs/alerts.md``, and every key of the config file is in ``docs/configuration.md`` under its section.

Rules are found by reading the source (``ast``), in the forms the modules build them:

* **literal**: ``Finding(rule="whitelist.changed", ...)`` or ``Finding("x.y", ...)``;
* **constant**: a module's ``RULE = "deploy.drift"``, also imported from another module
  (``from acrguard.pullkeys.audit import RULE_CONFIGMAP_INVALID``) or read as ``module.NAME``;
* **local**: a name the function assigns literals to (``rule, severity = "whitelist.host-no-address", ...``),
  or the items of the tuples a function of the module returns (``rule, ... = _refusal(...)``);
* **helper**: a function that passes one of its parameters as the rule, alone or inside an f-string
  (``Finding(rule=f"routes.auth-{rule}")``), and the values its callers give that parameter, through
  further helpers (a nested ``unknown(rule, ...)``), methods (``self._stop(run, "routes.targets-invalid")``)
  and module aliases (``notes.trouble("routes.state-unreadable", ...)``);
* **table**: a module's dict of rule ids read by subscript (``RULES[issue.kind]``), also through
  ``.replace("pullkey.", "readonly.", 1)`` and conditional expressions.

A rule argument in no such form fails the test (``test_every_rule_argument_is_understood``), so a new
form is added here rather than missed. Config keys are found by walking the config models from
``AcrguardConfig`` (their fields and type hints, recursively).
"""

from __future__ import annotations

import ast
import functools
import itertools
import re
import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from markdown_it import MarkdownIt

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "shared" / "acrguard"
ALERTS_PAGE = REPO / "docs" / "alerts.md"
CONFIG_PAGE = REPO / "docs" / "configuration.md"
_MARKDOWN = MarkdownIt("commonmark").enable("table")

#: functions that rebuild a finding the state kept (its rule was raised elsewhere), by module and function
REBUILDS = {("acrguard.alerts.records", "finding_from_record"), ("acrguard.org.outcomes", "from_dict")}
#: ids the code can spell but never raises, and why
NEVER_RAISED = {
    "readonly.missing-permissions": "the read-only reference judges writes only (acrguard.policy.verdict: "
                                    "_judge_read_only makes no missing-permission issue)",
    "readonly.unscoped-pull": "the read-only reference judges writes only (no unscoped-pull issue either)",
}


# -- rule ids from the source ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Param:
    """A helper's parameter inside a rule template, to be filled in by its callers."""

    name: str


#: a rule as built: literal text and parameters (all text: a rule id)
Template = tuple["str | Param", ...]


@dataclass
class Module:
    """One parsed module: its constants, rule tables, imports and functions."""

    name: str
    tree: ast.Module
    constants: dict[str, str] = field(default_factory=dict)
    tables: dict[str, list[str]] = field(default_factory=dict)
    #: local name -> (module, attribute), attribute None for a module imported whole
    imports: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    functions: dict[str, list[ast.FunctionDef]] = field(default_factory=dict)


@dataclass(frozen=True)
class Site:
    """A call in a module, and the function it is made in (None at module level)."""

    module: str
    function: ast.FunctionDef | None
    call: ast.Call


@dataclass
class Extraction:
    """Every rule id found, the helpers that build rules from a parameter, and what could not be read."""

    rules: set[str] = field(default_factory=set)
    #: (module, function) -> the rule templates it builds, each with the parameters its callers fill in
    helpers: dict[tuple[str, str], list[tuple[Template, tuple[str, ...]]]] = field(default_factory=dict)
    unresolved: list[tuple[str, str, int, str]] = field(default_factory=list)  # module, function, line, argument


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def load_modules(root: Path = PACKAGE) -> dict[str, Module]:
    """Every module of the package under ``root``, parsed."""
    modules = {}
    for path in sorted(root.rglob("*.py")):
        name = _module_name(path, root)
        module = Module(name, ast.parse(path.read_text(encoding="utf-8"), str(path)))
        for node in module.tree.body:
            target = node.targets[0] if isinstance(node, ast.Assign) and len(node.targets) == 1 else \
                node.target if isinstance(node, ast.AnnAssign) else None
            value = node.value if isinstance(node, (ast.Assign, ast.AnnAssign)) else None
            if isinstance(target, ast.Name) and isinstance(value, ast.Constant) and isinstance(value.value, str):
                module.constants[target.id] = value.value
            elif isinstance(target, ast.Name) and isinstance(value, ast.Dict) and value.values and all(
                    isinstance(v, ast.Constant) and isinstance(v.value, str) for v in value.values):
                module.tables[target.id] = [v.value for v in value.values]  # type: ignore[union-attr]
        for node in ast.walk(module.tree):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                for alias in node.names:
                    module.imports[alias.asname or alias.name] = (node.module, alias.name)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    module.imports[alias.asname or alias.name.split(".")[0]] = (alias.name, None)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                module.functions.setdefault(node.name, []).append(node)  # type: ignore[arg-type]
        modules[name] = module
    for module in modules.values():  # ``from acrguard.x import y`` where y is a module: a module alias
        for local, (source, attribute) in list(module.imports.items()):
            if attribute is not None and f"{source}.{attribute}" in modules:
                module.imports[local] = (f"{source}.{attribute}", None)
    return modules


def _own_nodes(function: ast.AST) -> Iterator[ast.AST]:
    """The nodes of a function's body, not those of functions or classes defined inside it."""
    stack = list(ast.iter_child_nodes(function))
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            stack.extend(ast.iter_child_nodes(node))


def _positional(function: ast.FunctionDef) -> list[str]:
    """The parameters a call may give by position."""
    return [a.arg for a in [*function.args.posonlyargs, *function.args.args]]


def _params(function: ast.FunctionDef | None) -> list[str]:
    if function is None:
        return []
    args = function.args
    return [a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]]


def _product(choices: list[list[Template]]) -> list[Template]:
    return [tuple(itertools.chain.from_iterable(parts)) for parts in itertools.product(*choices)]


class Resolver:
    """What text an expression can hold, as templates (None when it cannot be told from the source)."""

    def __init__(self, modules: dict[str, Module]) -> None:
        self.modules = modules

    def constant(self, module: Module, name: str, depth: int = 0) -> list[Template] | None:
        """A module-level constant or table, or one imported from another module of the package."""
        if name in module.constants:
            return [(module.constants[name],)]
        source, attribute = module.imports.get(name, ("", None))
        if attribute is not None and source in self.modules and depth < 5:
            return self.constant(self.modules[source], attribute, depth + 1)
        return None

    def table(self, module: Module, name: str, depth: int = 0) -> list[str] | None:
        """The values of a module's dict of rule ids (or one imported)."""
        if name in module.tables:
            return module.tables[name]
        source, attribute = module.imports.get(name, ("", None))
        if attribute is not None and source in self.modules and depth < 5:
            return self.table(self.modules[source], attribute, depth + 1)
        return None

    def resolve(self, expr: ast.expr, module: Module, function: ast.FunctionDef | None,
                depth: int = 0) -> list[Template] | None:
        """The templates ``expr`` may evaluate to inside ``function`` of ``module``."""
        if depth > 12:
            return None
        if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
            return [(expr.value,)]
        if isinstance(expr, ast.JoinedStr):
            choices = []
            for part in expr.values:
                inner = (self.resolve(part.value, module, function, depth + 1) if isinstance(part, ast.FormattedValue)
                         else self.resolve(part, module, function, depth + 1))  # type: ignore[arg-type]
                if inner is None:
                    return None
                choices.append(inner)
            return _product(choices)
        if isinstance(expr, ast.IfExp):
            body = self.resolve(expr.body, module, function, depth + 1)
            orelse = self.resolve(expr.orelse, module, function, depth + 1)
            return None if body is None or orelse is None else body + orelse
        if isinstance(expr, ast.Name):
            return self._name(expr.id, module, function, depth)
        if isinstance(expr, ast.Attribute) and isinstance(expr.value, ast.Name):
            source, attribute = module.imports.get(expr.value.id, ("", ""))
            if attribute is None and source in self.modules:
                return self.constant(self.modules[source], expr.attr)
            return None
        if isinstance(expr, ast.Subscript) and isinstance(expr.value, ast.Name):
            values = self.table(module, expr.value.id)
            return None if values is None else [(v,) for v in values]
        if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute) and expr.func.attr == "replace" \
                and all(isinstance(a, ast.Constant) for a in expr.args) and len(expr.args) in (2, 3):
            inner = self.resolve(expr.func.value, module, function, depth + 1)
            if inner is None or any(isinstance(p, Param) for t in inner for p in t):
                return None
            args = [a.value for a in expr.args]  # type: ignore[attr-defined]
            return [("".join(t).replace(*args),) for t in inner]  # type: ignore[arg-type]
        return None

    def _name(self, name: str, module: Module, function: ast.FunctionDef | None, depth: int) -> list[Template] | None:
        if function is not None and name in _params(function):
            return [(Param(name),)]
        if function is not None:
            found = self._locals(name, module, function, depth)
            if found is not None:
                return found or None
        return self.constant(module, name)

    def _locals(self, name: str, module: Module, function: ast.FunctionDef, depth: int) -> list[Template] | None:
        """What the function assigns to ``name`` (None when it assigns nothing; [] when it cannot be told)."""
        assigned = False
        values: list[Template] = []
        for node in _own_nodes(function):
            if not isinstance(node, ast.Assign):
                continue
            for target in node.targets:
                found = self._assigned(name, target, node.value, module, function, depth)
                if found is None:
                    continue
                assigned = True
                if not found:
                    return []
                values += found
        return values if assigned else None

    def _assigned(self, name: str, target: ast.expr, value: ast.expr, module: Module, function: ast.FunctionDef,
                  depth: int) -> list[Template] | None:
        """The values ``target = value`` gives ``name`` (None: it does not assign it; []: unknown)."""
        if isinstance(target, ast.Name):
            return None if target.id != name else (self.resolve(value, module, function, depth + 1) or [])
        if not isinstance(target, ast.Tuple):
            return None
        index = next((i for i, t in enumerate(target.elts) if isinstance(t, ast.Name) and t.id == name), None)
        if index is None:
            return None
        if isinstance(value, ast.Tuple) and len(value.elts) == len(target.elts):
            return self.resolve(value.elts[index], module, function, depth + 1) or []
        if isinstance(value, ast.Call) and isinstance(value.func, ast.Name):
            out: list[Template] = []
            for callee in module.functions.get(value.func.id, []):
                for node in _own_nodes(callee):
                    if isinstance(node, ast.Return) and isinstance(node.value, ast.Tuple) \
                            and len(node.value.elts) == len(target.elts):
                        found = self.resolve(node.value.elts[index], module, callee, depth + 1)
                        if found is None:
                            return []
                        out += found
            return out
        return []


def _calls(module: Module) -> Iterator[Site]:
    """Every call of the module with the function it is made in."""
    def visit(node: ast.AST, function: ast.FunctionDef | None) -> Iterator[Site]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Call):
                yield Site(module.name, function, child)
            inner = child if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)) else function
            yield from visit(child, inner)  # type: ignore[arg-type]
    yield from visit(module.tree, None)


def _argument(call: ast.Call, position: int, name: str) -> ast.expr | None:
    for keyword in call.keywords:
        if keyword.arg == name:
            return keyword.value
    if position < 0 or position >= len(call.args) or any(isinstance(a, ast.Starred) for a in call.args[:position + 1]):
        return None
    return call.args[position]


def _is_finding(call: ast.Call, module: Module) -> bool:
    func = call.func
    if isinstance(func, ast.Name):
        return func.id == "Finding" and (module.imports.get("Finding", ("",))[0] == "acrguard.findings"
                                         or module.name == "acrguard.findings")
    return isinstance(func, ast.Attribute) and func.attr == "Finding"


def _targets(call: ast.Call, caller: Module, helper_module: str, helper: ast.FunctionDef) -> int | None:
    """The positional offset with which ``call`` calls ``helper`` (None: it does not call it)."""
    func = call.func
    if isinstance(func, ast.Name) and func.id == helper.name:
        same = caller.name == helper_module
        imported = caller.imports.get(func.id) == (helper_module, helper.name)
        return 0 if same or imported else None
    if isinstance(func, ast.Attribute) and func.attr == helper.name and isinstance(func.value, ast.Name):
        if func.value.id in ("self", "cls") and caller.name == helper_module:
            return 1 if _params(helper)[:1] in (["self"], ["cls"]) else 0
        if caller.imports.get(func.value.id) == (helper_module, None):
            return 0
    return None


def extract_rules(root: Path = PACKAGE) -> Extraction:
    """Every rule id the package under ``root`` can build (see the module docstring for the forms)."""
    modules = load_modules(root)
    resolver = Resolver(modules)
    result = Extraction()
    sites = {name: list(_calls(module)) for name, module in modules.items()}

    def record(site: Site, templates: list[Template] | None, what: ast.expr) -> None:
        module = modules[site.module]
        function = site.function.name if site.function is not None else "<module>"
        if templates is None:
            if (site.module, function) not in REBUILDS:
                result.unresolved.append((site.module, function, site.call.lineno, ast.unparse(what)))
            return
        for template in templates:
            params = tuple(p.name for p in template if isinstance(p, Param))
            if not params:
                result.rules.add("".join(template))  # type: ignore[arg-type]
            elif site.function is not None:
                known = result.helpers.setdefault((module.name, site.function.name), [])
                if (template, params) not in known:
                    known.append((template, params))
                    pending.append((module.name, site.function))

    def record_call(site: Site, caller: Module, template: Template, positional: list[str], offset: int) -> None:
        choices: list[list[Template]] = []
        for part in template:
            if not isinstance(part, Param):
                choices.append([(part,)])
                continue
            index = positional.index(part.name) - offset if part.name in positional else -1
            argument = _argument(site.call, index, part.name)
            values = None if argument is None else resolver.resolve(argument, caller, site.function)
            if values is None:
                record(site, None, argument if argument is not None else site.call)
                return
            choices.append(values)
        record(site, _product(choices), site.call)

    pending: list[tuple[str, ast.FunctionDef]] = []
    for name, module in modules.items():
        for site in sites[name]:
            if _is_finding(site.call, module):
                argument = _argument(site.call, 0, "rule")
                if argument is None:
                    argument = site.call  # no rule given: not understood
                    record(site, None, argument)
                else:
                    record(site, resolver.resolve(argument, module, site.function), argument)
    done: set[tuple[str, int, Template]] = set()
    called: set[tuple[str, int]] = set()
    while pending:
        helper_module, helper = pending.pop()
        for template, _ in list(result.helpers[(helper_module, helper.name)]):
            if (helper_module, helper.lineno, template) in done:
                continue
            done.add((helper_module, helper.lineno, template))
            positional = _positional(helper)
            for caller_name, caller in modules.items():
                for site in sites[caller_name]:
                    offset = _targets(site.call, caller, helper_module, helper)
                    if offset is not None:
                        called.add((helper_module, helper.lineno))
                        record_call(site, caller, template, positional, offset)
    for (helper_module, name), _ in result.helpers.items():  # a helper no call reaches: its callers are not read
        for helper in modules[helper_module].functions.get(name, []):
            if (helper_module, helper.lineno) not in called:
                result.unresolved.append((helper_module, name, helper.lineno, "<no call of this helper found>"))
    return result


def catalogued_rules(page: Path = ALERTS_PAGE) -> set[str]:
    """The rule ids in the first column of the tables of the page's "Rule catalogue" section."""
    tokens = _MARKDOWN.parse(page.read_text(encoding="utf-8"))
    found: set[str] = set()
    inside = False
    cell = -1
    for index, token in enumerate(tokens):
        if token.type == "heading_open" and token.tag == "h2":
            inside = tokens[index + 1].content.strip() == "Rule catalogue"
        elif token.type == "tr_open":
            cell = -1
        elif token.type in ("td_open", "th_open"):
            cell += 1
        elif inside and cell == 0 and token.type == "inline":
            found |= {child.content for child in token.children or [] if child.type == "code_inline"}
        elif token.type == "tr_close":
            cell = -1
    return found


# -- config keys from the models ----------------------------------------------------------------------------

def _models_in(hint: object) -> tuple[str, list[type]]:
    """The config models inside a field's type, and how they nest (``[]`` a list, ``.<name>`` a map)."""
    from acrguard.config.schema import BaseModel

    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is typing.Annotated:
        return _models_in(args[0])
    if origin in (typing.Union, types.UnionType):
        nesting, models = "", []
        for member in args:
            inner, found = _models_in(member)
            if found:
                nesting, models = inner, models + found
        return nesting, models
    if origin is tuple and args:
        inner, found = _models_in(args[0])
        return "[]" + inner, found
    if origin is dict and len(args) == 2:
        inner, found = _models_in(args[1])
        return ".<name>" + inner, found
    if isinstance(hint, type) and issubclass(hint, BaseModel):
        return "", [hint]
    return "", []


def config_keys(model: type | None = None, prefix: str = "") -> dict[str, bool]:
    """Every key of the config file by path (``instances[].routes.targets[].route_table_id``), True for a section."""
    if model is None:
        from acrguard.config.model import AcrguardConfig

        model = AcrguardConfig
    keys: dict[str, bool] = {}
    hints = typing.get_type_hints(model, include_extras=True)
    for name in model.model_fields:  # type: ignore[attr-defined]
        nesting, models = _models_in(hints[name])
        path = prefix + name
        keys[path] = keys.get(path, False) or bool(models)
        for inner in models:
            keys.update({k: keys.get(k, False) or v for k, v in config_keys(inner, f"{path}{nesting}.").items()})
    return keys


_PLACEHOLDER = re.compile(r"<[^>]*>")


def _normal(path: str) -> str:
    return _PLACEHOLDER.sub("<>", path)


@dataclass
class Block:
    """A part of the reference: a heading or a bold lead-in naming a key, and the code spans of its table rows."""

    path: str
    rows: list[list[list[str]]] = field(default_factory=list)  # row -> cell -> code spans


def reference_blocks(text: str) -> list[Block]:
    """The blocks of the page's "Reference" section: ``### `cloud` ``, ``**`targets[]`**`` lead-ins and their rows."""
    tokens = _MARKDOWN.parse(text)
    blocks: list[Block] = []
    inside = False
    heading = ""
    row: list[list[str]] | None = None
    for index, token in enumerate(tokens):
        if token.type == "heading_open":
            title = tokens[index + 1]
            if token.tag == "h2":
                inside = title.content.strip() == "Reference"
                continue
            if inside:
                spans = [c.content for c in title.children or [] if c.type == "code_inline"]
                heading = _normal(spans[0]) if spans else ""
                blocks.append(Block(heading))
        elif inside and token.type == "paragraph_open" and blocks:
            children = [c for c in tokens[index + 1].children or [] if c.type != "text" or c.content]
            if len(children) > 1 and children[0].type == "strong_open" and children[1].type == "code_inline":
                lead = _normal(children[1].content)
                blocks.append(Block(f"{heading}.{lead}" if heading and not lead.startswith(heading) else lead))
        elif inside and token.type == "tr_open" and blocks:
            row = []
            blocks[-1].rows.append(row)
        elif inside and token.type in ("td_open", "th_open") and row is not None:
            row.append([])
        elif inside and token.type == "inline" and row is not None and row:
            row[-1] += [_normal(c.content) for c in token.children or [] if c.type == "code_inline"]
        elif token.type == "tr_close":
            row = None
    return blocks


def _under(path: str, block: str) -> bool:
    return block == "" or path == block or path.startswith(block + ".") or path.startswith(block + "[]")


def undocumented_keys(keys: dict[str, bool], text: str) -> list[str]:
    """The keys the page does not name in the block of their section (see ``test_every_config_key_is_documented``)."""
    blocks = reference_blocks(text)
    paths = {block.path for block in blocks}
    missing = []
    for key, section in keys.items():
        path = _normal(key)
        if path in paths:
            continue
        block = max((b for b in blocks if _under(path, b.path)), key=lambda b: len(b.path), default=None)
        if block is None:
            missing.append(key)
            continue
        relative = path[len(block.path) + 1:] if block.path else path
        parent, _, leaf = relative.rpartition(".")
        spans = [span for row in block.rows for cell in row for span in cell]
        if relative in spans:
            continue
        if parent and any(row and parent in row[0] and any(leaf in cell for cell in row) for row in block.rows):
            continue
        if section and any(span.startswith((relative + ".", relative + "[]")) for span in spans):
            continue
        missing.append(key)
    return missing


# -- the tests ------------------------------------------------------------------------------------------------

@functools.cache
def code_rules() -> Extraction:
    """What the extractor finds in acrguard (read once for the tests below)."""
    return extract_rules()


def test_every_rule_argument_is_understood() -> None:
    """Every ``Finding`` rule in the code is in a form the extractor reads, or rebuilds a stored finding."""
    result = code_rules()
    assert result.unresolved == []
    assert len(result.rules) > 80


def test_every_rule_the_code_can_raise_is_in_the_catalogue() -> None:
    """docs/alerts.md's rule catalogue has a row for each rule id the code can raise."""
    rules = code_rules().rules
    assert set(NEVER_RAISED) <= rules, "a NEVER_RAISED id is no longer built by the code: drop it"
    assert sorted(rules - set(NEVER_RAISED) - catalogued_rules()) == []


def test_the_catalogue_names_no_rule_the_code_does_not_have() -> None:
    """Every rule id in the catalogue's first column is one the code can raise (no stale rows); a pattern such as
    ``routes.auth-*`` sums up rows listed one by one."""
    listed = {rule for rule in catalogued_rules() if "*" not in rule}
    assert sorted(listed - code_rules().rules) == []


def test_the_extractor_finds_each_form(tmp_path: Path) -> None:
    """Literal, constant, imported constant, local, tuple-returning function, helper (nested, method, module
    alias, f-string), table with ``replace``: each yields its rule; a form it cannot read is reported."""
    package = tmp_path / "acrguard"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "findings.py").write_text("class Finding:\n    pass\n")
    (package / "rules.py").write_text('SHARED = "x.imported"\nPREFIX = "x.notice"\n')
    (package / "helpers.py").write_text(
        "from acrguard.findings import Finding\n"
        "def trouble(rule, what):\n"
        "    return Finding(rule=rule, severity=None)\n")
    (package / "job.py").write_text(
        "from acrguard.findings import Finding\n"
        "from acrguard import helpers as notes\n"
        "from acrguard.rules import SHARED, PREFIX\n"
        'RULE = "x.constant"\n'
        'TABLE = {1: "pull.a", 2: "pull.b"}\n'
        "def literal():\n"
        '    return [Finding(rule="x.literal"), Finding("x.positional"), Finding(RULE), Finding(SHARED),\n'
        '            Finding(f"{PREFIX}.export")]\n'
        "def local(flag):\n"
        '    rule, severity = "x.local-a", 1\n'
        "    if flag:\n"
        '        rule, severity = "x.local-b", 1\n'
        "    return Finding(rule=rule)\n"
        "def _choice(kind):\n"
        '    if kind:\n        return "c-one", 1\n'
        '    return "c-two", 2\n'
        "def _finding(rule):\n"
        '    return Finding(rule=f"x.auth-{rule}")\n'
        "def probe(kind):\n"
        "    def unknown(rule, title):\n"
        "        return _finding(rule)\n"
        "    rule, title = _choice(kind)\n"
        '    return [unknown("nested", ""), unknown(rule, title), _finding("direct")]\n'
        "class Keeper:\n"
        "    def _stop(self, run, rule):\n"
        '        return notes.trouble(rule, "what")\n'
        "    def run(self, run):\n"
        '        return self._stop(run, "x.method")\n'
        "def table(kind, pull):\n"
        '    rule = TABLE[kind] if pull else TABLE[kind].replace("pull.", "ro.", 1)\n'
        "    return Finding(rule=rule)\n"
        "def unknown_form(data):\n"
        '    return Finding(rule=data["rule"])\n')
    result = extract_rules(package)
    assert result.rules == {
        "x.literal", "x.positional", "x.constant", "x.imported", "x.notice.export", "x.local-b",
        "x.auth-nested", "x.auth-c-one", "x.auth-c-two", "x.auth-direct", "x.method",
        "pull.a", "pull.b", "ro.a", "ro.b", "x.local-a"}
    assert [(m, f, a) for m, f, _, a in result.unresolved] == [("acrguard.job", "unknown_form", "data['rule']")]


def test_the_extractor_finds_a_known_rule_of_each_form_in_the_code() -> None:
    """The forms exist in acrguard and are read: a sample rule of each."""
    rules = code_rules().rules
    samples = {
        "literal": "whitelist.changed",  # Finding(rule="whitelist.changed", ...)
        "constant": "deploy.drift",  # RULE = "deploy.drift"
        "imported constant": "pullkey.configmap-invalid",  # clusterfindings imports it from audit
        "local": "whitelist.host-no-address",  # rule, severity = "whitelist.host-no-address", ...
        "tuple from a function": "routes.auth-realm-public",  # rule, ... = _refusal(...)
        "helper with an f-string": "routes.dns-unknown",  # _finding("dns-unknown") -> f"routes.{rule}"
        "helper through a nested helper": "routes.auth-unexpected-status",  # unknown("unexpected-status")
        "f-string of a constant": "routes.changed.export",  # f"{NOTICE_PREFIX}.export"
        "method helper": "routes.targets-invalid",  # self._stop(run, "routes.targets-invalid", ...)
        "module alias helper": "routes.state-unreadable",  # notes.trouble("routes.state-unreadable", ...)
        "table": "pullkey.unscoped-pull",  # RULES[issue.kind]
        "table with replace": "readonly.excess-permissions",  # RULES[...].replace("pullkey.", "readonly.", 1)
    }
    assert {form: rule for form, rule in samples.items() if rule not in rules} == {}


def test_the_catalogue_reader_takes_the_first_column_of_the_catalogue_only(tmp_path: Path) -> None:
    """Rule ids count in the first column of the catalogue's tables, not in prose or in other sections."""
    page = tmp_path / "alerts.md"
    page.write_text("# Alerts\n\n`a.prose`\n\n| Rule | x |\n|---|---|\n| `a.before` | `a.cell` |\n\n"
                    "## Rule catalogue\n\nText `a.text`.\n\n| Rule | Meaning |\n|---|---|\n"
                    "| `a.one`, `a.two` | uses `a.three` |\n\n### Sub\n\n| Rule | |\n|---|---|\n| `a.four` | |\n\n"
                    "## After\n\n| Rule | |\n|---|---|\n| `a.after` | |\n", encoding="utf-8")
    assert catalogued_rules(page) == {"a.one", "a.two", "a.four"}


def test_every_config_key_is_documented() -> None:
    """docs/configuration.md names every key of every config model, in the table of its section.

    A key counts when, in the block of its section (the deepest ``### `section` `` heading or
    ``**`list[]`**`` lead-in above it), a table row holds it as a code span (its path relative to the
    block: ``retry.max_attempts`` under ``cloud``), or the row of its parent names it (``cidr`` in the
    row of ``entries[]``); a section counts when it has a block of its own or rows of its keys.
    """
    keys = config_keys()
    assert {"cloud.retry.max_attempts", "instances[].routes.targets[].route_table_id",
            "organization.accounts[].id", "pull_keys.clusters.addon_secret"} <= set(keys)
    assert undocumented_keys(keys, CONFIG_PAGE.read_text(encoding="utf-8")) == []


def test_a_missing_config_key_is_reported() -> None:
    """Removing a key's row, or putting it in another section's table, makes it undocumented."""
    keys = {"cloud": True, "cloud.region": False, "cloud.retry": True, "cloud.retry.max_attempts": False,
            "items": True, "items[].name": False, "items[].entries": True, "items[].entries[].cidr": False,
            "items[].ops": True, "items[].ops.<name>.limit": False}
    page = ("# Config\n\n## Reference\n\n### Top level\n\n| key | |\n|---|---|\n| `cloud` | |\n| `items` | |\n\n"
            "### `cloud`\n\n| key | |\n|---|---|\n| `region` | |\n| `retry.max_attempts` | |\n\n"
            "### `items[]`\n\n| key | |\n|---|---|\n| `name` | |\n| `entries[]` | each with `cidr` |\n| `ops` | |\n\n"
            "**`ops.<operation>`**:\n\n| key | |\n|---|---|\n| `limit` | |\n")
    assert undocumented_keys(keys, page) == []
    assert undocumented_keys(keys, page.replace("| `region` | |\n", "")) == ["cloud.region"]
    assert undocumented_keys(keys, page.replace("| `limit` | |\n", "")) == ["items[].ops.<name>.limit"]
    moved = page.replace("| `name` | |\n", "").replace("| `region` | |\n", "| `region` | |\n| `name` | |\n")
    assert undocumented_keys(keys, moved) == ["items[].name"]
    assert undocumented_keys(keys, page.replace("each with `cidr`", "each with a CIDR")) == [
        "items[].entries[].cidr"]

