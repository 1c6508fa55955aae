"""bgpq4 1.16 as a library: `generate(view, argv)` prints what `bgpq4 -h <our server> ARGV` would.

The run is bgpq4's own, step for step (main.c, expander.c): the same option parsing (GNU getopt,
so options may follow the objects) and checks with the same messages and exit codes, then the
same IRRd queries in the same order, answered in-process from the registry's in-memory
snapshots exactly as our whois server answers them (irr.filters.server_side; `!s` switches the
selected sources as it does on a connection). Output is stderr then stdout, as a terminal or
`2>&1` shows them: bgpq4 reports errors while it queries and prints at the end (irr.filters.render).
The command line is read as bgpq4 reads it (irr.filters.command_line) and checked with bgpq4's
messages (irr.filters.option_checks).
"""
from __future__ import annotations

import gc
import re
from collections import deque
from collections.abc import Callable, Mapping, Sequence

from irr.filters import formats
from irr.filters.addresses import WIDTH
from irr.filters.command_line import USAGE, getopt, int32, name_of, source_of, strtoul
from irr.filters.option_checks import (
    ASLIST,
    ASPATH,
    ASSET,
    EACL,
    GENERATION_NAMES,
    OASPATH,
    PREFIXLIST,
    ROUTE_FILTER_LIST,
    Fatal,
    check_generation,
    check_refine,
    parse_asnumber,
    parse_match,
)
from irr.filters.prefixes import Entry, PrefixTree, TooLarge, is_special_asn
from irr.filters.render import print_generation
from irr.filters.server_side import RegistryServer
from irr.query import sets

VERSION = "1.16"
OPTSTRING = "23467a:AbBdDEeF:S:jJKf:l:L:m:M:NnpW:r:R:G:H:tTh:UuwXsvz"
VENDOR_FLAGS = {"b": "bird", "B": "openbgpd", "e": "arista", "J": "juniper", "j": "json", "K": "mikrotik6",
                "N": "nokia", "n": "nokia-md", "X": "cisco-xr"}


class _Exit(Exception):
    def __init__(self, code: int):
        super().__init__(code)
        self.code = code


class Bgpq4:
    """One bgpq4 run against the registry. After `run(argv)`: `stdout`, `stderr` (lists of text),
    `queries` (what bgpq4 would have sent), `entries` (prefix lists) and `asns` (AS lists)."""

    def __init__(self, view: sets.View, sources: Mapping | None = None, raise_limits: bool = True):
        self.view = view
        self.raise_limits = raise_limits
        self.server = RegistryServer(view, sources, raise_limits)
        self._send = self.server.send
        self.queries = self.server.queries
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        self.entries: list[Entry] = []
        self.asns: list[int] = []

    # -- reporting ----------------------------------------------------------------------------------
    def error(self, message: str) -> None:
        self.stderr.append("ERROR:" + message)

    def fatal(self, message: str) -> None:
        raise Fatal(message)

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
        except Fatal as e:
            self.stderr.append("FATAL ERROR:" + e.message)
            return 255
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
        for ch, arg in getopt(argv, OPTSTRING, operands):
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
                self.asnumber = parse_asnumber(arg)
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
                    self.asnumber = parse_asnumber(arg)
            elif ch in "FUu":
                if vendor != "cisco":
                    self._exclusive()
                vendor = {"F": "format", "U": "huawei", "u": "huawei-xpl"}[ch]
                if ch == "F":
                    self.format = arg
            elif ch == "r":
                refine_low = int32(strtoul(arg)[0])
                if not refine_low:
                    self.fatal(f"Invalid refineLow value: {arg}\n")
            elif ch == "R":
                refine = int32(strtoul(arg)[0])
                if not refine:
                    self.fatal(f"Invalid refine length: {arg}\n")
            elif ch == "l":
                self.name = arg
            elif ch == "L":
                self.maxdepth = strtoul(arg)[0] & 0xFFFFFFFF
                if self.maxdepth < 1:
                    self.fatal(f"Invalid maximum recursion (-L): {arg}\n")
            elif ch == "m":
                maxlen_opt = strtoul(arg)[0]
                if not maxlen_opt:
                    self.fatal(f"Invalid maxlen (-m): {arg}\n")
            elif ch == "M":
                self.match = parse_match(arg)
            elif ch == "p":
                self.special = True
            elif ch == "s":
                self.sequence = True
            elif ch == "S":
                self.sources_opt = arg
            elif ch == "W":
                m = re.match(r"[ \t\n\v\f\r]*[+-]?\d+", arg)
                self.aswidth = int32(int(m.group(0))) if m else 0
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
        check_generation(vendor, generation, self.family, aggregate, refine, refine_low, self.sequence)
        if refine_low and not refine:
            refine = WIDTH[self.family]
        if refine_low and refine_low > refine:
            self.fatal(f"Incompatible values for -r {refine_low & 0xFFFFFFFF} and -R {refine & 0xFFFFFFFF}\n")
        if refine or refine_low:
            check_refine(vendor, generation, self.family, refine, refine_low)
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

    def _objects(self, operands: list[str]) -> None:
        """The object arguments: sets, ASNs, prefixes, EXCEPT, SRC::NAME."""
        except_mode = False
        for text in operands:
            obj = text
            if "::" in text:
                self.usesource = True
                obj = name_of(text)
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
        value, rest = strtoul(text[2:])
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
            name = name_of(text)
            if not self.maxdepth and not self.stoplist:
                if self.usesource:
                    self._pipeline("!s" + (source_of(text) or default))
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
                name = name_of(text)
                if self.usesource:
                    source = source_of(text)
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
                    self._pipeline("!s" + (source_of(token) or self.default_sources))
                self._pipeline("!i" + name_of(token), self._member_limited, depth + 1)
        elif upper.startswith("AS"):
            if upper not in self.stoplist:
                self._add_as(token)
        elif upper != "ANY":
            self.error(f"unexpected object '{token}' in expanded_macro_limit (in response to {query}\n)\n")

    # -- printer.c -----------------------------------------------------------------------------------
    def _print(self, vendor: str, generation: int) -> None:
        opts = formats.Options(name=self.name, sequence=self.sequence, asnumber=self.asnumber,
                               aswidth=self.aswidth, match=self.match, format=self.format, stderr=self.stderr)
        try:
            text = print_generation(GENERATION_NAMES[generation], vendor, self.family, self.entries, self.asns, opts)
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
