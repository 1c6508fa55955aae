"""IRRd-style `!` commands with IRRd 4.5's exact framing and error texts (spec queries.md §2).

Answers are bytes: `A<n>\\n<data>\\nC\\n` (n counts the data's bytes plus the newline after it),
`C\\n`, `D\\n` (nothing found), `F <message>\\n`, or nothing at all for `!!`. The route and set
commands answer from memory (irr.query.memory) and cache their answers until a change reaches
them (irr.query.answers); object lookups go to PostgreSQL (irr.store.lookups).
"""
from __future__ import annotations

import json

from irr import version
from irr.query import sets
from irr.query.answers import CACHE_SIZE, AnswerCache
from irr.query.memory import RoutingMemory
from irr.store.lookups import canonical_key
from rpsl import keys
from rpsl.errors import ValueSyntaxError

C = b"C\n"
D = b"D\n"
NO_RESPONSE = b""
# Commands answered from memory; the others read PostgreSQL and run in a worker thread.
MEMORY_COMMANDS = frozenset("!gaistvnq6ef")


def answer(data: str) -> bytes:
    """Success with data, or C when there is none."""
    data = data.strip("\n")
    if not data:
        return C
    raw = data.encode()
    return b"A%d\n%s\nC\n" % (len(raw) + 1, raw)


def found(data: str) -> bytes:
    """Success with data, or D when the lookup found nothing."""
    return answer(data) if data.strip("\n") else D


def found_blocks(blocks: list[bytes]) -> bytes:
    """`found` of the text the encoded `blocks` make (each non-empty one ends in a blank), the
    last blank left out: one copy of the text."""
    total = sum(map(len, blocks))
    if not total:
        return D
    parts = list(blocks)
    last = len(parts) - 1
    while not parts[last]:
        last -= 1
    parts[last] = parts[last][:-1] + b"\n"
    return b"".join([b"A%d\n" % total, *parts, C])


def _members_subject(name: str, object_class: str | None) -> tuple:
    """The cache subject of a set's `!i` answer: an as-set's members change only with the sets
    it reaches (`("members", name)`, dropped for `Changes.expanded`); a route-set's also with the
    routes of its origins, and a name that is no set yet may become either (`("set", name)`,
    dropped for `Changes.reached`, which holds `expanded`)."""
    return ("members", name) if object_class == "as-set" else ("set", name)


def _encoded(kept: sets.Expansion | sets.Prefixes) -> bytes:
    """The `!i<set>,1` answer of a kept resolution, encoded when first asked and kept with it."""
    result = kept.answer
    if result is None:
        result = kept.answer = found(kept.text)
    return result


def error(message: str) -> bytes:
    return b"F " + message.replace("\n", " ").encode() + b"\n"


class QueryError(Exception):
    """Bad input: answered with F and the message."""



def _resources(obj) -> tuple[tuple[int, int] | None, int | None]:
    """((IP version, first address) or None, first AS number or None) of a stored object: the
    ip_first and asn_first IRRd sorts object answers by, read from its primary key."""
    cls, pk = obj.object_class, obj.pk
    try:
        if cls in ("route", "route6"):
            at = pk.rindex("AS")
            version, first, _, _ = keys.prefix(pk[:at])
            return (version, first), keys.as_number(pk[at:])
        if cls == "inet6num":
            version, first, _, _ = keys.prefix(pk)
            return (version, first), None
        if cls == "inetnum":
            return (4, keys.inetnum(pk)[0]), None
        if cls == "aut-num":
            return None, keys.as_number(pk)
        if cls == "as-block":
            return None, keys.as_range(pk)[0]
    except (ValueError, ValueSyntaxError):
        pass
    return None, None


def irrd_order(objects) -> list:
    """Objects in the order IRRd 4.5 answers `!r` and `!o` with (all sources together): by first
    address (IPv4 before IPv6, objects without one last), then first AS number, then primary key."""
    def key(obj):
        ip, asn = _resources(obj)
        return (ip is None, ip or (0, 0), asn is None, asn or 0, obj.pk)
    return sorted(objects, key=key)


def parse_asn(value: str) -> int:
    """`AS65537`, `as065537`, asdot `AS1.2`; errors worded as IRRd's."""
    text = value.strip()
    if not text.upper().startswith("AS"):
        raise QueryError(f'Invalid AS number {text}: must start with "AS"')
    try:
        return keys.as_number(text)
    except ValueSyntaxError:
        raise QueryError(f"Invalid AS number {text}: number part is not numeric or out of range") from None


