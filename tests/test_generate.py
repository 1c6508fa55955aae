"""The generator of APNIC-like dumps (rpsl.generate, `irr generate-dump`) makes what its docstring
promises; other tests and the benchmarks rely on every point."""
from __future__ import annotations

import re
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from rpsl.generate import Options, generate
from rpsl.generate.keys import REAL_KEYS
from rpsl.generate.plan import EXTERNAL_TRANSIT, SHARE, class_counts
from rpsl.generate.quirks import QUIRKS
from rpsl.lenient import load
from rpsl.objects import parse
from rpsl.reader import iter_paragraphs
from rpsl.schema import SCHEMA
from tests.conftest import run_irr

SCALE = 20_000
REFERENCES = ("mnt-by", "mnt-lower", "mnt-routes", "mnt-ref", "referral-by", "admin-c", "tech-c", "zone-c",
              "abuse-c", "org", "mnt-irt", "mbrs-by-ref")


def objects(path: Path) -> list[tuple[str, dict[str, list[str]], str]]:
    """(class, attributes, text) of every object (a clean dump: one line per attribute)."""
    out = []
    for p in iter_paragraphs(path):
        if p.text.startswith("#"):
            continue
        attrs: dict[str, list[str]] = defaultdict(list)
        for line in p.text.split("\n"):
            name, _, value = line.partition(":")
            attrs[name].append(value.strip())
        out.append((p.text.split(":", 1)[0], attrs, p.text))
    return out


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("generate")
    generate(base / "clean.db", Options(seed=2, scale=SCALE, oddity_rate=0, journal_ops=600, serial_start=1001),
             journal=base / "clean.nrtm3")
    return base / "clean.db", base / "clean.nrtm3"


def test_same_options_same_bytes_whatever_the_workers(tmp_path):
    one, two, other = tmp_path / "1.db", tmp_path / "2.db", tmp_path / "3.db"
    generate(one, Options(seed=3, scale=SCALE))
    generate(two, Options(seed=3, scale=SCALE), workers=2)        # members rendered in two processes
    generate(other, Options(seed=4, scale=SCALE))
    assert one.read_bytes() == two.read_bytes()
    assert one.read_bytes() != other.read_bytes()


def test_exact_counts_and_every_class(clean):
    dump, _ = clean
    paragraphs = list(iter_paragraphs(dump))
    assert paragraphs[0].text.startswith("# APNIC-like test data") and len(paragraphs) == SCALE + 1
    counts = Counter(cls for cls, _, _ in objects(dump))
    assert counts == Counter(class_counts(SCALE))
    for cls, share in SHARE.items():
        assert counts[cls] == int(SCALE * share), cls
    assert set(counts) == set(SCHEMA)
    assert sum(class_counts(1000).values()) == 1000 and min(class_counts(1000).values()) > 0
    with pytest.raises(ValueError, match="too small"):
        class_counts(50)


def test_every_object_is_strictly_valid_with_a_unique_key(clean):
    dump, _ = clean
    keys = Counter()
    for p in iter_paragraphs(dump):
        if p.text.startswith("#"):
            continue
        obj = parse(p.text, p.line, strict=True)
        assert not obj.errors, (obj.errors[:3], p.text)
        keys[(obj.object_class, obj.pk)] += 1
    assert len(keys) == SCALE and max(keys.values()) == 1


