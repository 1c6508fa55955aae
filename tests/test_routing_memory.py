"""The routing memory kept up to date change by change (irr.query.memory): after every commit its
snapshots, its derived data (set expansions, `!a` pieces) and every cached answer equal what a
memory read fresh from the database holds and answers. Real PostgreSQL, real write path."""
from __future__ import annotations

import random

import pytest
import sqlalchemy as sa

from irr.query.irrd import IrrdCommands
from irr.query.memory import RoutingMemory
from irr.query.session import Session
from irr.query.sets import Expansion, Limits, SetLimitError, View, chunks, expansion, node, resolve_route_set
from irr.rpki.roas import Roa
from irr.store import Change
from irr.store.lookups import Lookups
from mirror.importer import load_files
from rpsl.lenient import load

SOURCES = ("TEST", "OTHER")
BASE = """
as-set: AS-TOP
members: AS1, AS-MID, AS-LOOP
mnt-by: MNT-A
source: {source}

as-set: AS-MID
members: AS2, AS3^+, AS-LEAF, AS-NOWHERE
mbrs-by-ref: MNT-A
mnt-by: MNT-A
source: {source}

as-set: AS-LEAF
members: AS4
mbrs-by-ref: ANY
mnt-by: MNT-A
source: {source}

as-set: AS-LOOP
members: AS5, AS-TOP
mnt-by: MNT-A
source: {source}

route-set: RS-TOP
members: 10.9.0.0/16^+, AS1^24, AS-MID, RS-SUB^-
mp-members: 2001:db8:9::/48
mbrs-by-ref: MNT-A
mnt-by: MNT-A
source: {source}

route-set: RS-SUB
members: 10.8.0.0/16^17-20, AS4
mnt-by: MNT-A
source: {source}

aut-num: AS6
as-name: SIX
member-of: AS-MID
mnt-by: MNT-A
source: {source}

aut-num: AS7
as-name: SEVEN
member-of: AS-MID, AS-LEAF
mnt-by: MNT-B
source: {source}
"""


def route(prefix: str, asn: int, source: str = "TEST", member_of: str = "", mnt: str = "MNT-A") -> str:
    cls = "route6" if ":" in prefix else "route"
    extra = f"member-of: {member_of}\n" if member_of else ""
    return f"{cls}: {prefix}\norigin: AS{asn}\n{extra}mnt-by: {mnt}\nsource: {source}\n"


def routes_text(source: str) -> str:
    out = []
    for i, asn in enumerate((1, 1, 2, 3, 4, 5, 6, 7)):
        out.append(route(f"10.{asn}.{i}.0/24", asn, source))
        out.append(route(f"2001:db8:{asn}:{i}::/64", asn, source))
    out.append(route("10.99.0.0/24", 1, source, member_of="RS-TOP"))
    return "\n".join(out)


@pytest.fixture
def loaded(store, tmp_path):
    for source in SOURCES:
        dump = tmp_path / f"{source}.db"
        dump.write_text(BASE.format(source=source) + "\n" + routes_text(source))
        load_files(store, source, [dump], serial=1)
    return store


def apply(store, source: str, *texts: str, delete: bool = False) -> None:
    store.apply([Change(source, "DEL" if delete else "ADD", load(t)) for t in texts], origin="test")


def session(sources) -> Session:
    return Session(list(sources), list(SOURCES))


QUERIES = ([f"!gAS{n}" for n in range(1, 10)] + [f"!6AS{n}" for n in range(1, 10)] +
           [f"{q}{name}{tail}" for name in ("AS-TOP", "AS-MID", "AS-LEAF", "AS-LOOP", "AS-NEW", "RS-TOP", "RS-SUB")
            for q, tail in (("!i", ""), ("!i", ",1"), ("!a4", ""), ("!a6", ""), ("!a", ""))])
SELECTIONS = (("TEST",), ("OTHER",), ("TEST", "OTHER"), ("OTHER", "TEST"))


def answers(commands: IrrdCommands) -> dict:
    return {(sel, q): commands.handle(q, session(sel)) for sel in SELECTIONS for q in QUERIES}


def ready_answers(commands: IrrdCommands) -> dict:
    """The answers as the whois server gives them: from what is kept (`ready`), else computed."""
    out = {}
    for sel in SELECTIONS:
        for q in QUERIES:
            s = session(sel)
            out[(sel, q)] = commands.ready(q, s) or commands.handle(q, s)
    return out


def contents(memory: RoutingMemory) -> dict:
    return {s: (snap.version, snap.v4, snap.v6, snap.sets, snap.claims, snap.claimed_by, snap.t4, snap.t6,
                snap.prefixes) for s, snap in memory.snapshots.items()}


