"""Bulk import of dump files (plain or gzip, several split files at once) into one source.

The files are read in blocks that end on object boundaries; worker processes turn each block
into COPY text (rpsl.lenient, the fast path for mirrored data); the main process streams that
text into the store, which swaps the whole source in one transaction (all or nothing).
"""
from __future__ import annotations

import gc
import gzip
import multiprocessing
import os
import re
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from irr.store import copy_line
from rpsl import reader
from rpsl.lenient import Loaded, load

SMALL_INPUT = 8 << 20  # below this, parsing in-process beats starting workers
MAX_EXAMPLES = 20


@dataclass
class BlockResult:
    copy_text: str
    loaded: Counter
    skipped: Counter
    examples: list[str]


@dataclass
class LoadReport:
    source: str
    serial: int | None
    loaded: Counter = field(default_factory=Counter)
    skipped: Counter = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)
    duplicates: int = 0
    duplicate_examples: list[str] = field(default_factory=list)
    objects: int = 0
    seconds: float = 0.0
    seconds_parse_copy: float = 0.0
    seconds_index: float = 0.0

    def summary(self) -> str:
        lines = [f"{self.source}: {self.objects} objects loaded in {self.seconds:.1f}s "
                 f"(parse and copy {self.seconds_parse_copy:.1f}s, indexes {self.seconds_index:.1f}s)"
                 + (f", serial {self.serial}" if self.serial is not None else "")]
        for cls, n in sorted(self.loaded.items()):
            lines.append(f"  {cls:<14}{n:>10}")
        if self.duplicates:
            lines.append(f"  {self.duplicates} duplicate objects: the last occurrence was kept "
                         f"({', '.join(self.duplicate_examples[:5])}{', ...' if self.duplicates > 5 else ''})")
        if self.skipped:
            lines.append(f"skipped {sum(self.skipped.values())} objects:")
            for reason, n in self.skipped.most_common():
                lines.append(f"  {n:>8}  {reason}")
            lines.extend(f"    {e}" for e in self.examples[:MAX_EXAMPLES])
        return "\n".join(lines)


def _skip_reason(obj: Loaded) -> str | None:
    """Why an object is not loaded (None: it is loaded; '' : ignore silently)."""
    if obj.error is None:
        return None
    if not obj.object_class or obj.object_class.startswith("*"):
        return ""  # comment paragraphs, legacy IRRd '*xx' pseudo objects
    if obj.unknown_class:
        return f"unknown class {obj.object_class}"
    return "invalid object"


def process_block(source: str, data: bytes, first_line: int, file_name: str,
                  classes: frozenset[str] | None = None) -> BlockResult:
    """Worker: one block of dump text -> COPY text of its objects plus what was skipped."""
    out: list[str] = []
    loaded: Counter = Counter()
    skipped: Counter = Counter()
    examples: list[str] = []
    for para in reader.split_paragraphs(reader.decode(data), first_line):
        obj = load(para.text, para.line)
        if classes is not None and obj.object_class not in classes:
            continue  # the source's object class filter: skipped silently, as IRRd does
        reason = _skip_reason(obj)
        if reason is None and obj.source != source:
            reason = "source does not match"
            obj.error = None
            detail = f"{file_name}:{obj.line}: {obj.object_class} {obj.pk}: source {obj.source}, expected {source}"
        elif reason:
            detail = f"{file_name}:{obj.line}: {obj.error}"
        if reason is None:
            out.append(copy_line(source, obj))
            loaded[obj.object_class] += 1
        elif reason:
            skipped[reason] += 1
            if len(examples) < MAX_EXAMPLES:
                examples.append(detail)
    return BlockResult("".join(out), loaded, skipped, examples)


def _worker_init() -> None:
    # Workers make millions of short-lived objects and no cycles: the cyclic GC only costs time.
    gc.disable()


def find_serial(paths: Sequence[Path], source: str) -> int | None:
    """The serial from a `<SOURCE>.CURRENTSERIAL` file given or lying beside the dump files."""
    candidates = [p for p in paths if p.name.upper().endswith(".CURRENTSERIAL")]
    for p in paths:
        for f in (p.parent.iterdir() if p.parent.is_dir() else ()):
            if f.name.upper() == f"{source}.CURRENTSERIAL" and f not in candidates:
                candidates.append(f)
    for c in candidates:
        text = c.read_text(errors="replace").strip()
        if not re.fullmatch(r"\d+", text):
            raise ValueError(f"{c}: expected a serial number, found {text[:40]!r}")
        return int(text)
    return None


