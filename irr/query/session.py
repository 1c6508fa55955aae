"""Per-connection state, shared by the IRRd-style and the RIPE-style query languages."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Session:
    sources: list[str]                   # selected sources, priority order (`!s`, `-s`, `-a`)
    all_sources: list[str]               # every source the server knows (configured order, then the rest)
    authoritative: frozenset[str] = frozenset()
    keepalive: bool = False              # `!!` / `-k`: more than one query per connection
    client: str | None = None            # `!n` / `-V`
    timeout: int = 30                    # idle timeout in seconds (`!t`)
    excludes: list[str] = field(default_factory=list)        # `!e`: sets not expanded
    filters_disabled: set[str] = field(default_factory=set)  # `!fno-...`
    peer: str = ""
    mirrorable: frozenset[str] = frozenset()  # sources this client may mirror over NRTMv3
    default_sources: list[str] = field(default_factory=list)  # configured source_order (empty: all)

    def defaults(self) -> list[str]:
        """What `-a` returns to and `!j-*` lists, as IRRd: the configured default sources, else all."""
        return list(self.default_sources or self.all_sources)
