"""IRRd-style `!` queries against the real whois server and PostgreSQL (spec queries.md §2)."""
from __future__ import annotations

import random
import socket
import threading
import time
from dataclasses import replace

import pytest

import irr
from irr.store import Change
from mirror.importer import load_files
from rpsl.lenient import load
from tests import bgpq4_dataset
from tests.whois_helpers import config_for, running_whois

# The bgpq4 vectors' data set (tests/bgpq4_dataset.py) plus sets that exercise cycles, missing
# members, member-of/mbrs-by-ref, operators, asdot and hierarchical names.
ROUTES = [(p, int(a[2:])) for p, a in bgpq4_dataset.ROUTES if ":" not in p] + [("198.18.0.0/15", 65538)]
ROUTES6 = [(p, int(a[2:])) for p, a in bgpq4_dataset.ROUTES if ":" in p]
SETS = bgpq4_dataset.SETS + """
as-set: AS-CYC1
members: AS1, AS-CYC2, AS-CYC1
mnt-by: MAINT-TEST
source: TEST

as-set: AS-CYC2
members: AS2, AS-CYC1, AS-MISSING, AS3
mnt-by: MAINT-TEST
source: TEST

as-set: AS10:AS-CUSTOMERS
members: AS1.2, as00020
mbrs-by-ref: MAINT-GOOD
mnt-by: MAINT-TEST
source: TEST

as-set: AS-OPEN
mbrs-by-ref: ANY
mnt-by: MAINT-TEST
source: TEST

as-set: AS-CLOSED
members: AS112
mnt-by: MAINT-TEST
source: TEST

aut-num: AS30
as-name: GOOD
member-of: AS10:AS-CUSTOMERS, AS-OPEN, AS-CLOSED
mnt-by: MAINT-GOOD
source: TEST

aut-num: AS31
as-name: BAD
member-of: AS10:AS-CUSTOMERS, AS-OPEN
mnt-by: MAINT-OTHER
source: TEST

route-set: RS-NESTED
members: RS-TEST^25-28, AS20^+, AS-SUB^24, 203.0.113.0/24
mp-members: 2001:db8::/32^48, RS-NESTED
mbrs-by-ref: MAINT-GOOD
mnt-by: MAINT-TEST
source: TEST

route-set: RS-EMPTY
mnt-by: MAINT-TEST
source: TEST

route: 192.0.2.128/25
origin: AS99
member-of: RS-NESTED
mnt-by: MAINT-GOOD
source: TEST

route: 192.0.2.64/26
origin: AS99
member-of: RS-NESTED
mnt-by: MAINT-OTHER
source: TEST

mntner: MAINT-TEST
auth: MD5-PW $1$abcdefgh$0123456789abcdefghijkl
auth: BCRYPT-PW $2b$12$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234
mnt-by: MAINT-TEST
source: TEST
"""


def dataset_text() -> str:
    parts = [f"route: {p}\norigin: AS{a}\nmnt-by: MAINT-TEST\nsource: TEST" for p, a in ROUTES]
    parts += [f"route6: {p}\norigin: AS{a}\nmnt-by: MAINT-TEST\nsource: TEST" for p, a in ROUTES6]
    return "\n\n".join(parts) + "\n" + SETS


@pytest.fixture
def whois(store, tmp_path):
    dump = tmp_path / "test.db"
    dump.write_text(dataset_text())
    report = load_files(store, "TEST", [dump], serial=100)
    assert not report.skipped, report.summary()
    other = tmp_path / "other.db"
    other.write_text("route: 10.9.0.0/16\norigin: AS10\nmnt-by: M-X\nsource: OTHER\n\n"
                     "as-set: AS-SUB\nmembers: AS999\nmnt-by: M-X\nsource: OTHER\n")
    load_files(store, "OTHER", [other], serial=7)
    # IRRd's layout for RIPE-style queries too: these tests pin IRRd's answers
    with running_whois(replace(config_for(tmp_path, ("TEST", "OTHER")), whois_style="irrd"), store) as server:
        yield server


