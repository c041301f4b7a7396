"""Export stores: local files replaced atomically, OSS objects through the real SDK on the local cloud."""

from __future__ import annotations

import stat
from pathlib import Path

import alibabacloud_oss_v2 as oss
import pytest

from acrguard.errors import TransientCloudError
from acrguard.routes.exports import ExportError
from acrguard.routes.exports.write import LocalStore, OssStore, open_store
from support import ACCOUNT, REGION, base_world

BUCKET = "idc-exports"


@pytest.fixture
def world():
    """The base world with a bucket for exports."""
    data = base_world()
    data["oss"] = {"buckets": [{"name": BUCKET, "account": ACCOUNT, "region": REGION,
                                "objects": {"seeded/hosts": "# an older export\n"}}]}
    return data


def test_a_new_local_file_is_created_with_its_mode_and_no_leftovers(tmp_path):
    """The file holds exactly the text, is 0644 (0755 when asked), and no temporary file remains."""
    store = open_store(str(tmp_path / "hosts"))
    assert store.read() is None
    store.write("line\n")
    assert (tmp_path / "hosts").read_text() == "line\n"
    assert stat.S_IMODE((tmp_path / "hosts").stat().st_mode) == 0o644
    open_store(str(tmp_path / "routes.sh"), new_mode=0o755).write("#!/bin/sh\n")
    assert stat.S_IMODE((tmp_path / "routes.sh").stat().st_mode) == 0o755
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hosts", "routes.sh"]


def test_replacing_keeps_the_previous_mode_and_swaps_the_inode(tmp_path):
    """The new text replaces the old by rename (a new inode), with the old file's permission bits."""
    path = tmp_path / "routes.txt"
    path.write_text("old\n")
    path.chmod(0o600)
    before = path.stat().st_ino
    LocalStore(path).write("new\n")
    assert path.read_text() == "new\n" and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.stat().st_ino != before


def test_a_symlinked_destination_is_written_through_to_its_target(tmp_path):
    """The link stays a link; the file it points to gets the new text."""
    target = tmp_path / "real.conf"
    target.write_text("old\n")
    link = tmp_path / "link.conf"
    link.symlink_to(target)
    LocalStore(link).write("new\n")
    assert link.is_symlink() and target.read_text() == "new\n"


def test_system_files_and_missing_directories_are_refused(tmp_path):
    """/etc/hosts would lose every other line; a missing directory is an error, not created on a guess."""
    with pytest.raises(ExportError, match="refusing to overwrite a system file"):
        LocalStore(Path("/etc/hosts")).write("x\n")
    with pytest.raises(ExportError, match="does not exist"):
        LocalStore(tmp_path / "nope" / "hosts").write("x\n")
    assert not (tmp_path / "nope").exists()


@pytest.mark.parametrize("spelling", ["/etc/../etc/hosts", "//etc//hosts", "/etc/./resolv.conf",
                                      "/etc/hosts/", "{tmp}/etc-link/hosts", "{tmp}/hosts-link"])
def test_system_files_are_refused_however_the_path_is_written(tmp_path, spelling):
    """``..``, doubled slashes, a symlinked directory or file: still /etc/hosts, refused before reading or writing.

    Only ``read`` is called here: were the check to fail, nothing on this machine would be overwritten.
    """
    (tmp_path / "etc-link").symlink_to("/etc")
    (tmp_path / "hosts-link").symlink_to("/etc/hosts")
    store = LocalStore(Path(spelling.format(tmp=tmp_path)))
    with pytest.raises(ExportError, match="refusing to overwrite a system file"):
        store.read()


def test_a_hard_link_to_a_system_file_is_refused(tmp_path):
    """A second name for the same file (same device and inode) is the same file."""
    link = tmp_path / "hosts"
    try:
        link.hardlink_to("/etc/hosts")
    except OSError:
        pytest.skip("/etc and the temporary directory are on different file systems")
    with pytest.raises(ExportError, match="refusing to overwrite a system file"):
        LocalStore(link).read()


def test_an_unreadable_previous_version_is_an_error_not_absent(tmp_path):
    """A destination that cannot be read (here: a directory) raises instead of counting as 'no previous'."""
    (tmp_path / "hosts").mkdir()
    with pytest.raises(ExportError, match="cannot read the previous export"):
        LocalStore(tmp_path / "hosts").read()


def test_destinations_other_than_paths_and_oss_are_refused():
    """s3://, http:// and line breaks are refused; OSS needs a client factory."""
    for destination in ("s3://b/k", "https://example.com/k", "/tmp/a\nb"):
        with pytest.raises(ExportError):
            open_store(destination)
    with pytest.raises(ExportError, match="client factory"):
        open_store("oss://idc-exports/hosts")


def test_oss_round_trip_with_a_text_content_type(cloud, factory):
    """An absent key reads as None; a written object reads back as the same text, typed text/plain UTF-8."""
    store = open_store(f"oss://{BUCKET}/idc/hosts", factory=factory)
    assert isinstance(store, OssStore) and store.read() is None
    store.write("# café\n192.168.10.21\tx.example.com\n")
    assert store.read() == "# café\n192.168.10.21\tx.example.com\n"
    head = factory.oss().head_object(oss.HeadObjectRequest(bucket=BUCKET, key="idc/hosts"))
    assert head.content_type == "text/plain; charset=utf-8"
    assert open_store(f"oss://{BUCKET}/seeded/hosts", factory=factory).read() == "# an older export\n"


def test_oss_failures_are_named_and_transient_ones_stay_transient(cloud, factory):
    """A missing bucket is an ExportError naming the object; a 503 stays a TransientCloudError (FC retries)."""
    with pytest.raises(ExportError, match="oss://no-such-bucket/hosts: cannot read"):
        open_store("oss://no-such-bucket/hosts", factory=factory).read()
    cloud.inject(product="oss", action="GetObject", code="ServiceUnavailable", status=503)
    with pytest.raises(TransientCloudError):
        open_store(f"oss://{BUCKET}/seeded/hosts", factory=factory).read()


def test_a_failed_replace_leaves_no_temporary_file(tmp_path):
    """When the rename fails (the destination is a non-empty directory) the error names the path and the
    temporary file is removed."""
    (tmp_path / "hosts").mkdir()
    (tmp_path / "hosts" / "keep").write_text("x")
    with pytest.raises(ExportError, match=f"{tmp_path / 'hosts'}: cannot write the export"):
        LocalStore(tmp_path / "hosts").write("new\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hosts"]
    assert (tmp_path / "hosts" / "keep").read_text() == "x"
