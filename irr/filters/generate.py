"""bgpq4 1.16 as a library: `generate(view, argv)` prints what `bgpq4 -h <our server> ARGV` would.

The run is bgpq4's own, step for step (main.c, expander.c): the same option parsing (GNU getopt,
so options may follow the objects) and checks with the same messages and exit codes, then the
same IRRd queries in the same order, answered in-process from the registry's in-memory
snapshots exactly as our whois server answers them (irr.query.irrd over irr.query.sets; `!s`
switches the selected sources as it does on a connection). Output is stderr then stdout, as a
terminal or `2>&1` shows them: bgpq4 reports errors while it queries and prints at the end.
"""
from __future__ import annotations

import gc
import re
from collections import deque
from collections.abc import Callable, Mapping, Sequence

from irr.filters import formats
from irr.filters.prefixes import WIDTH, Entry, PrefixTree, TooLarge, is_special_asn, origin_keys
from irr.query import sets
from irr.query.irrd import QueryError, parse_asn
from rpsl import keys

VERSION = "1.16"
OPTSTRING = "23467a:AbBdDEeF:S:jJKf:l:L:m:M:NnpW:r:R:G:H:tTh:UuwXsvz"
# generations in bgpq4's order (T_ASPATH < ... < T_PREFIXLIST < T_EACL < T_ROUTE_FILTER_LIST)
ASPATH, OASPATH, ASLIST, ASSET, PREFIXLIST, EACL, ROUTE_FILTER_LIST = range(1, 8)
GENERATION_NAMES = {ASPATH: "as-path", OASPATH: "output-as-path", ASLIST: "as-list", ASSET: "as-set",
                    PREFIXLIST: "prefix-list", EACL: "eacl", ROUTE_FILTER_LIST: "route-filter-list"}
VENDOR_FLAGS = {"b": "bird", "B": "openbgpd", "e": "arista", "J": "juniper", "j": "json", "K": "mikrotik6",
                "N": "nokia", "n": "nokia-md", "X": "cisco-xr"}
NOKIA = ("nokia", "nokia-md", "nokia-srl")

USAGE = """
Usage: bgpq4 [-h host[:port]] [-S sources] [-E|G|H <num>|f <num>|t] [-46ABbdJjKNnpwXz] [-R len] <OBJECTS> ... \
[EXCEPT <OBJECTS> ...]

Vendor targets:
 no option : Cisco IOS Classic (default)
 -X        : Cisco IOS XR
 -U        : Huawei
 -u        : Huawei XPL
 -j        : JSON
 -J        : Juniper Junos
 -K        : MikroTik RouterOSv6
 -K7       : MikroTik RouterOSv7
 -b        : NIC.CZ BIRD
 -N        : Nokia SR OS (Classic CLI)
 -n        : Nokia SR OS (MD-CLI)
 -n2       : Nokia SR Linux
 -B        : OpenBSD OpenBGPD
 -e        : Arista EOS
 -F fmt    : User defined format (example: '-F %n/%l')

Input filters:
 -4        : generate IPv4 prefix-lists (default)
 -6        : generate IPv6 prefix-lists
 -m len    : maximum prefix length (default: 32 for IPv4, 128 for IPv6)
 -L depth  : limit recursion depth (default: unlimited)
 -S sources: only use specified IRR sources, in the specified order (comma separated)
 -w        : 'validate' AS numbers: accept only ones with registered routes

Output modifiers:
 -3        : assume that your device is asn32-safe (default)
 -A        : try to aggregate prefix-lists/route-filters
 -E        : generate extended access-list (Cisco), route-filter (Juniper)
             [ip|ipv6]-prefix-list (Nokia) or prefix-set (OpenBGPD)
 -f number : generate input as-path access-list
 -G number : generate output as-path access-list
 -H number : generate origin as-lists (JunOS only)
 -M match  : extra match conditions for JunOS route-filters
 -l name   : use specified name for generated access/prefix/.. list
 -p        : allow special ASNs like 23456 or in the private range
 -R len    : allow more specific routes up to specified masklen
 -r len    : allow more specific routes from masklen specified
 -s        : generate sequence numbers in prefix-lists (IOS and EOS only)
 -t        : generate as-sets for OpenBGPD (OpenBGPD 6.4+), BIRD and JSON formats
 -z        : generate route-filter-list (Junos only)
 -W len    : specify max-entries on as-path/as-list line (use 0 for infinity)

Utility operations:
 -d        : generate some debugging output
 -h host   : host running IRRD software (default: rr.ntt.net)
             use 'host:port' to specify alternate port
 -T        : disable pipelining (not recommended)
 -v        : print version and exit

bgpq4 version: 1.16 (https://github.com/bgp/bgpq4)
"""


