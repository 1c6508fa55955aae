"""bgpq4 1.16's command line as it reads it (irr.filters.generate): glibc's getopt with argument
permutation, strtoul and int conversions, `SRC::NAME` objects, and its usage text, byte for byte."""
from __future__ import annotations

import re
from collections.abc import Sequence

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



def strtoul(text: str) -> tuple[int, str]:
    """C strtoul(text, &end, 10) on a 64-bit machine: (value, the rest)."""
    m = re.match(r"[ \t\n\v\f\r]*([+-]?)(\d+)", text)
    if not m:
        return 0, text
    value = min(int(m.group(2)), 2**64 - 1)
    if m.group(1) == "-":
        value = (-value) % 2**64
    return value, text[m.end():]


def int32(value: int) -> int:
    """An unsigned long stored into a C int."""
    value &= 0xFFFFFFFF
    return value - 2**32 if value >= 2**31 else value


def getopt(argv: Sequence[str], optstring: str, operands: list[str]):
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


def source_of(text: str) -> str | None:
    """bgpq_get_source: `SRC` of `SRC::NAME`."""
    d = text.find("::")
    return text[:d] if d >= 0 else None


def name_of(text: str) -> str:
    """bgpq_get_asset / bgpq_get_rset: `NAME` of `SRC::NAME`."""
    d = text.find("::")
    return text[d + 2:] if d >= 0 else text
