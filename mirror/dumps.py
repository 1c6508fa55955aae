"""Dump exports in APNIC's layout: `<source>.db.<class>.gz` per class plus `<SOURCE>.CURRENTSERIAL`.

The objects and the serial are read in one REPEATABLE READ snapshot, so they agree. Every file is
written under a hidden temporary name in the target directory and renamed into place (mode 0644):
readers never see a partial file. The class files are all renamed once every one is complete,
then files of classes that are gone are removed, and CURRENTSERIAL comes last: a mirror that reads
the serial first never gets a serial newer than the dumps it then fetches.
"""
from __future__ import annotations

import contextlib
import fcntl
import gzip
import os
import re
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from irr.store import check_source
from rpsl.output import mask_hashes

FILE_MODE = 0o644
COMPRESS_LEVEL = 6
TMP_SUFFIX = ".tmp"


class ExportError(Exception):
    """An export failed; the files already published are untouched."""


def _write_atomic(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=TMP_SUFFIX)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


class _ClassFile:
    """One class's gzip file being written under its temporary name."""

    def __init__(self, directory: Path, final: str):
        self.final = directory / final
        fd, name = tempfile.mkstemp(dir=directory, prefix=f".{final}.", suffix=TMP_SUFFIX)
        self.tmp = Path(name)
        self.raw = os.fdopen(fd, "wb")
        self.gz = gzip.GzipFile(filename="", mode="wb", fileobj=self.raw, compresslevel=COMPRESS_LEVEL, mtime=0)
        self.objects = 0

    def write(self, text: str) -> None:
        self.gz.write((mask_hashes(text).rstrip("\n") + "\n\n").encode("utf-8"))
        self.objects += 1

    def close(self) -> None:
        self.gz.close()
        self.raw.flush()
        os.fsync(self.raw.fileno())
        self.raw.close()
        os.chmod(self.tmp, FILE_MODE)

    def discard(self) -> None:
        with contextlib.suppress(Exception):
            self.gz.close()
        with contextlib.suppress(Exception):
            self.raw.close()
        with contextlib.suppress(FileNotFoundError):
            self.tmp.unlink()


class Exporter:
    """Writes one source's export files into a directory."""

    def __init__(self, store, source: str, directory: Path):
        self.store = store
        self.source = check_source(source.upper())
        self.directory = Path(directory)
        self.prefix = f"{self.source.lower()}.db."
        self.serial_file = self.directory / f"{self.source}.CURRENTSERIAL"
        self._class_file = re.compile(re.escape(self.prefix) + r"([a-z0-9-]+)\.gz$")

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """One export of a source at a time (across processes), so leftovers can be cleaned."""
        with open(self.directory / f".{self.source.lower()}.export.lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _clean_leftovers(self) -> None:
        """Temporary files a killed export left behind."""
        for f in self.directory.iterdir():
            if f.name.startswith((f".{self.prefix}", f".{self.serial_file.name}.")) and f.name.endswith(TMP_SUFFIX):
                with contextlib.suppress(FileNotFoundError):
                    f.unlink()

    def run_once(self) -> str:
        """Export the source once; returns a status line, raises ExportError on failure."""
        started = time.monotonic()
        self.directory.mkdir(parents=True, exist_ok=True)
        with self._locked():
            self._clean_leftovers()
            files: dict[str, _ClassFile] = {}
            try:
                serial = self._write_classes(files)
                for f in files.values():
                    f.close()
            except BaseException as e:
                for f in files.values():
                    f.discard()
                if isinstance(e, Exception) and not isinstance(e, ExportError):
                    raise ExportError(f"export of {self.source} failed: {e}") from e
                raise
            for f in files.values():
                os.replace(f.tmp, f.final)
            for existing in self.directory.iterdir():
                m = self._class_file.match(existing.name)
                if m and m.group(1) not in files:
                    with contextlib.suppress(FileNotFoundError):
                        existing.unlink()
            if serial is not None:
                _write_atomic(self.serial_file, f"{serial}\n".encode("ascii"))
            else:
                with contextlib.suppress(FileNotFoundError):
                    self.serial_file.unlink()
        total = sum(f.objects for f in files.values())
        seconds = time.monotonic() - started
        return (f"{self.source}: exported {total} objects in {len(files)} classes to {self.directory}"
                + (f", serial {serial}" if serial is not None else ", no serial")
                + f" ({seconds:.1f} s)")

    def _write_classes(self, files: dict[str, _ClassFile]) -> int | None:
        """Stream the objects into per-class temporary files; return the serial of the same snapshot."""
        with self.store.snapshot(self.source) as (found, serial, rows):
            if not found:
                raise ExportError(f"unknown source {self.source}: nothing was exported")
            for object_class, _pk, text in rows:
                out = files.get(object_class)
                if out is None:
                    if not re.fullmatch(r"[a-z0-9-]+", object_class):
                        raise ExportError(f"object class {object_class!r} can't be a file name")
                    out = files[object_class] = _ClassFile(self.directory, f"{self.prefix}{object_class}.gz")
                out.write(text)
        return serial
