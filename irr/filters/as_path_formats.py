"""bgpq4 1.16's AS-path lists (-f, -G), as-lists (-H) and as-sets (-t), byte for byte (spec
bgpq4.md §5; printer.c), from sorted AS numbers; the prefix lists and what both share are in
irr.filters.formats."""
from __future__ import annotations

from collections.abc import Sequence

from irr.filters.formats import VENDORS, FormatError, Options


def _lines(asns: Sequence[int], width: int) -> list[list[int]]:
    """ASNs split into lines of `width` (0: one line)."""
    if not width:
        return [list(asns)] if asns else []
    return [list(asns[i:i + width]) for i in range(0, len(asns), width)]


def _split_origin(asns: Sequence[int], origin: int) -> tuple[bool, list[int]]:
    rest = [a for a in asns if a != origin]
    return len(rest) != len(asns), rest


def render_as_path(vendor: str, asns: Sequence[int], opts: Options) -> str:
    """bgpq4_print_aspath (-f): paths from `opts.asnumber` to one of `asns` (sorted)."""
    o, name, w = opts.asnumber, opts.name, opts.aswidth
    has_origin, rest = _split_origin(asns, o)
    if vendor in ("cisco", "arista", "huawei"):
        kw = "ip as-path access-list" if vendor != "huawei" else "ip as-path-filter"
        out = [f"no ip as-path access-list {name}\n" if vendor != "huawei" else f"undo ip as-path-filter {name}\n"]
        if not asns:
            return out[0] + f"{kw} {name} deny .*\n"
        if has_origin:
            out.append(f"{kw} {name} permit ^{o}(_{o})*$\n")
        out.extend(f"{kw} {name} permit ^{o}(_[0-9]+)*_({'|'.join(map(str, line))})$\n" for line in _lines(rest, w))
        return "".join(out)
    if vendor == "cisco-xr":
        out = [f"as-path-set {name}"]
        comma = False
        if has_origin:
            out.append(f"\n  ios-regex '^{o}(_{o})*$'")
            comma = True
        for line in _lines(rest, w):
            out.append(f"{',' if comma else ''}\n  ios-regex '^{o}(_[0-9]+)*_({'|'.join(map(str, line))})$'")
            comma = True
        out.append("\nend-set\n")
        return "".join(out)
    if vendor == "huawei-xpl":
        out = [f"xpl as-path-list {name}"]
        if has_origin:
            out.append(f"\n  regular ^{o}(_{o})*$")
        # bgpq4 starts with a comma here even when nothing came before
        out.extend(f",\n  regular ^{o}(_[0-9]+)*_({'|'.join(map(str, line))})$" for line in _lines(rest, w))
        out.append("\nend-list\n")
        return "".join(out)
    if vendor == "juniper":
        return _juniper_as_path(name, o, has_origin, rest, w, f"^{o}", '  as-path aNone "!.*";\n')
    if vendor == "json":
        return _json_asns(asns, opts)
    if vendor == "bird":
        return _bird_asns(asns, opts)
    if vendor == "openbgpd":
        if not asns:
            return f"deny from AS {o}\n"
        return "".join(f"allow from AS {o} AS {a}\n" for a in asns)
    if vendor in ("nokia", "nokia-md"):
        return _nokia_as_path(vendor, o, has_origin, rest, opts, f"{o}.*[")
    raise FormatError(f"Unknown vendor {VENDORS.get(vendor, -1)}\n")


def _juniper_as_path(name: str, origin: int, has_origin: bool, rest: list[int], width: int, head: str,
                     empty: str) -> str:
    """Junos' as-path-group of -f (`head` "^<origin>") and -G (`head` "^"); `empty`: bgpq4's line
    for a group without paths, whose indentation differs between the two."""
    out = [f"policy-options {{\nreplace:\n as-path-group {name} {{\n"]
    n = 0
    if has_origin:
        out.append(f'  as-path a0 "^{origin}({origin})*$";\n')
        n = 1
    for line in _lines(rest, width):
        out.append(f'  as-path a{n} "{head}(.)*({"|".join(map(str, line))})$";\n')
        n += 1
    if n == 0:
        out.append(empty)
    out.append(" }\n}\n")
    return "".join(out)


def _nokia_as_path(vendor: str, origin: int, has_origin: bool, rest: list[int], opts: Options, head: str,
                   origin_asn: int | None = None) -> str:
    name = opts.name
    entry = 1
    origin_asn = origin if origin_asn is None else origin_asn
    if vendor == "nokia":
        out = [f'configure router policy-options\nbegin\nno as-path-group "{name}"\nas-path-group "{name}"\n']
        if has_origin:
            out.append(f'  entry 1 expression "{origin_asn}+"\n')
            entry = 2
        for line in _lines(rest, opts.aswidth):
            out.append(f'  entry {entry} expression "{head}{" ".join(map(str, line))}]"\n')
            entry += 1
        out.append("exit\ncommit\n")
    else:
        out = [f'/configure policy-options\ndelete as-path-group "{name}"\nas-path-group "{name}" {{\n']
        if has_origin:
            out.append(f'  entry 1 {{\n    expression "{origin_asn}+"\n  }}\n')
            entry = 2
        for line in _lines(rest, opts.aswidth):
            out.append(f'  entry {entry} {{\n    expression "{head}{" ".join(map(str, line))}]"\n  }}\n')
            entry += 1
        out.append("}\n")
    return "".join(out)


