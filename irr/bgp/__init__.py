"""What is announced in BGP: a routing table read from an MRT RIB dump (RIPE RIS `bview`,
RouteViews `rib`), from Debian's `bgpdump -m` text or from a prefix-to-origin table (CAIDA
pfx2as style), reduced to (prefix, origin AS, peers that saw it) and kept in the store for the
routing hygiene reports (irr.reports)."""
from irr.bgp.load import load_bgp
from irr.bgp.tables import BgpTable, BgpTableError, read_table

__all__ = ["BgpTable", "BgpTableError", "load_bgp", "read_table"]