class Live:
    """A memory kept current change by change, with warmed selections and an answer cache in use."""

    def __init__(self, store, limits: Limits | None = None):
        self.store = store
        self.limits = limits
        self.memory = RoutingMemory(store)
        self.memory.load_all()
        for sel in SELECTIONS:
            self.memory.warm(sel, limits)
        self.commands = IrrdCommands(self.memory, Lookups(store.engine), store, limits)
        self.cold = IrrdCommands(self.memory, Lookups(store.engine), store, limits, cache_size=0)
        answers(self.commands)  # fill the answer cache: a change must drop exactly what it reaches

    def check(self, incremental: bool = True) -> None:
        """Catch up, then compare with a memory read fresh from the database."""
        before = dict(self.memory.stats)
        self.memory.refresh()
        if incremental:
            assert self.memory.stats["reloads"] == before["reloads"], "a journal change was read whole"
        fresh = RoutingMemory(self.store)
        fresh.load_all()
        fresh.stop()
        assert contents(self.memory) == contents(fresh)
        assert self.memory._graph.parents == fresh._graph.parents
        assert self.memory._graph.asn_parents == fresh._graph.asn_parents
        assert all(self.memory._owners[v].sharing == fresh._owners[v].sharing for v in (4, 6))
        assert self.memory._state.moas == fresh._state.moas
        assert self.memory._warm.idle()
        _check_memos(self.memory)
        expected = answers(IrrdCommands(fresh, Lookups(self.store.engine), self.store, self.limits))
        assert answers(self.commands) == expected  # cached answers kept across the change, or dropped
        assert answers(self.cold) == expected
        assert ready_answers(self.cold) == expected  # answers encoded once with the kept expansions


def _outcome(function, *args):
    try:
        return function(*args)
    except SetLimitError as e:
        return f"error: {e}"


def _kept(value):
    if isinstance(value, SetLimitError):
        return f"error: {value}"
    return value.asns if isinstance(value, Expansion) else value


def _check_memos(memory: RoutingMemory) -> None:
    """Every kept expansion and `!a` text equals one computed from scratch on the current state."""
    state = memory._state
    checked = 0
    for store in memory._memos.values():
        plain = View([state.snapshots[s] for s in store.sources if s in state.snapshots], store.limits, None,
                     state.moas)
        for key, (_, value) in list(store.entries.items()):
            name = key[1]
            if key[0] == "exp":
                expected = _outcome(lambda v, n: expansion(v, n).asns, plain, name)
            elif key[0] == "rs":
                expected = _outcome(lambda v, n: tuple(resolve_route_set(v, n)), plain, name)
            elif key[0] == "a":
                expected = _outcome(lambda v, n, f: chunks(v, n, expansion(v, n), f), plain, name, key[2])
                if not isinstance(value, SetLimitError):  # the blocks a patch kept are still right
                    assert b"".join(value.encoded()) == "".join(value[0]).encode(), key
            elif key[0] == "g":
                expected = plain.chunk(key[1], key[2])
            else:
                expected = node(plain, name)
                value = value if value is None else (tuple(value[0]), value[1])
                expected = expected if expected is None else (tuple(expected[0]), expected[1])
            assert _kept(value) == expected, key
            checked += 1
    assert checked


def test_route_add_delete_and_origin_change(loaded):
    live = Live(loaded)
    cached_other = live.commands.cached("!gAS2", session(("TEST",)))
    assert cached_other is not None
    apply(loaded, "TEST", route("10.1.200.0/24", 1))
    live.check()
    assert b"10.1.200.0/24" in live.commands.handle("!a4AS-TOP", session(("TEST",)))
    assert live.commands.cached("!gAS2", session(("TEST",))) == cached_other  # not reached: still cached
    apply(loaded, "TEST", route("10.1.0.0/24", 1), delete=True)
    live.check()
    # an origin change is a deletion and an addition (the origin is part of the key)
    apply(loaded, "TEST", route("10.2.2.0/24", 2), delete=True)
    apply(loaded, "TEST", route("10.2.2.0/24", 4))
    live.check()
    assert b"10.2.2.0/24" in live.commands.handle("!gAS4", session(("TEST",)))
    assert live.memory.stats["deltas"] >= 3


def test_set_members_added_and_removed(loaded):
    live = Live(loaded)
    apply(loaded, "TEST", "as-set: AS-LEAF\nmembers: AS4, AS8, AS-NEW\nmbrs-by-ref: ANY\nmnt-by: MNT-A\nsource: TEST\n")
    live.check()
    assert b"AS8" in live.commands.handle("!iAS-TOP,1", session(("TEST",)))
    apply(loaded, "TEST", "as-set: AS-NEW\nmembers: AS9\nmnt-by: MNT-A\nsource: TEST\n",
          route("10.77.0.0/16", 9))
    live.check()
    assert b"10.77.0.0/16" in live.commands.handle("!a4AS-TOP", session(("TEST",)))
    apply(loaded, "TEST", "as-set: AS-MID\nmembers: AS2\nmbrs-by-ref: MNT-A\nmnt-by: MNT-A\nsource: TEST\n")
    live.check()
    assert b"AS4" not in live.commands.handle("!iAS-MID,1", session(("TEST",)))