def render_output_as_path(vendor: str, asns: Sequence[int], opts: Options) -> str:
    """bgpq4_print_oaspath (-G): paths ending in one of `asns`."""
    o, name, w = opts.asnumber, opts.name, opts.aswidth
    has_origin, rest = _split_origin(asns, o)
    if vendor in ("cisco", "arista"):
        out = [f"no ip as-path access-list {name}\n"]
        if not asns:
            return out[0] + f"ip as-path access-list {name} deny .*\n"
        if has_origin:
            out.append(f"ip as-path access-list {name} permit ^(_{o})*$\n")
        out.extend(f"ip as-path access-list {name} permit ^(_[0-9]+)*_({'|'.join(map(str, line))})$\n"
                   for line in _lines(rest, w))
        return "".join(out)
    if vendor == "huawei":
        out = [f"undo ip as-path-filter {name}\n"]
        if has_origin:
            out.append(f"ip as-path-filter {name} permit ^(_{o})*$\n")
        if not rest:
            out.append(f"ip as-path-filter {name} deny .*\n")
            return "".join(out)
        out.extend(f"ip as-path-filter {name} permit ^(_[0-9]+)*_({'|'.join(map(str, line))})$\n"
                   for line in _lines(rest, w))
        return "".join(out)
    if vendor in ("cisco-xr", "huawei-xpl"):
        xr = vendor == "cisco-xr"
        out = [f"as-path-set {name}" if xr else f"xpl as-path-list {name}"]
        comma = False
        if has_origin:
            out.append(f"\n  ios-regex '^(_{o})*$'" if xr else f"\n  regular ^(_{o})*$")
            comma = True
        for line in _lines(rest, w):
            regex = f"^(_[0-9]+)*_({'|'.join(map(str, line))})$"
            out.append(f"{',' if comma else ''}\n  " + (f"ios-regex '{regex}'" if xr else f"regular {regex}"))
            comma = True
        out.append("\nend-set\n" if xr else "\nend-list\n")
        return "".join(out)
    if vendor == "juniper":
        return _juniper_as_path(name, o, has_origin, rest, w, "^", ' as-path aNone "!.*";\n')
    if vendor == "openbgpd":
        if not asns:
            return f"deny to AS {o}\n"
        return "".join(f"allow to AS {o} AS {a}\n" for a in asns)
    if vendor == "nokia":
        # bgpq4 forgets the space here, and ends without exit/commit
        text = _nokia_as_path(vendor, o, has_origin, rest, opts, ".*[")
        text = text.replace(f'no as-path-group "{name}"', f'no as-path-group"{name}"', 1)
        return text[: -len("exit\ncommit\n")]
    if vendor == "nokia-md":
        return _nokia_as_path(vendor, o, has_origin, rest, opts, ".*[")
    raise FormatError(f"Unknown vendor {VENDORS.get(vendor, -1)}\n")


def render_as_list(vendor: str, asns: Sequence[int], opts: Options) -> str:
    """bgpq4_print_aslist (-H, Juniper only): as-list-group for `as-path-origins`."""
    if vendor != "juniper":
        raise FormatError(f"Unknown vendor {VENDORS.get(vendor, -1)}\n")
    asns = [a for a in asns if a != 0]  # Junos refuses AS 0 ("RPD Policy: Invalid AS 0")
    o = opts.asnumber
    has_origin, rest = _split_origin(asns, o)
    out = [f"policy-options {{\nreplace:\n as-list-group {opts.name} {{\n"]
    n = 0
    if has_origin:
        out.append(f"  as-list a0 members {o};\n")
        n = 1
    for line in _lines(rest, opts.aswidth):
        out.append(f"  as-list a{n} members [ {' '.join(map(str, line))} ];\n")
        n += 1
    out.append(" }\n}\n")
    return "".join(out)


def render_as_set(vendor: str, asns: Sequence[int], opts: Options) -> str:
    """bgpq4_print_asset (-t)."""
    if vendor == "json":
        return _json_asns(asns, opts)
    if vendor == "bird":
        return _bird_asns(asns, opts)
    if vendor == "openbgpd":
        out = [f"as-set {opts.name} {{"]
        for line in _lines(asns, opts.aswidth):
            out.append("\n\t" + " ".join(map(str, line)))
        out.append("\n}\n")
        return "".join(out)
    raise FormatError("as-sets (-t) supported for JSON, OpenBGPD, and BIRD only\n")


def _json_asns(asns: Sequence[int], opts: Options) -> str:
    lines = _lines(asns, opts.aswidth)
    return f'{{"{opts.name}": [' + ",".join("\n  " + ",".join(map(str, line)) for line in lines) + "\n]}\n"


def _bird_asns(asns: Sequence[int], opts: Options) -> str:
    if not asns:
        return f"{opts.name} = [];\n"
    lines = _lines(asns, opts.aswidth)
    return f"{opts.name} = [" + ",".join("\n    " + ", ".join(map(str, line)) for line in lines) + "\n];\n"
