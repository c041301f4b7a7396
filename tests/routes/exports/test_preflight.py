"""Whether an export destination can be written, found without writing anything."""

from __future__ import annotations

from acrguard.config import load_config_data
from acrguard.routes.exports.preflight import export_problems, unwritable


def test_a_writable_directory_passes(tmp_path):
    """A file (existing or not) in an existing, writable directory can be written."""
    assert unwritable(str(tmp_path / "idc.ios")) is None
    (tmp_path / "idc.ios").write_text("old\n")
    assert unwritable(str(tmp_path / "idc.ios")) is None


def test_a_missing_directory_is_named(tmp_path):
    """The directory must exist: the export is never written to a directory acrguard would have to create."""
    problem = unwritable(str(tmp_path / "nope" / "idc.ios"))
    assert problem is not None and f"directory {tmp_path / 'nope'} does not exist" in problem


def test_a_file_where_the_directory_should_be(tmp_path):
    """A parent that is a file is not a directory."""
    (tmp_path / "exports").write_text("")
    assert "is not a directory" in (unwritable(str(tmp_path / "exports" / "idc.ios")) or "")


def test_a_directory_as_destination(tmp_path):
    """The destination names a file, not a directory."""
    assert "is a directory" in (unwritable(str(tmp_path)) or "")


def test_system_files_are_refused():
    """/etc/hosts would lose every line but acrguard's."""
    assert "system file" in (unwritable("/etc/hosts") or "")


def test_oss_destinations_are_not_checked_here():
    """OSS cannot say "may I write" without a write; the plan's read of the object checks what it can."""
    assert unwritable("oss://acrguard-prod/exports/idc.ios") is None


def test_export_problems_name_each_export_by_its_path(tmp_path):
    """One line per unwritable export, named ``instances[i].routes.exports[j]``."""
    config = load_config_data({"instances": [
        {"name": "a", "instance_id": "cri-a1", "routes": {"exports": [
            {"format": "hosts", "destination": str(tmp_path / "ok.hosts")},
            {"format": "hosts", "destination": str(tmp_path / "missing" / "x.hosts")}]}},
        {"name": "b", "instance_id": "cri-b1"}]})
    (problem,) = export_problems(config)
    assert problem.startswith(f"instances[0].routes.exports[1] ({tmp_path / 'missing' / 'x.hosts'}): directory")
