"""Text of the generated objects: the registry tier (APNIC, the NIRs) and each member.

A member is rendered from the plan and its own random stream only, so the same member gives the
same objects in any process and in any order (the journal renders some members again).
"""
from __future__ import annotations

import random
import time

from rpsl.generate import credentials, quirks, words
from rpsl.generate.plan import (
    LEGACY_AS_BLOCKS,
    REGISTRIES,
    V4_FIRST_SLASH8,
    V6_TOP,
    Member,
    Plan,
    pick_geometric,
    registry_info,
)
from rpsl.generate.routing import RoutingMixin
from rpsl.generate.text import PAD, v4, v6

Obj = tuple[str, str]   # (class, text)
SERVICE_TAGS = ("FTTH", "BRAS", "HOSTING", "DC", "ENT", "MOBILE", "LL", "CLOUD", "GOV", "EDU", "WIFI", "IPTV")


class Writer:
    """Collects one member's (or the registry tier's) objects, adding last-modified, source and,
    at the oddity rate, one quirk to some of them."""

    def __init__(self, renderer: Renderer, rng: random.Random):
        self.r, self.rng = renderer, rng
        self.out: list[Obj] = []
        self.ts = rng.randrange(4096)
        self.skip = pick_geometric(rng, renderer.rate)

    def emit(self, cls: str, pairs: list[tuple[str, str]]) -> None:
        lines = [PAD[a] + v if v else a + ":" for a, v in pairs]
        self.ts = (self.ts + 61) & 4095
        lines.append(PAD["last-modified"] + self.r.timestamps[self.ts])
        lines.append(self.r.source_line)
        if self.skip == 0:
            dangling = f"ZZ{self.r.plan.handle_end + 10_000_000 + self.rng.randrange(1_000_000)}-AP"
            quirks.apply(self.rng, lines, cls, dangling)     # (a nic-hdl no object has)
            self.skip = pick_geometric(self.rng, self.r.rate)
        else:
            self.skip -= 1
        self.out.append((cls, "\n".join(lines)))


