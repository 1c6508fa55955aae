"""Formatting quirks seen in real mirrored data, one per affected object (rate: --oddity-rate).

Every quirk keeps the object loadable by a lenient (mirror) parser with the same key, class and
source; QUIRKS lists them. Only `comment-line` and `upper-case-name` make a line that
rpsl.lenient's fast path leaves to the full parser.
"""
from __future__ import annotations

import random
import re

QUIRKS = (
    "continuation",      # a value continued on a line starting with a blank, a tab or '+'
    "end-of-line-comment",  # "mnt-by: MAINT-X # primary"
    "comment-line",      # a '#' line inside the object
    "upper-case-name",   # "Descr:", "REMARKS:" (never the first line)
    "spacing",           # "attr:value" or "attr:<TAB>value"
    "source",            # "source: APNIC # Filtered", lower case, trailing blanks
    "asdot",             # a 4-byte AS number written asdot (AS2.1234) in as-set members or policy
                         # (half of the quirks of as-sets and aut-nums)
    "dangling-contact",  # admin-c naming a nic-hdl no object has
)
_ASPLAIN = re.compile(r"(?<![:\w.])AS(\d{6,10})(?![\w:.])")
_COMMENTS = ("# checked by the NOC", "# see ticket 4711", "# legacy entry", "# do not remove")


def apply(rng: random.Random, lines: list[str], cls: str, dangling: str) -> str:
    """Give the object (its lines, first line the class) one quirk; returns the quirk's name."""
    kind = "asdot" if cls in ("as-set", "aut-num") and rng.random() < 0.5 else rng.choice(QUIRKS)
    if kind == "asdot" and not _asdot(rng, lines, cls):
        kind = "end-of-line-comment"
    if kind == "dangling-contact":
        for i, line in enumerate(lines):
            if line.startswith("admin-c:"):
                lines[i] = line[:16] + dangling
                return kind
        kind = "comment-line"
    n = len(lines)
    body = rng.randrange(1, n - 1) if n > 2 else 1        # neither the class line nor source
    if kind == "continuation":
        i = _find(lines, ("descr:", "remarks:", "address:", "members:", "import:", "export:")) or body
        name, _, value = lines[i].partition(":")
        words = value.split()
        if len(words) > 1:
            cut = rng.randrange(1, len(words))
            lead = rng.choice((" " * 16, "\t", "+" + " " * 15))
            lines[i] = (name + ":").ljust(16) + " ".join(words[:cut])
            lines.insert(i + 1, lead + " ".join(words[cut:]))
        else:
            lines.insert(i + 1, "+")
    elif kind == "end-of-line-comment":
        i = _find(lines, ("mnt-by:",)) or body
        lines[i] += " " + rng.choice(_COMMENTS)
    elif kind == "comment-line":
        lines.insert(body, rng.choice(_COMMENTS))
    elif kind == "upper-case-name":
        name, _, value = lines[body].partition(":")
        lines[body] = (name.upper() if rng.random() < 0.5 else name.title()) + ":" + value
    elif kind == "spacing":
        name, _, value = lines[body].partition(":")
        lines[body] = name + (":" if rng.random() < 0.5 else ":\t") + value.strip()
    elif kind == "source":
        name, _, value = lines[-1].partition(":")
        value = value.strip()
        lines[-1] = rng.choice((f"source:         {value} # Filtered", f"source:         {value.lower()}",
                                f"source:         {value}   "))
    return kind


def _find(lines: list[str], names: tuple[str, ...]) -> int | None:
    for i in range(1, len(lines) - 1):
        if lines[i].startswith(names):
            return i
    return None


def _asdot(rng: random.Random, lines: list[str], cls: str) -> bool:
    if cls not in ("as-set", "aut-num"):
        return False
    candidates = [i for i in range(1, len(lines)) if lines[i].startswith(("members:", "import:", "export:"))
                  and _ASPLAIN.search(lines[i])]
    if not candidates:
        return False
    i = rng.choice(candidates)

    def dot(m: re.Match) -> str:
        n = int(m.group(1))
        return f"AS{n >> 16}.{n & 0xFFFF}" if n > 0xFFFF else m.group(0)

    lines[i] = _ASPLAIN.sub(dot, lines[i], count=1)
    return True