def test_references_resolve_and_address_space_nests(clean):
    dump, _ = clean
    objs = objects(dump)
    names = {(a[cls][0]).upper() for cls, a, _ in objs}
    names |= {a["nic-hdl"][0].upper() for cls, a, _ in objs if cls in ("person", "role")}
    for _, attrs, text in objs:
        for ref in REFERENCES:
            for value in attrs.get(ref, []):
                for name in re.split(r"[,\s]+", value):
                    assert not name or name.upper() in names or name == "ANY", (ref, name, text)
        for auth in attrs.get("auth", []):
            assert not auth.startswith("PGPKEY-") or auth in names
    aut_nums = {a["aut-num"][0] for cls, a, _ in objs if cls == "aut-num"}
    external = {f"AS{n}" for n in EXTERNAL_TRANSIT}
    assert all(a["origin"][0] in aut_nums | external for cls, a, _ in objs if cls in ("route", "route6"))
    # inetnums: laminar (no partial overlaps), each below one of APNIC's /8s; every route inside one
    ranges = []
    for cls, attrs, _ in objs:
        if cls == "inetnum":
            first, _, last = attrs["inetnum"][0].partition(" - ")
            ranges.append((_ip(first), -_ip(last)))
    ranges.sort()
    stack: list[int] = []
    roots = 0
    for first, neg_last in ranges:
        last = -neg_last
        while stack and stack[-1] < first:
            stack.pop()
        assert not stack or last <= stack[-1], "a range overlaps its neighbour"
        roots += not stack
        stack.append(last)
    slash8s = [(f, -n) for f, n in ranges if -n - f == (1 << 24) - 1 and f % (1 << 24) == 0]
    assert roots == len(slash8s) >= 2
    for cls, attrs, _ in objs:
        if cls == "route":
            network, _, length = attrs["route"][0].partition("/")
            start, end = _ip(network), _ip(network) + (1 << (32 - int(length))) - 1
            assert any(f <= start and end <= last for f, last in slash8s)


def _ip(text: str) -> int:
    a, b, c, d = (int(x) for x in text.split("."))
    return a << 24 | b << 16 | c << 8 | d


def test_registry_hierarchy_vietnamese_text_and_sets(clean):
    dump, _ = clean
    objs = objects(dump)
    text = dump.read_text(encoding="utf-8")
    orgs = {a["organisation"][0]: a for cls, a, _ in objs if cls == "organisation"}
    assert orgs["ORG-APNIC1-AP"]["org-type"] == ["RIR"]
    assert {a["org-name"][0] for a in orgs.values() if a["org-type"] == ["NIR"]} >= {
        "Vietnam Internet Network Information Center"}
    members = [a for a in orgs.values() if a["org-type"] == ["LIR"]]
    vietnamese = [a for a in members if a["country"] == ["VN"]]
    assert 0.25 < len(vietnamese) / len(members) < 0.45
    assert "Việt Nam" in text and "Viet Nam" in text and "Công ty" in text and "Cong ty" in text
    # NIR pools are allocated by APNIC's hostmasters, member allocations by the NIR's
    pools = [a for cls, a, _ in objs if cls == "inetnum" and a["netname"] == ["VNNIC-NET"]]
    assert len(pools) == 1 and pools[0]["mnt-by"] == ["APNIC-HM"] and pools[0]["mnt-lower"] == ["MAINT-VN-VNNIC"]
    allocations = [a for cls, a, _ in objs if cls == "inetnum" and a["mnt-by"] == ["MAINT-VN-VNNIC"]]
    assert allocations and all(a["status"] == ["ALLOCATED PORTABLE"] and a["country"] == ["VN"] for a in allocations)
    # as-sets: nested, a cycle, self-reference, missing members; the IX's route server set is huge
    sets = {a["as-set"][0]: [m for v in a.get("members", []) for m in re.split(r",\s*", v) if m]
            for cls, a, _ in objs if cls == "as-set"}
    assert any(m in sets for ms in sets.values() for m in ms)
    assert any(name in ms for name, ms in sets.items())
    assert any(m.startswith("AS-") and m not in sets for ms in sets.values() for m in ms)
    assert any(name in sets.get(m, []) for name, ms in sets.items() for m in ms if m != name)
    vnnic_asns = {a["aut-num"][0] for cls, a, _ in objs if cls == "aut-num" and a["country"] == ["VN"]}
    assert set(sets["AS-VNIX-RS"]) == vnnic_asns and len(vnnic_asns) > 100
    ix = next(a for cls, a, _ in objs if cls == "as-set" and a["as-set"] == ["AS-VNIX"])
    assert ix["mbrs-by-ref"] == ["ANY"]
    assert any("AS-VNIX" in a.get("member-of", []) for cls, a, _ in objs if cls == "aut-num")


