"""As-set health: what operators ask IRR operators about a set before they build filters from it.

Walks the set's members over the in-memory snapshots (irr.query.memory), as set resolution does:
recursion depth, AS numbers and prefixes it expands to, cycles (with their path), members that
exist nowhere, members found in another source than the set, and the members contributing most.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from irr.query import sets
from rpsl import keys


@dataclass
class Health:
    name: str
    source: str | None
    exists: bool
    depth: int = 0
    asns: int = 0
    prefixes_v4: int = 0
    prefixes_v6: int = 0
    sets: int = 0                                   # as-sets in the expansion, the root included
    cycles: list[list[str]] = field(default_factory=list)
    missing: list[tuple[str, str]] = field(default_factory=list)       # (set naming it, missing member)
    other_sources: list[tuple[str, str]] = field(default_factory=list)  # (member set, its source)
    contributors: list[dict] = field(default_factory=list)              # direct members, largest first

    def as_dict(self) -> dict:
        return {
            "name": self.name, "source": self.source, "exists": self.exists, "depth": self.depth,
            "asns": self.asns, "prefixes": {"ipv4": self.prefixes_v4, "ipv6": self.prefixes_v6},
            "sets": self.sets, "cycles": self.cycles,
            "missing_members": [{"in": parent, "member": member} for parent, member in self.missing],
            "members_from_other_sources": [{"member": m, "source": s} for m, s in self.other_sources],
            "largest_contributors": self.contributors,
        }

    def text(self) -> str:
        if not self.exists:
            return f"{self.name}: no such as-set in the selected sources\n"
        lines = [f"{self.name} ({self.source})",
                 f"  recursion depth:   {self.depth}",
                 f"  as-sets:           {self.sets}",
                 f"  AS numbers:        {self.asns}",
                 f"  prefixes:          {self.prefixes_v4} IPv4, {self.prefixes_v6} IPv6"]
        lines.append(f"  cycles:            {len(self.cycles)}")
        lines += [f"    {' -> '.join(c)}" for c in self.cycles[:20]]
        lines.append(f"  missing members:   {len(self.missing)}")
        lines += [f"    {m} (in {p})" for p, m in self.missing[:20]]
        lines.append(f"  from other sources: {len(self.other_sources)}")
        lines += [f"    {m} ({s})" for m, s in self.other_sources[:20]]
        lines.append("  largest contributors:")
        lines += [f"    {c['member']:<30} {c['asns']:>7} ASNs {c['prefixes']:>8} prefixes"
                  for c in self.contributors[:10]]
        return "\n".join(lines) + "\n"


def check(view: sets.View, name: str, top: int = 10, counts: bool = True) -> Health:
    """The health report of as-set `name` in the view's sources (priority order); without
    `counts`, only its structure (depth, cycles, missing members: no expansion)."""
    name = keys.name(name)
    found = view.find(name)
    if found is None or found[1].object_class != "as-set":
        return Health(name, None, False)
    root_source = found[0].source
    report = Health(name, root_source, True)
    depths: dict[str, int] = {}  # longest nesting below each set (memo: each set is walked once)
    cycles: set[tuple[str, ...]] = set()

    def walk(current: str, path: list[str]) -> int:
        if len(path) > view.limits.max_depth:  # as resolution does; also keeps Python's stack bounded
            raise sets.SetLimitError(f"{name}: nesting deeper than {view.limits.max_depth} levels (at {current})")
        deepest = 0
        for member in sets.direct_members(view, current) or ():
            member = member.partition("^")[0]
            if sets.is_asn(member):
                continue
            if member in path:
                cycle = tuple(path[path.index(member):] + [member])
                if cycle not in cycles:
                    cycles.add(cycle)
                    report.cycles.append(list(cycle))
                continue
            hit = view.find(member)
            if hit is None:
                report.missing.append((current, member))
                continue
            if hit[1].object_class != "as-set":
                continue
            if hit[0].source != root_source and member not in {m for m, _ in report.other_sources}:
                report.other_sources.append((member, hit[0].source))
            if member not in depths:
                depths[member] = walk(member, path + [member])
            deepest = max(deepest, 1 + depths[member])
        return deepest

    depths[name] = report.depth = walk(name, [name])
    report.sets = len(depths)
    if not counts:
        return report
    asns = sets.resolve_as_set(view, name) or []
    report.asns = len(asns)
    v4: set[str] = set()
    v6: set[str] = set()
    for asn in asns:
        v4.update(view.prefixes(int(asn[2:]), 4))
        v6.update(view.prefixes(int(asn[2:]), 6))
    report.prefixes_v4, report.prefixes_v6 = len(v4), len(v6)

    contributors = []
    for member in sets.direct_members(view, name) or ():
        member = member.partition("^")[0]
        if sets.is_asn(member):
            member_asns = [member]
        else:
            member_asns = sets.resolve_as_set(view, member, excludes=[name]) or []  # a cycle back adds nothing
        prefixes = sum(len(view.prefixes(int(a[2:]), None)) for a in member_asns)
        contributors.append({"member": member, "asns": len(member_asns), "prefixes": prefixes})
    contributors.sort(key=lambda c: (-c["prefixes"], -c["asns"], c["member"]))
    report.contributors = contributors[:top]
    return report