class _Exit(Exception):
    def __init__(self, code: int):
        super().__init__(code)
        self.code = code


def _strtoul(text: str) -> tuple[int, str]:
    """C strtoul(text, &end, 10) on a 64-bit machine: (value, the rest)."""
    m = re.match(r"[ \t\n\v\f\r]*([+-]?)(\d+)", text)
    if not m:
        return 0, text
    value = min(int(m.group(2)), 2**64 - 1)
    if m.group(1) == "-":
        value = (-value) % 2**64
    return value, text[m.end():]


def _int32(value: int) -> int:
    """An unsigned long stored into a C int."""
    value &= 0xFFFFFFFF
    return value - 2**32 if value >= 2**31 else value


def _getopt(argv: Sequence[str], optstring: str, operands: list[str]):
    """GNU getopt with argument permutation: yields (option, argument or None) in order, or
    ('?', message) for an error; the non-option arguments end up in `operands`."""
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            operands.extend(argv[i + 1:])
            return
        if not arg.startswith("-") or arg == "-":
            operands.append(arg)
            i += 1
            continue
        j = 1
        while j < len(arg):
            ch = arg[j]
            pos = optstring.find(ch) if ch != ":" else -1
            if pos < 0:
                yield "?", f"bgpq4: invalid option -- '{ch}'\n"
                return
            if optstring[pos + 1:pos + 2] == ":":
                if j + 1 < len(arg):
                    yield ch, arg[j + 1:]
                elif i + 1 < len(argv):
                    i += 1
                    yield ch, argv[i]
                else:
                    yield "?", f"bgpq4: option requires an argument -- '{ch}'\n"
                    return
                break
            yield ch, None
            j += 1
        i += 1


def _source_of(text: str) -> str | None:
    """bgpq_get_source: `SRC` of `SRC::NAME`."""
    d = text.find("::")
    return text[:d] if d >= 0 else None


def _name_of(text: str) -> str:
    """bgpq_get_asset / bgpq_get_rset: `NAME` of `SRC::NAME`."""
    d = text.find("::")
    return text[d + 2:] if d >= 0 else text


