"""The prefix engine of bgpq4 1.16, with its exact semantics and quirks (spec bgpq4.md §1-3).

Prefixes are plain integers: a prefix is `addr * 256 + length` (a *key*; sorting keys sorts by
address, then shorter first: bgpq4's output order). bgpq4 keeps a radix tree; its shape only
depends on the set of prefixes (a node per prefix plus a glue node at every branch point), so
the set is collected first and the tree is built in one pass from the sorted keys, only when
`-R`, `-r` or `-A` need it. Aggregation, refine and refineLow are ports of sx_prefix.c.
"""
from __future__ import annotations

import socket
import weakref
from collections.abc import Iterable
from typing import NamedTuple

from irr.filters.addresses import (
    AF_NUMBER,
    MASKS,
    SOCKET_FAMILY,
    WIDTH,
    ntop,
    parse_plain,
    parse_prefix,
    report,
    strtol,
)
from irr.query.sets import SetLimitError

DEFAULT_LIMIT = 2_000_000          # prefixes a run may hold (bgpq4 has none: it just runs out of memory)


class Entry(NamedTuple):
    """One printed line of a prefix list: exact, or an aggregate `low`..`high` (bgpq4's node)."""

    addr: int
    length: int
    aggregate: bool = False
    low: int = 0
    high: int = 0

    @property
    def lengths(self) -> tuple[int, int]:
        """The prefix lengths this entry allows, as the printers compute them."""
        if not self.aggregate:
            return self.length, self.length
        return (self.low if self.low > self.length else self.length), self.high


class TooLarge(SetLimitError):
    """A prefix-range would expand past the run's limit (bgpq4 would try, and run out of memory)."""


def is_special_asn(asn: int) -> bool:
    """ASNs bgpq4 1.16 drops unless -p: AS23456, documentation/private 64496-65551, >= 4200000000."""
    return asn == 23456 or 64496 <= asn <= 65551 or asn >= 4200000000


_ORIGIN_KEYS: dict[int, dict] = {}


def origin_keys(snapshot, asn: int, family: int) -> tuple[int, ...] | None:
    """The route(6) prefixes `asn` originates in one snapshot, as keys. Parsed once per snapshot
    (a snapshot is replaced, not changed, when its source changes; the cache goes with it).
    None when one of them isn't plain canonical text: the caller then parses as bgpq4 does."""
    cache = _ORIGIN_KEYS.get(id(snapshot))
    if cache is None:
        cache = _ORIGIN_KEYS.setdefault(id(snapshot), {})
        weakref.finalize(snapshot, _ORIGIN_KEYS.pop, id(snapshot), None)
    found = cache.get((asn, family))
    if found is None:
        keys = []
        for text in (snapshot.v4 if family == 4 else snapshot.v6).get(asn, ()):
            parsed = parse_plain(text)
            if parsed is None or parsed[0] != family:
                return None
            keys.append(parsed[1] * 256 + parsed[2])
        found = cache[(asn, family)] = tuple(keys)
    return found


