"""Split a stream of RPSL text into object paragraphs, fast, never crashing on bad bytes.

Handles plain and gzip files, stdin, NRTM payloads and e-mail bodies: CRLF, blank-line
separation (only a zero-length line ends an object, as IRRd: a line of blanks is a
continuation), `#`/`%` whole-line comments (skipped later by the object parser so that line
numbers stay right), a leading comment paragraph, NUL bytes and bytes that are not UTF-8
(kept as backslash escapes, as IRRd does).
"""
from __future__ import annotations

import gzip
import io
import os
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

BLOCK_SIZE = 1 << 22


@dataclass(frozen=True, slots=True)
class Paragraph:
    """The text of one object (LF line ends, may still hold comment lines) and its first line."""

    text: str
    line: int


def decode(data: bytes) -> str:
    """UTF-8 with a lossless fallback for bad bytes; NUL bytes dropped (PostgreSQL can't store them)."""
    text = data.decode("utf-8", "backslashreplace")
    if "\x00" in text:
        text = text.replace("\x00", "")
    return text


def open_binary(path: str | os.PathLike) -> BinaryIO:
    """Open a dump file; gzip is recognised by its magic bytes, not its name. '-' is stdin."""
    if str(path) == "-":
        return sys.stdin.buffer
    f = open(path, "rb")  # noqa: SIM115 - the caller closes the returned stream
    if f.peek(2)[:2] == b"\x1f\x8b":
        return gzip.GzipFile(fileobj=f, mode="rb")  # type: ignore[return-value]
    return f


def iter_blocks(stream: BinaryIO, block_size: int = BLOCK_SIZE) -> Iterator[tuple[bytes, int]]:
    """Yield (bytes, first line number) blocks that end on a paragraph boundary."""
    line = 1
    rest = b""
    while True:
        data = stream.read(block_size)
        if not data:
            break
        data = rest + data
        cut = max(data.rfind(b"\n\n") + 2, data.rfind(b"\n\r\n") + 3)
        if cut < 3:  # no paragraph boundary yet: a huge object, read on
            rest = data
            continue
        block, rest = data[:cut], data[cut:]
        yield block, line
        line += block.count(b"\n")
    if rest:
        yield rest, line


def split_paragraphs(text: str, first_line: int = 1) -> list[Paragraph]:
    """Split decoded text into paragraphs at zero-length lines (after CR removal)."""
    if "\r\n" in text:
        text = text.replace("\r\n", "\n")
    result = []
    line = first_line
    for part in text.split("\n\n"):
        if part:
            if part[0] == "\n":
                stripped = part.lstrip("\n")
                line += len(part) - len(stripped)
                part = stripped
            if part:
                result.append(Paragraph(part if part[-1] != "\n" else part.rstrip("\n"), line))
        line += part.count("\n") + 2
    return result


def iter_paragraphs(source: str | bytes | os.PathLike | BinaryIO | io.TextIOBase | Iterable[str],
                    ) -> Iterator[Paragraph]:
    """Paragraphs of a file path, bytes, str, binary stream or iterable of text lines."""
    if isinstance(source, str) and ("\n" in source or not os.path.exists(source)):
        yield from split_paragraphs(source)
        return
    if isinstance(source, bytes):
        yield from split_paragraphs(decode(source))
        return
    if isinstance(source, (str, os.PathLike)):
        with open_binary(source) as f:
            yield from iter_paragraphs(f)
        return
    if isinstance(source, io.TextIOBase) or not hasattr(source, "read"):
        yield from split_paragraphs("".join(source))  # type: ignore[arg-type]
        return
    for block, line in iter_blocks(source):  # type: ignore[arg-type]
        yield from split_paragraphs(decode(block), line)
