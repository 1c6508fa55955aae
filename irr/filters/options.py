"""Friendly export options (format names, address family ...) as bgpq4 arguments, shared by the
`irr export` command and the HTTP filters API, so both produce exactly what bgpq4 would."""
from __future__ import annotations

# format name -> bgpq4 flags (bgpq4 1.16's own names in the comments)
FORMATS: dict[str, list[str]] = {
    "cisco": [],                          # Cisco IOS prefix-list (default)
    "cisco-xr": ["-X"],                   # Cisco IOS XR prefix-set
    "juniper": ["-J"],                    # Juniper prefix-list
    "juniper-route-filter": ["-J", "-E"],  # Juniper route-filter (policy term)
    "juniper-route-filter-list": ["-J", "-z"],
    "bird": ["-b"],
    "openbgpd": ["-B"],
    "json": ["-j"],
    "nokia": ["-n"],                      # Nokia SR OS MD-CLI
    "nokia-classic": ["-N"],              # Nokia SR OS classic CLI
    "srlinux": ["-n2"],                   # Nokia SR Linux
    "arista": ["-e"],                     # Arista EOS
    "mikrotik": ["-K"],                   # MikroTik RouterOS v6
    "mikrotik7": ["-K7"],                 # MikroTik RouterOS v7
    "huawei": ["-U"],
    "huawei-xpl": ["-u"],
}
AS_PATH_FORMATS: dict[str, list[str]] = {"cisco": [], "juniper": ["-J"], "bird": ["-b"], "openbgpd": ["-B"],
                                         "json": ["-j"], "nokia": ["-n"], "nokia-classic": ["-N"],
                                         "arista": ["-e"], "huawei": ["-U"]}


class OptionError(ValueError):
    """An option can't be turned into bgpq4 arguments; the message says why."""


def prefix_set_args(objects: list[str], fmt: str = "cisco", family: int = 4, aggregate: bool = False,
                    name: str | None = None, max_length: int | None = None) -> list[str]:
    if fmt not in FORMATS:
        raise OptionError(f"unknown format {fmt!r} (known: {', '.join(FORMATS)})")
    if family not in (4, 6):
        raise OptionError("the address family is 4 or 6")
    if not objects:
        raise OptionError("name at least one as-set, route-set, AS number or prefix")
    args = ["-6"] if family == 6 else ["-4"]
    args += FORMATS[fmt]
    if aggregate:
        args.append("-A")
    if max_length is not None:
        args += ["-m", str(int(max_length))]
    if name:
        args += ["-l", name]
    return [*args, "--", *objects]  # "--": an object can never be read as an option


def as_path_args(objects: list[str], asn: int, fmt: str = "cisco", name: str | None = None) -> list[str]:
    if fmt not in AS_PATH_FORMATS:
        raise OptionError(f"unknown as-path format {fmt!r} (known: {', '.join(AS_PATH_FORMATS)})")
    if not objects:
        raise OptionError("name at least one as-set or AS number")
    args = [*AS_PATH_FORMATS[fmt], "-f", str(int(asn))]
    if name:
        args += ["-l", name]
    return [*args, "--", *objects]
