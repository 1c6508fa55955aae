"""Routing objects of a generated member: aut-nums with policy from the AS graph, as-sets (nested,
some cyclic, some naming sets that don't exist), route-sets, the few filter-sets, peering-sets,
rtr-sets and routers, and route/route6 objects inside the member's space."""
from __future__ import annotations

from typing import TYPE_CHECKING

from rpsl.generate.plan import Member, registry_info
from rpsl.generate.text import prefix_length, v4, v6

if TYPE_CHECKING:
    from rpsl.generate.render import Writer, _Context

MEMBERS_PER_LINE = 8
MAX_POLICY_CUSTOMERS = 100     # a transit member's aut-num names its first customers; its as-set all


class RoutingMixin:
    members: list[Member]

    def member_lines(self, names: list[str]) -> list[tuple[str, str]]:
        return [("members", ", ".join(names[i:i + MEMBERS_PER_LINE])) for i in range(0, len(names), MEMBERS_PER_LINE)]

    def _first_asn(self, ref: int) -> int:
        """ASN of a neighbour: a member index, or -ASN for a network outside the dump."""
        return -ref if ref < 0 else self.members[ref].asns[0]

    def _main_set(self, ref: int) -> str | None:
        if ref < 0:
            return None
        sets = self.members[ref].as_sets
        return sets[0] if sets else None

    def routing_objects(self, w: Writer, c: _Context) -> None:
        self._aut_nums(w, c)
        self._as_sets(w, c)
        self._route_sets(w, c)
        self._small_sets(w, c)

    def _aut_nums(self, w: Writer, c: _Context) -> None:
        m, rng = c.m, c.rng
        own = m.as_sets[0] if m.as_sets else None
        ix = registry_info(m.registry).ix
        for k, asn in enumerate(m.asns):
            announce = own or f"AS{asn}"
            member_of = []
            imports, mp_imports, exports, mp_exports = [], [], [], []
            if k == 0:
                if m.at_ix and ix:
                    member_of.append(f"AS-{ix}")
                ups = m.upstreams
                if not m.transit and rng.random() < 0.1 and self._main_set(ups[0]):
                    member_of.append(self._main_set(ups[0]))    # a claim the set does not accept
                for j, up in enumerate(ups):
                    a = self._first_asn(up)
                    pref = "action pref=100; " if j == 0 and rng.random() < 0.3 else ""
                    imports.append(f"from AS{a} {pref}accept ANY")
                    exports.append(f"to AS{a} announce {announce}")
                    mp_imports.append(f"afi ipv6.unicast from AS{a} accept ANY")
                    mp_exports.append(f"afi ipv6.unicast to AS{a} announce {announce}")
                for p in m.peers:
                    a = self._first_asn(p)
                    imports.append(f"from AS{a} accept {self._main_set(p) or f'AS{a}'}")
                    exports.append(f"to AS{a} announce {announce}")
                for cu in m.customers[:MAX_POLICY_CUSTOMERS]:
                    a = self._first_asn(cu)
                    imports.append(f"from AS{a} accept {self._main_set(cu) or f'AS{a}'}")
                    exports.append(f"to AS{a} announce ANY")
                default = [("default", f"to AS{self._first_asn(ups[0])}")] if rng.random() < 0.3 else []
            else:                                      # the member's other networks sit behind the first
                imports.append(f"from AS{m.asns[0]} accept ANY")
                exports.append(f"to AS{m.asns[0]} announce AS{asn}")
                default = []
            name = f"{m.code}-AS-{m.cc}" if k == 0 else f"{m.code}-AS{k + 1}-{m.cc}"
            pairs = [("aut-num", f"AS{asn}"), ("as-name", name), ("descr", c.t(m.name)), ("country", m.cc)]
            pairs += [("member-of", s) for s in member_of]
            pairs += [("import", v) for v in imports] + [("mp-import", v) for v in mp_imports]
            pairs += [("export", v) for v in exports] + [("mp-export", v) for v in mp_exports] + default
            pairs += [("org", m.org), ("admin-c", c.admin), ("tech-c", c.tech), *c.abuse]
            if m.transit:
                pairs.append(("mnt-routes", m.mntners[0]))
            w.emit("aut-num", pairs + [("mnt-by", m.mntners[0]), ("mnt-irt", c.irt)])

    def _as_sets(self, w: Writer, c: _Context) -> None:
        m = c.m
        for k, name in enumerate(m.as_sets):
            extra = []
            if k == 0:
                members = [f"AS{a}" for a in m.asns]
                members += [self._main_set(cu) or f"AS{self._first_asn(cu)}" for cu in m.customers]
                up = m.upstreams[0]
                if "cycle" in m.set_quirks:
                    members.append(self._main_set(up))       # up contains this set: a cycle A -> B -> A
                if "self" in m.set_quirks:
                    members.append(name)                     # names itself
                if "missing" in m.set_quirks:
                    members.append(f"AS-{m.code}-OLD")       # a set that does not exist
                descr = f"Customers of {m.code}"
                if m.customers:
                    extra = [("mbrs-by-ref", m.mntners[0])]
            elif k == 1:
                members = [f"AS{self._first_asn(p)}" for p in m.peers or m.upstreams]
                descr = f"Peers of {m.code}"
            elif k == 2:
                peers = self.plan.ix_members.get(m.registry, [])
                members = [f"AS{a}" for a in peers[:40] if a not in m.asns]
                descr = f"Peers of {m.code} at the exchange"
            else:
                members = [f"AS{a}" for a in m.asns[: k % 3 + 1]]
                descr = f"Networks of {m.code}, set {k}"
            w.emit("as-set", [("as-set", name), ("descr", descr), *self.member_lines(members), *extra,
                              ("tech-c", c.tech), ("admin-c", c.admin), ("mnt-by", m.mntners[0])])

    def _route_sets(self, w: Writer, c: _Context) -> None:
        m = c.m
        aggregate = f"{v4(m.v4_start)}/{prefix_length(m.v4_size)}"
        for k, name in enumerate(m.route_sets):
            pairs = [("route-set", name), ("descr", f"Routes of {m.code}")]
            if k == 0:
                slash24s = [f"{v4(m.v4_start + (j << 8))}/24" for j in range(min(4, m.v4_size >> 8))]
                pairs.append(("members", ", ".join([f"{aggregate}^+"] + slash24s[1:] + [f"AS{m.asns[0]}"])))
                pairs.append(("mp-members", f"{v6(m.v6_start, 32)}^32-48"))
                pairs.append(("mbrs-by-ref", m.mntners[0]))
            elif k == 1:
                pairs.append(("mp-members", f"{v6(m.v6_start, 32)}^+, {v6(m.v6_start, 48)}"))
            else:
                customers = [self._main_set(cu) or f"AS{self._first_asn(cu)}" for cu in m.customers[:20]]
                pairs.append(("members", ", ".join([f"{aggregate}^{prefix_length(m.v4_size)}-24"] + customers)))
            w.emit("route-set", pairs + [("tech-c", c.tech), ("admin-c", c.admin), ("mnt-by", m.mntners[0])])

    def _small_sets(self, w: Writer, c: _Context) -> None:
        m = c.m
        counts = m.counts
        for k in range(counts["filter-set"]):
            pairs = [("filter-set", f"FLTR-{m.code}-{k + 1}"), ("descr", f"Bogon filter of {m.code}")]
            if k % 2:
                pairs.append(("mp-filter", "{ ::/8^+, fc00::/7^+, fe80::/10^+, 2001:db8::/32^+ }"))
            else:
                pairs.append(("filter", "{ 0.0.0.0/8^+, 10.0.0.0/8^+, 127.0.0.0/8^+, 172.16.0.0/12^+, "
                                        "192.168.0.0/16^+, 0.0.0.0/0^25-32 }"))
            w.emit("filter-set", pairs + [("tech-c", c.tech), ("admin-c", c.admin), ("mnt-by", m.mntners[0])])
        for k in range(counts["peering-set"]):
            pairs = [("peering-set", f"PRNG-{m.code}-{k + 1}"), ("descr", f"Upstream peerings of {m.code}")]
            pairs += [("peering", f"AS{self._first_asn(up)}") for up in m.upstreams]
            pairs.append(("mp-peering", f"AS{self._first_asn(m.upstreams[0])}"))
            w.emit("peering-set", pairs + [("tech-c", c.tech), ("admin-c", c.admin), ("mnt-by", m.mntners[0])])
        routers = [f"rtr{k + 1}.{c.city_tag}.{m.domain}" for k in range(counts["inet-rtr"])]
        for k in range(counts["rtr-set"]):
            members = routers or [v4(m.v4_start + 1)]
            w.emit("rtr-set", [("rtr-set", f"RTRS-{m.code}-{k + 1}"), ("descr", f"Border routers of {m.code}"),
                               ("members", ", ".join(members)), ("mbrs-by-ref", m.mntners[0]),
                               ("tech-c", c.tech), ("admin-c", c.admin), ("mnt-by", m.mntners[0])])
        for k, router in enumerate(routers):
            address = m.v4_start + 4 * k + 1
            up = self._first_asn(m.upstreams[0])
            pairs = [("inet-rtr", router), ("descr", f"Border router {k + 1} of {m.code}"),
                     ("local-as", f"AS{m.asns[0]}"), ("ifaddr", f"{v4(address)} masklen 30"),
                     ("peer", f"BGP4 {v4(address + 1)} asno(AS{up})")]
            if counts["rtr-set"]:
                pairs.append(("member-of", f"RTRS-{m.code}-1"))
            w.emit("inet-rtr", pairs + [("admin-c", c.admin), ("tech-c", c.tech), ("mnt-by", m.mntners[0])])

    def route_objects(self, w: Writer, c: _Context) -> None:
        m, rng = c.m, c.rng
        mnt = m.mntners[2] if len(m.mntners) > 2 else m.mntners[0]
        claim = m.route_sets[0] if m.route_sets else None
        n = m.counts["route"]
        routes = []
        if n:
            routes.append((f"{v4(m.v4_start)}/{prefix_length(m.v4_size)}", m.asns[0]))
        j = 0
        while len(routes) < n:
            prefix = f"{v4(m.v4_start + (j << 8))}/24"
            origin = m.asns[j % len(m.asns)]
            routes.append((prefix, origin))
            if len(routes) < n and rng.random() < 0.05:        # the same prefix from a second origin
                other = self._first_asn(m.upstreams[0])
                if other != origin:
                    routes.append((prefix, other))
            j += 1
        for k, (prefix, origin) in enumerate(routes):
            pairs = [("route", prefix), ("descr", c.t(m.name)), ("country", m.cc), ("origin", f"AS{origin}")]
            if claim and k % 10 == 1:
                pairs.append(("member-of", claim))
            w.emit("route", pairs + [("mnt-by", mnt)])
        for k in range(m.counts["route6"]):
            prefix = v6(m.v6_start, 32) if k == 0 else v6(m.v6_start + ((k - 1) << 80), 48)
            pairs = [("route6", prefix), ("descr", c.t(m.name)), ("origin", f"AS{m.asns[k % len(m.asns)]}")]
            if claim and k % 10 == 1:
                pairs.append(("member-of", claim))
            w.emit("route6", pairs + [("mnt-by", mnt)])
