"""Every output format of bgpq4 1.16, byte for byte (spec bgpq4.md §4-5; bgpq4's printer.c).

Prefix lists are rendered here from `prefixes.Entry` lists (already in bgpq4's order), AS-path
lists from sorted AS numbers in irr.filters.as_path_formats (irr.filters.render picks a
generation's printer). A format bgpq4 can't print for a vendor raises FormatError with bgpq4's message (it
prints it as a FATAL ERROR and exits 255).
"""
from __future__ import annotations

import socket
from collections.abc import Sequence
from dataclasses import dataclass

from irr.filters.addresses import mask, ntop
from irr.filters.prefixes import Entry

# bgpq4's vendor enum: its numbers show in "Unknown vendor N" errors.
VENDORS = {
    "cisco": 0, "juniper": 1, "cisco-xr": 2, "json": 3, "bird": 4, "openbgpd": 5, "format": 6, "nokia": 7,
    "huawei": 8, "huawei-xpl": 9, "mikrotik6": 10, "mikrotik7": 11, "nokia-md": 12, "arista": 13, "nokia-srl": 14,
}
# What each generation is called here (bgpq4: T_PREFIXLIST, T_EACL (-E), T_ROUTE_FILTER_LIST (-z),
# T_ASPATH (-f), T_OASPATH (-G), T_ASLIST (-H), T_ASSET (-t)).
GENERATIONS = ("prefix-list", "eacl", "route-filter-list", "as-path", "output-as-path", "as-list", "as-set")


_ntoa = socket.inet_ntoa


class FormatError(Exception):
    """bgpq4 can't print this: the message of its FATAL ERROR."""


@dataclass
class Options:
    """What the printers read besides the data (bgpq4's expander fields)."""

    name: str = "NN"            # -l
    sequence: bool = False      # -s (always on for Arista)
    asnumber: int = 0           # -f/-G/-H number, or -a for OpenBGPD's empty list
    aswidth: int = 8            # -W (per-vendor defaults are set by generate)
    match: str | None = None    # -M
    format: str = ""            # -F
    stderr: list[str] | None = None  # -F reports unknown format characters here


def prefix_text(family: int, entry: Entry, sep: str = "/") -> str:
    return f"{ntop(family, entry.addr)}{sep}{entry.length}"


def _fam(family: int) -> str:
    return "ip" if family == 4 else "ipv6"


def _any(family: int) -> str:
    return "0.0.0.0" if family == 4 else "::"


# -- prefix lists ------------------------------------------------------------------------------------
def render_prefix_list(vendor: str, family: int, entries: Sequence[Entry], opts: Options) -> str:
    """bgpq4_print_prefixlist."""
    printer = _PREFIX_LISTS.get(vendor)
    if printer is None:
        raise FormatError(f"Unknown vendor {VENDORS.get(vendor, -1)}\n")
    return printer(family, entries, opts)


def _cisco(family: int, entries: Sequence[Entry], opts: Options) -> str:
    fam, name = _fam(family), opts.name
    out = [f"no {fam} prefix-list {name}\n"]
    if not entries:
        out.append(f"! generated prefix-list {name} is empty\n")
        out.append(f"{fam} prefix-list {name}{' seq 1' if opts.sequence else ''} deny {_any(family)}/0\n")
        return "".join(out)
    head = f"{fam} prefix-list {name}"
    append, addr_text = out.append, _addr_text(family)
    for seq, (addr, length, aggregate, low, high) in enumerate(entries, 1):
        seqno = f" seq {seq}" if opts.sequence else ""
        if not aggregate:
            append(f"{head}{seqno} permit {addr_text(addr)}/{length}\n")
        elif low > length:
            append(f"{head}{seqno} permit {addr_text(addr)}/{length} ge {low} le {high}\n")
        else:
            append(f"{head}{seqno} permit {addr_text(addr)}/{length} le {high}\n")
    return "".join(out)


def _addr_text(family: int):
    """inet_ntop for one family, as a fast callable."""
    if family == 4:
        return lambda addr: _ntoa(addr.to_bytes(4, "big"))
    return lambda addr: ntop(6, addr)


