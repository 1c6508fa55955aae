"""Checking files of RPSL objects (`irr check`): every error of every object, in file order.

A big file is read in blocks that end on object boundaries (rpsl.reader) and the blocks are
checked by worker processes, one per CPU, while the file is read: the output is the same as
checking it in one process, object after object, only sooner. This process checks the first
block itself and the workers are forked from it afterwards (where the system can fork), so they
start with its modules imported and its grammars loaded instead of doing that work again.
"""
from __future__ import annotations

import gc
import itertools
import multiprocessing
import os
from collections import Counter, deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from rpsl import larkfast, reader
from rpsl.objects import parse

PARALLEL_FROM = 4 << 20  # bytes on disk; below this, starting workers costs more than it saves


@dataclass
class Checked:
    """What checking some objects found: error lines (`<line>: <error>`), objects per class, and
    how many objects have errors."""

    lines: list[str] = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)
    bad: int = 0

    def add(self, other: Checked) -> None:
        self.lines.extend(other.lines)
        self.counts.update(other.counts)
        self.bad += other.bad


def check_paragraphs(paragraphs, strict: bool) -> Checked:
    """Check paragraphs (rpsl.reader.Paragraph); comment paragraphs and, when not strict, legacy
    IRRd `*xx` pseudo objects are not counted; unknown classes count as bad only when strict."""
    out = Checked()
    for para in paragraphs:
        obj = parse(para.text, para.line, strict=strict)
        if not obj.attributes and not obj.errors:
            continue
        if obj.object_class.startswith("*") and not strict:
            continue
        out.counts[obj.object_class or "?"] += 1
        for e in obj.errors + obj.warnings:
            out.lines.append(f"{e.line}: {e}")
        if obj.errors and (strict or obj.schema is not None):
            out.bad += 1
    return out


def check_block(data: bytes, line: int, strict: bool) -> Checked:
    """Worker: one block of a file (bytes ending on an object boundary, its first line number)."""
    collecting = gc.isenabled()
    gc.disable()  # millions of short-lived objects and no cycles: the cyclic GC only costs time
    try:
        checked = check_paragraphs(reader.split_paragraphs(reader.decode(data), line), strict)
    finally:
        if collecting:
            gc.enable()
    larkfast.save_shapes()  # the value shapes this block taught the parsers, for the next runs
    return checked


def check_file(source: str | os.PathLike | object, strict: bool, workers: int | None = None) -> Iterator[Checked]:
    """Check a file (path, or a binary stream such as stdin), yielding results in file order.
    Raises rpsl.reader.InputError (after yielding what was read before) for truncated or corrupt
    gzip data."""
    size = Path(source).stat().st_size if isinstance(source, (str, os.PathLike)) else 0
    n = workers if workers is not None else (os.cpu_count() or 1)
    if size < PARALLEL_FROM or n <= 1:
        if isinstance(source, (str, os.PathLike)):
            with reader.open_binary(source) as stream:
                for data, line in reader.iter_blocks(stream):
                    yield check_block(data, line, strict)
        else:
            for data, line in reader.iter_blocks(source):  # type: ignore[arg-type]
                yield check_block(data, line, strict)
        return
    fork = "fork" in multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("fork" if fork else "spawn")
    with reader.open_binary(source) as stream:  # type: ignore[arg-type]
        blocks = reader.iter_blocks(stream, reader.BLOCK_SIZE // 4)
        if fork:
            for data, line in blocks:  # the forked workers inherit what checking it loaded
                yield check_block(data, line, strict)
                break
            following = next(blocks, None)
            if following is None:  # one block (one big object): no workers to start
                return
            blocks = itertools.chain([following], blocks)
        yield from _check_in_pool(ctx, n, blocks, strict)


def _check_in_pool(ctx, n: int, blocks: Iterator[tuple[bytes, int]], strict: bool) -> Iterator[Checked]:
    """Check the blocks in n worker processes, yielding the results in order."""
    gc.freeze()  # forked workers never walk (and so copy) the objects they inherit
    try:
        yield from _pool_results(ctx, n, blocks, strict)
    finally:
        gc.unfreeze()


def _pool_results(ctx, n: int, blocks: Iterator[tuple[bytes, int]], strict: bool) -> Iterator[Checked]:
    with ctx.Pool(n, initializer=gc.disable) as pool:  # short-lived objects, no cycles: no GC
        pending: deque = deque()
        try:
            for data, line in blocks:
                pending.append(pool.apply_async(check_block, (data, line, strict)))
                if len(pending) >= 2 * n:  # bounded: the file is never all in memory
                    yield pending.popleft().get()
        except reader.InputError:
            while pending:  # what was read before the error is still reported
                yield pending.popleft().get()
            raise
        while pending:
            yield pending.popleft().get()
