"""Addresses and prefixes as bgpq4 1.16 reads and writes them (glibc's inet_pton/inet_ntop, its
sscanf fallback for leading zeros, strtol for lengths), as integers: the prefix engine
(irr.filters.prefixes) and the printers (irr.filters.formats) work on those."""
from __future__ import annotations

import re
import socket

WIDTH = {4: 32, 6: 128}
AF_NUMBER = {4: 2, 6: 10}          # Linux AF_INET / AF_INET6, as bgpq4 prints them in messages
AF_NAME = {4: "inet", 6: "inet6"}


def ntop(family: int, addr: int) -> str:
    """inet_ntop: dotted quad, or glibc's IPv6 text (longest zero run of 2+ words compressed,
    `::a.b.c.d` for IPv4-compatible and `::ffff:a.b.c.d` for mapped addresses)."""
    if family == 4:
        return _ntoa(addr.to_bytes(4, "big"))
    words = [(addr >> (112 - 16 * i)) & 0xFFFF for i in range(8)]
    best, best_len, cur, cur_len = -1, 0, -1, 0
    for i, w in enumerate(words):
        if w == 0:
            if cur < 0:
                cur, cur_len = i, 1
            else:
                cur_len += 1
            if cur_len > best_len:
                best, best_len = cur, cur_len
        else:
            cur = -1
    if best_len < 2:
        best = -1
    out = []
    i = 0
    while i < 8:
        if best >= 0 and best <= i < best + best_len:
            if i == best:
                out.append(":")
            i += 1
            continue
        if i:
            out.append(":")
        if i == 6 and best == 0 and (best_len == 6 or (best_len == 5 and words[5] == 0xFFFF)):
            out.append(ntop(4, addr & 0xFFFFFFFF))
            break
        out.append(f"{words[i]:x}")
        i += 1
    if best >= 0 and best + best_len == 8:
        out.append(":")
    return "".join(out)


_ntoa = socket.inet_ntoa
SOCKET_FAMILY = {4: socket.AF_INET, 6: socket.AF_INET6}
MASKS = {f: [((1 << w) - 1) ^ ((1 << (w - n)) - 1) for n in range(w + 1)] for f, w in WIDTH.items()}


def mask(family: int, length: int) -> int:
    return MASKS[family][length]


def strtol(text: str) -> tuple[int, str, bool]:
    """C strtol/strtoul base 10: (value, rest, digits seen)."""
    m = re.match(r"[ \t\n\v\f\r]*([+-]?)(\d*)", text)
    if not m.group(2):
        return 0, text, False
    value = int(m.group(2))
    return (-value if m.group(1) == "-" else value), text[m.end():], True


_SCAN_INT = re.compile(r"[ \t\n\v\f\r]*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)")


def _sscanf_quad(text: str) -> list[int] | None:
    """sscanf(text, "%i.%i.%i.%i"): bgpq4's fallback for addresses glibc refuses (leading zeros)."""
    parts, pos = [], 0
    for i in range(4):
        if i:
            if text[pos:pos + 1] != ".":
                return None
            pos += 1
        m = _SCAN_INT.match(text, pos)
        if not m:
            return None
        digits = m.group(2)
        value = int(digits, 16) if digits[:2] in ("0x", "0X") else int(digits, 8) if digits[0] == "0" else int(digits)
        parts.append(-value if m.group(1) == "-" else value)
        pos = m.end()
    return parts


def parse_prefix(text: str, errors: list[str] | None = None) -> tuple[int, int, int] | None:
    """sx_prefix_parse: (family, addr, length) with host bits cleared; None after an error.
    No length means a host route; a length out of range means the full length."""
    mtext = text[:50]   # bgpq4 copies into a 51-byte buffer
    slash = mtext.find("/")
    if slash >= 0:
        masklen, rest, _ = strtol(mtext[slash + 1:])
        if rest and not rest[0].isspace():
            report(errors, f"Invalid masklen in prefix {text}\n")
            return None
        address = mtext[:slash]
    else:
        masklen, address = -1, mtext
    family = 6 if ":" in address else 4
    try:
        addr = int.from_bytes(socket.inet_pton(socket.AF_INET6 if family == 6 else socket.AF_INET, address), "big")
    except (OSError, ValueError):
        quad = _sscanf_quad(address) if family == 4 else None
        if quad is None or not all(0 <= p < 256 for p in quad):
            report(errors, f"Unable to parse prefix '{mtext}', af={AF_NUMBER[family]} ({AF_NAME[family]}), ret=0\n")
            return None
        addr = (quad[0] << 24) + (quad[1] << 16) + (quad[2] << 8) + quad[3]
    width = WIDTH[family]
    length = width if masklen < 0 or masklen > width else masklen
    return family, addr & mask(family, length), length


def parse_plain(text: str) -> tuple[int, int, int] | None:
    """The common case fast (what the server sends: `addr/len`, canonical); None otherwise."""
    slash = text.find("/")
    tail = text[slash + 1:]
    if slash < 0 or not (tail.isdigit() and tail.isascii()) or len(text) > 50:
        return None
    address = text[:slash]
    family = 6 if ":" in address else 4
    try:
        addr = int.from_bytes(socket.inet_pton(SOCKET_FAMILY[family], address), "big")
    except (OSError, ValueError):
        return None
    width = 32 if family == 4 else 128
    length = int(tail)
    if length > width:
        length = width
    return family, addr & (((1 << width) - 1) ^ ((1 << (width - length)) - 1)), length


def report(errors: list[str] | None, message: str) -> None:
    """Add bgpq4's `ERROR:` line to `errors` (None: not collected)."""
    if errors is not None:
        errors.append("ERROR:" + message)