# -- the prefix set of one run -----------------------------------------------------------------------
class PrefixTree:
    """The prefixes of one bgpq4 run (one address family): what its radix tree holds.

    `maxlen` is bgpq4's internal limit: 0 disables the length filter *and* caps range
    expansion at the base prefix (the `-m 32` / `-m 128` quirk, spec §2)."""

    def __init__(self, family: int, maxlen: int | None = None, limit: int = DEFAULT_LIMIT):
        self.family = family
        self.width = WIDTH[family]
        self.maxlen = self.width if maxlen is None else maxlen
        self.limit = limit
        self.keys: set[int] = set()

    def __len__(self) -> int:
        return len(self.keys)

    def add(self, addr: int, length: int) -> None:
        """Insert one prefix (host bits must be clear); duplicates collapse."""
        self.keys.add(addr * 256 + length)
        if len(self.keys) > self.limit:
            raise TooLarge(f"more than {self.limit} prefixes")

    def add_prefix(self, text: str, errors: list[str] | None = None) -> bool:
        """bgpq_expander_add_prefix: another family is ignored quietly, so is a prefix longer
        than the limit (dropped, not truncated)."""
        parsed = parse_plain(text) or parse_prefix(text, errors)
        if parsed is None:
            report(errors, f"Unable to parse prefix {text}\n")
            return False
        family, addr, length = parsed
        if family != self.family or (self.maxlen and length > self.maxlen):
            return False
        self.add(addr, length)
        return True

    def add_keys(self, keys: Iterable[int]) -> None:
        """Prefixes of this family already as keys (parsed from canonical text): -m applies."""
        if self.maxlen:
            maxlen = self.maxlen
            self.keys.update(k for k in keys if k & 255 <= maxlen)
        else:
            self.keys.update(keys)
        if len(self.keys) > self.limit:
            raise TooLarge(f"more than {self.limit} prefixes")

    def add_tokens(self, tokens: Iterable[str], errors: list[str] | None = None) -> None:
        """bgpq_expanded_prefix on every token of an answer: prefixes and prefix-ranges. The
        server's canonical `addr/len` takes a short path; anything else the exact one."""
        keys, width, maxlen, masks = self.keys, self.width, self.maxlen, MASKS[self.family]
        pton, af, other_af = socket.inet_pton, SOCKET_FAMILY[self.family], SOCKET_FAMILY[10 - self.family]
        six = self.family == 6
        for text in tokens:
            slash = text.find("/")
            if slash > 0 and "^" not in text and len(text) <= 50:
                tail = text[slash + 1:]
                if tail.isdigit() and tail.isascii():
                    address = text[:slash]
                    if (":" in address) == six:
                        try:
                            addr = int.from_bytes(pton(af, address), "big")
                        except OSError:
                            pass
                        else:
                            length = int(tail)
                            if length > width:
                                length = width
                            if not maxlen or length <= maxlen:
                                keys.add((addr & masks[length]) * 256 + length)
                            continue
                    else:
                        try:
                            pton(other_af, address)  # the other family: ignored once it parses
                            continue
                        except OSError:
                            pass
            if "^" in text:
                self.add_range(text, errors)
            else:
                self.add_prefix(text, errors)
        if len(keys) > self.limit:
            raise TooLarge(f"more than {self.limit} prefixes")

    def add_range(self, text: str, errors: list[str] | None = None) -> bool:
        """sx_prefix_range_parse: `P/l^-`, `^+`, `^n`, `^n-m`, exploded into every prefix."""
        caret = text.find("^")
        if caret < 0 or caret + 1 >= len(text):
            return False
        base, op = text[:caret], text[caret + 1:]
        parsed = parse_prefix(base, errors)
        if parsed is None:
            report(errors, f"Unable to parse prefix {base}^{op}\n")
            return False
        family, addr, length = parsed
        if family != self.family:
            report(errors, f"Ignoring prefix {text}, wrong af {AF_NUMBER[family]}\n")
            return False
        maxlen = self.maxlen
        if maxlen and length > maxlen:
            return False
        if op[0] == "-":
            low, high = length + 1, maxlen
        elif op[0] == "+":
            low, high = length, maxlen
        elif op[0].isdigit():
            low, rest, _ = strtol(op)
            if rest[:1] == "-" and rest[1:2].isdigit():
                high = strtol(rest[1:])[0]
            elif rest:
                report(errors, f"Unable to parse prefix-range {text}\n")
                return False
            else:
                high = low
        else:
            report(errors, f"Invalid prefix-range {text}\n")
            return False
        if low < length:
            report(errors, f"Invalid prefix-range {text}: min {low} < masklen {length}\n")
            return False
        if high > self.width:
            if family == 4:
                report(errors, f"Invalid prefix-range {text}: max {high} > 32\n")
            else:
                report(errors, f"Invalid ipv6 prefix-range {text}: max {high} > 128\n")
            return False
        self.add_specifics(addr, length, low, min(high, maxlen))
        return True

    def add_specifics(self, addr: int, length: int, low: int, high: int) -> None:
        """sx_radix_tree_insert_specifics: every prefix of length low..high inside addr/length."""
        count = (low <= length) + sum(1 << (k - length) for k in range(max(low, length + 1), high + 1))
        if len(self.keys) + count > self.limit:
            raise TooLarge(f"{ntop(self.family, addr)}/{length}^{low}-{high} expands to {count} prefixes")
        span = 1 << (self.width - length)
        if low <= length:  # the base prefix goes in even when `high` is below it (maxlen 0)
            self.keys.add(addr * 256 + length)
        for k in range(max(low, length + 1), high + 1):
            step = 1 << (self.width - k)
            # keys addr*256+k for addr in range(addr, addr+span, step), built at C speed
            self.keys.update(range(addr * 256 + k, (addr + span) * 256 + k, step * 256))

    # -- output --------------------------------------------------------------------------------------
    def entries(self, refine: int = 0, refine_low: int = 0, aggregate: bool = False) -> list[Entry]:
        """The printed entries, in bgpq4's order, after -R, -r and -A (applied in that order)."""
        keys = sorted(self.keys)
        if not (refine or refine_low or aggregate):
            new = tuple.__new__
            return [new(Entry, (k >> 8, k & 255, False, 0, 0)) for k in keys]
        if not (refine or refine_low):
            root = _build(keys, self.width, aggregate)
            return _walk(root) if root is not None else []
        root = _build(keys, self.width)
        if root is None:
            return []
        if refine:
            _refine(root, refine)
        if refine_low:
            _refine_low(root, refine_low, self.width)
        if aggregate:
            for node in _postorder(root):
                if node.l is not None and node.r is not None:
                    _aggregate(node)
        return _walk(root)