def data(reply: bytes) -> set[str]:
    """The space separated items of an A-framed answer (after checking the framing)."""
    assert reply.startswith(b"A"), reply
    header, _, rest = reply.partition(b"\n")
    n = int(header[1:])
    body = rest[:n]
    assert rest[n:] == b"C\n", reply
    assert body.endswith(b"\n") and not body.startswith(b" ") and b"  " not in body
    return set(body[:-1].decode().split(" "))


def test_framing_counts_bytes_plus_newline(whois):
    assert whois.query("!gAS112") in (b"A32\n192.31.196.0/24 192.175.48.0/24\nC\n",
                                      b"A32\n192.175.48.0/24 192.31.196.0/24\nC\n")
    assert data(whois.query("!gas10")) == {"10.0.0.0/24", "10.0.1.0/24", "10.0.2.0/24", "10.0.3.0/24",
                                           "10.9.0.0/16"}
    assert data(whois.query("!6AS112")) == {"2001:4:112::/48", "2620:4f:8000::/48"}
    assert whois.query("!gAS64999") == b"D\n"
    assert whois.query("!g112") == b'F Invalid AS number 112: must start with "AS"\n'
    assert whois.query("!gASX").startswith(b"F Invalid AS number ASX")
    assert whois.query("!g") == b"F Missing parameter for g query\n"
    assert whois.query("!") == b"F Missing IRRD command\n"
    assert whois.query("!z") == b"F Unrecognised command: z\n"


def test_asdot_query_is_normalised(whois):
    # AS65538 = AS1.2 originates 198.18.0.0/15
    assert whois.query("!gAS1.2") == whois.query("!gAS65538") == b"A14\n198.18.0.0/15\nC\n"


def test_bgpq4_probe_and_source_listing(whois):
    reply = whois.query("!!", "!nbgpq4 1.16", "!a", "!s-lc", "!a4AS-TEST", "!q")
    assert reply.startswith(b"C\nF Missing required set name for A query\nA11\nTEST,OTHER\nC\nA")
    assert whois.query("!a4") == b"F Missing required set name for A query\n"


def test_as_set_members(whois):
    assert whois.query("!iAS-TEST") == b"A12\nAS-SUB AS10\nC\n"
    assert whois.query("!iAS-TEST,1") == b"A10\nAS10 AS20\nC\n"
    assert whois.query("!ias-test,1") == b"A10\nAS10 AS20\nC\n"
    assert whois.query("!iAS-NOPE") == b"D\n"
    assert whois.query("!iAS-NOPE,1") == b"D\n"
    # cycles (incl. self reference) end; missing members are skipped
    assert data(whois.query("!iAS-CYC1,1")) == {"AS1", "AS2", "AS3"}
    assert data(whois.query("!iAS-CYC1")) == {"AS1", "AS-CYC1", "AS-CYC2"}


def test_member_of_needs_mbrs_by_ref(whois):
    # AS30's mnt-by is in mbrs-by-ref, AS31's is not; asdot and leading zeros are normalised
    assert data(whois.query("!iAS10:AS-CUSTOMERS")) == {"AS65538", "AS20", "AS30"}
    assert data(whois.query("!iAS10:AS-CUSTOMERS,1")) == {"AS65538", "AS20", "AS30"}
    assert data(whois.query("!iAS-OPEN")) == {"AS30", "AS31"}  # mbrs-by-ref: ANY
    assert data(whois.query("!iAS-CLOSED")) == {"AS112"}       # no mbrs-by-ref: claims ignored


