"""What keeps the routing memory cheap while changes arrive (irr.query.memory, irr.query.derived):
what a change makes stays out of the cycle collector's way, no kept result holds a reference cycle,
a view is made once per state. Correctness change by change: tests/test_routing_memory.py."""
from __future__ import annotations

import gc
import sys
import weakref

import pytest

from irr.config import Config, SourceConfig
from irr.query import memory as memory_module
from irr.query.answers import AnswerCache
from irr.query.memory import RoutingMemory
from irr.query.sets import Limits, SetLimitError, View, expansion, resolve_route_set
from irr.server import SWITCH_INTERVAL, build_whois
from tests import test_routing_memory as base
from tests.test_routing_memory import Live, answers, apply, route, session


@pytest.fixture
def loaded(store, tmp_path):
    return base.loaded.__wrapped__(store, tmp_path)


@pytest.fixture
def collector():
    """The collector as the server runs it, back to normal afterwards."""
    yield
    gc.enable()
    gc.unfreeze()
    gc.collect()


def _young(obj) -> bool:
    """Is `obj` in a generation the collector walks (not frozen)?"""
    return any(o is obj for o in gc.get_objects())


def test_a_change_is_frozen_out_of_collections(loaded, collector):
    """The dicts a change copies (here the origins' prefixes: a route added) are not walked by
    every collection of the young generations afterwards."""
    memory = RoutingMemory(loaded)
    memory.load_all()
    apply(loaded, "TEST", route("10.1.200.0/24", 1))
    memory.refresh()
    snap = memory.snapshots["TEST"]
    assert "10.1.200.0/24" in snap.v4[1]
    assert gc.is_tracked(snap.v4)  # a copy holding new tuples: the collector would walk it
    assert not _young(snap.v4) and not _young(snap)
    memory.stop()


class _Cycle:
    def __init__(self):
        self.me = self


def test_frozen_cyclic_garbage_is_collected_by_the_periodic_full_pass(loaded, collector, monkeypatch):
    memory = RoutingMemory(loaded)
    memory.load_all()
    gc.disable()  # no automatic collection before the change is published
    garbage = _Cycle()
    gone = weakref.ref(garbage)
    del garbage
    apply(loaded, "TEST", route("10.1.200.0/24", 1))
    memory.refresh()  # frozen with the change: no collection sees it
    gc.enable()
    gc.collect()
    assert gone() is not None
    monkeypatch.setattr(memory_module, "FULL_PASS", 0.0)
    apply(loaded, "TEST", route("10.1.201.0/24", 1))
    memory.refresh()  # the full pass
    assert gone() is None
    memory.stop()


def test_kept_results_hold_no_cycles(loaded, collector):
    """A set over the limits keeps its error without the traceback (whose frames would hold the
    view, and the error itself: a cycle); a route-set walk leaves no garbage for the collector."""
    memory = RoutingMemory(loaded)
    memory.load_all()
    view = memory.view(["TEST"], Limits(max_depth=0, max_size=9))
    with pytest.raises(SetLimitError):
        expansion(view, "AS-TOP")
    kept = view.memo.get(("exp", "AS-TOP"))
    assert isinstance(kept, SetLimitError) and kept.__traceback__ is None
    plain = View(view.snapshots)
    gc.collect()
    gc.disable()
    try:
        assert resolve_route_set(plain, "RS-TOP")
        assert gc.collect() == 0
    finally:
        gc.enable()
    memory.stop()


def test_one_view_per_selection_and_state(loaded):
    memory = RoutingMemory(loaded)
    memory.load_all()
    limits = Limits()
    first = memory.view(["TEST", "OTHER"], limits)
    assert memory.view(["TEST", "OTHER"], limits) is first
    assert memory.view(["OTHER", "TEST"], limits) is not first
    assert memory.view(["TEST", "OTHER"], Limits(max_depth=3)).limits.max_depth == 3
    apply(loaded, "TEST", route("10.1.200.0/24", 1))
    memory.refresh()
    after = memory.view(["TEST", "OTHER"], limits)
    assert after is not first and after.memo.epoch == memory.generation
    assert "10.1.200.0/24" in after.prefixes(1, 4) and "10.1.200.0/24" not in first.prefixes(1, 4)
    memory.stop()