def _cisco_xr(family: int, entries: Sequence[Entry], opts: Options) -> str:
    out = [f"no prefix-set {opts.name}\nprefix-set {opts.name}\n"]
    for i, e in enumerate(entries):
        out.append(",\n " if i else " ")
        out.append(prefix_text(family, e))
        if e.aggregate:
            out.append(f" ge {e.low} le {e.high}" if e.low > e.length else f" le {e.high}")
    out.append("\nend-set\n")
    return "".join(out)


def _juniper(family: int, entries: Sequence[Entry], opts: Options) -> str:
    body = "".join(f"    {prefix_text(family, e)};\n" for e in entries)
    return f"policy-options {{\nreplace:\n prefix-list {opts.name} {{\n{body} }}\n}}\n"


def _json(family: int, entries: Sequence[Entry], opts: Options) -> str:
    out = [f'{{ "{opts.name}": [']
    for i, e in enumerate(entries):
        comma = "," if i else ""
        p = prefix_text(family, e, "\\/")
        if not e.aggregate:
            out.append(f'{comma}\n    {{ "prefix": "{p}", "exact": true }}')
        elif e.low > e.length:
            out.append(f'{comma}\n    {{ "prefix": "{p}", "exact": false,\n'
                       f'      "greater-equal": {e.low}, "less-equal": {e.high} }}')
        else:
            out.append(f'{comma}\n    {{ "prefix": "{p}", "exact": false, "less-equal": {e.high} }}')
    out.append("\n] }\n")
    return "".join(out)


def _bird(family: int, entries: Sequence[Entry], opts: Options) -> str:
    if not entries:  # BIRD can't take an empty list: bgpq4 prints nothing at all
        return ""
    out = [f"{opts.name} = ["]
    for i, e in enumerate(entries):
        out.append(f"{',' if i else ''}\n    {prefix_text(family, e)}")
        if e.aggregate:
            out.append(f"{{{e.low if e.low > e.length else e.length},{e.high}}}")
    out.append("\n];\n")
    return "".join(out)


def _openbgpd_entry(family: int, e: Entry) -> str:
    p = prefix_text(family, e)
    if not e.aggregate:
        return f"\n\t{p}"
    if e.low == e.high:
        return f"\n\t{p} prefixlen = {e.high}"
    return f"\n\t{p} prefixlen {e.low if e.low > e.length else e.length} - {e.high}"


def _openbgpd(family: int, entries: Sequence[Entry], opts: Options) -> str:
    out = []
    if not entries:
        out.append(f"# generated prefix-list {opts.name} (AS {opts.asnumber}) is empty\n")
        if not opts.asnumber:
            out.append('# use -a <asn> to generate "deny from ASN <asn>" instead of this list\n')
    if entries or not opts.asnumber:
        named = opts.name != "NN"
        out.append(f'{opts.name}="' if named else "")
        out.append("prefix { ")
        out.extend(_openbgpd_entry(family, e) for e in entries)
        out.append("\n\t}")
        out.append('"' if named else "")
        out.append("\n")
    else:
        out.append(f"deny from AS {opts.asnumber}\n")
    return "".join(out)


def _format_entry(family: int, e: Entry, opts: Options, out: list[str]) -> None:
    """sx_prefix_snprintf_fmt: %n/%r %l %a %A %N %m %i %%, \\n \\t \\\\ (\\x is x)."""
    low, high = e.lengths
    fmt = opts.format
    i, end = 0, len(fmt)
    while i < end:
        c = fmt[i]
        if c == "%":
            d = fmt[i + 1] if i + 1 < end else ""
            if d in ("n", "r"):
                out.append(ntop(family, e.addr))
            elif d == "l":
                out.append(str(e.length))
            elif d == "a":
                out.append(str(low))
            elif d == "A":
                out.append(str(high))
            elif d == "%":
                out.append("%")
            elif d == "N":
                out.append(opts.name)
            elif d == "m":
                out.append(ntop(family, mask(family, e.length)))
            elif d == "i":
                out.append(ntop(family, mask(family, e.length) ^ ((1 << (32 if family == 4 else 128)) - 1)))
            else:
                # bgpq4 reports it and drops the rest of this entry; a '%' at the very end makes
                # it print a NUL, which ends its message there
                if opts.stderr is not None:
                    opts.stderr.append(f"ERROR:Unknown format char '{d}'\n" if d else "ERROR:Unknown format char '")
                return
            i += 2
        elif c == "\\":
            d = fmt[i + 1] if i + 1 < end else ""
            if not d:
                return
            out.append({"n": "\n", "t": "\t"}.get(d, d))
            i += 2
        else:
            j = i + 1
            while j < end and fmt[j] not in "%\\":
                j += 1
            out.append(fmt[i:j])
            i = j