def test_route_set_resolution(whois):
    assert data(whois.query("!iRS-TEST")) == {"192.0.2.0/24^+", "198.51.100.0/24^25-26", "AS10"}
    assert data(whois.query("!iRS-TEST,1")) == {
        "192.0.2.0/24^+", "198.51.100.0/24^25-26", "10.0.0.0/24", "10.0.1.0/24", "10.0.2.0/24", "10.0.3.0/24",
        "2001:db8::/32", "2001:db8::/33", "2001:db8:8000::/33", "10.9.0.0/16"}
    nested = data(whois.query("!iRS-NESTED,1"))
    assert nested == {
        # RS-TEST^25-28: 192.0.2.0/24^+ -> ^25-28; 198.51.100.0/24^25-26 stays; AS10 prefixes get ^25-28
        "192.0.2.0/24^25-28", "198.51.100.0/24^25-26", "10.0.0.0/24^25-28", "10.0.1.0/24^25-28",
        "10.0.2.0/24^25-28", "10.0.3.0/24^25-28", "10.9.0.0/16^25-28", "2001:db8::/32^25-28",
        "2001:db8::/33^25-28", "2001:db8:8000::/33^25-28",
        # AS20^+ and AS-SUB^24 (AS-SUB is AS20 in TEST: first source wins)
        "172.16.0.0/16^+", "172.16.0.0/17^+", "172.16.128.0/17^+", "203.0.113.0/24^+",
        "172.16.0.0/16^24", "172.16.0.0/17^24", "172.16.128.0/17^24", "203.0.113.0/24^24",
        "203.0.113.0/24", "2001:db8::/32^48",
        # member-of claim with a maintainer in mbrs-by-ref (192.0.2.64/26's is not)
        "192.0.2.128/25",
    }
    assert whois.query("!iRS-EMPTY") == b"D\n"
    assert whois.query("!iRS-EMPTY,1") == b"D\n"


def test_a_queries(whois):
    assert data(whois.query("!a4AS-TEST")) == {"10.0.0.0/24", "10.0.1.0/24", "10.0.2.0/24", "10.0.3.0/24",
                                               "10.9.0.0/16", "172.16.0.0/16", "172.16.0.0/17",
                                               "172.16.128.0/17", "203.0.113.0/24"}
    assert data(whois.query("!a6AS-TEST")) == {"2001:db8::/32", "2001:db8::/33", "2001:db8:8000::/33"}
    assert len(data(whois.query("!aAS-TEST"))) == 12
    assert whois.query("!a4AS-NOPE") == b"D\n"
    # only as-sets, as IRRd: a route-set's members are ranges, not a prefix list (`!iRS-TEST,1` gives them)
    assert whois.query("!aRS-TEST") == b"D\n" and whois.query("!a4RS-TEST") == b"D\n"
    assert data(whois.query("!iRS-TEST,1"))


def test_sources_selection(whois):
    assert whois.query("!s-lc") == b"A11\nTEST,OTHER\nC\n"
    reply = whois.query("!!", "!sother", "!s-lc", "!iAS-SUB", "!gAS10", "!sTEST,NOPE", "!s-lc")
    assert reply == (b"C\nA6\nOTHER\nC\nA6\nAS999\nC\nA12\n10.9.0.0/16\nC\n"
                     b"F One or more selected sources are unavailable.\nA6\nOTHER\nC\n")
    # source priority: AS-SUB comes from the first source that has it
    assert whois.query("!!", "!sOTHER,TEST", "!iAS-TEST,1") == b"C\nA11\nAS10 AS999\nC\n"
    assert whois.query("!s-*") == b"C\n"


def test_session_commands(whois):
    assert whois.query("!!") == b""
    assert whois.query("!t60") == b"C\n"
    assert whois.query("!t0") == b"F Invalid value for timeout: 0\n"
    assert whois.query("!tabc") == b"F Invalid value for timeout: abc\n"
    assert whois.query("!nmy-client 1.0") == b"C\n"
    assert whois.query("!v").startswith(b"A") and b"irr-vn -- version" in whois.query("!v")
    assert whois.query("!!", "!eAS-SUB", "!e-lc", "!iAS-TEST,1") == b"C\nA7\nAS-SUB\nC\nA5\nAS10\nC\n"
    assert whois.query("!fno-rpki-filter").startswith(b"A")
    assert whois.query("!fno-such-filter") == b"F Unrecognised command: f\n"
    assert whois.query("!r10.0.0.0/24,") == b"F Invalid route search option: \n"
    # without !! a connection carries one query; pipelined lines after it are dropped
    assert whois.query("!gAS112", "!gAS10").count(b"C\n") == 1
    assert whois.query("!!", "!gAS112", "!q", "!gAS10").count(b"C\n") == 1