class Node:
    """A radix tree node (sx_radix_node); sons carry a second range for the same prefix."""

    __slots__ = ("addr", "length", "glue", "agg", "lo", "hi", "l", "r", "son")

    def __init__(self, addr: int, length: int, glue: bool = False):
        self.addr = addr
        self.length = length
        self.glue = glue
        self.agg = False
        self.lo = 0
        self.hi = 0
        self.l: Node | None = None
        self.r: Node | None = None
        self.son: Node | None = None


def _son(node: Node, lo: int, hi: int) -> Node:
    son = Node(node.addr, node.length)
    son.agg, son.lo, son.hi = True, lo, hi
    return son


def _build(keys: list[int], width: int, aggregate: bool = False) -> Node | None:
    """The Patricia tree bgpq4 builds from these prefixes, made from the sorted keys with a
    stack. A node leaves the stack once its subtree is complete, so `aggregate` can aggregate
    it right then (children before parents, as bgpq4's recursion does)."""
    root: Node | None = None
    stack: list[Node] = []
    push, pop = stack.append, stack.pop
    masks = MASKS[4 if width == 32 else 6]
    for key in keys:
        addr, length = key >> 8, key & 255
        node = Node(addr, length)
        popped = None
        while stack:
            top = stack[-1]
            if top.length <= length and (addr ^ top.addr) >> (width - top.length) == 0:
                break
            popped = pop()
            if aggregate and popped.l is not None and popped.r is not None:
                _aggregate(popped)
        parent = stack[-1] if stack else None
        if popped is None:
            if parent is None:
                root = node
            elif (addr >> (width - parent.length - 1)) & 1:
                parent.r = node
            else:
                parent.l = node
        else:
            # the new prefix branches off the subtree just left: sorted, so it goes right
            common = min(width - (addr ^ popped.addr).bit_length(), popped.length)
            if parent is not None and common == parent.length:
                parent.r = node
            else:
                glue = Node(addr & masks[common], common, True)
                glue.l, glue.r = popped, node
                if parent is None:
                    root = glue
                elif parent.l is popped:
                    parent.l = glue
                else:
                    parent.r = glue
                push(glue)
        push(node)
    if aggregate:
        while stack:
            node = pop()
            if node.l is not None and node.r is not None:
                _aggregate(node)
    return root


def _postorder(root: Node) -> list[Node]:
    """Every node, children before parents."""
    out: list[Node] = []
    todo = [root]
    while todo:
        node = todo.pop()
        out.append(node)
        if node.l is not None:
            todo.append(node.l)
        if node.r is not None:
            todo.append(node.r)
    out.reverse()
    return out


def _subtree(node: Node) -> Iterable[Node]:
    todo = [node]
    while todo:
        n = todo.pop()
        yield n
        if n.l is not None:
            todo.append(n.l)
        if n.r is not None:
            todo.append(n.r)