def _format(family: int, entries: Sequence[Entry], opts: Options) -> str:
    out: list[str] = []
    for e in entries:
        _format_entry(family, e, opts, out)
    if not opts.format.endswith("\\n"):  # bgpq4 ends the output with a newline unless the format does
        out.append("\n")
    return "".join(out)


def _nokia(family: int, entries: Sequence[Entry], opts: Options) -> str:
    out = [f'configure router policy-options\nbegin\nno prefix-list "{opts.name}"\nprefix-list "{opts.name}"\n']
    for e in entries:
        p = prefix_text(family, e)
        if not e.aggregate:
            out.append(f"    prefix {p} exact\n")
        else:
            out.append(f"    prefix {p} prefix-length-range {e.low if e.low > e.length else e.length}-{e.high}\n")
    out.append("exit\ncommit\n")
    return "".join(out)


def _nokia_md(family: int, entries: Sequence[Entry], opts: Options) -> str:
    out = [f'/configure policy-options\ndelete prefix-list "{opts.name}"\nprefix-list "{opts.name}" {{\n']
    for e in entries:
        p = prefix_text(family, e)
        if not e.aggregate:
            out.append(f"    prefix {p} type exact {{\n    }}\n")
        elif e.low > e.length:
            out.append(f"    prefix {p} type range {{\n        start-length {e.low}\n"
                       f"        end-length {e.high}\n    }}\n")
        else:
            out.append(f"    prefix {p} type through {{\n        through-length {e.high}\n    }}\n")
    out.append("}\n")
    return "".join(out)


def _nokia_srl(family: int, entries: Sequence[Entry], opts: Options) -> str:
    out = [f'/routing-policy\ndelete prefix-set "{opts.name}"\nprefix-set "{opts.name}" {{\n']
    for e in entries:
        p = prefix_text(family, e)
        if not e.aggregate:
            out.append(f"    prefix {p} mask-length-range exact {{ }}\n")
        else:
            out.append(f"    prefix {p} mask-length-range {max(e.low, e.length)}..{e.high} {{ }}\n")
    out.append("}\n")
    return "".join(out)


def _huawei(family: int, entries: Sequence[Entry], opts: Options) -> str:
    fam, name = _fam(family), opts.name
    out = [f"undo ip {fam}-prefix {name}\n"]
    if not entries:
        out.append(f"ip {fam}-prefix {name}{' seq 1' if opts.sequence else ''} deny {_any(family)}/0\n")
    for e in entries:
        p = prefix_text(family, e, " ")
        if not e.aggregate:
            out.append(f"ip {fam}-prefix {name} permit {p}\n")
        elif e.low > e.length:
            out.append(f"ip {fam}-prefix {name} permit {p} greater-equal {e.low} less-equal {e.high}\n")
        else:
            out.append(f"ip {fam}-prefix {name} permit {p} less-equal {e.high}\n")
    return "".join(out)


def _huawei_xpl(family: int, entries: Sequence[Entry], opts: Options) -> str:
    fam, name = _fam(family), opts.name
    out = [f"no xpl {fam}-prefix-list {name}\nxpl {fam}-prefix-list {name}\n"]
    for i, e in enumerate(entries):
        out.append(",\n " if i else " ")
        out.append(f" {prefix_text(family, e, ' ')}")
        if e.aggregate:
            out.append(f" ge {e.low} le {e.high}" if e.low > e.length else f" le {e.high}")
    out.append("\nend-list\n")
    return "".join(out)