def test_serials(whois):
    assert whois.query("!jTEST,OTHER,NOPE") == b"A49\nTEST:Y:0-100\nOTHER:Y:0-7\nNOPE:X:Database unknown\nC\n"
    assert whois.query("!!", "!sOTHER", "!j-*") == b"C\nA25\nTEST:Y:0-100\nOTHER:Y:0-7\nC\n"  # the defaults
    status = whois.query("!J-*")
    assert b'"TEST"' in status and b'"serial_newest_mirror": 100' in status


def test_pipelined_answers_arrive_in_order(whois):
    queries = ["!!"] + [random.choice(["!gAS10", "!iAS-TEST,1", "!6AS112", "!gAS64999", "!a4AS-SUB",
                                       "!iRS-TEST,1", "!s-lc"]) for _ in range(300)]
    reply = whois.query(*queries)
    single = {q: whois.query(q) for q in set(queries[1:])}
    assert reply == b"".join(single[q] for q in queries[1:])


def test_limits_junk_and_hostile_clients(whois):
    assert whois.query(b"!gAS1\x00\n") == b"F Queries may not contain null bytes\n"
    assert whois.query(b"!iAS-\xff\xfe,1\n") == b"D\n"
    long_line = b"!g" + b"A" * 10000 + b"\n"
    assert whois.query(long_line).startswith(b"F Query too long")
    # a slow client that never finishes its line does not block others
    slow = socket.create_connection(("127.0.0.1", whois.port))
    slow.sendall(b"!!\n!gAS1")
    t0 = time.monotonic()
    assert data(whois.query("!gAS10"))
    assert time.monotonic() - t0 < 5
    slow.close()
    # thousands of random byte lines: every answer is well-formed, the server survives
    rng = random.Random(1234)
    lines = []
    for _ in range(3000):
        n = rng.randrange(0, 60)
        prefix = rng.choice([b"!", b"-", b"", b"!i", b"!g", b"!a", b"!s", b"!m", b"!r", b"-i "])
        lines.append(prefix + bytes(rng.randrange(1, 256) for _ in range(n)).replace(b"\n", b" "))
    for i in range(0, len(lines), 500):
        reply = whois.query(b"!!\n" + b"\n".join(lines[i:i + 500]) + b"\n")
        assert reply  # answered, not crashed
    assert data(whois.query("!gAS10"))


def test_a_flood_of_pipelined_queries_is_read_as_it_is_answered(whois):
    """200,000 queries (1.4 MB) sent without reading the answers (6.6 MB): the server reads ahead
    a bounded queue (TCP holds the rest back), answers every one in order, and serves other clients
    meanwhile."""
    flood = socket.create_connection(("127.0.0.1", whois.port), timeout=30)
    n = 200_000
    sender = threading.Thread(target=flood.sendall, args=(b"!!\n" + b"!gAS10\n" * n + b"!q\n",))
    sender.start()
    peak = 0
    for _ in range(20):
        time.sleep(0.05)
        peak = max([peak] + [len(c.queue) for c in list(whois.whois.connections)])
    assert 500 <= peak <= 1000, peak   # refilled from half of max_queued_queries; the rest waits in TCP
    assert data(whois.query("!gAS10"))                      # another client is not held up
    one = whois.query("!gAS10")
    received = bytearray()
    while chunk := flood.recv(1 << 16):
        received += chunk
    sender.join(30)
    flood.close()
    assert received == one * n


def test_an_endless_line_after_a_complete_one_is_refused(whois):
    with socket.create_connection(("127.0.0.1", whois.port), timeout=10) as conn:
        conn.sendall(b"!!\n" + b"!g" + b"A" * 10000)
        reply = b""
        while chunk := conn.recv(4096):
            reply += chunk
    assert reply.startswith(b"F Query too long")             # at once, not after the idle timeout


