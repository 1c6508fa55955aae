"""The NIR's scope: which address space and AS numbers it holds (not RPKI: a registry fact)."""
