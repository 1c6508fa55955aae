"""Routing hygiene reports: for each member of the registry (an organisation or a maintainer,
through its allocations and AS numbers), every prefix it holds or announces, judged against the
BGP table (irr.bgp), the route objects of every source and the ROAs, with one verdict and its fix
per (prefix, origin); registry-wide counts kept per day; lookups of what a user types in."""
