"""One entry point to bgpq4's printers: a generation's name picks its printer (prefix lists in
irr.filters.formats, AS-path lists and AS sets in irr.filters.as_path_formats)."""
from __future__ import annotations

from collections.abc import Sequence

from irr.filters import as_path_formats, formats
from irr.filters.formats import GENERATIONS, Options
from irr.filters.prefixes import Entry

_PREFIX_PRINTERS = {"prefix-list": formats.render_prefix_list, "eacl": formats.render_eacl,
                    "route-filter-list": formats.render_route_filter_list}
_AS_PRINTERS = {"as-path": as_path_formats.render_as_path, "output-as-path": as_path_formats.render_output_as_path,
                "as-list": as_path_formats.render_as_list, "as-set": as_path_formats.render_as_set}


def print_generation(fmt: str, vendor: str, family: int, entries: Sequence[Entry], asns: Sequence[int],
                     opts: Options) -> str:
    """What bgpq4 prints for generation `fmt` (one of GENERATIONS): `entries` for the prefix
    generations, `asns` (sorted, each once) for the others."""
    if fmt in _PREFIX_PRINTERS:
        return _PREFIX_PRINTERS[fmt](vendor, family, entries, opts)
    if fmt in _AS_PRINTERS:
        return _AS_PRINTERS[fmt](vendor, asns, opts)
    raise ValueError(f"unknown format {fmt!r}: one of {', '.join(GENERATIONS)}")


def render(fmt: str, *, vendor: str = "cisco", family: int = 4, entries: Sequence[Entry] = (),
           asns: Sequence[int] = (), **options) -> str:
    """Render `entries` (prefix generations) or `asns` (AS generations) in one of GENERATIONS for
    one of VENDORS, as bgpq4 prints them; `options` are Options fields (name, asnumber ...)."""
    return print_generation(fmt, vendor, family, entries, sorted(set(asns)), Options(**options))
