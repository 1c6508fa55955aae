"""NRTMv3 server on the whois port: `-g SOURCE:VERSION:FIRST-LAST [-k]` from the journal.

Answers as IRRd 4.5 does (spec nrtm.md §2.2, §2.6): `%START Version: 3 SRC first-last`, one
`ADD n`/`DEL n` paragraph and the object per journal entry (password hashes masked), `%END SRC`.
`LAST` is case-insensitive (Debian's whois sends `last`). Access is per source, denied unless the
client's address is in the source's `nrtm_access`; how far back serials are served is limited by
`nrtm_max_serials`. With `-k` (RIPE's keep-alive) the stream never ends: new journal entries are
sent as they commit, and `%END` is never written.
"""
from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from rpsl.output import mask_hashes

_G = re.compile(r"^([^:\s]+):([^:\s]+):([^-\s]+)-([^\s]+)$")


class NrtmError(Exception):
    """Answered as `%% ERROR: <message>`."""


@dataclass
class NrtmRequest:
    source: str
    version: int
    first: int
    last: int | None      # None: LAST
    keepalive: bool


def is_nrtm(query: str) -> bool:
    """Is this a `-g` query, whatever flags come with it?"""
    return query.startswith("-") and "-g" in query.split()


# flags a mirror client may send along with -g: the -g source decides, so they are ignored
_IGNORED_WITH_ARGUMENT = frozenset({"-V", "-s"})
_IGNORED = frozenset({"-a", "-r"})


def parse_request(query: str) -> NrtmRequest:
    """`-g SRC:3:FIRST-LAST`, with `-k` and a client's `-V NAME`, `-s`, `-a`, `-r` before or after."""
    words = query.split()
    tokens: list[str] = []
    keepalive = False
    i = 0
    while i < len(words):
        word = words[i]
        if word == "-k":
            keepalive = True
        elif word in _IGNORED_WITH_ARGUMENT:
            i += 1
        elif word not in _IGNORED:
            tokens.append(word)
        i += 1
    if len(tokens) != 2 or tokens[0] != "-g":
        raise NrtmError("Invalid NRTM query: use -g SOURCE:3:FIRST-LAST [-k]")
    m = _G.match(tokens[1])
    if not m:
        raise NrtmError("Invalid parameter: must contain three elements")
    source, version, first, last = m.group(1).upper(), m.group(2), m.group(3), m.group(4)
    if version not in ("1", "3"):
        raise NrtmError(f"Invalid NRTM version: {version}")
    if not first.isdigit() or not (last.isdigit() or last.upper() == "LAST"):
        raise NrtmError(f"Invalid serial range: {first}-{last}")
    return NrtmRequest(source, int(version), int(first), None if last.upper() == "LAST" else int(last), keepalive)


def allowed(peer: str, access: tuple[str, ...]) -> bool:
    host = peer.rsplit(":", 1)[0].strip("[]")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    for network in access:
        try:
            if address in ipaddress.ip_network(network, strict=False):
                return True
        except ValueError:
            continue
    return False


def operations(entries, version: int) -> str:
    """Journal entries as NRTM paragraphs (each followed by a blank line)."""
    out = []
    for e in entries:
        head = e.operation if version == 1 else f"{e.operation} {e.serial}"
        out.append(f"{head}\n\n{mask_hashes(e.object_text).rstrip(chr(10))}\n\n")
    return "".join(out)


class NrtmServer:
    """Serves `-g` for the sources of the configuration from the store's journal."""

    def __init__(self, config, store):
        self.config = config
        self.store = store

    def mirrorable(self, peer: str) -> frozenset[str]:
        """The sources a client at `peer` may mirror."""
        return frozenset(name for name, s in self.config.sources.items() if allowed(peer, s.nrtm_access))

    def answer(self, request: NrtmRequest, peer: str) -> tuple[str, int]:
        """The whole answer (or, with -k, its first part) and the next serial to stream from."""
        source = self.config.sources.get(request.source)
        if source is None and request.source not in {s.name for s in self.store.sources()}:
            raise NrtmError(f"Unknown source: {request.source}")
        if source is None or not allowed(peer, source.nrtm_access):
            raise NrtmError("Access denied")
        oldest, newest = self.store.journal_range(request.source)
        header = f"%START Version: {request.version} {request.source}"
        if newest is None:
            if request.keepalive:
                return f"{header} {request.first}-{request.first - 1}\n\n", request.first
            return "% Warning: there are no updates available\n\n\n", request.first
        last = newest if request.last is None else request.last
        if request.last is not None and request.first > request.last:
            raise NrtmError(f"Start of the serial range ({request.first}) must be lower or equal to end of the "
                            f"serial range ({request.last})")
        if request.last is None and request.first == newest + 1:  # the client is up to date
            if request.keepalive:
                return f"{header} {request.first}-{newest}\n\n", request.first
            return "% Warning: there are no newer updates available\n\n\n", request.first
        # IRRd's checks and texts, in its order
        if request.first < oldest:
            raise NrtmError(f"Serials {request.first} - {oldest} do not exist")
        if request.last is not None and request.last > newest:
            raise NrtmError(f"Serials {newest} - {request.last} do not exist")
        if request.last is None and request.first > newest:
            # a start past newest+1 with LAST: the server was reset, or the client is confused
            raise NrtmError(f"Serials {newest} - {request.first} do not exist")
        if last - request.first + 1 > source.nrtm_max_serials:
            raise NrtmError(f"Serial range requested exceeds maximum range of {source.nrtm_max_serials}")
        body = [f"{header} {request.first}-{last}\n\n"]
        chunk = 10_000
        for start in range(request.first, last + 1, chunk):
            body.append(operations(self.store.journal(request.source, start, min(last, start + chunk - 1)),
                                   request.version))
        if not request.keepalive:
            body.append(f"%END {request.source}\n\n\n")
        return "".join(body), last + 1

    def more(self, source: str, since: int, version: int) -> tuple[str, int]:
        """Entries committed since `since` (keep-alive streams)."""
        entries = self.store.journal(source, since)
        if not entries:
            return "", since
        return operations(entries, version), entries[-1].serial + 1