def _mikrotik(version: int):
    def printer(family: int, entries: Sequence[Entry], opts: Options) -> str:
        if not entries:
            return f"# generated prefix-list {opts.name} is empty\n"
        chain = f"{opts.name}-{'V4' if family == 4 else 'V6'}"
        out = []
        for e in entries:
            p = prefix_text(family, e)
            if version == 6:
                if e.aggregate:
                    out.append(f'/routing filter add action=accept chain="{chain}" prefix={p} '
                               f"prefix-length={e.low}-{e.high}\n")
                else:
                    out.append(f'/routing filter add action=accept chain="{chain}" prefix={p}\n')
            elif e.aggregate:
                out.append(f'/routing filter rule add chain="{chain}" rule="if (dst in {p} && dst-len in '
                           f'{e.low}-{e.high}) {{accept}}"\n')
            else:
                out.append(f'/routing filter rule add chain="{chain}" rule="if (dst=={p}) {{accept}}"\n')
        return "".join(out)
    return printer


def _arista(family: int, entries: Sequence[Entry], opts: Options) -> str:
    fam, name = _fam(family), opts.name
    out = [f"no {fam} prefix-list {name}\n"]
    if not entries:
        out.append(f"! generated prefix-list {name} is empty\n{fam} prefix-list {name}\n"
                   f"   seq {int(opts.sequence)} deny {_any(family)}/0\n")
        return "".join(out)
    out.append(f"{fam} prefix-list {name}\n")
    for seq, e in enumerate(entries, 1):
        p = prefix_text(family, e)
        if not e.aggregate:
            out.append(f"   seq {seq} permit {p}\n")
        elif e.low > e.length:
            out.append(f"   seq {seq} permit {p} ge {e.low} le {e.high}\n")
        else:
            out.append(f"   seq {seq} permit {p} le {e.high}\n")
    return "".join(out)


_PREFIX_LISTS = {
    "cisco": _cisco, "cisco-xr": _cisco_xr, "juniper": _juniper, "json": _json, "bird": _bird,
    "openbgpd": _openbgpd, "format": _format, "nokia": _nokia, "nokia-md": _nokia_md, "nokia-srl": _nokia_srl,
    "huawei": _huawei, "huawei-xpl": _huawei_xpl, "mikrotik6": _mikrotik(6), "mikrotik7": _mikrotik(7),
    "arista": _arista,
}


# -- -E: extended access-lists, route-filters, prefix-sets, ip-prefix-lists --------------------------
def render_eacl(vendor: str, family: int, entries: Sequence[Entry], opts: Options) -> str:
    """bgpq4_print_eacl."""
    if vendor == "juniper":
        return _juniper_route_filter(family, entries, opts)
    if vendor in ("cisco", "arista"):
        return _cisco_eacl(entries, opts)
    if vendor == "openbgpd":
        return f"prefix-set {opts.name} {{" + "".join(_openbgpd_entry(family, e) for e in entries) + "\n}\n"
    if vendor in ("nokia", "nokia-md"):
        return _nokia_ip_prefix_list(vendor, family, entries, opts)
    if vendor == "nokia-srl":
        return _nokia_srl_acl(family, entries, opts)
    raise FormatError("unreachable point\n")


def _juniper_route_filter(family: int, entries: Sequence[Entry], opts: Options) -> str:
    name, _, term = opts.name.partition("/")
    if "/" in opts.name:
        out = [f"policy-options {{\n policy-statement {name} {{\n  term {term} {{\nreplace:\n   from {{\n"]
    else:
        out = [f"policy-options {{\n policy-statement {name} {{ \nreplace:\n  from {{\n"]
    if opts.match is not None:
        out.append(f"    {opts.match};\n")
    if entries:
        out.extend(_jrfilter(family, e, "route-filter ") for e in entries)
    else:
        out.append(f"    route-filter {_any(family)}/0 orlonger reject;\n")
    out.append("   }\n  }\n }\n}\n" if "/" in opts.name else "  }\n }\n}\n")
    return "".join(out)


