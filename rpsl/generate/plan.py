"""The plan of a generated registry: how many objects of each class, the registry tier (APNIC and
the NIRs), the members with their names, maintainers, AS numbers, address space and neighbours.

Everything one member's objects refer to in another member (AS numbers, set names, maintainers)
is decided here, so each member can then be rendered on its own (and again, for the journal).
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

from rpsl.generate import words

# Share of the dump per class; domain takes what is left. as-block, filter-set, peering-set,
# rtr-set and inet-rtr are few (see class_counts).
SHARE = {
    "inetnum": 0.45, "inet6num": 0.12, "route": 0.15, "route6": 0.06, "mntner": 0.048, "person": 0.055,
    "role": 0.025, "irt": 0.01, "organisation": 0.01, "aut-num": 0.02, "as-set": 0.007, "route-set": 0.003,
    "key-cert": 0.0004,
}
SMALL_CLASSES = ("filter-set", "peering-set", "rtr-set", "inet-rtr")


@dataclass(frozen=True)
class RegistryInfo:
    key: str
    cc: str
    name: str
    mntner: str
    irt: str
    org: str
    ix: str            # the internet exchange its members meet at ("" for APNIC)
    share: float       # of the members
    email: str
    address: tuple[str, ...]
    phone: str


REGISTRIES = (
    RegistryInfo("APNIC", "AU", "Asia Pacific Network Information Centre", "APNIC-HM", "IRT-APNIC-AP",
                 "ORG-APNIC1-AP", "", 0.28, "helpdesk@apnic.example", ("6 Cordelia Street", "South Brisbane",
                                                                       "QLD 4101", "Australia"), "+61-7-3858-3100"),
    RegistryInfo("VNNIC", "VN", "Vietnam Internet Network Information Center", "MAINT-VN-VNNIC", "IRT-VNNIC-AP",
                 "ORG-VNNIC1-AP", "VNIX", 0.35, "hostmaster@vnnic.example",
                 ("18 Nguyen Du", "Hai Ba Trung", "Ha Noi", "Viet Nam"), "+84-24-3556-4944"),
    RegistryInfo("CNNIC", "CN", "China Internet Network Information Center", "MAINT-CNNIC-AP", "IRT-CNNIC-CN",
                 "ORG-CNNIC1-AP", "CNIX", 0.12, "ipas@cnnic.example", ("4 South 4th Street", "Beijing"),
                 "+86-10-5881-3000"),
    RegistryInfo("JPNIC", "JP", "Japan Network Information Center", "MAINT-JPNIC", "IRT-JPNIC-JP", "ORG-JNIC1-AP",
                 "JPIX", 0.06, "hostmaster@nic.example.jp", ("Chiyoda-ku", "Tokyo"), "+81-3-5297-2311"),
    RegistryInfo("KRNIC", "KR", "Korea Internet and Security Agency", "MNT-KRNIC-AP", "IRT-KRNIC-KR",
                 "ORG-KISA1-AP", "KINX", 0.05, "ip@nic.example.kr", ("Naju-si", "Jeollanam-do"), "+82-2-405-5118"),
    RegistryInfo("TWNIC", "TW", "Taiwan Network Information Center", "MAINT-TW-TWNIC", "IRT-TWNIC-AP",
                 "ORG-TWNIC1-AP", "TPIX", 0.04, "hostmaster@twnic.example", ("Zhongzheng District", "Taipei"),
                 "+886-2-2341-1313"),
    RegistryInfo("IDNIC", "ID", "Indonesia Network Information Centre", "MNT-APJII-ID", "IRT-IDNIC-ID",
                 "ORG-IDNIC1-AP", "IIX", 0.05, "hostmaster@idnic.example", ("Jakarta Selatan", "Jakarta"),
                 "+62-21-5296-0634"),
    RegistryInfo("IRINN", "IN", "Indian Registry for Internet Names and Numbers", "MAINT-IN-IRINN",
                 "IRT-IRINN-IN", "ORG-IRINN1-AP", "NIXI", 0.05, "hostmaster@irinn.example", ("New Delhi",),
                 "+91-11-4840-2200"),
)
APNIC_DIRECT_COUNTRIES = tuple(c for c in words.COUNTRIES if c not in ("CN", "JP", "KR", "TW", "ID"))
# Transit networks outside the dump that the biggest members buy from (no aut-num objects here).
EXTERNAL_TRANSIT = (3356, 174, 2914, 1299, 6453, 6939, 4637, 3491)
LEGACY_AS_BLOCKS = ((17408, 18431), (23552, 24575), (45056, 46079))    # 2-byte blocks of APNIC
FIRST_4BYTE_ASN = 131072
V4_FIRST_SLASH8 = 110                   # APNIC's 110.0.0.0/8 - 126.0.0.0/8, used in order
V4_LAST_SLASH8 = 126
V6_TOP = (0x2400 << 112, 12)            # 2400::/12
ASSIGNMENT_LENGTHS = (24, 24, 24, 25, 26, 26, 27, 27, 28, 28, 29, 29)


@dataclass(slots=True)
class Member:
    """One member (LIR or direct assignment holder) of a registry."""

    index: int
    registry: str
    cc: str
    vietnamese: bool
    diacritics: bool          # its text keeps the Vietnamese diacritics (else folded to ASCII)
    code: str                 # unique upper-case short name: netnames, maintainers, sets
    name: str                 # organisation name
    domain: str               # e-mail / DNS domain
    weight: float
    counts: dict[str, int]
    transit: bool = False
    org: str = ""
    mntners: list[str] = field(default_factory=list)
    person_base: int = 0      # nic-hdl numbers person_base ... person_base + persons + roles - 1
    asns: list[int] = field(default_factory=list)
    v4_start: int = 0
    v4_size: int = 0
    v4_children: bytes = b""  # prefix lengths of the sub-allocations and assignments, by address
    v4_subs: int = 0          # the first v4_subs children are sub-allocations
    v6_start: int = 0         # its /32
    upstreams: list[int] = field(default_factory=list)    # member indexes, or -ASN for external transit
    customers: list[int] = field(default_factory=list)
    peers: list[int] = field(default_factory=list)
    as_sets: list[str] = field(default_factory=list)
    route_sets: list[str] = field(default_factory=list)
    key_certs: list[str] = field(default_factory=list)
    at_ix: bool = False
    set_quirks: set[str] = field(default_factory=set)    # its main as-set: "cycle", "self", "missing"


@dataclass(slots=True)
class Plan:
    seed: int
    scale: int
    source: str
    counts: dict[str, int]
    members: list[Member]
    registry_v4: dict[str, tuple[int, int]]      # NIR pool: first, last address
    registry_v6: dict[str, tuple[int, int]]      # NIR pool: prefix start, length
    registry_asns: dict[str, tuple[int, int]]
    slash8s: int
    handle_end: int                              # first nic-hdl number no object uses
    key_ids: list[str]
    known_mntners: frozenset[str]
    ix_members: dict[str, list[int]]             # registry -> ASNs claiming its IX set


def class_counts(scale: int) -> dict[str, int]:
    """Objects per class: floor(share x scale), at least what the registry tier and two members
    need; domain takes the rest. In small dumps (below about 1,000 objects) route6, route, inet6num
    and inetnum give way to the registry tier. ValueError when scale is too small even for that."""
    n_reg = len(REGISTRIES)
    small = max(1, scale // 25000)
    minimum = {"mntner": n_reg + 2, "person": n_reg + 2, "role": n_reg, "irt": n_reg + 2, "organisation": n_reg + 2,
               "aut-num": 2, "as-set": 2 * (n_reg - 1), "route-set": 0, "key-cert": 2,
               "inetnum": slash8_count(scale) + n_reg - 1 + 2, "inet6num": 1 + n_reg - 1 + 2, "route": 0, "route6": 0}
    counts = {cls: max(int(scale * share), minimum[cls]) for cls, share in SHARE.items()}
    counts["irt"] = counts["organisation"] = max(counts["irt"], counts["organisation"])   # one of each per member
    members = counts["organisation"] - n_reg
    counts["aut-num"] = max(counts["aut-num"], members)
    counts["inet6num"] = max(counts["inet6num"], n_reg + members)
    counts["inetnum"] = max(counts["inetnum"], slash8_count(scale) + n_reg - 1 + members)
    counts["mntner"] = max(counts["mntner"], n_reg + members)
    counts["person"] = max(counts["person"], n_reg + members)
    counts["as-block"] = len(LEGACY_AS_BLOCKS) + n_reg
    for cls in SMALL_CLASSES:
        counts[cls] = small
    rest = scale - sum(counts.values())
    floor = {"route": 0, "route6": 0, "inet6num": n_reg + members,
             "inetnum": slash8_count(scale) + n_reg - 1 + members}
    for cls in ("route6", "route", "inet6num", "inetnum"):     # small dumps: the big classes give way
        if rest < 0:
            give = min(-rest, counts[cls] - floor[cls])
            counts[cls] -= give
            rest += give
    if rest < 0:
        raise ValueError(f"scale {scale} is too small: the registry tier alone needs {scale - rest} objects")
    counts["domain"] = rest
    return counts


def slash8_count(scale: int) -> int:
    """IPv4 /8s of APNIC the dump spreads over (each gets an APNIC inetnum)."""
    return min(V4_LAST_SLASH8 - V4_FIRST_SLASH8 + 1, 2 + scale // 100_000)


def distribute(total: int, weights: list[float], minimum: int = 0, maximum: int | None = None) -> list[int]:
    """Split total into integers proportional to weights (largest remainders), each >= minimum and,
    when given, <= maximum (what a capped share can't take goes to the others)."""
    n = len(weights)
    out = [minimum] * n
    left = total - minimum * n
    if left < 0:
        raise ValueError(f"{total} objects can't give {minimum} to each of {n}")
    active = list(range(n))
    while left > 0:
        if maximum is not None:
            active = [i for i in active if out[i] < maximum]
        if not active:
            raise ValueError(f"{total} objects don't fit {n} x {maximum}")
        wsum = sum(weights[i] for i in active)
        quotas = [(i, weights[i] * left / wsum) for i in active]
        given = 0
        for i, q in quotas:
            k = int(q) if maximum is None else min(int(q), maximum - out[i])
            out[i] += k
            given += k
        if given == 0:      # what is left is less than one each: largest remainders first
            quotas.sort(key=lambda t: (-(t[1] - int(t[1])), t[0]))
            for i, _ in quotas[:left]:
                out[i] += 1
                given += 1
        left -= given
    return out


def next_pow2(n: int) -> int:
    return 1 << max(0, (n - 1).bit_length())


def make_plan(seed: int, scale: int, source: str = "APNIC", known_mntners: int = 8) -> Plan:
    rng = random.Random(f"irr-generate/{seed}/{scale}/plan")
    counts = class_counts(scale)
    n_reg = len(REGISTRIES)
    n_members = counts["organisation"] - n_reg
    members = _members(rng, n_members)
    weights = [m.weight for m in members]

    per_class = {
        "mntner": distribute(counts["mntner"] - n_reg, weights, 1),
        "person": distribute(counts["person"] - n_reg, weights, 1),
        "role": distribute(counts["role"] - n_reg, weights, 0),
        "aut-num": distribute(counts["aut-num"], weights, 1),
        "as-set": distribute(counts["as-set"] - 2 * (n_reg - 1), weights, 0),
        "route-set": distribute(counts["route-set"], weights, 0, 3),
        "key-cert": distribute(counts["key-cert"], weights, 0, 1),
        "inetnum": distribute(counts["inetnum"] - slash8_count(scale) - (n_reg - 1), weights, 1),
        "inet6num": distribute(counts["inet6num"] - n_reg, weights, 1),
        "route": distribute(counts["route"], weights, 0),
        "route6": distribute(counts["route6"], weights, 0),
        "domain": distribute(counts["domain"], weights, 0),
    }
    for i, m in enumerate(members):
        m.counts = {cls: per_class[cls][i] for cls in per_class}
        m.counts["irt"] = m.counts["organisation"] = 1
        m.counts.update(dict.fromkeys(SMALL_CLASSES, 0))
    by_weight = sorted(members, key=lambda m: (-m.weight, m.index))
    n_transit = max(1, n_members // 30)
    for m in by_weight[:n_transit]:
        m.transit = True
    for cls in SMALL_CLASSES:            # the few filter/peering/rtr sets and routers: transit members
        for k in range(counts[cls]):
            by_weight[k % n_transit].counts[cls] += 1

    handle = 100
    key_ids: list[str] = []
    used_keys: set[str] = set()
    known: list[str] = []
    for m in members:
        letters = "".join(ch for ch in m.code[:6] if ch.isalpha())      # letters then the number: unique
        m.org = f"ORG-{letters}{m.index + 1}-AP"
        m.mntners = _mntner_names(m)
        if len(known) < known_mntners:
            known.extend(m.mntners[:known_mntners - len(known)])
        m.person_base = handle
        handle += m.counts["person"] + m.counts["role"]
        for _ in range(m.counts["key-cert"]):
            key_id = REAL_KEY_IDS[len(key_ids)] if len(key_ids) < len(REAL_KEY_IDS) else ""
            while not key_id or key_id in used_keys:
                key_id = f"PGPKEY-{rng.getrandbits(32):08X}"
            used_keys.add(key_id)
            key_ids.append(key_id)
            m.key_certs.append(key_id)

    registry_asns = _assign_asns(members, by_weight)
    registry_v4 = _layout_v4(rng, members, scale)
    registry_v6 = _layout_v6(members)
    _neighbours(rng, members)
    ix_members = _sets(rng, members)
    return Plan(seed, scale, source, counts, members, registry_v4, registry_v6, registry_asns, slash8_count(scale),
                handle, key_ids, frozenset(known), ix_members)


# Two key-certs carry real public keys (rpsl.generate.keys); the rest are synthetic.
REAL_KEY_IDS = ("PGPKEY-5763950D", "PGPKEY-28F6CD6C")


def _members(rng: random.Random, n: int) -> list[Member]:
    regs = [r.key for r in REGISTRIES]
    shares = [r.share for r in REGISTRIES]
    counts = distribute(n, shares, 0)
    order = [reg for reg, k in zip(regs, counts) for _ in range(k)]
    rng.shuffle(order)
    used: set[str] = set()
    members = []
    for i, reg in enumerate(order):
        info = next(r for r in REGISTRIES if r.key == reg)
        cc = rng.choice(APNIC_DIRECT_COUNTRIES) if reg == "APNIC" else info.cc
        vietnamese = cc == "VN"
        if vietnamese:
            brand = rng.choice(words.VN_BRAND)
            name = f"{rng.choice(words.VN_COMPANY)} {rng.choice(words.VN_TRADE)} {brand}"
            base = words.fold(brand).upper().replace(" ", "")
            tld = rng.choice(words.VN_DOMAINS)
        else:
            word, trade = rng.choice(words.WORDS), rng.choice(words.TRADE)
            suffixes = words.COUNTRIES[cc][1]
            suffix = rng.choice(suffixes)
            name = f"{suffix} {word} {trade}" if suffix == "PT" else f"{word} {trade} {suffix}"
            base = (word + trade[:3]).upper()
            tld = words.COUNTRIES[cc][2]
        code = base
        k = 1
        while code in used:
            k += 1
            code = f"{base}{k}"
        used.add(code)
        weight = min(1.0 / (1.0 - rng.random()) ** (1 / 1.2), 400.0)     # Pareto: few big, many small
        members.append(Member(i, reg, cc, vietnamese, vietnamese and rng.random() < 0.5, code, name,
                              code.lower() + tld, weight, {}))
    return members


def _mntner_names(m: Member) -> list[str]:
    first = f"MAINT-{m.cc}-{m.code}"
    extra = ("NOC", "IPV6", "RT", "DNS", "HOSTMASTER", "NET", "TRANSIT", "CORE")
    names = [first]
    for k in range(1, m.counts["mntner"]):
        tag = extra[(k - 1) % len(extra)]
        names.append(f"MAINT-{m.code}-{tag}" if k <= len(extra) else f"MAINT-{m.code}-{tag}{k}")
    return names


def _assign_asns(members: list[Member], by_weight: list[Member]) -> dict[str, tuple[int, int]]:
    """2-byte legacy ASNs for the first AS of the biggest members, then a 4-byte block per registry."""
    legacy = [a for lo, hi in LEGACY_AS_BLOCKS for a in range(lo, hi + 1)]
    big = {m.index for m in by_weight[: min(len(legacy), max(1, len(members) // 20))]}
    need = {r.key: 0 for r in REGISTRIES}
    for m in members:
        need[m.registry] += m.counts["aut-num"] - (1 if m.index in big else 0)
    blocks, start = {}, FIRST_4BYTE_ASN
    for r in REGISTRIES:
        size = max(16, need[r.key] + need[r.key] // 4)
        blocks[r.key] = (start, start + size - 1)
        start += size
    nxt = {k: v[0] for k, v in blocks.items()}
    li = 0
    for m in members:
        for k in range(m.counts["aut-num"]):
            if k == 0 and m.index in big:
                m.asns.append(legacy[li])
                li += 1
            else:
                m.asns.append(nxt[m.registry])
                nxt[m.registry] += 1
    return blocks


def _layout_v4(rng: random.Random, members: list[Member], scale: int) -> dict[str, tuple[int, int]]:
    """Each member's allocation: a power of two holding its sub-allocations (25 assignments each)
    and assignments, and a /24 per route; packed largest first inside its registry's pool, the
    pools one after the other from 110.0.0.0."""
    for m in members:
        r = random.Random(f"{rng.random()}")
        n_children = m.counts["inetnum"] - 1
        subs = n_children // 26 if n_children >= 26 else 0
        assigns = [r.choice(ASSIGNMENT_LENGTHS) for _ in range(n_children - subs)]
        sub_lengths = [32 - (next_pow2(sum(1 << (32 - p) for p in assigns[k * 25:(k + 1) * 25])).bit_length() - 1)
                       for k in range(subs)]
        m.v4_subs = subs
        m.v4_children = bytes(sub_lengths + assigns)
        top = sub_lengths + assigns[subs * 25:]
        used = sum(1 << (32 - p) for p in top) * (2 if len(top) == 1 else 1)     # never the child's own range
        m.v4_size = next_pow2(max(used, 256 * max(1, m.counts["route"]), 1024 if n_children else 256))
    pools = {}
    cursor = V4_FIRST_SLASH8 << 24
    end = (V4_FIRST_SLASH8 + slash8_count(scale)) << 24
    biggest = {r.key: max((m.v4_size for m in members if m.registry == r.key), default=0) for r in REGISTRIES}
    for r in sorted(REGISTRIES, key=lambda r: -biggest[r.key]):     # little space lost to alignment
        mine = sorted((m for m in members if m.registry == r.key), key=lambda m: (-m.v4_size, m.index))
        if mine:                                         # the biggest allocation sets the alignment
            align = max(mine[0].v4_size, 0x10000)
            cursor = (cursor + align - 1) & ~(align - 1)
        first = cursor
        for m in mine:
            m.v4_start = cursor                          # sizes only shrink: always aligned
            cursor += m.v4_size
        pools[r.key] = (first, max(first + 0xFFFF, (cursor + 0xFFFF) & ~0xFFFF) - 1)
        cursor = pools[r.key][1] + 1
    if cursor > end:
        raise ValueError(f"the IPv4 space of {slash8_count(scale)} /8s is too small for scale {scale}")
    return pools


def _layout_v6(members: list[Member]) -> dict[str, tuple[int, int]]:
    """A /32 per member; each registry's pool is the smallest aligned block holding its members."""
    pools = {}
    cursor = V6_TOP[0] + (1 << (128 - 20))          # 2400::/20 stays APNIC's own
    for r in REGISTRIES:
        mine = [m for m in members if m.registry == r.key]
        size = max(next_pow2(len(mine)) * 2, 256) << 96     # at least a /24, never a member's own /32
        cursor = (cursor + size - 1) & ~(size - 1)
        pools[r.key] = (cursor, 128 - (size.bit_length() - 1))
        for k, m in enumerate(mine):
            m.v6_start = cursor + (k << 96)
        cursor += size
    return pools


def _neighbours(rng: random.Random, members: list[Member]) -> None:
    """Upstreams (transit members of the same registry, else anywhere; external for transit members),
    their customers, and peers between transit members of a registry."""
    transit = [m for m in members if m.transit]
    by_reg: dict[str, list[Member]] = {}
    for m in transit:
        by_reg.setdefault(m.registry, []).append(m)
    for m in members:
        if m.transit:
            m.upstreams = [-a for a in rng.sample(EXTERNAL_TRANSIT, 2)]
            local = [t for t in by_reg[m.registry] if t is not m]
            m.peers = [t.index for t in rng.sample(local, min(3, len(local)))]
            continue
        pool = by_reg.get(m.registry) or transit
        ups = rng.sample(pool, min(len(pool), 1 if rng.random() < 0.6 else 2))
        m.upstreams = [u.index for u in ups]
        for u in ups:
            u.customers.append(m.index)
    for m in members:
        m.at_ix = m.registry != "APNIC" and rng.random() < 0.5


def _sets(rng: random.Random, members: list[Member]) -> dict[str, list[int]]:
    """Names of the members' as-sets and route-sets, and who claims its IX's set."""
    for m in members:
        main = f"AS-{m.code}" if m.index % 2 else f"AS{m.asns[0]}:AS-CUSTOMERS"
        names = [main, f"AS{m.asns[0]}:AS-PEERS", f"AS{m.asns[0]}:AS-PEERS:AS-{_ix(m)}"]
        names += [f"AS-{m.code}-{k}" for k in range(3, m.counts["as-set"])]
        m.as_sets = names[: m.counts["as-set"]]
        rs = [f"RS-{m.code}" if m.index % 2 else f"AS{m.asns[0]}:RS-ROUTES", f"RS-{m.code}-V6",
              f"AS{m.asns[0]}:RS-CUSTOMERS"]
        m.route_sets = rs[: m.counts["route-set"]]
    # some main sets hold their upstream's (which holds them: a cycle), themselves, or a set that
    # does not exist; at least one of each wherever members have sets
    with_sets = [m for m in members if m.as_sets]
    upstream_has_set = [m for m in with_sets if m.upstreams[0] >= 0 and members[m.upstreams[0]].as_sets]
    for quirk, pool, share in (("cycle", upstream_has_set, 25), ("self", with_sets, 100), ("missing", with_sets, 50)):
        for m in rng.sample(pool, min(len(pool), max(1, len(pool) // share))):
            m.set_quirks.add(quirk)
    ix: dict[str, list[int]] = {}
    for m in members:
        if m.at_ix:
            ix.setdefault(m.registry, []).append(m.asns[0])
    return ix


def _ix(m: Member) -> str:
    return next(r.ix for r in REGISTRIES if r.key == m.registry) or "APIX"


def registry_info(key: str) -> RegistryInfo:
    return next(r for r in REGISTRIES if r.key == key)


def pick_geometric(rng: random.Random, rate: float) -> int:
    """Objects to skip before the next one with a quirk (rate: share of objects with one)."""
    if rate <= 0:
        return 1 << 62
    if rate >= 1:
        return 0
    return int(math.log(1.0 - rng.random()) / math.log(1.0 - rate))
