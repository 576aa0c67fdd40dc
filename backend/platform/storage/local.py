"""Objects as files under `DATA_DIR/objects` (the embedded default).

Writes are atomic and durable: a temporary file in the target directory, fsync, `os.replace`, fsync
of the directory; a reader sees the old object or the new one, never half of one. Files are 0600 and
directories 0700. Every file operation runs in a worker thread, off the event loop. Keys follow
`base.check_key`; a resolved path must also stay under the root (a planted symlink cannot lead out).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

import anyio.to_thread

from backend.platform.storage import base

_TMP_PREFIX = ".tmp-"  # keys cannot start a segment with ".", so temporary files never look like objects


class LocalStore:
    """ObjectStore on the local file system."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).absolute()

    async def open(self) -> None:
        await anyio.to_thread.run_sync(lambda: self.root.mkdir(mode=0o700, parents=True, exist_ok=True))

    async def close(self) -> None:
        return None

    async def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        await anyio.to_thread.run_sync(self._put, self._path(key), data)

    async def get(self, key: str) -> bytes:
        try:
            return await anyio.to_thread.run_sync(self._read, self._path(key))
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            raise base.ObjectNotFound(key) from None

    async def delete(self, key: str) -> None:
        await anyio.to_thread.run_sync(self._unlink, self._path(key))

    async def exists(self, key: str) -> bool:
        return await anyio.to_thread.run_sync(self._is_file, self._path(key))

    async def delete_prefix(self, prefix: str) -> int:
        base.check_prefix(prefix)
        return await anyio.to_thread.run_sync(self._delete_prefix, prefix)

    async def presigned_get_url(self, key: str, expires_in: int, filename: str) -> str | None:
        base.check_key(key)
        return None  # no URL serves these files: the api streams them

    def _path(self, key: str) -> Path:
        return self.root.joinpath(*base.check_key(key).split("/"))

    # Everything below runs in a worker thread (resolving a path touches the disk too).

    def _contain(self, path: Path) -> Path:
        if not path.resolve().is_relative_to(self.root.resolve()):
            raise base.InvalidObjectKey(
                f"object key {path.relative_to(self.root).as_posix()!r} leads outside the store"
            )
        return path

    def _read(self, path: Path) -> bytes:
        return self._contain(path).read_bytes()

    def _is_file(self, path: Path) -> bool:
        return self._contain(path).is_file()

    def _unlink(self, path: Path) -> None:
        with contextlib.suppress(FileNotFoundError, NotADirectoryError):
            self._contain(path).unlink()

    def _put(self, path: Path, data: bytes) -> None:
        for attempt in range(3):  # a concurrent delete_prefix may remove an empty parent in between
            self._contain(path.parent).mkdir(mode=0o700, parents=True, exist_ok=True)
            try:
                fd, tmp = tempfile.mkstemp(prefix=_TMP_PREFIX, dir=path.parent)
                break
            except FileNotFoundError:
                if attempt == 2:
                    raise
        try:
            with os.fdopen(fd, "wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)  # the rename itself survives a crash
        finally:
            os.close(dir_fd)

    def _delete_prefix(self, prefix: str) -> int:
        head, _, _ = prefix.rpartition("/")
        start = self.root.joinpath(*head.split("/")) if head else self.root
        if not start.resolve().is_relative_to(self.root.resolve()) or not start.is_dir():
            return 0
        deleted = 0
        for dirpath, _dirs, files in os.walk(start, topdown=False):
            directory = Path(dirpath)
            for name in files:
                key = directory.joinpath(name).relative_to(self.root).as_posix()
                if key.startswith(prefix):  # a crashed write's temporary file goes too, uncounted
                    with contextlib.suppress(FileNotFoundError):
                        directory.joinpath(name).unlink()
                        deleted += not name.startswith(_TMP_PREFIX)
            if directory != self.root and directory.relative_to(self.root).as_posix().startswith(prefix.rstrip("/")):
                with contextlib.suppress(OSError):
                    directory.rmdir()  # only when empty: erasure leaves no per-user directories behind
        return deleted
