"""Registry-wide network jobs: fetch what the registry's judgement needs and hand it to the domain
(the NIR's scope from the RIR's delegated statistics: irr.scope; the store judges every object)."""
from __future__ import annotations

from irr.config import Config
from irr.scope.resources import configured, merged, parse_delegated
from mirror.download import fetch


def load_scope(config: Config, store) -> str:
    """Fetch the delegation statistics (if configured), add the configured resources, store them."""
    entries = configured(config.scope_prefixes, config.scope_asns)
    if config.scope_delegated_url:
        text = fetch(config.scope_delegated_url).decode("utf-8", "replace")
        delegated = parse_delegated(text, config.scope_country, config.scope_registry)
        if not delegated:
            raise ValueError(f"{config.scope_delegated_url}: no allocated or assigned resource for "
                             f"{config.scope_country or config.scope_registry}: scope not changed")
        entries += delegated
    ranges = merged(entries)
    changed = store.replace_scope(ranges)
    return f"scope: {len(ranges)} ranges ({len(entries)} entries); {changed} objects changed state"