def _jrfilter(family: int, e: Entry, prefix: str) -> str:
    p = prefix_text(family, e)
    if not e.aggregate:
        return f"    {prefix}{p} exact;\n"
    if e.low > e.length:
        return f"    {prefix}{p} prefix-length-range /{e.low}-/{e.high};\n"
    return f"    {prefix}{p} upto /{e.high};\n"


def _cisco_eacl(entries: Sequence[Entry], opts: Options) -> str:
    name = opts.name
    out = [f"no ip access-list extended {name}\n"]
    if not entries:
        out.append(f"! generated access-list {name} is empty\nip access-list extended {name} deny any any\n")
        return "".join(out)
    out.append(f"ip access-list extended {name}\n")
    full = 0xFFFFFFFF
    for e in entries:
        addr = ntop(4, e.addr)
        if not e.aggregate:
            # as bgpq4 computes it: 0.0.0.0 for a /32, and (a 32-bit shift by 32 being a no-op
            # on x86) 255.255.255.255 for a /0
            netmask = 0 if e.length == 32 else (full << (32 - e.length)) & full if e.length else full
            out.append(f" permit ip host {addr} host {ntop(4, netmask)}\n")
            continue
        wild2 = 0 if e.high == 32 else full >> e.high
        wildaddr = (full >> e.length) & ~wild2 & full
        netmask = full if e.low == 32 else (full << (32 - e.low)) & full
        wildmask = (full >> e.low) & ~wild2 & full
        src = f"{addr} {ntop(4, wildaddr)}" if wildaddr else f"host {addr}"
        dst = f"{ntop(4, netmask)} {ntop(4, wildmask)}" if wildmask else f"host {ntop(4, netmask)}"
        out.append(f" permit ip {src} {dst}\n")
    return "".join(out)


def _nokia_ip_prefix_list(vendor: str, family: int, entries: Sequence[Entry], opts: Options) -> str:
    fam, name = _fam(family), opts.name
    if vendor == "nokia":
        out = [f'configure filter match-list\nno {fam}-prefix-list "{name}"\n{fam}-prefix-list "{name}" create\n']
        out.extend(f"    prefix {prefix_text(family, e)}\n" for e in entries)
        if not entries:
            out.append(f"# generated ip-prefix-list {name} is empty\n")
        out.append("exit\n")
    else:
        out = [f'/configure filter match-list\ndelete {fam}-prefix-list "{name}"\n{fam}-prefix-list "{name}" {{\n']
        out.extend(f"    prefix {prefix_text(family, e)} {{ }}\n" for e in entries)
        if not entries:
            out.append(f"# generated {fam}-prefix-list {name} is empty\n")
        out.append("}\n")
    return "".join(out)


def _nokia_srl_acl(family: int, entries: Sequence[Entry], opts: Options) -> str:
    v, name = "4" if family == 4 else "6", opts.name
    out = [f'/acl \ndelete ipv{v}-filter "{name}"\nipv{v}-filter "{name}" {{\n']
    for i, e in enumerate(entries):
        out.append(f" entry {10 + 10 * i} {{\n  action {{ accept {{ }} }}\n"
                   f"  match {{ source-ip {{ prefix {prefix_text(family, e)} }} }} }}\n")
    if not entries:
        out.append(f"# generated ipv{v}-filter '{name}' is empty\n")
    out.append("}\n")
    return "".join(out)


def render_route_filter_list(vendor: str, family: int, entries: Sequence[Entry], opts: Options) -> str:
    """bgpq4_print_route_filter_list (-z, Juniper only)."""
    if vendor != "juniper":
        raise FormatError("unreachable point\n")
    out = [f"policy-options {{\nreplace:\n  route-filter-list {opts.name} {{\n"]
    if entries:
        out.extend(_jrfilter(family, e, "") for e in entries)
    else:
        out.append(f"    {_any(family)}/0 orlonger reject;\n")
    out.append("  }\n}\n")
    return "".join(out)
