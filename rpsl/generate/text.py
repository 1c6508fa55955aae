"""Small text helpers of the generator: attribute padding and address notation."""
from __future__ import annotations


class _Pad(dict):
    def __missing__(self, name: str) -> str:
        self[name] = value = (name + ":").ljust(16)
        return value


PAD = _Pad()   # "descr" -> "descr:" padded to 16 columns, as APNIC writes objects


def v4(n: int) -> str:
    return f"{n >> 24}.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"


def v6(n: int, length: int) -> str:
    """A prefix whose address has bits only in its first three groups, compressed as RFC 5952 says."""
    a, b, c = n >> 112, (n >> 96) & 0xFFFF, (n >> 80) & 0xFFFF
    if c:
        return f"{a:x}:{b:x}:{c:x}::/{length}"
    return f"{a:x}:{b:x}::/{length}" if b else f"{a:x}::/{length}"


def prefix_length(size: int) -> int:
    """/n of a block of `size` IPv4 addresses (a power of two)."""
    return 33 - size.bit_length()
