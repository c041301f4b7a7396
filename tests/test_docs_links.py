"""Every relative link of the repository's Markdown pages resolves: to a file or folder in the repository, and
to a heading (GitHub's anchors) or an HTML anchor of the page it names."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from markdown_it import MarkdownIt

REPO = Path(__file__).resolve().parents[1]
#: the pages a reader follows: the front page, the docs, the benchmark results, the deployment notes
PAGE_GLOBS = ("README.md", "docs/*.md", "bench/*.md", "deploy/*.md")
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:|^//")
_HTML_ANCHOR = re.compile(r"""<a\s[^>]*\b(?:id|name)\s*=\s*["']([^"']+)["']""", re.IGNORECASE)
_HTML_HREF = re.compile(r"""<a\s[^>]*\bhref\s*=\s*["']([^"']+)["']""", re.IGNORECASE)
_MARKDOWN = MarkdownIt("commonmark").enable("table")


@dataclass(frozen=True)
class Link:
    """One link as written on a page: the page, the line it is on and its target."""

    page: Path
    line: int
    target: str


def pages(root: Path = REPO) -> list[Path]:
    """The Markdown pages the links are checked on."""
    return sorted({path for pattern in PAGE_GLOBS for path in root.glob(pattern) if path.is_file()})


def slug(text: str) -> str:
    """GitHub's anchor for a heading's text: lower case, punctuation and symbols dropped, spaces as hyphens."""
    kept = "".join(c for c in text.lower()
                   if c in " -_" or unicodedata.category(c)[0] in "LNM")
    return kept.replace(" ", "-")


def _text(children: list) -> str:
    """The text a heading shows: its words, code spans and link texts, without markup."""
    return "".join(child.content for child in children if child.type in ("text", "code_inline"))


def parse(path: Path) -> tuple[list[Link], set[str]]:
    """The links of a page (outside code) and the anchors it offers (headings, with GitHub's ``-1`` for
    repeats, and ``<a id=...>``/``<a name=...>``)."""
    links: list[Link] = []
    anchors: set[str] = set()
    seen: dict[str, int] = {}
    tokens = _MARKDOWN.parse(path.read_text(encoding="utf-8"))
    for index, token in enumerate(tokens):
        line = token.map[0] + 1 if token.map else 0
        if token.type == "heading_open":
            base = slug(_text(tokens[index + 1].children or []))
            count = seen.get(base, 0)
            seen[base] = count + 1
            anchors.add(base if count == 0 else f"{base}-{count}")
        if token.type == "html_block":
            anchors.update(_HTML_ANCHOR.findall(token.content))
            links += [Link(path, line, href) for href in _HTML_HREF.findall(token.content)]
        for child in token.children or []:
            if child.type == "link_open":
                links.append(Link(path, line, str(child.attrs["href"])))
            elif child.type == "image":
                links.append(Link(path, line, str(child.attrs["src"])))
            elif child.type == "html_inline":
                anchors.update(_HTML_ANCHOR.findall(child.content))
                links += [Link(path, line, href) for href in _HTML_HREF.findall(child.content)]
    return links, anchors


def broken_links(files: list[Path], root: Path = REPO) -> list[str]:
    """``page:line: target (why)`` for every relative link that does not resolve inside ``root``."""
    parsed = {path.resolve(): parse(path) for path in files}
    root = root.resolve()
    problems = []
    for links, _ in list(parsed.values()):
        for link in links:
            if _SCHEME.match(link.target):
                continue
            where = f"{link.page.relative_to(root)}:{link.line}: {link.target}"
            path_part, _, anchor = link.target.partition("#")
            target = (link.page.parent / unquote(path_part)).resolve() if path_part else link.page.resolve()
            if not target.is_relative_to(root):
                problems.append(f"{where} (outside the repository)")
            elif not target.exists():
                problems.append(f"{where} (no such file)")
            elif anchor and target.suffix == ".md":
                if target not in parsed:
                    parsed[target] = parse(target)
                if unquote(anchor) not in parsed[target][1]:
                    problems.append(f"{where} (no heading or anchor #{anchor})")
    return problems


def test_every_relative_link_of_every_page_resolves() -> None:
    """README.md, docs/, bench/ and deploy/ pages: each relative link names an existing file and, for a
    Markdown page, an existing heading or anchor."""
    files = pages()
    assert REPO / "README.md" in files and any(p.parent.name == "docs" for p in files)
    assert broken_links(files) == []


def test_the_check_finds_missing_files_anchors_and_escapes(tmp_path: Path) -> None:
    """A missing file, a missing anchor and a path out of the repository are reported; code, external links,
    repeated headings and HTML anchors are handled as GitHub shows them."""
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "other.md").write_text(
        "# Other\n\n## `instances[].routes`\n\n## Notes\n\n## Notes\n\n<a id=\"kept\"></a>\n", encoding="utf-8")
    page = tmp_path / "README.md"
    page.write_text(
        "# Front\n\n"
        "[ok](docs/other.md) [ok](docs/other.md#instancesroutes) [ok](docs/other.md#notes-1)\n"
        "[ok](docs/other.md#kept) [ok](#front) [ok](https://example.com/x.md#nope) [ok](docs/)\n\n"
        "| a | [bad](docs/missing.md) |\n|---|---|\n\n"
        "[bad](docs/other.md#notes-2) [bad](#nowhere) [bad](../outside.md)\n\n"
        "```\n[ignored](docs/missing-too.md)\n```\n\n`[ignored](docs/missing-three.md)`\n",
        encoding="utf-8")
    problems = broken_links([page, tmp_path / "docs" / "other.md"], root=tmp_path)
    assert [p.split(": ", 1)[1] for p in problems] == [
        "docs/missing.md (no such file)", "docs/other.md#notes-2 (no heading or anchor #notes-2)",
        "#nowhere (no heading or anchor #nowhere)", "../outside.md (outside the repository)"]


def test_anchors_are_githubs() -> None:
    """Headings become GitHub's anchors: code and punctuation dropped, hyphens, underscores and digits kept."""
    assert slug("1. Recognise the symptom") == "1-recognise-the-symptom"
    assert slug("instances[].image_advisor") == "instancesimage_advisor"
    assert slug("Pull-key auditor (pullkey.*, readonly.*)") == "pull-key-auditor-pullkey-readonly"
    assert slug("4. Changing the cloud while it runs: the admin API") == \
        "4-changing-the-cloud-while-it-runs-the-admin-api"
    assert slug("Limits — stated") == "limits--stated"
