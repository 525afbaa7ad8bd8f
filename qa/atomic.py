"""Atomic writes: readers see the old file or folder or the new one, never half of either."""

from __future__ import annotations

import fcntl
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Write `data` to a temporary file beside `path`, fsync it, then rename it over `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp_name, 0o644)
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


def write_text_atomic(path: Path, text: str) -> None:
    """UTF-8 text with Unix newlines, written atomically."""
    write_bytes_atomic(path, text.encode("utf-8"))


def recover_interrupted_swap(final: Path) -> None:
    """Put back the complete previous folder if a swap stopped between its two renames.

    Takes the build lock first: a build swapping right now is also between its renames.
    """
    if final.exists() or not (final.parent / f".{final.name}.old").is_dir():
        return
    with _build_lock(final):
        _restore_retired(final)


def _restore_retired(final: Path) -> None:
    retired = final.parent / f".{final.name}.old"
    if not final.exists() and retired.is_dir():
        os.replace(retired, final)


@contextmanager
def _build_lock(final: Path) -> Iterator[None]:
    with (final.parent / f".{final.name}.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


@contextmanager
def building_dir(final: Path) -> Iterator[Path]:
    """Yield an empty sibling folder to build in; on success swap it into place as `final`.

    The previous folder, if any, is renamed aside first and removed only after the new one is in
    place, so a crash at any point leaves either the old or the new complete folder at `final`
    (or, in the narrow window between the two renames, the old one beside it under `.old`, which
    `recover_interrupted_swap` puts back). Builds of one folder take turns under a lock file, so
    the staging folders a killed build left behind can be removed safely when the next one starts.
    Files are never rewritten in place: a reader that memory-maps the old folder's files keeps
    valid mappings after the swap (their pages outlive the unlink).
    """
    final.parent.mkdir(parents=True, exist_ok=True)
    with _build_lock(final):
        _restore_retired(final)
        for stale in final.parent.glob(f".{final.name}.building.*"):
            shutil.rmtree(stale, ignore_errors=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{final.name}.building.", dir=final.parent))
        try:
            yield staging
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        retired = final.parent / f".{final.name}.old"
        shutil.rmtree(retired, ignore_errors=True)
        if final.exists():
            os.replace(final, retired)
        os.replace(staging, final)
        shutil.rmtree(retired, ignore_errors=True)
