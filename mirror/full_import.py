"""Periodic full import of a mirrored source from its dump files (IRRd's RPSLMirrorFullImportRunner).

1. With a serial URL (e.g. APNIC.CURRENTSERIAL): fetch it first; when its serial is not newer than
   the source's, there is nothing to do (unless forced).
2. Download every dump URL into a private temporary directory (gzip kept as is).
3. Replace the source with the dumps in one transaction (mirror.importer.load_files, mirror=True:
   the journal restarts at the dump's serial); clients see the old objects until the commit.
A failure is recorded on the source (last_error) and leaves the previous objects.
"""
from __future__ import annotations

import logging
import re
import shutil
import tempfile
import time
import urllib.parse
from pathlib import Path

from irr.config import SourceConfig
from mirror.download import fetch
from mirror.importer import load_files

log = logging.getLogger(__name__)
SERIAL_MAX_BYTES = 1024


class FullImportError(Exception):
    """A full import failed; the source keeps its previous objects and the error is recorded."""


def _file_name(index: int, url: str) -> str:
    """A safe local name for a dump URL that keeps its base name (it appears in load reports)."""
    base = urllib.parse.unquote(urllib.parse.urlparse(url).path).rstrip("/").rsplit("/", 1)[-1]
    base = re.sub(r"[^A-Za-z0-9._-]", "_", base).lstrip(".") or "dump"
    if base.upper().endswith(".CURRENTSERIAL"):
        base += ".db"  # a dump, not a serial file, whatever its name (load_files treats those apart)
    return f"{index:02d}-{base}"


class FullImport:
    """Reloads one mirrored source from its dump_urls (and serial_url)."""

    def __init__(self, store, source: SourceConfig, workdir: Path, progress: bool = False,
                 timeout: float = 60):
        self.store = store
        self.source = source
        self.workdir = Path(workdir)
        self.progress = progress
        self.timeout = timeout

    def fetch_serial(self) -> int | None:
        """The serial the serial URL announces (None without a serial URL)."""
        url = self.source.serial_url
        if not url:
            return None
        data = fetch(url, timeout=self.timeout, max_bytes=SERIAL_MAX_BYTES)
        text = data.decode("ascii", "replace").strip()
        if not re.fullmatch(r"\d+", text):
            raise FullImportError(f"{url}: expected a serial number, found {text[:40]!r}")
        return int(text)

    def run_once(self, force: bool = False) -> str:
        """One import cycle; returns a status line, raises FullImportError (recorded) on failure."""
        name = self.source.name
        started = time.monotonic()
        try:
            if not self.source.dump_urls:
                raise FullImportError(f"{name} has no dump_urls to import from")
            serial = self.fetch_serial()
            current = self.store.serial(self.source.name)
            if serial is not None and current is not None and serial <= current and not force:
                self.store.record_success(name)
                return f"{name}: serial {serial} is not newer than {current}: nothing to do"
            report = self._download_and_load(serial)
        except Exception as e:
            message = f"full import of {name} failed: {e}"
            log.error("%s", message)
            self.store.record_error(name, message)
            if isinstance(e, FullImportError):
                raise
            raise FullImportError(message) from e
        self.store.record_success(name)
        log.info("%s", report.summary())
        skipped = sum(report.skipped.values())
        seconds = time.monotonic() - started
        return (f"{name}: {report.objects} objects loaded"
                + (f", {skipped} skipped" if skipped else "")
                + (f", serial {report.serial}" if report.serial is not None else "")
                + f" ({seconds:.1f} s)")

    def _download_and_load(self, serial: int | None):
        self.workdir.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=self.workdir, prefix=f"{self.source.name.lower()}-import-"))
        try:
            paths = []
            for i, url in enumerate(self.source.dump_urls):
                t0 = time.monotonic()
                path = fetch(url, tmp / _file_name(i, url), timeout=self.timeout)
                log.info("%s: downloaded %s (%d bytes, %.1f s)", self.source.name, url, path.stat().st_size,
                         time.monotonic() - t0)
                paths.append(path)
            return load_files(self.store, self.source.name, paths, serial=serial,
                              classes=self.source.object_classes or None, mirror=True, progress=self.progress)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
