"""Router filters from the registry, as bgpq4 1.16 generates them (spec bgpq4.md).

`generate(view, argv)` runs bgpq4's command line against the in-memory snapshots and returns
its output and exit code; `prefix_set` and `render` are the pieces for callers that build
filters themselves (the HTTP API).
"""
from irr.filters.entries import prefix_set
from irr.filters.formats import GENERATIONS, VENDORS, FormatError, Options
from irr.filters.generate import Bgpq4, generate
from irr.filters.prefixes import Entry, PrefixTree, is_special_asn
from irr.filters.render import render

__all__ = ["GENERATIONS", "VENDORS", "Bgpq4", "Entry", "FormatError", "Options", "PrefixTree", "generate",
           "is_special_asn", "prefix_set", "render"]