def test_member_of_claims(loaded):
    live = Live(loaded)
    # a new claim accepted by mbrs-by-ref, one refused (wrong maintainer), then the refused one fixed
    apply(loaded, "TEST", "aut-num: AS8\nas-name: EIGHT\nmember-of: AS-MID\nmnt-by: MNT-A\nsource: TEST\n",
          "aut-num: AS9\nas-name: NINE\nmember-of: AS-MID\nmnt-by: MNT-B\nsource: TEST\n")
    live.check()
    members = live.commands.handle("!iAS-MID", session(("TEST",)))
    assert b"AS8" in members and b"AS9" not in members
    apply(loaded, "TEST", "aut-num: AS9\nas-name: NINE\nmember-of: AS-MID\nmnt-by: MNT-A\nsource: TEST\n")
    live.check()
    assert b"AS9" in live.commands.handle("!iAS-TOP,1", session(("TEST",)))
    # the set's mbrs-by-ref changes: every claim is judged again
    apply(loaded, "TEST", "as-set: AS-MID\nmembers: AS2, AS3^+, AS-LEAF, AS-NOWHERE\nmbrs-by-ref: MNT-B\n"
                          "mnt-by: MNT-A\nsource: TEST\n")
    live.check()
    members = live.commands.handle("!iAS-MID", session(("TEST",)))
    assert b"AS7" in members and b"AS9" not in members
    # a claim withdrawn; a route claiming a route-set
    apply(loaded, "TEST", "aut-num: AS7\nas-name: SEVEN\nmnt-by: MNT-B\nsource: TEST\n",
          route("10.55.0.0/16", 8, member_of="RS-TOP"))
    live.check()
    assert b"10.55.0.0/16" in live.commands.handle("!iRS-TOP,1", session(("TEST",)))
    apply(loaded, "TEST", route("10.99.0.0/24", 1, member_of="RS-TOP"), delete=True)
    live.check()


def test_set_deleted_and_created_again(loaded):
    live = Live(loaded)
    apply(loaded, "TEST", "as-set: AS-LEAF\nmembers: AS4\nmbrs-by-ref: ANY\nmnt-by: MNT-A\nsource: TEST\n",
          delete=True)
    live.check()
    assert live.commands.handle("!iAS-LEAF,1", session(("TEST",))) == b"D\n"
    # with TEST first, OTHER's AS-LEAF now answers for the name
    assert b"AS4" in live.commands.handle("!iAS-LEAF,1", session(("TEST", "OTHER")))
    apply(loaded, "TEST", "as-set: AS-LEAF\nmembers: AS5\nmnt-by: MNT-A\nsource: TEST\n")
    live.check()
    apply(loaded, "TEST", "route-set: RS-SUB\nmembers: 10.8.0.0/16^17-20, AS4\nmnt-by: MNT-A\nsource: TEST\n",
          delete=True)
    live.check()


def test_source_reloaded_whole(loaded, tmp_path):
    live = Live(loaded)
    dump = tmp_path / "again.db"
    dump.write_text(BASE.format(source="TEST").replace("members: AS4\n", "members: AS4, AS9\n") + "\n" +
                    routes_text("TEST").replace("10.3.3.0/24", "10.3.33.0/24") + "\n" + route("10.9.9.0/24", 9))
    load_files(loaded, "TEST", [dump], serial=50)
    before = live.memory.stats["reloads"]
    live.check(incremental=False)
    assert live.memory.stats["reloads"] == before + 1
    assert b"10.9.9.0/24" in live.commands.handle("!a4AS-TOP", session(("TEST",)))


def test_rpki_invalid_routes_leave_and_return(loaded):
    live = Live(loaded)
    # a ROA for 10.1.0.0/16 with another origin: AS1's routes in it turn invalid and leave filters
    loaded.replace_roas([Roa("10.1.0.0/16", 24, 64999)])
    live.check(incremental=False)
    assert b"10.1.0.0/24" not in live.commands.handle("!gAS1", session(("TEST",)))
    assert b"10.1.0.0/24" not in live.commands.handle("!a4AS-TOP", session(("TEST",)))
    # a change while ROAs are loaded goes by the journal again
    apply(loaded, "TEST", route("10.1.77.0/24", 1), route("10.4.77.0/24", 4))
    live.check()
    loaded.replace_roas([])
    live.check(incremental=False)
    assert b"10.1.0.0/24" in live.commands.handle("!gAS1", session(("TEST",)))