class Bgpq4:
    """One bgpq4 run against the registry. After `run(argv)`: `stdout`, `stderr` (lists of text),
    `queries` (what bgpq4 would have sent), `entries` (prefix lists) and `asns` (AS lists)."""

    def __init__(self, view: sets.View, sources: Mapping | None = None, raise_limits: bool = True):
        self.view = view
        self.raise_limits = raise_limits
        # every source the "server" knows (`!s` may select any), and its default selection
        self.universe = dict(sources) if sources is not None else {s.source: s for s in view.snapshots}
        self.current = [s.source for s in view.snapshots]
        self._views: dict[tuple[str, ...], sets.View] = {}
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        self.queries: list[str] = []
        self.entries: list[Entry] = []
        self.asns: list[int] = []

    # -- reporting ----------------------------------------------------------------------------------
    def error(self, message: str) -> None:
        self.stderr.append("ERROR:" + message)

    def fatal(self, message: str) -> None:
        self.stderr.append("FATAL ERROR:" + message)
        raise _Exit(255)

    def usage(self) -> None:
        self.stdout.append(USAGE)
        raise _Exit(1)

    def output(self) -> str:
        return "".join(self.stderr) + "".join(self.stdout)

    def run(self, argv: Sequence[str]) -> int:
        """Run bgpq4 with these arguments (without the program name); the exit code."""
        # A run allocates tens of thousands of small objects without cycles; with a registry's
        # millions of objects in memory, the collector's passes would cost more than the run.
        collecting = gc.isenabled()
        gc.disable()
        try:
            self._main(list(argv))
        except _Exit as e:
            return e.code
        finally:
            if collecting:
                gc.enable()
        return 0

    # -- main.c --------------------------------------------------------------------------------------
    def _main(self, argv: list[str]) -> None:
        self.family = 4
        selected4 = False
        vendor = "cisco"
        generation = 0
        aggregate = False
        refine = refine_low = 0
        maxlen_opt = 0
        self.name = "NN"
        self.sequence = False
        self.asnumber = 0
        self.aswidth = 8
        width_set = False
        self.match: str | None = None
        self.format = ""
        self.sources_opt = ""
        self.maxdepth = 0
        self.validate = False
        self.special = False

        operands: list[str] = []
        for ch, arg in _getopt(argv, OPTSTRING, operands):
            if ch == "?":
                self.stderr.append(arg)
                self.usage()
            elif ch == "2":
                if vendor != "nokia-md":
                    self.fatal("'2' can only be used after -n\n")
                vendor = "nokia-srl"
            elif ch == "3":
                pass  # 32-bit ASNs are assumed
            elif ch == "4":
                if self.family == 6:
                    self.fatal("-4 and -6 are mutually exclusive\n")
                selected4 = True
            elif ch == "6":
                if selected4:
                    self.fatal("-4 and -6 are mutually exclusive\n")
                self.family = 6
            elif ch == "7":
                if vendor != "mikrotik6":
                    self.fatal("'7' can only be used after -K\n")
                vendor = "mikrotik7"
            elif ch == "a":
                self.asnumber = self._parse_asnumber(arg)
            elif ch == "A":
                aggregate = True
            elif ch in VENDOR_FLAGS:
                if vendor != "cisco":
                    self._vendor_exclusive()
                vendor = VENDOR_FLAGS[ch]
                if ch == "e":
                    self.sequence = True
            elif ch in "EfGHtz":
                if generation:
                    self._exclusive()
                generation = {"E": EACL, "f": ASPATH, "G": OASPATH, "H": ASLIST, "t": ASSET,
                              "z": ROUTE_FILTER_LIST}[ch]
                if ch in "fGH":
                    self.asnumber = self._parse_asnumber(arg)
            elif ch in "FUu":
                if vendor != "cisco":
                    self._exclusive()
                vendor = {"F": "format", "U": "huawei", "u": "huawei-xpl"}[ch]
                if ch == "F":
                    self.format = arg
            elif ch == "r":
                refine_low = _int32(_strtoul(arg)[0])
                if not refine_low:
                    self.fatal(f"Invalid refineLow value: {arg}\n")
            elif ch == "R":
                refine = _int32(_strtoul(arg)[0])
                if not refine:
                    self.fatal(f"Invalid refine length: {arg}\n")
            elif ch == "l":
                self.name = arg
            elif ch == "L":
                self.maxdepth = _strtoul(arg)[0] & 0xFFFFFFFF
                if self.maxdepth < 1:
                    self.fatal(f"Invalid maximum recursion (-L): {arg}\n")
            elif ch == "m":
                maxlen_opt = _strtoul(arg)[0]
                if not maxlen_opt:
                    self.fatal(f"Invalid maxlen (-m): {arg}\n")
            elif ch == "M":
                self.match = self._parse_match(arg)
            elif ch == "p":
                self.special = True
            elif ch == "s":
                self.sequence = True
            elif ch == "S":
                self.sources_opt = arg
            elif ch == "W":
                m = re.match(r"[ \t\n\v\f\r]*[+-]?\d+", arg)
                self.aswidth = _int32(int(m.group(0))) if m else 0
                if self.aswidth < 0:
                    self.fatal(f"Invalid as-width: {arg}\n")
                width_set = True
            elif ch == "w":
                self.validate = True
            elif ch == "v":
                self.stdout.append(f"bgpq4 - a versatile utility to generate BGP filters\nversion: {VERSION}\n"
                                   "website: https://github.com/bgp/bgpq4\n"
                                   "maintainer: Job Snijders <job@sobornost.net>\n")
                raise _Exit(0)
            elif ch in "dhT":
                pass  # debugging, the server (this registry), pipelining: no effect on the result
            else:
                self.usage()   # -D: in the option string, handled by nobody

        if not width_set:
            widths = {ASPATH: {"arista": 4, "cisco": 4, "mikrotik6": 4, "mikrotik7": 4, "cisco-xr": 6,
                               "juniper": 8, "nokia": 8, "nokia-md": 8, "nokia-srl": 8, "bird": 10},
                      OASPATH: {"arista": 5, "cisco": 5, "cisco-xr": 7, "juniper": 8, "nokia": 8, "nokia-md": 8,
                                "nokia-srl": 8},
                      ASLIST: {"juniper": 8}}
            self.aswidth = widths.get(generation, {}).get(vendor, self.aswidth)
        if not generation:
            generation = PREFIXLIST
        self._checks(vendor, generation, aggregate, refine, refine_low)
        if refine_low and not refine:
            refine = WIDTH[self.family]
        if refine_low and refine_low > refine:
            self.fatal(f"Incompatible values for -r {refine_low & 0xFFFFFFFF} and -R {refine & 0xFFFFFFFF}\n")
        if refine or refine_low:
            self._refine_checks(vendor, generation, refine, refine_low)
        width = WIDTH[self.family]
        if maxlen_opt:
            if maxlen_opt > width:
                self.fatal(f"Invalid value for max-prefixlen: {maxlen_opt} (1-128 for IPv6, 1-32 for IPv4)\n")
            # -m 32 / -m 128 "make no sense" to bgpq4: it leaves its limit at 0, which also stops
            # range expansion at the base prefix (vector 70)
            maxlen = maxlen_opt if maxlen_opt < width else 0
        else:
            maxlen = width
        if generation == EACL and vendor == "cisco" and self.family == 6:
            self.fatal("Sorry, ipv6 access-lists not supported for Cisco yet.\n")
        if self.match is not None and (vendor != "juniper" or generation != EACL):
            self.fatal("Sorry, extra match conditions (-M) can be used only with Juniper route-filters\n")
        if generation in (ASPATH, OASPATH, ASLIST) and self.family != 4 and not self.validate:
            self.fatal("Sorry, -6 makes no sense with as-path (-f/-G) or as-list (-H) generation\n")
        if self.validate and generation not in (ASPATH, OASPATH, ASLIST):
            self.fatal("Sorry, -w makes sense only for as-path (-f/-G) generation\n")
        if not operands:
            self.usage()

        self.tree = PrefixTree(self.family, maxlen, self.view.limits.max_size)
        self.generation = generation
        self.usesource = False
        self.macros: list[str] = []
        self.rsets: list[str] = []
        self.stoplist: set[str] = set()
        self.asn_set: set[int] = set()
        try:
            self._objects(operands)
            self._expand()
            self.entries = self.tree.entries(refine, refine_low, aggregate) if generation >= PREFIXLIST else []
        except TooLarge as e:
            if self.raise_limits:
                raise
            self.fatal(f"Unable to expand the prefix-ranges: {e}\n")
        self.asns = sorted(self.asn_set)
        self._print(vendor, generation)

    def _vendor_exclusive(self) -> None:
        self.stderr.append("-b (BIRD), -B (OpenBGPD), -F (formatted), -J (Junos), -j (JSON), -K[7] (Microtik ROS), "
                           "-N (Nokia SR OS Classic), -n (Nokia SR OS MD-CLI), -U (Huawei), -u (Huawei XPL),"
                           "-e (Arista) and -X (IOS XR) options are mutually exclusive\n")
        raise _Exit(1)

    def _exclusive(self) -> None:
        self.stderr.append("-E, -F, -K , -f <asnum>, -G <asnum>, and -t are mutually exclusive\n")
        raise _Exit(1)

    def _parse_asnumber(self, text: str) -> int:
        """parseasnumber: plain or asdot, 1..65535*65535 (bgpq4 stores it in 32 bits first)."""
        value, rest = _strtoul(text)
        value &= 0xFFFFFFFF
        if value < 1 or value > 65535 * 65535:
            self.fatal(f"Invalid AS number: {text}\n")
        if rest.startswith("."):
            low, rest = _strtoul(rest[1:])
            low &= 0xFFFFFFFF
            if value > 65535 or low < 1 or low > 65535:
                self.fatal(f"Invalid AS number: {text}\n")
            if rest:
                self.fatal(f"Invalid symbol in AS number: {rest[0]} ({text})\n")
            value = (value << 16) + low
        elif rest:
            self.fatal(f"Invalid symbol in AS number: {rest[0]} ({text})\n")
        return value

    def _parse_match(self, text: str) -> str:
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
                self.fatal(f"Unsupported escape \\ (0x5c) in '{text}'\n")
        return "".join(out)

    def _checks(self, vendor: str, generation: int, aggregate: bool, refine: int, refine_low: int) -> None:
        if vendor == "cisco-xr" and generation not in (PREFIXLIST, ASPATH, OASPATH):
            self.fatal("Sorry, only prefix-sets and as-paths supported for IOS XR\n")
        if vendor == "bird" and generation not in (PREFIXLIST, ASPATH, ASSET):
            self.fatal("Sorry, only prefix-lists and as-paths/as-sets supported for BIRD output\n")
        if vendor == "json" and generation not in (PREFIXLIST, ASPATH, ASSET):
            self.fatal("Sorry, only prefix-lists and as-paths/as-sets supported for JSON output\n")
        if vendor == "format" and generation != PREFIXLIST:
            self.fatal("Sorry, only prefix-lists supported in formatted output\n")
        if vendor == "huawei" and generation not in (ASPATH, OASPATH, PREFIXLIST):
            self.fatal("Sorry, only as-paths and prefix-lists supported for Huawei output\n")
        if generation == ROUTE_FILTER_LIST and vendor != "juniper":
            self.fatal("Route-filter-lists (-z) supported for Juniper (-J) output only\n")
        if generation == ASSET and vendor not in ("json", "openbgpd", "bird"):
            self.fatal("As-Sets (-t) supported for JSON (-j), OpenBGPD (-B) and BIRD (-b) output only\n")
        if aggregate and vendor == "juniper" and generation == PREFIXLIST:
            self.fatal("Sorry, aggregation (-A) does not work in Juniper prefix-lists\nYou can try route-filters "
                       "(-E) or route-filter-lists (-z) instead of prefix-lists\n.")
        if vendor in NOKIA and generation != PREFIXLIST:
            if aggregate:
                self.fatal("Sorry, aggregation (-A) is not supported with ip-prefix-lists (-E) on Nokia.\n")
            if refine:
                self.fatal("Sorry, more-specifics (-R) is not supported with ip-prefix-lists (-E) on Nokia.\n")
            if refine_low:
                self.fatal("Sorry, more-specifics (-r) is not supported with ip-prefix-lists (-E) on Nokia.\n")
        if aggregate and generation < PREFIXLIST:
            self.fatal("Sorry, aggregation (-A) used only for prefix-lists, extended access-lists and "
                       "route-filters\n")
        if vendor == "arista" and generation == EACL and self.family == 6:
            self.fatal("Sorry, extended access-lists is not compatible with Arista EOS and IPv6\n")
        if self.sequence and vendor not in ("cisco", "arista"):
            self.fatal("Sorry, prefix-lists sequencing (-s) supported only for IOS and EOS\n")
        if self.sequence and generation < PREFIXLIST:
            self.fatal("Sorry, prefix-lists sequencing (-s) can't be  used for non prefix-list\n")

    def _refine_checks(self, vendor: str, generation: int, refine: int, refine_low: int) -> None:
        u_refine, u_low = refine & 0xFFFFFFFF, refine_low & 0xFFFFFFFF
        if self.family == 6 and refine > 128:
            self.fatal(f"Invalid value for refine(-R): {u_refine} (1-128 for IPv6)\n")
        elif self.family == 6 and refine_low > 128:
            self.fatal(f"Invalid value for refineLow(-r): {u_low} (1-128 for IPv6)\n")
        elif self.family == 4 and refine > 32:
            self.fatal(f"Invalid value for refine(-R): {u_refine} (1-32 for IPv4)\n")
        elif self.family == 4 and refine_low > 32:
            self.fatal(f"Invalid value for refineLow(-r): {u_low} (1-32 for IPv4)\n")
        if vendor == "juniper" and generation == PREFIXLIST:
            if refine:
                self.fatal(f"Sorry, more-specific filters (-R {u_refine}) is not supported for Juniper "
                           "prefix-lists.\nUse router-filters (-E) or route-filter-lists (-z) instead\n")
            self.fatal(f"Sorry, more-specific filters (-r {u_low}) is not supported for Juniper prefix-lists.\n"
                       "Use route-filters (-E) or route-filter-lists (-z) instead\n")
        if generation < PREFIXLIST:
            if refine:
                self.fatal(f"Sorry, more-specific filter (-R {u_refine}) supported only with prefix-list "
                           "generation\n")
            self.fatal(f"Sorry, more-specific filter (-r {u_low}) supported only with prefix-list generation\n")

    def _objects(self, operands: list[str]) -> None:
        """The object arguments: sets, ASNs, prefixes, EXCEPT, SRC::NAME."""
        except_mode = False
        for text in operands:
            obj = text
            if "::" in text:
                self.usesource = True
                obj = _name_of(text)
            upper = obj.upper()
            if text == "EXCEPT":
                except_mode = True
            elif except_mode:
                self.stoplist.add(text.upper())
            elif upper.startswith("AS-"):
                self.macros.append(text)
            elif upper.startswith("RS-"):
                self.rsets.append(text)
            elif upper.startswith("AS"):
                if ":" in obj:
                    after = upper[upper.index(":") + 1:]
                    if after.startswith("AS-"):
                        self.macros.append(text)
                    elif after.startswith("RS-"):
                        self.rsets.append(text)
                    # anything else after AS<n>: is ignored (bgpq4 only mentions it with -d)
                else:
                    self._add_as(text)
            elif "^" not in text:
                if not self.tree.add_prefix(text, self.stderr):
                    self.error(f"Unable to add prefix {text} (bad prefix or address-family)\n")
                    raise _Exit(1)
            elif not self.tree.add_range(text, self.stderr):
                self.error(f"Unable to add prefix-range {text} (bad range or address-family)\n")
                raise _Exit(1)

    def _add_as(self, text: str) -> bool:
        """bgpq_expander_add_as: `AS<n>`; special ASNs are refused (with an error) unless -p."""
        value, rest = _strtoul(text[2:])
        if rest:
            self.error(f"Invalid symbol in AS number: '{rest[0]}' in {text}\n")
            return False
        asn = value & 0xFFFFFFFF
        if not self.special and is_special_asn(asn):
            self.error(f"Invalid AS number: {asn}\n")
            return False
        self.asn_set.add(asn)
        return True

    # -- expander.c: the queries ---------------------------------------------------------------------
    def _expand(self) -> None:
        self.queue: deque = deque()
        self.already: set[str] = set()
        self._send("!!")
        self._send(f"!nbgpq4 {VERSION}")
        aquery = False
        if self.generation >= PREFIXLIST and self.macros:
            aquery = self._send("!a")[0] == "F"   # "F Missing required set name for A query"
        if self.sources_opt:
            code, text = self._send("!s" + self.sources_opt)
            if code != "C":
                self.error(f"Invalid source(s) '{self.sources_opt}': {text}\n\n")
                raise _Exit(1)
            default = self.sources_opt
        else:
            code, text = self._send("!s-lc")
            if code != "A":
                self.error(f"No 2nd newline in response '{code}\n': !s-lc\n\n")
                raise _Exit(1)
            default = text
        self.default_sources = default
        fam = "4" if self.family == 4 else "6"
        for text in self.macros:
            name = _name_of(text)
            if not self.maxdepth and not self.stoplist:
                if self.usesource:
                    self._pipeline("!s" + (_source_of(text) or default))
                    self._pipeline("!i" + name, self._member_limited)
                elif aquery:
                    self._request(f"!a{fam}{name}", self._prefix)
                else:
                    self._request(f"!i{name},1", self._member)
            else:
                self.already.add(name.upper())
                self._pipeline("!i" + name, self._member_limited)
        self._pipeline("!s" + default)
        self._drain()
        if self.generation >= PREFIXLIST or self.validate:
            for text in self.rsets:
                name = _name_of(text)
                if self.usesource:
                    source = _source_of(text)
                    if source:
                        self.stdout.append(f"Checking {name}\n")  # a leftover printf in bgpq4
                    self._pipeline("!s" + (source or default))
                    self._pipeline("!i" + name, self._prefix)
                else:
                    self._pipeline("!s" + default)
                    self._pipeline(f"!i{name},1", self._prefix)
            for asn in sorted(self.asn_set):
                self._pipeline(f"!{'gas' if self.family == 4 else '6as'}{asn}", self._prefix)
            self._drain()
        self._send("!q")

    def _pipeline(self, query: str, callback: Callable | None = None, depth: int = 0) -> None:
        self.queue.append((query, callback, depth))

    def _drain(self) -> None:
        while self.queue:
            self._request(*self.queue.popleft())

    def _request(self, query: str, callback: Callable | None = None, depth: int = 0) -> None:
        """Send one query and handle its answer as bgpq_read / bgpq_expand_irrd do."""
        code, data = self._send(query)
        if code == "K":  # prefixes as keys: what the server's answer parses to
            if callback == self._prefix:
                self.tree.add_keys(data)
        elif code == "A":
            tokens = data if isinstance(data, list) else data.split()
            if callback == self._prefix:
                self.tree.add_tokens(tokens, self.stderr)
            elif callback is not None:
                for token in tokens:
                    callback(token, query, depth)
        elif code in ("C", "D"):   # no data; "Key not found" is only a debug message in 1.16
            if self.validate and query.startswith(("!gas", "!6as")):
                self.asn_set.discard(int(query[4:]))
        elif code == "F":
            self.error(f"Error expanding {query}\n: {data}\n")

    def _prefix(self, token: str, query: str, depth: int) -> None:
        """bgpq_expanded_prefix: a prefix or a prefix-range from an answer."""
        if "^" in token:
            self.tree.add_range(token, self.stderr)
        else:
            self.tree.add_prefix(token, self.stderr)

    def _member(self, token: str, query: str, depth: int) -> None:
        """bgpq_expanded_macro: an ASN of a server-side expansion (`!i<set>,1`)."""
        self._add_as(token)

    def _member_limited(self, token: str, query: str, depth: int) -> None:
        """bgpq_expanded_macro_limit: one member of `!i<set>`, recursing client-side (-L, EXCEPT,
        SRC::NAME)."""
        upper = token.upper()
        if upper.startswith("AS-") or "-" in token or ":" in token:
            if upper in self.already or upper in self.stoplist:
                return
            if not self.maxdepth or depth + 1 < self.maxdepth:
                self.already.add(upper)
                if self.usesource:
                    self._pipeline("!s" + (_source_of(token) or self.default_sources))
                self._pipeline("!i" + _name_of(token), self._member_limited, depth + 1)
        elif upper.startswith("AS"):
            if upper not in self.stoplist:
                self._add_as(token)
        elif upper != "ANY":
            self.error(f"unexpected object '{token}' in expanded_macro_limit (in response to {query}\n)\n")

    # -- the server's side of the conversation (irr.query.irrd) -----------------------------------------
    def _send(self, query: str) -> tuple[str, list[str] | str]:
        """(code, data) of our whois server's answer: A with its data, C, D, F with its line."""
        self.queries.append(query)
        command, parameter = query[1:2], query[2:]
        try:
            if command in ("!", "n", "q"):
                return "C", ""
            if command == "s":
                return self._select(parameter)
            view = self._current_view()
            if command == "a":
                version = None
                if parameter[:1] in ("4", "6"):
                    version, parameter = int(parameter[0]), parameter[1:]
                if not parameter:
                    return "F", "F Missing required set name for A query"
                name = keys.name(parameter)
                hit = view.find(name)
                if version is not None and hit is not None and hit[1].object_class == "as-set":
                    found = self._origins(view, sets.resolve_as_set(view, name) or (), version, name)
                    if found is not None:
                        return found
                return self._found(sets.resolve_prefixes(view, name, version))
            if command == "i":
                if not parameter:
                    return "F", "F Missing parameter for i query"
                recursive = parameter.endswith(",1")
                name = keys.name(parameter[:-2] if recursive else parameter)
                if not recursive:
                    return self._found(sorted(sets.direct_members(view, name) or ()))
                hit = view.find(name)
                if hit is None:
                    return "D", ""
                if hit[1].object_class == "route-set":  # as the whois server: sorted as text
                    return self._found(sets.member_order(sets.resolve_route_set(view, name) or ()))
                return self._found(sets.member_order(sets.resolve_as_set(view, name) or ()))
            if command in ("g", "6"):
                asn, version = parse_asn(parameter), 4 if command == "g" else 6
                return self._origins(view, (f"AS{asn}",), version) or self._found(view.prefixes(asn, version))
        except QueryError as e:
            return "F", f"F {e}"
        except sets.SetLimitError as e:
            if self.raise_limits:
                raise
            return "F", f"F Set too large to resolve: {e}"
        return "F", f"F Unrecognised command: {command}"

    @staticmethod
    def _origins(view: sets.View, asns, version: int, name: str | None = None) -> tuple[str, set[int] | str] | None:
        """What `!a<v><as-set>` and `!g`/`!6` answer (the prefixes the ASes originate in the
        selected sources), straight as keys: ("K", keys), or D; None to take the text path."""
        out: set[int] = set()
        for asn in asns:
            number = int(asn[2:])
            for snapshot in view.snapshots:
                found = origin_keys(snapshot, number, version)
                if found is None:
                    return None
                out.update(found)
            if name is not None and len(out) > view.limits.max_size:
                raise sets.SetLimitError(f"{name}: more than {view.limits.max_size} prefixes")
        return ("K", out) if out else ("D", "")

    @staticmethod
    def _found(items) -> tuple[str, list[str] | str]:
        """The server's `found`: its data (kept as a list: the tokens bgpq4 would split it
        into), or D when there is none."""
        return ("A", items) if items else ("D", "")

    def _select(self, parameter: str) -> tuple[str, str]:
        if parameter == "-lc":
            return ("A", ",".join(self.current)) if self.current else ("C", "")
        if not parameter:
            return "F", "F Missing parameter for s query"
        wanted = [s.strip().upper() for s in parameter.split(",") if s.strip()]
        if not wanted or any(s not in self.universe for s in wanted):
            return "F", "F One or more selected sources are unavailable."
        self.current = wanted
        return "C", ""

    def _current_view(self) -> sets.View:
        key = tuple(self.current)
        view = self._views.get(key)
        if view is None:
            view = sets.View([self.universe[s] for s in key], self.view.limits)
            self._views[key] = view
        return view

    # -- printer.c -----------------------------------------------------------------------------------
    def _print(self, vendor: str, generation: int) -> None:
        opts = formats.Options(name=self.name, sequence=self.sequence, asnumber=self.asnumber,
                               aswidth=self.aswidth, match=self.match, format=self.format, stderr=self.stderr)
        try:
            if generation == PREFIXLIST:
                text = formats.render_prefix_list(vendor, self.family, self.entries, opts)
            elif generation == EACL:
                text = formats.render_eacl(vendor, self.family, self.entries, opts)
            elif generation == ROUTE_FILTER_LIST:
                text = formats.render_route_filter_list(vendor, self.family, self.entries, opts)
            elif generation == ASPATH:
                text = formats.render_as_path(vendor, self.asns, opts)
            elif generation == OASPATH:
                text = formats.render_output_as_path(vendor, self.asns, opts)
            elif generation == ASLIST:
                text = formats.render_as_list(vendor, self.asns, opts)
            else:
                text = formats.render_as_set(vendor, self.asns, opts)
        except formats.FormatError as e:
            self.fatal(str(e))
        self.stdout.append(text)


def generate(view: sets.View, argv: Sequence[str], *, sources: Mapping | None = None,
             raise_limits: bool = True) -> tuple[str, int]:
    """What `bgpq4 ARGV` prints against this registry (stderr first, then stdout) and its exit code.

    `view` holds the snapshots of the sources selected by default (what `!s-lc` answers);
    `sources` (name -> Snapshot) are all the sources `-S` and `SRC::NAME` may select (default:
    those of the view). `argv` excludes the program name. A set or prefix-range past the view's
    limits raises sets.SetLimitError; with `raise_limits=False` the run goes on as bgpq4 would
    against our server (an ERROR line for the server's F answer, the rest of the list)."""
    run = Bgpq4(view, sources, raise_limits)
    code = run.run(argv)
    return run.output(), code