def test_one_address_cannot_take_every_connection(store, tmp_path):
    dump = tmp_path / "test.db"
    dump.write_text(dataset_text())
    load_files(store, "TEST", [dump], serial=1)
    config = config_for(tmp_path, ("TEST",))
    config.whois.update(max_connections=100, max_connections_per_address=2)
    with running_whois(config, store) as server:
        _refused_while_two_are_held(server)


def test_idle_timeout_closes_connection(whois):
    with socket.create_connection(("127.0.0.1", whois.port), timeout=10) as conn:
        conn.sendall(b"!!\n!t1\n")
        assert conn.recv(100) == b"C\n"
        t0 = time.monotonic()
        assert conn.recv(100) == b""  # closed by the server
        assert 0.5 < time.monotonic() - t0 < 5


def test_idle_timeout_counts_from_the_last_query(whois):
    """The idle timer is armed once per timeout, not per query: a connection that keeps asking
    outlives its first deadline, and one that stops is closed a timeout after its last query."""
    with socket.create_connection(("127.0.0.1", whois.port), timeout=10) as conn:
        f = conn.makefile("rb")
        conn.sendall(b"!!\n!t2\n")
        assert f.readline() == b"C\n"
        t0 = time.monotonic()
        while time.monotonic() - t0 < 3.5:  # past the deadline the first query set
            conn.sendall(b"!gAS77\n")
            assert f.readline() == b"D\n"
            time.sleep(0.4)
        last = time.monotonic()
        assert f.readline() == b""  # closed by the server
        assert 1.5 < time.monotonic() - last < 4


def test_a_shorter_idle_timeout_takes_effect_at_once(whois):
    with socket.create_connection(("127.0.0.1", whois.port), timeout=10) as conn:
        f = conn.makefile("rb")
        conn.sendall(b"!!\n!t60\n")
        assert f.readline() == b"C\n"
        conn.sendall(b"!t1\n")
        assert f.readline() == b"C\n"
        t0 = time.monotonic()
        assert f.readline() == b""
        assert 0.5 < time.monotonic() - t0 < 5


def test_answers_right_after_a_commit(whois, store):
    """No start-up race and no stale cache: a change is visible to the next connection."""
    assert whois.query("!gAS77") == b"D\n"
    store.apply([Change("TEST", "ADD", load("route: 100.64.0.0/10\norigin: AS77\nmnt-by: M\nsource: TEST\n"))],
                origin="test")
    assert whois.query("!gAS77") == b"A14\n100.64.0.0/10\nC\n"
    store.apply([Change("TEST", "ADD", load("as-set: AS-TEST\nmembers: AS77\nmnt-by: M\nsource: TEST\n"))],
                origin="test")
    assert whois.query("!iAS-TEST,1") == b"A5\nAS77\nC\n"
    assert whois.query("!a4AS-TEST") == b"A14\n100.64.0.0/10\nC\n"


def test_object_queries_mask_hashes(whois):
    reply = whois.query("!mmntner,MAINT-TEST")
    assert reply.startswith(b"A") and b"MD5-PW DummyValue  # Filtered for security" in reply
    assert b"$1$" not in reply and b"$2b$" not in reply
    assert whois.query("!mroute,10.0.0.0/24 AS10").startswith(b"A")
    assert whois.query("!mroute,10.0.0.0/24-as10").startswith(b"A")
    assert whois.query("!mroute,10.0.0.0/24AS99") == b"D\n"
    assert whois.query("!mroute") == b"F Invalid argument for object lookup: route\n"
    assert b"as-set:" in whois.query("!oMAINT-TEST")
    assert whois.query("!oMAINT-NOBODY") == b"D\n"


