"""An NRTMv3 journal that continues a generated dump: new versions of existing objects, deletions
of leaf objects (routes, route6, reverse domains, assignments) and new objects (routes, route6,
persons, domains) that refer to existing ones. Serials are consecutive from `serial_start`.

The journal's changes fall on a sample of members, whose objects are rendered again here; every
DEL carries the text of the version it deletes, and nothing is changed after its deletion.
"""
from __future__ import annotations

import random
import re
import time
from collections.abc import Iterator

from rpsl.generate import words
from rpsl.generate.plan import Member, Plan
from rpsl.generate.render import Renderer
from rpsl.generate.text import PAD, v4, v6

_ORIGIN = re.compile(r"^origin:\s*(AS\d+)", re.IGNORECASE | re.MULTILINE)
_ADMIN = re.compile(r"^admin-c:\s*(\S+)", re.IGNORECASE | re.MULTILINE)
_LEAF_STATUS = re.compile(r"^status:\s*ASSIGNED NON-PORTABLE", re.IGNORECASE | re.MULTILINE)
JOURNAL_EPOCH = 1735689600          # 2025-01-01: the journal's changes come after the dump's


class _MemberState:
    """The current objects of one member: position -> (class, text), and what names are taken."""

    def __init__(self, m: Member, objects: list[tuple[str, str]]):
        self.m = m
        self.alive = dict(enumerate(objects))
        self.next = len(objects)
        self.routes = {(text.split("\n", 1)[0].split(":", 1)[1].strip(), _ORIGIN.search(text).group(1))
                       for cls, text in objects if cls in ("route", "route6")}
        self.zones = {text.split("\n", 1)[0].split(":", 1)[1].strip() for cls, text in objects if cls == "domain"}
        org = next(text for cls, text in objects if cls == "organisation")
        self.admin = _ADMIN.search(org).group(1)

    def leaves(self) -> list[int]:
        return [k for k, (cls, text) in self.alive.items() if cls in ("route", "route6", "domain")
                or (cls in ("inetnum", "inet6num") and _LEAF_STATUS.search(text))]


def operations(plan: Plan, renderer: Renderer, count: int, serial_start: int) -> Iterator[tuple[int, str, str]]:
    """(serial, "ADD" or "DEL", object text) of the journal, in serial order."""
    rng = random.Random(f"irr-generate/{plan.seed}/journal/{count}")
    sample = sorted(rng.sample(range(len(plan.members)), min(len(plan.members), max(10, count // 10))))
    states: dict[int, _MemberState] = {}
    new_handle = plan.handle_end + 1_000_000
    for k in range(count):
        serial = serial_start + k
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(JOURNAL_EPOCH + 37 * k))
        index = rng.choice(sample)
        if index not in states:
            m = plan.members[index]
            states[index] = _MemberState(m, renderer.member_objects(m))
        state = states[index]
        x = rng.random()
        leaves = state.leaves() if 0.4 <= x < 0.65 else []
        if x < 0.4 or (x < 0.65 and not leaves):
            key = rng.choice(list(state.alive))
            cls, text = state.alive[key]
            text = _new_version(text, serial, stamp)
            state.alive[key] = (cls, text)
            yield serial, "ADD", text
        elif leaves:
            key = rng.choice(leaves)
            yield serial, "DEL", state.alive.pop(key)[1]
        else:
            new_handle += 1
            cls, text = _new_object(rng, plan, state, stamp, new_handle)
            state.alive[state.next] = (cls, text)
            state.next += 1
            yield serial, "ADD", text


def write(path, plan: Plan, renderer: Renderer, count: int, serial_start: int) -> int:
    """Write the journal as one NRTMv3 answer; returns the number of operations."""
    last = serial_start + count - 1
    with open(path, "w", encoding="utf-8", newline="\n") as out:
        out.write(f"%START Version: 3 {plan.source} {serial_start}-{last}\n\n")
        for serial, op, text in operations(plan, renderer, count, serial_start):
            out.write(f"{op} {serial}\n\n{text}\n\n")
        out.write(f"%END {plan.source}\n")
    return count


def _new_version(text: str, serial: int, stamp: str) -> str:
    lines = text.split("\n")
    at = next((i for i, line in enumerate(lines) if line.lower().startswith("last-modified:")), len(lines) - 1)
    if lines[at].lower().startswith("last-modified:"):
        lines[at] = PAD["last-modified"] + stamp
    lines.insert(at, PAD["remarks"] + f"changed in the journal at serial {serial}")
    return "\n".join(lines)


def _new_object(rng: random.Random, plan: Plan, state: _MemberState, stamp: str, handle: int) -> tuple[str, str]:
    m = state.m
    tail = [PAD["last-modified"] + stamp, PAD["source"] + plan.source]
    kind = rng.random()
    if kind < 0.4:
        for _ in range(50):
            prefix = f"{v4(m.v4_start + (rng.randrange(m.v4_size >> 8) << 8))}/24"
            origin = f"AS{rng.choice(m.asns)}"
            if (prefix, origin) not in state.routes:
                state.routes.add((prefix, origin))
                return "route", "\n".join([PAD["route"] + prefix, PAD["descr"] + words.fold(m.name),
                                           PAD["origin"] + origin, PAD["mnt-by"] + m.mntners[0], *tail])
    if kind < 0.6:
        while True:
            prefix = v6(m.v6_start + (rng.randrange(1, 1 << 16) << 80), 48)
            origin = f"AS{rng.choice(m.asns)}"
            if (prefix, origin) not in state.routes:
                state.routes.add((prefix, origin))
                return "route6", "\n".join([PAD["route6"] + prefix, PAD["descr"] + words.fold(m.name),
                                            PAD["origin"] + origin, PAD["mnt-by"] + m.mntners[0], *tail])
    if kind < 0.8:
        while True:
            nibbles = f"{(m.v6_start >> 80) + rng.randrange(1, 1 << 16):012x}"
            zone = ".".join(reversed(nibbles)) + ".ip6.arpa"
            if zone not in state.zones:
                state.zones.add(zone)
                return "domain", "\n".join([PAD["domain"] + zone, PAD["descr"] + f"Reverse zone of {m.code}",
                                            PAD["admin-c"] + state.admin, PAD["tech-c"] + state.admin,
                                            PAD["zone-c"] + state.admin, PAD["nserver"] + f"ns1.{m.domain}",
                                            PAD["nserver"] + f"ns2.{m.domain}", PAD["mnt-by"] + m.mntners[0], *tail])
    first, last = rng.choice(words.FIRST), rng.choice(words.LAST)
    email = f"{first.lower()}.{last.lower()}@{m.domain}"
    return "person", "\n".join([PAD["person"] + f"{first} {last}", PAD["address"] + m.name, PAD["country"] + m.cc,
                                PAD["phone"] + f"+1-555-{handle % 10000:04d}", PAD["e-mail"] + email,
                                PAD["nic-hdl"] + f"{first[0]}{last[0]}{handle}-AP", PAD["mnt-by"] + m.mntners[0],
                                *tail])