class IrrdCommands:
    """Handles `!` queries for one server; per-connection state lives in the session."""

    def __init__(self, memory: RoutingMemory, lookups, store, limits: sets.Limits | None = None,
                 cache_size: int = CACHE_SIZE):
        self.memory = memory
        self.lookups = lookups
        self.store = store
        self.limits = limits or sets.Limits()
        self.answers = AnswerCache(memory, cache_size)

    # -- dispatch -------------------------------------------------------------------------------
    def handle(self, query: str, session, view: sets.View | None = None, key: tuple | None = None) -> bytes:
        """Answer one `!` query (without its `!`-prefix stripped: `query` starts with `!`); `view`
        and `key`: the routing memory's view and the answer cache key, when already at hand."""
        command = query[1:2]
        parameter = query[2:]
        if not command:
            return error("Missing IRRD command")
        if command in "tg6ijmnors" and not parameter:
            return error(f"Missing parameter for {command} query")
        try:
            return self._dispatch(command, parameter, query, session, view, key)
        except QueryError as e:
            return error(str(e))
        except sets.SetLimitError as e:
            return error(f"Set too large to resolve: {e}")

    def _dispatch(self, command: str, parameter: str, query: str, session, view: sets.View | None,
                  key: tuple | None) -> bytes:
        if command == "!":
            session.keepalive = True
            return NO_RESPONSE
        upper = query[1:].upper()
        if upper.startswith("FNO-"):
            return self._filter_option(upper[1:], session)
        if command in ("g", "6"):
            asn, family = parse_asn(parameter), 4 if command == "g" else 6
            return self._cached(session, query, (command, asn),
                                lambda view: found(view.chunk(asn, family)[:-1]), view, key)
        if command == "a":
            family, name = self._set_parameter(parameter)
            return self._cached(session, query, ("set", name), lambda view: self._prefixes(view, name, family, session),
                                view, key)
        if command == "i":
            recursive = parameter.endswith(",1")
            name = keys.name(parameter[:-2] if recursive else parameter)
            view = self._view(session) if view is None else view
            hit = view.find(name)
            return self._cached(session, query, _members_subject(name, hit[1].object_class if hit else None),
                                lambda view: self._members(view, name, recursive, session), view, key)
        if command == "s":
            return self._sources(parameter, session)
        if command == "t":
            return self._timeout(parameter, session)
        if command == "n":
            session.client = parameter
            return C
        if command == "v":
            return answer(f"irr-vn -- version {version()} (IRRd 4.5 compatible)")
        if command == "e":
            return self._excludes(parameter, session)
        if command == "j":
            return answer(self._serials(parameter, session))
        if command == "J":
            return answer(self._status(parameter, session))
        if command == "m":
            return found(self._exact(parameter, session))
        if command == "o":
            return found(self._texts(irrd_order(self._whole(self.lookups.for_session(session).by_inverse(
                session.sources, "mnt-by", parameter.upper())))))
        if command == "r":
            return self._routes(parameter, session)
        if command in ("q", "Q"):
            return NO_RESPONSE
        return error(f"Unrecognised command: {command}")

    # -- memory-backed commands -----------------------------------------------------------------
    def _view(self, session) -> sets.View:
        return self.memory.view(session.sources, self.limits)

    @staticmethod
    def _key(session, query: str) -> tuple:
        return tuple(session.sources), tuple(session.excludes), query.upper()

    def cached(self, query: str, session) -> bytes | None:
        """The cached answer of a route or set command, if there is one."""
        return self.answers.get(self._key(session, query))

    def ready(self, query: str, session) -> bytes | None:
        """The answer of a memory command when it takes no real work: cached, or computed from
        what the routing memory keeps ready; None when it should be computed in a worker thread
        (a set resolution that is not kept: with excludes, or not resolved yet)."""
        key = self._key(session, query)
        hit = self.answers.get(key)
        if hit is not None:
            return hit
        command = query[1:2]
        if command == "a" or command == "i" and query.endswith(",1"):
            return self._kept(command, query[2:], query, session, key)
        return self.handle(query, session, None, key)

    def _kept(self, command: str, parameter: str, query: str, session, key: tuple) -> bytes | None:
        """`!i<set>,1` or `!a` answered from the set's kept resolution (the set parsed and found
        once), else None when it is not kept. Bad input, and a name that is no as-set or
        route-set, are answered at once (the error, or D, is quick)."""
        if session.excludes:
            return None
        view = self._view(session)
        try:
            family, name = self._set_parameter(parameter) if command == "a" else (None, keys.name(parameter[:-2]))
        except (QueryError, ValueSyntaxError):
            return self.handle(query, session, view, key)
        hit = view.find(name)
        object_class = hit[1].object_class if hit is not None else None
        if object_class == "as-set":
            kept = view.memo.get(("a", name, family) if command == "a" else ("exp", name))
        elif object_class == "route-set":
            kept = view.memo.get(("rs", name))
        else:
            return self.handle(query, session, view, key)
        if kept is sets.MISSING:
            return None
        if isinstance(kept, sets.SetLimitError) or command == "a" and object_class == "route-set":
            return self.handle(query, session, view, key)
        if command == "a":
            result, subject = found_blocks(kept.encoded()), ("set", name)
        else:
            result, subject = _encoded(kept), _members_subject(name, object_class)
        self.answers.put(key, subject, view.memo.epoch, result)
        return result

    def _cached(self, session, query: str, subject: tuple, compute, view: sets.View | None = None,
                key: tuple | None = None) -> bytes:
        """Answers of the route and set commands are cached until a change reaches `subject`
        (`view`, `key`: see handle; when given, the cache was just asked)."""
        if key is None:
            key = self._key(session, query)
            hit = self.answers.get(key)
            if hit is not None:
                return hit
        if view is None:
            view = self._view(session)
        result = compute(view)
        self.answers.put(key, subject, view.memo.epoch, result)
        return result

    @staticmethod
    def _set_parameter(parameter: str) -> tuple[int | None, str]:
        """`!a` parameter: (address family or None, set name)."""
        version: int | None = None
        if parameter[:1] in ("4", "6"):
            version, parameter = int(parameter[0]), parameter[1:]
        if not parameter:
            raise QueryError("Missing required set name for A query")
        return version, keys.name(parameter)

    @staticmethod
    def _prefixes(view: sets.View, name: str, family: int | None, session) -> bytes:
        """`!a`: from the kept pieces, encoded once, when there are no excludes."""
        hit = view.find(name)
        if session.excludes or view.memo is None or hit is None or hit[1].object_class != "as-set":
            return found(sets.prefix_text(view, name, family, session.excludes) or "")
        return found_blocks(sets.pieces(view, name, family).encoded())

    @staticmethod
    def _members(view: sets.View, name: str, recursive: bool, session) -> bytes:
        if not recursive:
            members = sets.direct_members(view, name)
            return found(" ".join(sorted(members or ())))
        hit = view.find(name)
        if hit is None:
            return D
        if hit[1].object_class == "route-set":
            if not session.excludes and view.memo is not None:
                return _encoded(sets.route_set(view, name))
            result = sets.member_order(sets.resolve_route_set(view, name, session.excludes) or ())
        elif not session.excludes:
            return _encoded(sets.expansion(view, name))
        else:
            result = sets.member_order(sets.resolve_as_set(view, name, session.excludes) or ())
        return found(" ".join(result))

    def _sources(self, parameter: str, session) -> bytes:
        if parameter == "-lc":
            return answer(",".join(session.sources))
        if parameter == "-*":
            return C
        wanted = [s.strip().upper() for s in parameter.split(",") if s.strip()]
        if not wanted or any(s not in session.all_sources for s in wanted):
            return error("One or more selected sources are unavailable.")
        session.sources = wanted
        return C

    def _timeout(self, parameter: str, session) -> bytes:
        try:
            value = int(parameter)
        except ValueError:
            value = 0
        if not 1 <= value <= 1000:
            return error(f"Invalid value for timeout: {parameter}")
        session.timeout = value
        return C

    def _excludes(self, parameter: str, session) -> bytes:
        if parameter == "-lc":
            return answer(",".join(session.excludes))
        session.excludes = [keys.name(s) for s in parameter.split(",") if s.strip()]
        return C

    def _filter_option(self, option: str, session) -> bytes:
        texts = {
            "NO-RPKI-FILTER": "Filtering out RPKI invalids is disabled for !r and RIPE style queries "
                              "for the rest of this connection.",
            "NO-SCOPE-FILTER": "Filtering out out-of-scope objects is disabled for !r and RIPE style "
                               "queries for the rest of this connection.",
            "NO-ROUTE-PREFERENCE-FILTER": "Filtering out objects suppressed due to route preference is "
                                          "disabled for !r and RIPE style queries for the rest of this "
                                          "connection.",
        }
        if option not in texts:
            return error("Unrecognised command: f")
        session.filters_disabled.add(option)
        return answer(texts[option])

    # -- database-backed commands ---------------------------------------------------------------
    def _whole(self, objects):
        """`!` answers are never cut short silently: a list over the limit is an error instead."""
        if objects.truncated:
            raise QueryError(f"Too many objects (more than {self.lookups.max_rows}): "
                             "make the query more specific")
        return objects

    @staticmethod
    def _texts(objects) -> str:
        return "\n".join(o.whois_text() for o in objects)

    def _exact(self, parameter: str, session) -> str:
        object_class, sep, pk = parameter.partition(",")
        if not sep:
            raise QueryError(f"Invalid argument for object lookup: {parameter}")
        object_class = object_class.lower()
        objects = self.lookups.for_session(session).by_key(session.sources, canonical_key(object_class, pk),
                                                           [object_class])
        return self._texts(objects[:1])

    def _routes(self, parameter: str, session) -> bytes:
        address, comma, option = parameter.partition(",")
        modes = {"": "exact", "o": "exact", "l": "less-one", "L": "less", "M": "more"}
        if option not in modes or (comma and not option):
            raise QueryError(f"Invalid route search option: {option}")
        try:
            keys.prefix(address) if "/" in address else keys.address(address)
        except ValueSyntaxError:
            raise QueryError(f"Invalid input for route search: {parameter}") from None
        objects = irrd_order(self._whole(self.lookups.for_session(session).routes(session.sources, address,
                                                                                   modes[option])))
        if option == "o":
            origins = []
            for obj in objects:
                origins.append(obj.pk[obj.pk.rindex("AS"):])
            return found(" ".join(dict.fromkeys(origins)))
        return found(self._texts(objects))

    def _serials(self, parameter: str, session) -> str:
        status = {s.name: s for s in self.store.sources()}
        names = session.defaults() if parameter == "-*" else [s.strip().upper() for s in parameter.split(",")]
        lines, unknown = [], []
        for name in dict.fromkeys(names):
            row = status.get(name)
            if name not in session.all_sources:  # IRRd lists the unknown ones last
                unknown.append(f"{name}:X:Database unknown")
            else:  # Y: a journal is kept for every source
                lines.append(f"{name}:Y:{(row.serial_range if row else None) or '-'}")
        return "\n".join(lines + unknown)

    def _status(self, parameter: str, session) -> str:
        status = {s.name: s for s in self.store.sources()}
        names = session.all_sources if parameter == "-*" else [s.strip().upper() for s in parameter.split(",")]
        with self.store.engine.connect() as conn:
            rpki_on = self.lookups.for_session(session).rpki_filter and self.store.roas_loaded(conn)
        out, unknown = {}, {}
        for name in dict.fromkeys(names):
            if name not in session.all_sources:  # IRRd lists the unknown ones last
                unknown[name] = {"error": "Unknown source"}
                continue
            row = status.get(name)
            snap = self.memory.snapshots.get(name)
            out[name] = {
                "source_type": "regular",
                "authoritative": name in session.authoritative,
                "object_class_filter": None,
                "rpki_rov_filter": rpki_on,
                "scopefilter_enabled": name in self.lookups.scope_hidden,
                "route_preference": None,
                "local_journal_kept": True,
                "serial_oldest_journal": row.serial_oldest if row else None,
                "serial_newest_journal": row.serial_newest if row and row.serial_oldest is not None else None,
                "serial_last_export": None,
                "serial_newest_mirror": row.serial_newest if row else None,
                "last_update": row.updated.isoformat() if row else None,
                "last_load": row.last_load.isoformat() if row and row.last_load else None,
                "last_error": row.last_error if row else None,
                "last_success": row.last_success.isoformat() if row and row.last_success else None,
                "synchronised_serials": False,
                "routing_data_loaded_at": snap.loaded_at if snap else None,
            }
        return json.dumps(out | unknown, indent=4)