def _refine(root: Node, refine: int) -> None:
    """sx_radix_node_refine (-R): the topmost real prefixes shorter than `refine` allow more
    specifics up to it and hide what they cover up to that length; longer ones stay as they are."""
    todo = [root]
    while todo:
        node = todo.pop()
        if node.glue:
            todo.extend(c for c in (node.l, node.r) if c is not None)
        elif node.length < refine:
            node.agg, node.lo, node.hi = True, node.length, refine
            for child in (node.l, node.r):
                if child is not None:
                    for n in _subtree(child):
                        if n.length <= refine:
                            n.glue = True
        # a real prefix at or past `refine`: it and everything under it pass as they are


def _refine_low(root: Node, refine_low: int, width: int) -> None:
    """sx_radix_node_refineLow (-r): real prefixes up to `refine_low` long accept more specifics
    from `refine_low` on (up to -R, default the full length) and hide what they cover."""
    todo = [root]
    while todo:
        node = todo.pop()
        if node.glue:
            todo.extend(c for c in (node.l, node.r) if c is not None)
        elif node.length <= refine_low:
            if not node.agg:
                node.agg, node.lo, node.hi = True, refine_low, width
            else:
                node.lo = refine_low
            for child in (node.l, node.r):
                if child is not None:
                    for n in _subtree(child):
                        if n.length <= refine_low:
                            n.glue = True


def _aggregate(node: Node) -> None:
    """sx_radix_node_aggregate for one node whose two children are final (a literal port)."""
    left, right = node.l, node.r
    assert left is not None and right is not None
    one_longer = node.length + 1
    if not right.agg and not left.agg and not right.glue and not left.glue and right.length == left.length:
        if right.length == one_longer:
            node.agg = True
            right.glue = left.glue = True
            node.hi = right.length
            if node.glue:
                node.glue = False
                node.lo = right.length
            else:
                node.lo = node.length
        right_son, left_son = right.son, left.son
        if (right_son is not None and left_son is not None and right_son.agg and left_son.agg
                and right_son.hi == left_son.hi and right_son.lo == left_son.lo
                and right.length == one_longer and left.length == one_longer):
            node.son = _son(node, right_son.lo, right_son.hi)
            right_son.glue = left_son.glue = True
    elif right.agg and left.agg and right.hi == left.hi and right.lo == left.lo:
        if right.length == one_longer and left.length == one_longer:
            if node.glue:
                right.glue = left.glue = True
                node.agg, node.glue, node.hi, node.lo = True, False, right.hi, right.lo
            elif right.length == right.lo:
                right.glue = left.glue = True
                node.agg, node.hi, node.lo = True, right.hi, node.length
            else:
                node.son = _son(node, right.lo, right.hi)
                right.glue = left.glue = True
                right_son, left_son = right.son, left.son
                if (right_son is not None and left_son is not None
                        and right_son.hi == left_son.hi and right_son.lo == left_son.lo):
                    node.son.son = _son(node, right_son.lo, right_son.hi)
                    right_son.glue = left_son.glue = True
    elif left.son is not None and right.agg and left.son.agg and right.hi == left.son.hi and right.lo == left.son.lo:
        if right.length == one_longer and left.length == one_longer:
            if node.glue:
                right.glue = left.son.glue = True
                node.agg, node.glue, node.hi, node.lo = True, False, right.hi, right.lo
            else:
                node.son = _son(node, right.lo, right.hi)
                right.glue = left.son.glue = True
    elif right.son is not None and left.agg and right.son.agg and left.hi == right.son.hi and left.lo == right.son.lo:
        if left.length == one_longer and right.length == one_longer:
            if node.glue:
                left.glue = right.son.glue = True
                node.agg, node.glue, node.hi, node.lo = True, False, left.hi, left.lo
            else:
                node.son = _son(node, left.lo, left.hi)
                left.glue = right.son.glue = True


def _walk(root: Node) -> list[Entry]:
    """The printers' walk: pre-order, each node then its sons; glue is never printed."""
    out: list[Entry] = []
    new, append = tuple.__new__, out.append
    todo = [root]
    while todo:
        node = todo.pop()
        n: Node | None = node
        while n is not None:
            if not n.glue:
                append(new(Entry, (n.addr, n.length, n.agg, n.lo, n.hi)))
            n = n.son
        if node.r is not None:
            todo.append(node.r)
        if node.l is not None:
            todo.append(node.l)
    return out
