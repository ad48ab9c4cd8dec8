"""Proof files kept by content (sha256): the same bytes are stored once and never deleted.

`FileStore` is the interface; `LocalFileStore` keeps files in a folder
(`DELIVERYBOT_FILES_DIR`). An object store can replace it by implementing the same three
methods.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Protocol

from bot.core.settings import Settings


class FileStore(Protocol):
    def put(self, content: bytes) -> str:
        """Store `content`; returns its sha256 (hex). Storing the same bytes twice is a no-op."""
        ...

    def get(self, sha256: str) -> bytes:
        """The stored bytes; raises FileNotFoundError for an unknown hash."""
        ...

    def exists(self, sha256: str) -> bool: ...


class LocalFileStore:
    def __init__(self, root: Path):
        self.root = Path(root)

    def _path(self, sha256: str) -> Path:
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise FileNotFoundError(sha256)
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def put(self, content: bytes) -> str:
        digest = hashlib.sha256(content).hexdigest()
        path = self._path(digest)
        if path.exists():
            return digest
        path.parent.mkdir(parents=True, exist_ok=True)
        # write then rename: a reader never sees half a file, two writers end with one
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".incoming-")
        with os.fdopen(handle, "wb") as out:
            out.write(content)
        os.replace(temporary, path)
        return digest

    def get(self, sha256: str) -> bytes:
        return self._path(sha256).read_bytes()

    def exists(self, sha256: str) -> bool:
        try:
            return self._path(sha256).exists()
        except FileNotFoundError:
            return False


def store_for(settings: Settings) -> FileStore:
    return LocalFileStore(settings.files_dir)