def test_route_searches(whois):
    assert b"172.16.0.0/17" in whois.query("!r172.16.0.0/17")
    assert whois.query("!r172.16.0.0/17,o") == b"A5\nAS20\nC\n"
    less = whois.query("!r172.16.0.0/17,l")
    assert b"172.16.0.0/16" in less and b"172.16.0.0/17\n" not in less
    assert b"172.16.0.0/17" in whois.query("!r172.16.0.0/17,L") and b"172.16.0.0/16" in whois.query(
        "!r172.16.0.0/17,L")
    more = whois.query("!r172.16.0.0/16,M")
    assert b"172.16.0.0/17" in more and b"172.16.128.0/17" in more and b"route:          172.16.0.0/16" not in more
    assert whois.query("!r10.99.0.0/16") == b"D\n"
    assert whois.query("!rnot-a-prefix").startswith(b"F Invalid input for route search")
    assert whois.query("!r10.0.0.0/24,x") == b"F Invalid route search option: x\n"


def _refused_while_two_are_held(server) -> None:
    """With two connections open, a third is refused (no RST: the reason arrives); then served again."""
    held = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(2)]
    time.sleep(0.2)
    try:
        assert server.query("!gAS10") == b"%% Too many connections, try again later\n"
    finally:
        for conn in held:
            conn.close()
    time.sleep(0.2)
    assert data(server.query("!gAS10"))


def test_configured_limits(store, tmp_path):
    """Set size/depth bounds, the connection cap and the answer time are configurable and reported."""
    dump = tmp_path / "test.db"
    dump.write_text(dataset_text())
    load_files(store, "TEST", [dump], serial=1)
    config = replace(config_for(tmp_path, ("TEST",)), whois_style="irrd")  # IRRd's truncation note
    config.whois.update(max_set_size=2, max_set_depth=1, max_objects=3)
    with running_whois(config, store) as server:
        # more objects than max_objects: an error, never a silently shortened list
        assert server.query("!r0.0.0.0/0,M") == b"F Too many objects (more than 3): make the query more specific\n"
        assert server.query("!r0.0.0.0/0,o") == b"D\n"
        assert server.query("!oMAINT-TEST").startswith(b"F Too many objects (more than 3)")
        assert b"Output truncated at 3 objects" in server.query("-i mnt-by MAINT-TEST")
        assert server.query("!iAS-TEST,1") == b"A10\nAS10 AS20\nC\n"
        assert server.query("!iAS-CYC1,1").startswith(b"F Set too large to resolve: AS-CYC1: more than 2")
        assert server.query("!a4AS-TEST").startswith(b"F Set too large to resolve")
        assert server.query("!iRS-NESTED,1").startswith(b"F Set too large to resolve")
    config = config_for(tmp_path, ("TEST",))
    config.whois.update(max_connections=2, max_answer_seconds=0.000001)
    with running_whois(config, store) as server:
        # database queries that take longer than max_answer_seconds are answered with an error
        assert server.query("!r10.0.0.0/24") == b"F Query took longer than 1e-06 seconds\n"
        assert server.query("-i origin AS10").startswith(b"%% ERROR: Query took longer than")
        _refused_while_two_are_held(server)


def test_ripe_keepalive_over_the_wire(whois):
    """`-k` keeps the connection like `!!`; both languages mix on one connection."""
    reply = whois.query("-k", "-T route 10.0.0.0/24", "!gAS112", "-s OTHER -i origin AS10", "-k", "!gAS10")
    parts = reply.split(b"\n\n\n")
    assert b"route: 10.0.0.0/24\norigin: AS10" in parts[0]
    assert b"A32\n" in parts[1] and b"10.9.0.0/16" in parts[1]
    assert b"!gAS10" not in reply and reply.count(b"10.0.1.0/24") == 0  # after the second -k: closed


def test_the_version_is_read_once(monkeypatch):
    # every RIPE-style answer and !v print it; the installed metadata is read on the first ask only
    irr.version.cache_clear()
    reads = []
    monkeypatch.setattr(irr.metadata, "version", lambda name: reads.append(name) or "9.9")
    assert [irr.version() for _ in range(3)] == ["9.9"] * 3 and reads == ["irr-vn"]
    irr.version.cache_clear()