def test_common_prefixes_listed_once(loaded):
    """A prefix originated by two ASes of one set is listed once, also while routes come and go."""
    live = Live(loaded)
    apply(loaded, "TEST", route("10.4.4.0/24", 2))  # AS4's prefix, now also originated by AS2
    live.check()
    text = live.commands.handle("!a4AS-TOP", session(("TEST",)))
    assert text.count(b"10.4.4.0/24") == 1
    apply(loaded, "OTHER", route("10.2.2.0/24", 5))  # and one shared across sources
    live.check()
    assert live.commands.handle("!a4AS-TOP", session(("TEST", "OTHER"))).count(b"10.2.2.0/24") == 1
    apply(loaded, "TEST", route("10.4.4.0/24", 2), delete=True)
    live.check()


def _random_object(rng: random.Random, source: str) -> str:
    kind = rng.random()
    if kind < 0.45:
        asn = rng.randint(1, 9)
        prefix = rng.choice([f"10.{rng.randint(1, 9)}.{rng.randint(0, 3)}.0/24", f"10.{rng.randint(1, 4)}.0.0/16",
                             f"2001:db8:{rng.randint(1, 9)}:{rng.randint(0, 3)}::/64"])
        member_of = rng.choice(["", "", "RS-TOP", "RS-SUB"])
        return route(prefix, asn, source, member_of, rng.choice(["MNT-A", "MNT-B"]))
    if kind < 0.75:
        names = ["AS-TOP", "AS-MID", "AS-LEAF", "AS-LOOP", "AS-NEW"]
        members = rng.sample([f"AS{n}" for n in range(1, 10)] + names + ["AS3^+", "AS-NOWHERE"], rng.randint(0, 5))
        refs = rng.choice(["", "mbrs-by-ref: MNT-A\n", "mbrs-by-ref: ANY\n"])
        lines = f"members: {', '.join(members)}\n" if members else ""
        return f"as-set: {rng.choice(names)}\n{lines}{refs}mnt-by: MNT-A\nsource: {source}\n"
    if kind < 0.9:
        member_of = rng.sample(["AS-TOP", "AS-MID", "AS-LEAF", "AS-NEW"], rng.randint(0, 2))
        claims = f"member-of: {', '.join(member_of)}\n" if member_of else ""
        return f"aut-num: AS{rng.randint(1, 9)}\nas-name: X\n{claims}mnt-by: {rng.choice(['MNT-A', 'MNT-B'])}\n" \
               f"source: {source}\n"
    members = rng.sample(["10.8.0.0/16^+", "AS1", "AS2^24", "AS-MID", "AS-LEAF^-", "RS-SUB", "RS-TOP", "AS-NEW"],
                         rng.randint(0, 4))
    lines = f"members: {', '.join(members)}\n" if members else ""
    refs = rng.choice(["", "mbrs-by-ref: MNT-A\n"])
    return f"route-set: {rng.choice(['RS-TOP', 'RS-SUB'])}\n{lines}{refs}mnt-by: MNT-A\nsource: {source}\n"


@pytest.mark.parametrize("seed, limits", [(1, None), (2, None), (3, None), (4, Limits(max_depth=2, max_size=9))])
def test_random_changes_equal_a_fresh_read(loaded, seed, limits):
    """Property: after any sequence of changes (adds, replacements, deletions in both sources, now
    and then a ROA reload), the memory kept change by change equals one read fresh (also when
    sets go over the depth and size limits)."""
    rng = random.Random(seed)
    live = Live(loaded, limits)
    for step in range(12):
        source = rng.choice(SOURCES)
        changes = []
        for _ in range(rng.randint(1, 6)):
            text = _random_object(rng, source)
            obj = load(text)
            exists = loaded.get(source, obj.object_class, obj.pk) is not None
            changes.append(Change(source, "DEL" if exists and rng.random() < 0.35 else "ADD", obj))
        by_key = {(c.obj.object_class, c.obj.pk): c for c in changes}  # one change per object and batch
        loaded.apply(list(by_key.values()), origin="test")
        reload = step % 5 == 4
        if reload:
            loaded.replace_roas([Roa("10.1.0.0/16", 20, 1)] if rng.random() < 0.5 else [])
        live.check(incremental=not reload)


def test_version_check_survives_a_dropped_connection(loaded):
    """The memory's version checks skip SQLAlchemy's pre-ping; a connection the server dropped
    costs one retry, not an error for the whois connection that asked."""
    memory = RoutingMemory(loaded)
    memory.load_all()
    with loaded.engine.connect() as conn:
        killed = conn.execute(sa.text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE "
                                      "datname = current_database() AND pid <> pg_backend_pid()")).scalar()
    assert killed >= 1
    apply(loaded, "TEST", route("10.1.201.0/24", 1))
    memory.refresh()
    assert 1 in memory.snapshots["TEST"].v4 and "10.1.201.0/24" in memory.snapshots["TEST"].v4[1]
    memory.stop()
