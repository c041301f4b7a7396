"""The fidelity page (docs/localcloud-fidelity.md) covers every module, names a source per row and lists every code."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "localcloud"
PAGE = REPO / "docs" / "localcloud-fidelity.md"
TABLE_HEADER = ("behaviour", "localcloud", "source")
#: codes a handler passes for success, not errors (a chat robot's ``errcode`` 0)
SUCCESS_CODES = {"0"}


# -- the page ---------------------------------------------------------------------------------------

@dataclass
class Section:
    """One ``## `` section of the page: its title, the modules its ``Code:`` paragraph names, its tables."""

    title: str
    modules: set[str] = field(default_factory=set)
    tables: list[list[list[str]]] = field(default_factory=list)


def _cells(line: str) -> list[str]:
    """The cells of a Markdown table row (``\\|`` is a pipe inside a cell)."""
    return [cell.strip() for cell in re.split(r"(?<!\\)\|", line.strip())[1:-1]]


def parse_page(text: str) -> list[Section]:
    """The page's sections, each with its ``Code:`` modules and its ``behaviour | localcloud | source`` tables."""
    sections: list[Section] = []
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        line = lines[index]
        if line.startswith("## "):
            sections.append(Section(line[3:].strip()))
        elif sections and line.startswith("Code:"):
            paragraph = [line]
            while index + 1 < len(lines) and lines[index + 1].strip():
                index += 1
                paragraph.append(lines[index])
            sections[-1].modules |= set(re.findall(r"`(localcloud/[\w/]+\.py)`", " ".join(paragraph)))
        elif sections and line.startswith("|") and tuple(_cells(line)) == TABLE_HEADER:
            rows = []
            index += 2  # the header and its |---| line
            while index < len(lines) and lines[index].startswith("|"):
                rows.append(_cells(lines[index]))
                index += 1
            sections[-1].tables.append(rows)
            continue
        index += 1
    return sections


# -- the codes the local cloud raises ---------------------------------------------------------------

def _code_parameters(tree: ast.Module) -> tuple[dict[str, int], dict[str, int]]:
    """Functions with a ``code`` parameter (its position) and classes built with one (its position, no self)."""
    functions: dict[str, int] = {}
    classes: dict[str, int] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            names = [arg.arg for arg in node.args.args]
            if "code" in names:
                functions[node.name] = names.index("code")
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and item.name == "__init__":
                    names = [arg.arg for arg in item.args.args]
                    if "code" in names:
                        classes[node.name] = names.index("code") - 1
            fields = [item.target.id for item in node.body
                      if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name)]
            if "code" in fields and node.name not in classes:
                classes[node.name] = fields.index("code")
    return functions, classes


def raised_codes(package: Path = PACKAGE) -> dict[str, set[str]]:
    """Every error code the package passes as a ``code`` (``CloudError("X", ...)``, ``_failure("X")``, ...).

    A code is a string or integer literal, or a module constant, given as the ``code`` argument of
    a class or function that takes one. A code built with an f-string (``f"EntityNotExist.{kind}.Policy"``)
    is returned as ``re:<pattern>``. Maps each code to the files that raise it.
    """
    trees = {path: ast.parse(path.read_text(encoding="utf-8")) for path in sorted(package.rglob("*.py"))}
    classes: dict[str, int] = {}
    for tree in trees.values():
        classes.update(_code_parameters(tree)[1])
    found: dict[str, set[str]] = {}
    for path, tree in trees.items():
        functions = _code_parameters(tree)[0]
        constants = {target.id: node.value.value for node in tree.body
                     if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
                     for target in node.targets if isinstance(target, ast.Name)}
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            position = functions.get(name, classes.get(name))
            if position is None:
                continue
            arguments = [keyword.value for keyword in node.keywords if keyword.arg == "code"]
            if len(node.args) > position:
                arguments.append(node.args[position])
            for argument in arguments:
                if isinstance(argument, ast.Constant) and isinstance(argument.value, (str, int)):
                    code = str(argument.value)
                elif isinstance(argument, ast.Name) and isinstance(constants.get(argument.id), str):
                    code = constants[argument.id]
                elif isinstance(argument, ast.JoinedStr):
                    code = "re:" + "".join(re.escape(part.value) if isinstance(part, ast.Constant) else r"[A-Za-z]+"
                                           for part in argument.values)
                else:
                    continue
                found.setdefault(code, set()).add(str(path.relative_to(package.parent)))
    return found


def _listed(code: str, page: str) -> bool:
    pattern = code[3:] if code.startswith("re:") else re.escape(code)
    return re.search(f"`{pattern}`", page) is not None


# -- tests ------------------------------------------------------------------------------------------

def test_every_module_of_the_local_cloud_has_a_section() -> None:
    """Each product, server, authorization and core module is named in some section's ``Code:`` line."""
    named = {module for section in parse_page(PAGE.read_text(encoding="utf-8")) for module in section.modules}
    modules = {str(path.relative_to(REPO)) for path in PACKAGE.rglob("*.py")
               if path.name not in ("__init__.py", "__main__.py") and "worlds" not in path.parts}
    assert {m for m in modules if m.startswith(("localcloud/products/", "localcloud/servers/"))}, "no module found"
    assert sorted(modules - named) == []
    assert sorted(m for m in named if not (REPO / m).is_file()) == [], "the page names a module that does not exist"


def test_every_section_has_one_table_and_every_row_a_source() -> None:
    """A section with modules has one ``behaviour | localcloud | source`` table; no row leaves its source empty."""
    sections = [s for s in parse_page(PAGE.read_text(encoding="utf-8")) if s.modules]
    assert len(sections) >= 10
    for section in sections:
        assert len(section.tables) == 1, f"{section.title}: expected one table, found {len(section.tables)}"
        rows = section.tables[0]
        assert rows, f"{section.title}: the table has no rows"
        for row in rows:
            assert len(row) == 3, f"{section.title}: a row without three cells: {row}"
            assert row[0] and row[1], f"{section.title}: a row without behaviour or localcloud: {row}"
            assert row[2].strip(" -—"), f"{section.title}: {row[0]!r} names no source"


def test_every_error_code_raised_in_the_local_cloud_is_on_the_page() -> None:
    """A code added to the local cloud must be added to the page, with its source."""
    page = PAGE.read_text(encoding="utf-8")
    missing = {code: sorted(files) for code, files in raised_codes().items()
               if code not in SUCCESS_CODES and not _listed(code, page)}
    assert missing == {}


def test_the_code_extractor_finds_every_form_of_code() -> None:
    """Literal, constant, helper-argument, integer and f-string codes are all found: the check above is never empty."""
    codes = raised_codes()
    for expected in ("INSTANCE_NOT_EXIST", "Throttling.User", "LocalCloud.AuthorizationRowMissing",
                     "ACL_ENTRY_NOT_EXIST", "InvalidCidrBlock.Malformed", "Forbidden.RAM", "NoSuchKey", "130101"):
        assert expected in codes, expected
    assert any(code.startswith("re:EntityNotExist") for code in codes)
    assert not _listed("NotACodeOfTheLocalCloud", PAGE.read_text(encoding="utf-8"))
