"""The repository cites public sources and its own files only, never notes kept beside it (``../shared/``)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
#: Paths and note names of the working notes outside the repository; none of them exists in it.
FORBIDDEN = re.compile(r"\.\./shared/|shared/reference/|shared/DESIGN\.md|(?<![\w/.-])DESIGN\.md"
                       r"|\b(?:acr-network|events-fc|ram-audit|anchors|sdk-feasibility|fidelity-sources)\.md\b")
SKIPPED_PARTS = {".git", ".venv", "build", "__pycache__", "node_modules"}


def repository_files() -> list[Path]:
    """The files git tracks or would add (ignored ones excluded); every file under the root without git."""
    try:
        listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=REPO,
                                capture_output=True, check=True, timeout=30).stdout.decode("utf-8")
        paths = [REPO / name for name in listed.split("\0") if name]
    except (OSError, subprocess.SubprocessError):
        paths = [p for p in REPO.rglob("*") if not SKIPPED_PARTS & set(p.relative_to(REPO).parts)]
    return sorted(p for p in paths if p.is_file())


def text_of(path: Path) -> str | None:
    """The file's text, or None for a binary file."""
    data = path.read_bytes()
    if b"\0" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def references(text: str) -> list[tuple[int, str]]:
    """(line number, line) of every line that points outside the repository."""
    return [(number, line.strip()) for number, line in enumerate(text.splitlines(), 1) if FORBIDDEN.search(line)]


def test_the_pattern_catches_each_form_of_reference() -> None:
    """The relative path, the handbook's folder, its design page and a bare note name are all caught."""
    for line in ("see ../shared/reference/acr-network.md", "(``shared/reference/events-fc.md`` §2)",
                 "``shared/DESIGN.md``, Events", "(``DESIGN.md``)", "(ram-audit.md §4)", "``anchors.md`` §5"):
        assert references(line), line
    for line in ("docs/localcloud-fidelity.md", "shared/acrguard/config/alerts.py", "bench/RESULTS.md",
                 "deploy/fc3-schema.SOURCE.md", "https://example.com/SOURCES.md"):
        assert not references(line), line


def test_no_text_file_points_outside_the_repository() -> None:
    """No tracked text file cites ``../shared/`` or the notes kept there: facts cite their public source."""
    files = repository_files()
    assert any(p.name == "README.md" for p in files)
    found = {}
    for path in files:
        if path == Path(__file__).resolve():
            continue
        text = text_of(path)
        hits = references(text) if text is not None else []
        if hits:
            found[str(path.relative_to(REPO))] = hits
    assert found == {}
