"""bgpq4's checks of a command line once it is read (main.c), with its messages: the AS number
and -M arguments, and which generations, vendors and options go together. A failed check is a
`Fatal` (bgpq4 prints "FATAL ERROR:" and the message, and exits with 255)."""
from __future__ import annotations

from irr.filters.command_line import strtoul

# generations in bgpq4's order (T_ASPATH < ... < T_PREFIXLIST < T_EACL < T_ROUTE_FILTER_LIST)
ASPATH, OASPATH, ASLIST, ASSET, PREFIXLIST, EACL, ROUTE_FILTER_LIST = range(1, 8)
GENERATION_NAMES = {ASPATH: "as-path", OASPATH: "output-as-path", ASLIST: "as-list", ASSET: "as-set",
                    PREFIXLIST: "prefix-list", EACL: "eacl", ROUTE_FILTER_LIST: "route-filter-list"}
NOKIA = ("nokia", "nokia-md", "nokia-srl")


class Fatal(Exception):
    """A fatal error: its message as bgpq4 prints it after "FATAL ERROR:"."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def parse_asnumber(text: str) -> int:
    """parseasnumber: plain or asdot, 1..65535*65535 (bgpq4 stores it in 32 bits first)."""
    value, rest = strtoul(text)
    value &= 0xFFFFFFFF
    if value < 1 or value > 65535 * 65535:
        raise Fatal(f"Invalid AS number: {text}\n")
    if rest.startswith("."):
        low, rest = strtoul(rest[1:])
        low &= 0xFFFFFFFF
        if value > 65535 or low < 1 or low > 65535:
            raise Fatal(f"Invalid AS number: {text}\n")
        if rest:
            raise Fatal(f"Invalid symbol in AS number: {rest[0]} ({text})\n")
        value = (value << 16) + low
    elif rest:
        raise Fatal(f"Invalid symbol in AS number: {rest[0]} ({text})\n")
    return value


def parse_match(text: str) -> str:
    """-M escapes as bgpq4 reads them: backslash + newline/r/t/backslash only (a literal
    backslash-n is refused)."""
    out, i = [], 0
    while i < len(text):
        c = text[i]
        if c != "\\":
            out.append(c)
            i += 1
            continue
        d = text[i + 1:i + 2]
        if d in ("\n", "r", "t", "\\"):
            out.append({"\n": "\n", "r": "\r", "t": "\t", "\\": "\\"}[d])
            i += 2
        else:
            raise Fatal(f"Unsupported escape \\ (0x5c) in '{text}'\n")
    return "".join(out)


def check_generation(vendor: str, generation: int, family: int, aggregate: bool, refine: int, refine_low: int,
                     sequence: bool) -> None:
    """The checks of the generation against the vendor and the other options."""
    if vendor == "cisco-xr" and generation not in (PREFIXLIST, ASPATH, OASPATH):
        raise Fatal("Sorry, only prefix-sets and as-paths supported for IOS XR\n")
    if vendor == "bird" and generation not in (PREFIXLIST, ASPATH, ASSET):
        raise Fatal("Sorry, only prefix-lists and as-paths/as-sets supported for BIRD output\n")
    if vendor == "json" and generation not in (PREFIXLIST, ASPATH, ASSET):
        raise Fatal("Sorry, only prefix-lists and as-paths/as-sets supported for JSON output\n")
    if vendor == "format" and generation != PREFIXLIST:
        raise Fatal("Sorry, only prefix-lists supported in formatted output\n")
    if vendor == "huawei" and generation not in (ASPATH, OASPATH, PREFIXLIST):
        raise Fatal("Sorry, only as-paths and prefix-lists supported for Huawei output\n")
    if generation == ROUTE_FILTER_LIST and vendor != "juniper":
        raise Fatal("Route-filter-lists (-z) supported for Juniper (-J) output only\n")
    if generation == ASSET and vendor not in ("json", "openbgpd", "bird"):
        raise Fatal("As-Sets (-t) supported for JSON (-j), OpenBGPD (-B) and BIRD (-b) output only\n")
    if aggregate and vendor == "juniper" and generation == PREFIXLIST:
        raise Fatal("Sorry, aggregation (-A) does not work in Juniper prefix-lists\nYou can try route-filters "
                   "(-E) or route-filter-lists (-z) instead of prefix-lists\n.")
    if vendor in NOKIA and generation != PREFIXLIST:
        if aggregate:
            raise Fatal("Sorry, aggregation (-A) is not supported with ip-prefix-lists (-E) on Nokia.\n")
        if refine:
            raise Fatal("Sorry, more-specifics (-R) is not supported with ip-prefix-lists (-E) on Nokia.\n")
        if refine_low:
            raise Fatal("Sorry, more-specifics (-r) is not supported with ip-prefix-lists (-E) on Nokia.\n")
    if aggregate and generation < PREFIXLIST:
        raise Fatal("Sorry, aggregation (-A) used only for prefix-lists, extended access-lists and "
                   "route-filters\n")
    if vendor == "arista" and generation == EACL and family == 6:
        raise Fatal("Sorry, extended access-lists is not compatible with Arista EOS and IPv6\n")
    if sequence and vendor not in ("cisco", "arista"):
        raise Fatal("Sorry, prefix-lists sequencing (-s) supported only for IOS and EOS\n")
    if sequence and generation < PREFIXLIST:
        raise Fatal("Sorry, prefix-lists sequencing (-s) can't be  used for non prefix-list\n")


def check_refine(vendor: str, generation: int, family: int, refine: int, refine_low: int) -> None:
    """The checks of -R and -r."""
    u_refine, u_low = refine & 0xFFFFFFFF, refine_low & 0xFFFFFFFF
    if family == 6 and refine > 128:
        raise Fatal(f"Invalid value for refine(-R): {u_refine} (1-128 for IPv6)\n")
    elif family == 6 and refine_low > 128:
        raise Fatal(f"Invalid value for refineLow(-r): {u_low} (1-128 for IPv6)\n")
    elif family == 4 and refine > 32:
        raise Fatal(f"Invalid value for refine(-R): {u_refine} (1-32 for IPv4)\n")
    elif family == 4 and refine_low > 32:
        raise Fatal(f"Invalid value for refineLow(-r): {u_low} (1-32 for IPv4)\n")
    if vendor == "juniper" and generation == PREFIXLIST:
        if refine:
            raise Fatal(f"Sorry, more-specific filters (-R {u_refine}) is not supported for Juniper "
                       "prefix-lists.\nUse router-filters (-E) or route-filter-lists (-z) instead\n")
        raise Fatal(f"Sorry, more-specific filters (-r {u_low}) is not supported for Juniper prefix-lists.\n"
                   "Use route-filters (-E) or route-filter-lists (-z) instead\n")
    if generation < PREFIXLIST:
        if refine:
            raise Fatal(f"Sorry, more-specific filter (-R {u_refine}) supported only with prefix-list "
                       "generation\n")
        raise Fatal(f"Sorry, more-specific filter (-r {u_low}) supported only with prefix-list generation\n")
