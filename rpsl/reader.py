"""Split a stream of RPSL text into object paragraphs, fast, never crashing on bad bytes.

Handles plain and gzip files, stdin, NRTM payloads and e-mail bodies: CRLF and CR-only line
ends (old Mac files: each CR is a line end), a UTF-8 byte-order mark at the start, blank-line
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
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

BLOCK_SIZE = 1 << 22
BOM = b"\xef\xbb\xbf"  # UTF-8 byte-order mark, written by some Windows editors


@dataclass(frozen=True, slots=True)
class Paragraph:
    """The text of one object (LF line ends, may still hold comment lines) and its first line."""

    text: str
    line: int


class InputError(ValueError):
    """A file could not be read to its end: truncated or corrupt gzip data. Names the file."""


def _name(stream: object) -> str:
    name = getattr(stream, "name", None)
    return name if isinstance(name, str) and name else "input"


def _read(stream: BinaryIO, size: int) -> bytes:
    """stream.read, with gzip trouble as an InputError that says which file and what is wrong."""
    try:
        return stream.read(size)
    except EOFError:
        raise InputError(f"{_name(stream)}: the gzip data ends before its end marker: the file is truncated "
                         "(an interrupted download?)") from None
    except (zlib.error, gzip.BadGzipFile) as e:
        raise InputError(f"{_name(stream)}: corrupt gzip data ({e})") from None


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
    """Yield (bytes, first line number) blocks that end on a paragraph boundary. Line ends come
    out as LF (CRLF and lone CR are line ends); a byte-order mark at the start is dropped."""
    line = 1
    rest = b""
    carry = b""  # a CR at the end of a read: maybe the first half of a CRLF
    first = True
    while True:
        chunk = _read(stream, block_size)
        if first:
            first = False
            if chunk[:3] == BOM:
                chunk = chunk[3:]
        if not chunk:
            if carry:
                rest += b"\n"
            break
        data, carry = carry + chunk, b""
        if b"\r" in data:
            if data[-1:] == b"\r":
                data, carry = data[:-1], b"\r"
            data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        data = rest + data
        cut = data.rfind(b"\n\n") + 2
        if cut < 2:  # no paragraph boundary yet: a huge object, read on
            rest = data
            continue
        block, rest = data[:cut], data[cut:]
        yield block, line
        line += block.count(b"\n")
    if rest:
        yield rest, line


def normalise_line_ends(text: str) -> str:
    """CRLF and lone CR as LF, and no byte-order mark at the start."""
    if text[:1] == "\ufeff":
        text = text[1:]
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def split_paragraphs(text: str, first_line: int = 1) -> list[Paragraph]:
    """Split decoded text into paragraphs at zero-length lines (CRLF and CR are line ends; a
    byte-order mark is dropped at the start of the input)."""
    if "\r" in text or (first_line == 1 and text[:1] == "\ufeff"):
        text = normalise_line_ends(text) if first_line == 1 else text.replace("\r\n", "\n").replace("\r", "\n")
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
        yield from split_paragraphs(decode(source.removeprefix(BOM)))
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
