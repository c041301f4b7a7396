"""Where an export is kept: a local file (replaced atomically) or an OSS object (written with Content-MD5).

``ExportConfig.destination`` is either a local path or ``oss://<bucket>/<key>``. Each store can
``read`` the previous version (None only when there is none; a failed read raises, because an
unknown previous version is not an absent one) and ``write`` a new one:

* local: the text goes to a temporary file in the same directory, is flushed and fsynced, gets
  the previous file's permission bits (new files: 0644, the Linux script 0755) and is renamed
  over the destination (``os.replace``, atomic on POSIX), so a reader sees the old or the new
  file, never half of one. A symlinked destination is written through to its target. The
  directory must exist. ``/etc/hosts`` and ``/etc/resolv.conf`` are refused: an export holds only
  acrguard's lines and would wipe the rest. The check compares the destination after resolving it
  fully (``os.path.realpath``: ``..``, repeated slashes and symlinks anywhere in the path, also
  when the protected file is itself a link) and, when both exist, by identity (``os.path.samefile``,
  so a hard link is caught too); it runs before reading as well as before writing.
* OSS: ``GetObject`` for the previous version (``NoSuchKey`` is "none"), ``PutObject`` with
  ``Content-MD5`` so a corrupted upload is rejected by OSS, through ``ClientFactory.oss`` and
  ``acrguard.clients.call_oss`` (the bucket's region is ``ExportConfig.region`` or the
  factory's). Transient failures stay ``TransientCloudError``; the others become
  ``ExportError`` naming the object.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from acrguard.clients import call_oss
from acrguard.errors import CloudCallError, TransientCloudError
from acrguard.routes.exports.model import ExportError

if TYPE_CHECKING:
    from acrguard.clients import ClientFactory

PROTECTED_PATHS = frozenset({"/etc/hosts", "/etc/resolv.conf"})
CONTENT_TYPE = "text/plain; charset=utf-8"


class ExportStore(Protocol):
    """A place an export's text is kept."""

    location: str

    def read(self) -> str | None:
        """The stored text, or None when there is none yet."""

    def write(self, text: str) -> None:
        """Store ``text``, replacing what was there."""


@dataclass(frozen=True)
class LocalStore:
    """A local file, replaced atomically."""

    path: Path
    new_mode: int = 0o644

    @property
    def location(self) -> str:
        """The path as configured."""
        return str(self.path)

    def _target(self) -> Path:
        if is_protected(self.path):
            raise ExportError(f"{self.path}: refusing to overwrite a system file with acrguard's lines only; "
                              "write the export to a file of its own and include it")
        return self.path.resolve() if self.path.is_symlink() else self.path

    def read(self) -> str | None:
        """The file's text (undecodable bytes replaced), None when it does not exist."""
        try:
            return self._target().read_bytes().decode("utf-8", errors="replace")
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise ExportError(f"{self.path}: cannot read the previous export: {exc.strerror or exc}") from None

    def write(self, text: str) -> None:
        """Write a temporary file beside the target, fsync it, then rename it over the target."""
        target = self._target()
        directory = target.parent
        if not directory.is_dir():
            raise ExportError(f"{self.path}: directory {directory} does not exist")
        try:
            mode = stat.S_IMODE(target.stat().st_mode)
        except FileNotFoundError:
            mode = self.new_mode
        try:
            fd, temporary = tempfile.mkstemp(dir=directory, prefix=f".{target.name}.", suffix=".tmp")
        except OSError as exc:
            raise ExportError(f"{self.path}: cannot write in {directory}: {exc.strerror or exc}") from None
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(text.encode("utf-8"))
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(temporary, mode)
            os.replace(temporary, target)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise ExportError(f"{self.path}: cannot write the export: {exc.strerror or exc}") from None
        _fsync_directory(directory)


def is_protected(path: Path | str) -> bool:
    """Whether ``path``, however written (``..``, ``//``, symlinks, a hard link), is a protected system file."""
    absolute = os.path.abspath(path)
    names = {os.path.realpath(path), "/" + os.path.normpath(absolute).lstrip("/")}
    protected = set(PROTECTED_PATHS) | {os.path.realpath(p) for p in PROTECTED_PATHS}
    if names & protected:
        return True
    for system_file in PROTECTED_PATHS:
        with contextlib.suppress(OSError):
            if os.path.samefile(path, system_file):
                return True
    return False


def _fsync_directory(directory: Path) -> None:
    """Make the rename durable (best effort: not every platform lets a directory be opened)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@dataclass(frozen=True)
class OssStore:
    """An object in OSS, through the real SDK client."""

    client: Any
    bucket: str
    key: str

    @property
    def location(self) -> str:
        """``oss://bucket/key``."""
        return f"oss://{self.bucket}/{self.key}"

    def read(self) -> str | None:
        """The object's text, None when the key does not exist."""
        import alibabacloud_oss_v2 as oss

        try:
            result = call_oss("GetObject", self.client.get_object, oss.GetObjectRequest(bucket=self.bucket,
                                                                                         key=self.key))
        except CloudCallError as err:
            if err.code == "NoSuchKey":
                return None
            raise self._failure("read the previous export", err) from None
        try:
            return result.body.read().decode("utf-8", errors="replace")
        finally:
            result.body.close()

    def write(self, text: str) -> None:
        """``PutObject`` with ``Content-MD5`` and a text content type."""
        import alibabacloud_oss_v2 as oss

        body = text.encode("utf-8")
        md5 = base64.b64encode(hashlib.md5(body).digest()).decode("ascii")
        request = oss.PutObjectRequest(bucket=self.bucket, key=self.key, body=body, content_md5=md5,
                                       content_type=CONTENT_TYPE)
        try:
            call_oss("PutObject", self.client.put_object, request)
        except CloudCallError as err:
            raise self._failure("write the export", err) from None

    def _failure(self, what: str, err: CloudCallError) -> Exception:
        if isinstance(err, TransientCloudError):
            return err
        return ExportError(f"{self.location}: cannot {what}: {err}")


def parse_oss(destination: str) -> tuple[str, str] | None:
    """``(bucket, key)`` of an ``oss://bucket/key`` destination; None for a local path."""
    if not destination.startswith("oss://"):
        return None
    bucket, _, key = destination[len("oss://"):].partition("/")
    if not bucket or not key:
        raise ExportError(f"{destination}: expected oss://<bucket>/<key>")
    return bucket, key


def open_store(destination: str, *, factory: ClientFactory | None = None, region: str | None = None,
               new_mode: int = 0o644) -> ExportStore:
    """The store of ``destination``; OSS needs ``factory`` (and the bucket's ``region``, default the factory's)."""
    if any(c in destination for c in "\r\n\0"):
        raise ExportError(f"{destination!r}: a destination must not contain line breaks or NUL characters")
    located = parse_oss(destination)
    if located is None:
        if "://" in destination:
            raise ExportError(f"{destination}: expected a local path or oss://bucket/key")
        return LocalStore(Path(destination), new_mode)
    if factory is None:
        raise ExportError(f"{destination}: writing to OSS needs a client factory")
    return OssStore(factory.oss(region), *located)
