"""Reports as plain text: `irr report`, and the monthly mail."""
from __future__ import annotations

from irr.reports.engine import Line
from irr.reports.report import Lookup, MemberReport, RunResult
from irr.reports.verdicts import CODES, VERDICTS


def _line(line: Line) -> list[str]:
    origin = f"AS{line.origin}" if line.origin is not None else "-"
    seen = (f"announced ({line.bgp_peers} peers)" if line.bgp_peers else "announced") if line.announced \
        else "not announced" if line.origin is not None else ""
    routes = ", ".join(f"{s}" for s in sorted(line.routes)) or "no route object"
    facts = [seen, f"RPKI {line.rpki}" if line.rpki else "", routes if line.origin is not None else "",
             "ROA" if line.roa else ""]
    if line.other_origins:
        facts.append("also announced by " + ", ".join(f"AS{o}" for o in line.other_origins))
    return [f"[{line.severity:<7}] {line.prefix:<32} {origin:<12} {VERDICTS[line.verdict][1]}",
            f"          {'; '.join(f for f in facts if f)}", f"          fix: {line.fix}"]


def member_text(report: MemberReport) -> str:
    out = [f"Routing report for {report.member}"]
    table = report.bgp_table
    out.append(f"BGP table: {table['location']} ({table['format']}, {table['routes']:,} routes, dumped "
               f"{table['dumped_at'] or 'at an unknown time'})" if table else "BGP table: none loaded")
    out.append("Allocations: " + (", ".join(f"{h.range_text} ({h.netname or h.pk})" for h in report.holdings)
                                  or "none"))
    out.append("AS numbers: " + (", ".join(f"AS{a}" for a in report.asns) or "none"))
    counts = report.counts
    out.append("Summary: " + (", ".join(f"{counts[c]} {c}" for c in CODES if c in counts) or "nothing to report"))
    out.append("")
    for line in sorted(report.lines, key=lambda x: (CODES.index(x.verdict), x.sort_key, x.origin or 0)):
        out += _line(line)
    return "\n".join(out) + "\n"


def lookup_text(found: Lookup) -> str:
    if found.error:
        return f"{found.query}: {found.error}\n"
    out = [f"{found.query} ({found.kind})"]
    for h in found.allocations:
        out.append(f"allocation {h.range_text} {h.netname} ({h.source}), held by {', '.join(sorted(h.members))}")
    if found.as_set is not None:
        out.append(f"loops: {len(found.as_set['cycles'])}; missing members: {len(found.as_set['missing_members'])}")
        out += [f"  loop: {' -> '.join(c)}" for c in found.as_set["cycles"]]
        out += [f"  missing: {m['member']} (in {m['in']})" for m in found.as_set["missing_members"]]
    for line in found.lines:
        out += _line(line)
    if not found.lines and found.kind in ("prefix", "asn"):
        out.append("nothing announced, registered or in a ROA")
    return "\n".join(out) + "\n"


def summary_text(run: RunResult, top: int = 20) -> str:
    out = [run.summary(), ""]
    for code in CODES:
        out.append(f"{code:<18}{run.registry.get(code, 0):>10,}  {VERDICTS[code][1]}")
    worst = sorted(run.members.items(), key=lambda kv: (-sum(n for c, n in kv[1].items()
                                                                  if VERDICTS[c][0] == "danger"), kv[0]))[:top]
    out += ["", f"Members with the most to fix (top {top}):"]
    for member, counts in worst:
        out.append(f"  {member:<28} " + ", ".join(f"{counts[c]} {c}" for c in CODES if counts.get(c)))
    return "\n".join(out) + "\n"