def test_patch_resets_only_what_a_shared_prefix_reaches(loaded):
    """A prefix two origins of one set share: the later origin's piece loses it while the earlier
    one has it, and gets it back when the earlier one loses it (the other pieces are kept)."""
    live = Live(loaded)
    ask = lambda: live.commands.handle("!a4AS-TOP", session(("TEST",)))  # noqa: E731
    before = ask()
    apply(loaded, "TEST", route("10.4.4.0/24", 1))  # AS4's prefix, now also AS1's (AS1 comes first)
    live.check()
    assert ask().count(b"10.4.4.0/24") == 1
    apply(loaded, "TEST", route("10.4.4.0/24", 1), delete=True)
    live.check()
    assert ask() == before


def test_a_route_change_keeps_as_set_members_answers(loaded):
    """An as-set's members do not depend on routes: a route change keeps its cached `!i` answers
    (it drops its `!a` ones, and a route-set's `!i`, whose members include routes); a change of
    members below it drops them."""
    live = Live(loaded)
    test = session(("TEST",))
    kept = lambda query: live.commands.cached(query, test) is not None  # noqa: E731
    assert all(kept(q) for q in ("!iAS-TOP,1", "!iAS-TOP", "!a4AS-TOP", "!iRS-TOP,1"))
    apply(loaded, "TEST", route("10.4.77.0/24", 4))  # AS4: in AS-LEAF, so in AS-MID and AS-TOP
    live.memory.refresh()
    assert kept("!iAS-TOP,1") and kept("!iAS-TOP") and kept("!iAS-LEAF,1")
    assert not kept("!a4AS-TOP") and not kept("!iRS-TOP,1")
    live.check()
    answers(live.commands)
    apply(loaded, "TEST", "as-set: AS-LEAF\nmembers: AS4, AS8\nmbrs-by-ref: ANY\nmnt-by: MNT-A\nsource: TEST\n")
    live.memory.refresh()
    assert not kept("!iAS-TOP,1") and not kept("!iAS-LEAF") and not kept("!iAS-LOOP")
    live.check()


def test_the_whois_server_hands_the_interpreter_over_quickly(loaded, tmp_path):
    """Threads that apply changes or resolve sets ahead give way to the event loop's answers
    within SWITCH_INTERVAL, not Python's default 5 ms."""
    before = sys.getswitchinterval()
    try:
        sys.setswitchinterval(0.005)  # Python's default (another server of this test run may have set it)
        _, memory = build_whois(Config(data_dir=tmp_path, sources={"TEST": SourceConfig("TEST")}), loaded)
        memory.stop()
        assert sys.getswitchinterval() == pytest.approx(SWITCH_INTERVAL)
    finally:
        sys.setswitchinterval(before)


def test_set_queries_are_answered_without_a_worker_thread(loaded):
    """With every set resolved ahead, `!i<set>,1` and `!a` of any name are answered on the event
    loop (`ready`, not None): as-sets and route-sets from their kept resolution (the `!i` answer
    encoded once, kept with it), other names and bad input at once; each answer equals the
    computed one."""
    apply(loaded, "TEST", "rtr-set: RTRS-EDGE\nmembers: rtr1.example.net\nmnt-by: MNT-A\nsource: TEST\n")
    live = Live(loaded)
    live.memory.refresh()
    assert live.memory._warm.idle()
    queries = [f"{q}{name}" for name in ("AS-TOP", "RS-TOP", "RTRS-EDGE", "AS-NOWHERE")
               for q in ("!i", "!a4", "!a")] + ["!iAS-TOP,1", "!iRS-TOP,1", "!iRTRS-EDGE,1", "!iAS-NOWHERE,1", "!a"]
    queries = [q if q.startswith("!a") or q.endswith(",1") else q + ",1" for q in queries]
    for q in queries:
        ready = live.cold.ready(q, session(("TEST",)))
        assert ready is not None, q
        assert ready == live.cold.handle(q, session(("TEST",))), q
    exp = expansion(live.memory.view(["TEST"], Limits()), "AS-TOP")
    assert exp.answer == live.cold.handle("!iAS-TOP,1", session(("TEST",)))
    live.memory.stop()


def test_answer_cache_drops_the_least_recently_asked(store):
    """An answer asked again and again stays while one-off answers come and go; with the oldest
    put out first, it was dropped every `size` answers however often it was asked."""
    memory = RoutingMemory(store)
    memory.load_all()
    cache = AnswerCache(memory, size=10)
    epoch = memory.generation
    cache.put(("hot",), ("g", 1), epoch, b"hot")
    for i in range(50):
        assert cache.get(("hot",)) == b"hot", i
        cache.put(("one-off", i), ("g", 2), epoch, b"x")
    assert len(cache.answers) == 10
    assert cache.get(("one-off", 40)) is None and cache.get(("one-off", 41)) == b"x"