def test_known_passwords_and_key_certs(clean):
    dump, _ = clean
    objs = objects(dump)
    mntners = [a for cls, a, _ in objs if cls == "mntner"]
    known = [a for a in mntners if any(r.startswith("TEST DATA: the password") for r in a.get("remarks", []))]
    assert known == mntners[8:16]        # the first 8 maintainers after the registry tier's 8
    assert all([v.split()[0] for v in a["auth"]] == ["MD5-PW", "BCRYPT-PW"] for a in known)
    key_certs = [a for cls, a, _ in objs if cls == "key-cert"]
    assert [a["key-cert"][0] for a in key_certs[:2]] == list(REAL_KEYS)
    for a in key_certs[:2]:
        owner, fingerprint, armour = REAL_KEYS[a["key-cert"][0]]
        assert a["owner"] == [owner] and a["fingerpr"] == [fingerprint] and len(a["certif"]) == len(armour)
    assert len(key_certs) == 8 and all("synthetic" in " ".join(a["remarks"]) for a in key_certs[2:])


# what each quirk looks like in the text
SIGNS = {
    "continuation": re.compile(r"\n[ \t+]"),
    "end-of-line-comment": re.compile(r"\n[A-Za-z-]+:[^\n#]*[^\s#][^\n#]* # "),
    "comment-line": re.compile(r"\n# "),
    "upper-case-name": re.compile(r"\n[a-z0-9-]*[A-Z][A-Za-z0-9-]*:"),
    "spacing": re.compile(r"\n[A-Za-z-]+:(\t|[^ \t\n])"),
    "source": re.compile(r"\nsource: +(\S+ # Filtered|[a-z]+|\S+ +)$"),
    "asdot": re.compile(r"\bAS\d+\.\d+"),
    "dangling-contact": re.compile(r"\nadmin-c: +ZZ\d+-AP"),
}


def test_quirks(clean, tmp_path):
    dump, _ = clean
    body = dump.read_text().split("\n\n", 1)[1]                                  # after the header
    assert not any(sign.search(body) for sign in SIGNS.values())                  # rate 0: none at all
    odd = tmp_path / "odd.db"
    generate(odd, Options(seed=2, scale=SCALE, oddity_rate=0.2))
    seen: Counter = Counter()
    quirky = 0
    for p in iter_paragraphs(odd):
        if p.text.startswith("#"):
            continue
        obj = load(p.text, p.line)
        assert obj.error is None and obj.source == "APNIC", p.text      # quirks never break an object
        kinds = {kind for kind, sign in SIGNS.items() if sign.search("\n" + p.text)}
        seen.update(kinds)
        quirky += bool(kinds)
    assert set(seen) == set(QUIRKS), seen
    assert 0.17 * SCALE < quirky < 0.23 * SCALE


def test_journal_continues_the_dump(clean):
    dump, journal = clean
    current = {}
    for p in iter_paragraphs(dump):
        obj = load(p.text, p.line)
        if obj.object_class:
            current[(obj.object_class, obj.pk)] = p.text
    text = journal.read_text()
    assert text.startswith("%START Version: 3 APNIC 1001-1600\n\n") and text.endswith("\n%END APNIC\n")
    operations = re.findall(r"^(ADD|DEL) (\d+)\n\n(.*?)\n\n(?=ADD|DEL|%END)", text, re.S | re.M)
    assert [int(s) for _, s, _ in operations] == list(range(1001, 1601))
    kinds: Counter = Counter()
    for op, _, body in operations:
        obj = load(body)
        assert obj.error is None
        key = (obj.object_class, obj.pk)
        if op == "DEL":
            assert current.pop(key) == body                 # deletes the current version, once
            kinds["delete"] += 1
        else:
            kinds["modify" if key in current else "create"] += 1
            current[key] = body
    assert min(kinds.values()) > 60, kinds


def test_cli(tmp_path):
    out = run_irr("generate-dump", "--seed", "1", "--scale", "2000", "--out", str(tmp_path / "x.db"))
    assert f"{tmp_path / 'x.db'}: 2000 objects" in out.stdout and "inetnum" in out.stdout
    too_small = run_irr("generate-dump", "--scale", "50", "--out", str(tmp_path / "y.db"), check=False)
    assert too_small.returncode != 0 and "too small" in too_small.stderr