def _blocks(paths: Sequence[Path], on_bytes: Callable[[int], None]) -> Iterator[tuple[bytes, int, str]]:
    for path in paths:
        with open(path, "rb") as raw:
            stream = gzip.GzipFile(fileobj=raw, mode="rb") if raw.peek(2)[:2] == b"\x1f\x8b" else raw
            position = 0
            for block, line in reader.iter_blocks(stream):
                on_bytes(raw.tell() - position)  # progress in bytes of the file on disk
                position = raw.tell()
                yield block, line, path.name


class EmptyDumpError(ValueError):
    """A dump with no object of the source would have replaced one that has objects."""


def load_files(store, source: str, paths: Sequence[str | os.PathLike], serial: int | None = None,
               workers: int | None = None, progress: bool = False, classes: Sequence[str] | None = None,
               mirror: bool = False) -> LoadReport:
    """Replace `source` with the objects in `paths` (all or nothing); return what was loaded.
    `classes`: load only these classes. `mirror`: a mirror's full reload, which also clears the
    source's journal (its history restarts at the dump's serial)."""
    wanted = frozenset(classes) if classes else None
    started = time.monotonic()
    source = source.upper()
    files = [Path(p) for p in paths]
    missing = [str(p) for p in files if not p.exists()]
    if missing:
        raise FileNotFoundError(f"no such file: {', '.join(missing)}")
    if serial is None:
        serial = find_serial(files, source)
    dumps = [p for p in files if not p.name.upper().endswith(".CURRENTSERIAL")]
    total = sum(p.stat().st_size for p in dumps)
    report = LoadReport(source, serial)

    bar = None
    if progress:
        bar = tqdm(total=total, unit="B", unit_scale=True, desc=f"loading {source}", leave=False)
    on_bytes = bar.update if bar is not None else (lambda n: None)

    def consume(result: BlockResult) -> str:
        report.loaded.update(result.loaded)
        report.skipped.update(result.skipped)
        if len(report.examples) < MAX_EXAMPLES:
            report.examples.extend(result.examples[: MAX_EXAMPLES - len(report.examples)])
        return result.copy_text

    def chunks() -> Iterator[str]:
        blocks = _blocks(dumps, on_bytes)
        n = workers if workers is not None else (os.cpu_count() or 1)
        if total < SMALL_INPUT or n <= 1:
            for data, line, name in blocks:
                yield consume(process_block(source, data, line, name, wanted))
            return
        ctx = multiprocessing.get_context("spawn")  # never fork a process that holds DB connections
        with ctx.Pool(n, initializer=_worker_init) as pool:
            pending: deque = deque()
            for data, line, name in blocks:
                pending.append(pool.apply_async(process_block, (source, data, line, name, wanted)))
                if len(pending) >= 2 * n:  # bounded: the file is never all in memory
                    yield consume(pending.popleft().get())
            while pending:
                yield consume(pending.popleft().get())

    had = sum(store.counts().get(source, {}).values())

    def checked() -> Iterator[str]:
        yield from chunks()
        if had and not report.loaded:
            # an empty file, an HTML error page saved as the dump, the wrong file: never let it
            # wipe a source that has objects (the load is rolled back, nothing changes)
            raise EmptyDumpError(f"{', '.join(p.name for p in dumps) or 'no dump file'} holds no {source} object "
                                 f"({sum(report.skipped.values())} skipped): refusing to replace the {had:,} "
                                 f"objects of {source}")

    def stage(name: str) -> None:
        if bar is not None:
            bar.set_description(f"{name} {source}")

    try:
        result = store.replace_source(source, checked(), serial, progress=stage, clear_journal=mirror)
    finally:
        if bar is not None:
            bar.close()
    report.objects = result.objects
    report.duplicates = len(result.duplicates)
    report.loaded.subtract(cls for cls, _ in result.duplicates)
    report.duplicate_examples = [f"{c} {pk}" for c, pk in result.duplicates[:MAX_EXAMPLES]]
    report.seconds_parse_copy = result.seconds_copy
    report.seconds_index = result.seconds_index
    report.seconds = time.monotonic() - started
    return report