class Renderer(RoutingMixin):
    def __init__(self, plan: Plan, oddity_rate: float):
        self.plan, self.rate = plan, oddity_rate
        self.members = plan.members
        self.source = plan.source
        self.source_line = PAD["source"] + plan.source
        rng = random.Random(f"irr-generate/{plan.seed}/timestamps")
        first, last = 1199145600, 1735603200          # 2008-01-01 .. 2024-12-31
        self.timestamps = [time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(rng.randrange(first, last)))
                           for _ in range(4096)]

    def member_rng(self, m: Member) -> random.Random:
        return random.Random(f"irr-generate/{self.plan.seed}/member/{m.index}")

    # ---------------------------------------------------------------- the registry tier
    def registry_objects(self) -> list[Obj]:
        rng = random.Random(f"irr-generate/{self.plan.seed}/registries")
        w = Writer(self, rng)
        w.skip = 1 << 62                          # the registries' own objects are clean
        plan = self.plan
        apnic = registry_info("APNIC")
        for k, reg in enumerate(REGISTRIES):
            person, role = f"{reg.key[:2]}{k + 1}-AP", f"{reg.key[-2:]}{k + 1}H-AP"
            top = apnic.mntner
            w.emit("mntner", [("mntner", reg.mntner), ("descr", f"Maintainer of {reg.name}"), ("country", reg.cc),
                              ("admin-c", person), ("tech-c", role), ("upd-to", reg.email),
                              ("auth", credentials.fake_bcrypt(rng)), ("mnt-by", reg.mntner),
                              ("referral-by", top)])
            addr = [("address", a) for a in reg.address]
            w.emit("person", [("person", f"{reg.key} Hostmaster {k + 1}"), *addr, ("country", reg.cc),
                              ("phone", reg.phone), ("e-mail", reg.email), ("nic-hdl", person),
                              ("mnt-by", reg.mntner)])
            w.emit("role", [("role", f"{reg.key} Hostmasters"), *addr, ("country", reg.cc), ("phone", reg.phone),
                            ("e-mail", reg.email), ("admin-c", person), ("tech-c", person), ("nic-hdl", role),
                            ("abuse-mailbox", reg.email), ("mnt-by", reg.mntner)])
            w.emit("irt", [("irt", reg.irt), *addr, ("e-mail", reg.email), ("abuse-mailbox", reg.email),
                           ("admin-c", role), ("tech-c", role), ("auth", credentials.fake_bcrypt(rng)),
                           ("mnt-by", reg.mntner)])
            w.emit("organisation", [("organisation", reg.org), ("org-name", reg.name),
                                    ("org-type", "RIR" if reg.key == "APNIC" else "NIR"), ("country", reg.cc),
                                    *addr, ("phone", reg.phone), ("e-mail", reg.email), ("admin-c", person),
                                    ("tech-c", role), ("abuse-c", role), ("mnt-ref", reg.mntner),
                                    ("mnt-by", reg.mntner if reg.key == "APNIC" else top)])
            lo, hi = plan.registry_asns[reg.key]
            if reg.key == "APNIC":
                for first, last in LEGACY_AS_BLOCKS:
                    w.emit("as-block", self._as_block(first, last, reg, person, top))
                lo = min(b[0] for b in plan.registry_asns.values())
                hi = max(b[1] for b in plan.registry_asns.values())
                w.emit("as-block", self._as_block(lo, hi, reg, person, top))
                for n in range(plan.slash8s):
                    first = (V4_FIRST_SLASH8 + n) << 24
                    w.emit("inetnum", self._pool4(first, first + (1 << 24) - 1, "APNIC-AP", reg, person, role, top))
                w.emit("inet6num", self._pool6(V6_TOP[0], V6_TOP[1], "APNIC-V6", reg, person, role, top))
                continue
            w.emit("as-block", self._as_block(lo, hi, reg, person, top))
            first, last = plan.registry_v4[reg.key]
            w.emit("inetnum", self._pool4(first, last, f"{reg.key}-NET", reg, person, role, top))
            start, length = plan.registry_v6[reg.key]
            w.emit("inet6num", self._pool6(start, length, f"{reg.key}-V6", reg, person, role, top))
            w.emit("as-set", [("as-set", f"AS-{reg.ix}"), ("descr", f"Networks at {reg.ix}, the exchange of {reg.key}"),
                              ("mbrs-by-ref", "ANY"), ("tech-c", role), ("admin-c", person), ("mnt-by", reg.mntner)])
            everyone = [f"AS{a}" for m in self.members if m.registry == reg.key for a in m.asns]
            w.emit("as-set", [("as-set", f"AS-{reg.ix}-RS"), ("descr", f"Route server peers of {reg.ix}"),
                              *self.member_lines(everyone), ("tech-c", role), ("admin-c", person),
                              ("mnt-by", reg.mntner)])
        return w.out

    def _as_block(self, first: int, last: int, reg, person: str, top: str) -> list[tuple[str, str]]:
        return [("as-block", f"AS{first} - AS{last}"), ("descr", f"AS numbers of {reg.name}"), ("country", reg.cc),
                ("org", reg.org), ("admin-c", person), ("tech-c", person), ("mnt-lower", reg.mntner), ("mnt-by", top)]

    def _pool4(self, first, last, netname, reg, person, role, top) -> list[tuple[str, str]]:
        return [("inetnum", f"{v4(first)} - {v4(last)}"), ("netname", netname), ("descr", reg.name),
                ("country", "AP" if reg.key == "APNIC" else reg.cc), ("org", reg.org), ("admin-c", person),
                ("tech-c", role), ("abuse-c", role), ("status", "ALLOCATED PORTABLE"), ("mnt-by", top),
                ("mnt-lower", reg.mntner), ("mnt-irt", reg.irt)]

    def _pool6(self, start, length, netname, reg, person, role, top) -> list[tuple[str, str]]:
        return [("inet6num", v6(start, length)), ("netname", netname), ("descr", reg.name),
                ("country", "AP" if reg.key == "APNIC" else reg.cc), ("org", reg.org), ("admin-c", person),
                ("tech-c", role), ("abuse-c", role), ("status", "ALLOCATED PORTABLE"), ("mnt-by", top),
                ("mnt-lower", reg.mntner), ("mnt-irt", reg.irt)]

    # ---------------------------------------------------------------- one member
    def member_objects(self, m: Member) -> list[Obj]:
        rng = self.member_rng(m)
        w = Writer(self, rng)
        ctx = _Context(self, m, rng)
        self._contacts(w, ctx)
        self.routing_objects(w, ctx)
        self._inetnums(w, ctx)
        self._inet6nums(w, ctx)
        self.route_objects(w, ctx)
        self._domains(w, ctx)
        return w.out

    def _contacts(self, w: Writer, c: _Context) -> None:
        m, rng = c.m, c.rng
        reg = registry_info(m.registry)
        addr = [("address", a) for a in c.address]
        w.emit("organisation", [("organisation", m.org), ("org-name", c.t(m.name)), ("org-type", "LIR"),
                                ("country", m.cc), *addr, ("phone", c.phone()), ("e-mail", f"info@{m.domain}"),
                                ("admin-c", c.admin), ("tech-c", c.tech), *c.abuse, ("mnt-ref", m.mntners[0]),
                                ("mnt-by", reg.mntner)])
        for k, name in enumerate(m.mntners):
            if name in self.plan.known_mntners:
                auth = credentials.real_auth(rng, name)
                remarks = [("remarks", "TEST DATA: the password of this maintainer is known (see rpsl.generate)")]
            else:
                remarks = []
                x = rng.random()
                if k == 0 and m.key_certs:
                    auth = [m.key_certs[0], credentials.fake_bcrypt(rng)]
                elif x < 0.5:
                    auth = [credentials.fake_bcrypt(rng)]
                elif x < 0.75:
                    auth = [credentials.fake_md5(rng)]
                else:
                    auth = [credentials.fake_bcrypt(rng), credentials.fake_md5(rng)]
            pairs = [("mntner", name), ("descr", c.t(m.name)), ("country", m.cc), ("admin-c", c.admin),
                     ("tech-c", c.tech), ("upd-to", f"hostmaster@{m.domain}")]
            if k == 0:
                pairs.append(("mnt-nfy", f"noc@{m.domain}"))
            pairs += [("auth", a) for a in auth]
            w.emit("mntner", pairs + remarks + [("mnt-by", name), ("referral-by", reg.mntner)])
        for handle, name, email in c.persons:
            w.emit("person", [("person", name), *[("address", a) for a in c.person_address()], ("country", m.cc),
                              ("phone", c.phone()), ("e-mail", email), ("nic-hdl", handle),
                              ("mnt-by", m.mntners[0])])
        for k, handle in enumerate(c.roles):
            title = ("Network Operations Center", "Abuse Team", "Hostmaster", "Security Team")[k % 4]
            w.emit("role", [("role", f"{m.code} {title}"), *addr, ("country", m.cc), ("phone", c.phone()),
                            ("e-mail", f"noc@{m.domain}"), ("admin-c", c.admin), ("tech-c", c.persons[-1][0]),
                            ("nic-hdl", handle), ("abuse-mailbox", f"abuse@{m.domain}"), ("mnt-by", m.mntners[0])])
        w.emit("irt", [("irt", c.irt), *addr, ("e-mail", f"cert@{m.domain}"), ("abuse-mailbox", f"abuse@{m.domain}"),
                       ("admin-c", c.admin), ("tech-c", c.tech), ("auth", credentials.fake_bcrypt(rng)),
                       ("irt-nfy", f"cert@{m.domain}"), ("mnt-by", m.mntners[0])])
        for key_id in m.key_certs:
            pairs, real = credentials.key_cert_lines(rng, key_id, f"{c.persons[0][1]} <{c.persons[0][2]}>")
            remarks = [] if real else [("remarks", "synthetic key material: not a valid PGP key")]
            w.emit("key-cert", [("key-cert", key_id), *pairs, *remarks, ("mnt-by", m.mntners[0])])

    def _inetnums(self, w: Writer, c: _Context) -> None:
        m = c.m
        reg = registry_info(m.registry)
        children = m.v4_children
        subs = m.v4_subs
        portable = "ALLOCATED PORTABLE" if len(children) or m.v4_size > 256 else "ASSIGNED PORTABLE"
        w.emit("inetnum", [("inetnum", f"{v4(m.v4_start)} - {v4(m.v4_start + m.v4_size - 1)}"),
                           ("netname", f"{m.code}-{m.cc}"), ("descr", c.t(m.name)), ("country", m.cc),
                           ("org", m.org), ("admin-c", c.admin), ("tech-c", c.tech), *c.abuse,
                           ("status", portable), ("mnt-by", reg.mntner), ("mnt-lower", m.mntners[0]),
                           ("mnt-routes", m.mntners[0]), ("mnt-irt", c.irt)])
        # top level: the sub-allocations and the direct assignments, largest first
        top = [(children[k], k) for k in range(subs)] + [(p, subs + subs * 25 + j)
                                                         for j, p in enumerate(children[subs + subs * 25:])]
        top.sort()
        cursor = m.v4_start
        serial = 0
        for length, k in top:
            size = 1 << (32 - length)
            if k < subs:
                w.emit("inetnum", [("inetnum", f"{v4(cursor)} - {v4(cursor + size - 1)}"),
                                   ("netname", f"{m.code}-SUB{k + 1}-{m.cc}"),
                                   ("descr", c.t(f"{c.city} - {m.name}")), ("country", m.cc), ("admin-c", c.admin),
                                   ("tech-c", c.tech), ("status", "ALLOCATED NON-PORTABLE"),
                                   ("mnt-by", m.mntners[0]), ("mnt-lower", m.mntners[-1]), ("mnt-irt", c.irt)])
                inside = sorted(children[subs + k * 25: subs + (k + 1) * 25])
                inner = cursor
                for p in inside:
                    serial += 1
                    self._assignment(w, c, inner, 1 << (32 - p), serial)
                    inner += 1 << (32 - p)
            else:
                serial += 1
                self._assignment(w, c, cursor, size, serial)
            cursor += size

    def _assignment(self, w: Writer, c: _Context, start: int, size: int, serial: int) -> None:
        m = c.m
        tag = SERVICE_TAGS[serial % len(SERVICE_TAGS)]
        w.emit("inetnum", [("inetnum", f"{v4(start)} - {v4(start + size - 1)}"),
                           ("netname", f"{m.code}-{tag}-{serial}"), ("descr", c.service(serial)),
                           ("country", m.cc), ("admin-c", c.admin), ("tech-c", c.tech),
                           ("status", "ASSIGNED NON-PORTABLE"), ("mnt-by", m.mntners[-1]), ("mnt-irt", c.irt)])

    def _inet6nums(self, w: Writer, c: _Context) -> None:
        m = c.m
        reg = registry_info(m.registry)
        w.emit("inet6num", [("inet6num", v6(m.v6_start, 32)), ("netname", f"{m.code}-{m.cc}-V6"),
                            ("descr", c.t(m.name)), ("country", m.cc), ("org", m.org), ("admin-c", c.admin),
                            ("tech-c", c.tech), *c.abuse, ("status", "ALLOCATED PORTABLE"),
                            ("mnt-by", reg.mntner), ("mnt-lower", m.mntners[0]), ("mnt-routes", m.mntners[0]),
                            ("mnt-irt", c.irt)])
        assigned = 0
        for k in range(m.counts["inet6num"] - 1):
            if k % 20 == 19 and k < 2560:              # /40 sub-allocations from the top of the /32
                start, length, status = m.v6_start + ((255 - k // 20) << 88), 40, "ALLOCATED NON-PORTABLE"
            else:
                start, length, status = m.v6_start + (assigned << 80), 48, "ASSIGNED NON-PORTABLE"
                assigned += 1
            w.emit("inet6num", [("inet6num", v6(start, length)), ("netname", f"{m.code}-V6-{k + 1}"),
                                ("descr", c.service(k)), ("country", m.cc), ("admin-c", c.admin),
                                ("tech-c", c.tech), ("status", status), ("mnt-by", m.mntners[-1]),
                                ("mnt-irt", c.irt)])

    def _domains(self, w: Writer, c: _Context) -> None:
        m = c.m
        slash24s = m.v4_size >> 8
        for k in range(m.counts["domain"]):
            if k < slash24s:
                n = m.v4_start + (k << 8)
                zone = f"{(n >> 8) & 255}.{(n >> 16) & 255}.{n >> 24}.in-addr.arpa"
            else:
                nibbles = f"{(m.v6_start >> 80) + k - slash24s:012x}"
                zone = ".".join(reversed(nibbles)) + ".ip6.arpa"
            pairs = [("domain", zone), ("descr", f"Reverse zone of {m.code}"), ("admin-c", c.admin),
                     ("tech-c", c.tech), ("zone-c", c.tech), ("nserver", f"ns1.{m.domain}"),
                     ("nserver", f"ns2.{m.domain}")]
            if k % 11 == 3:
                pairs.append(("ds-rdata", f"{20000 + k} 13 2 {c.rng.getrandbits(256):064X}"))
            w.emit("domain", pairs + [("mnt-by", m.mntners[0])])


class _Context:
    """A member's contacts, address and wording, drawn once from its random stream."""

    def __init__(self, r: Renderer, m: Member, rng: random.Random):
        self.r, self.m, self.rng = r, m, rng
        self.vietnamese = m.vietnamese
        if m.vietnamese:
            city, districts, self.area, _ = rng.choices(words.VN_CITIES, [c[3] for c in words.VN_CITIES])[0]
            self.city = city
            self.address = [f"Số {rng.randint(1, 300)} {rng.choice(words.VN_STREETS)}", rng.choice(districts), city,
                            "Việt Nam"]
            self.address = [self.t(a) for a in self.address]
            self.districts = districts
        else:
            cities, _, _ = words.COUNTRIES[m.cc]
            self.city, postcode, self.area = rng.choice(cities)
            self.address = [f"{rng.randint(1, 400)} {rng.choice(words.STREETS)}",
                            f"{self.city} {postcode}".strip()]
        self.city_tag = "".join(ch for ch in words.fold(self.city).lower() if ch.isalnum())[:8]
        n_p, n_r = m.counts["person"], m.counts["role"]
        self.persons = []
        for k in range(n_p):
            name, email_name = self._person_name()
            initials = "".join(w[0] for w in words.fold(name).upper().split() if w[0].isalpha())[:4] or "X"
            self.persons.append((f"{initials}{m.person_base + k}-AP", name, f"{email_name}@{m.domain}"))
        self.roles = [f"{m.code[:2]}{m.person_base + n_p + k}-AP" for k in range(n_r)]
        self.admin = self.persons[0][0]
        self.tech = self.roles[0] if self.roles else self.persons[-1][0]
        self.abuse = [("abuse-c", self.roles[0])] if self.roles else []
        self.irt = f"IRT-{m.code}-{m.cc}"

    def t(self, text: str) -> str:
        """Vietnamese text as this member writes it (with or without diacritics)."""
        return text if not self.vietnamese or self.m.diacritics else words.fold(text)

    def _person_name(self) -> tuple[str, str]:
        rng = self.rng
        if self.vietnamese:
            family, middle, given = (rng.choice(words.VN_FAMILY), rng.choice(words.VN_MIDDLE),
                                     rng.choice(words.VN_GIVEN))
            name = f"{family} {middle} {given}"
            folded = words.fold(name).lower().split()
            return self.t(name), f"{folded[2]}.{folded[0]}{rng.randint(1, 99)}"
        first, last = rng.choice(words.FIRST), rng.choice(words.LAST)
        return f"{first} {last}", f"{first.lower().replace('-', '')}.{last.lower()}"

    def person_address(self) -> list[str]:
        if self.vietnamese:
            return [self.t(f"{self.rng.randint(1, 300)} {self.rng.choice(words.VN_STREETS)}"),
                    self.t(self.rng.choice(self.districts)), self.address[2], self.address[3]]
        return self.address

    def phone(self) -> str:
        digits = f"{self.rng.randrange(10 ** 7):07d}"
        if self.vietnamese:
            return f"+84-{self.area}-{digits[:4]}-{digits[4:]}"
        return f"{self.area}-{digits[:3]}-{digits[3:]}"

    def service(self, k: int) -> str:
        if self.vietnamese:
            return self.t(f"Khách hàng {words.VN_SERVICES[k % len(words.VN_SERVICES)]} - {self.m.name}")
        return f"{words.SERVICES[k % len(words.SERVICES)]} customers of {self.m.name}"
