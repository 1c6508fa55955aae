"""Our whois server's side of bgpq4's conversation (irr.filters.generate): the `!` queries bgpq4
sends, answered from the registry's snapshots as irr.query.irrd answers them, without a socket.
Prefixes the snapshots hold as plain canonical text come back as integer keys (code "K"), which
bgpq4's prefix tree takes without parsing them again."""
from __future__ import annotations

from collections.abc import Mapping

from irr.filters.prefixes import origin_keys
from irr.query import sets
from irr.query.irrd import QueryError, parse_asn
from rpsl import keys


class RegistryServer:
    """The answers of one bgpq4 run: `queries` lists what it asked, in order."""

    def __init__(self, view: sets.View, sources: Mapping | None = None, raise_limits: bool = True):
        self.view = view
        self.raise_limits = raise_limits
        # every source the "server" knows (`!s` may select any), and its default selection
        self.universe = dict(sources) if sources is not None else {s.source: s for s in view.snapshots}
        self.current = [s.source for s in view.snapshots]
        self._views: dict[tuple[str, ...], sets.View] = {}
        self.queries: list[str] = []

    def send(self, query: str) -> tuple[str, list[str] | str]:
        """(code, data) of our whois server's answer: A with its data, C, D, F with its line."""
        self.queries.append(query)
        command, parameter = query[1:2], query[2:]
        try:
            if command in ("!", "n", "q"):
                return "C", ""
            if command == "s":
                return self._select(parameter)
            view = self._current_view()
            if command == "a":
                version = None
                if parameter[:1] in ("4", "6"):
                    version, parameter = int(parameter[0]), parameter[1:]
                if not parameter:
                    return "F", "F Missing required set name for A query"
                name = keys.name(parameter)
                hit = view.find(name)
                if version is not None and hit is not None and hit[1].object_class == "as-set":
                    found = self._origins(view, sets.resolve_as_set(view, name) or (), version, name)
                    if found is not None:
                        return found
                return self._found(sets.resolve_prefixes(view, name, version))
            if command == "i":
                if not parameter:
                    return "F", "F Missing parameter for i query"
                recursive = parameter.endswith(",1")
                name = keys.name(parameter[:-2] if recursive else parameter)
                if not recursive:
                    return self._found(sorted(sets.direct_members(view, name) or ()))
                hit = view.find(name)
                if hit is None:
                    return "D", ""
                if hit[1].object_class == "route-set":  # as the whois server: sorted as text
                    return self._found(sets.member_order(sets.resolve_route_set(view, name) or ()))
                return self._found(sets.member_order(sets.resolve_as_set(view, name) or ()))
            if command in ("g", "6"):
                asn, version = parse_asn(parameter), 4 if command == "g" else 6
                return self._origins(view, (f"AS{asn}",), version) or self._found(view.prefixes(asn, version))
        except QueryError as e:
            return "F", f"F {e}"
        except sets.SetLimitError as e:
            if self.raise_limits:
                raise
            return "F", f"F Set too large to resolve: {e}"
        return "F", f"F Unrecognised command: {command}"

    @staticmethod
    def _origins(view: sets.View, asns, version: int, name: str | None = None) -> tuple[str, set[int] | str] | None:
        """What `!a<v><as-set>` and `!g`/`!6` answer (the prefixes the ASes originate in the
        selected sources), straight as keys: ("K", keys), or D; None to take the text path."""
        out: set[int] = set()
        for asn in asns:
            number = int(asn[2:])
            for snapshot in view.snapshots:
                found = origin_keys(snapshot, number, version)
                if found is None:
                    return None
                out.update(found)
            if name is not None and len(out) > view.limits.max_size:
                raise sets.SetLimitError(f"{name}: more than {view.limits.max_size} prefixes")
        return ("K", out) if out else ("D", "")

    @staticmethod
    def _found(items) -> tuple[str, list[str] | str]:
        """The server's `found`: its data (kept as a list: the tokens bgpq4 would split it
        into), or D when there is none."""
        return ("A", items) if items else ("D", "")

    def _select(self, parameter: str) -> tuple[str, str]:
        if parameter == "-lc":
            return ("A", ",".join(self.current)) if self.current else ("C", "")
        if not parameter:
            return "F", "F Missing parameter for s query"
        wanted = [s.strip().upper() for s in parameter.split(",") if s.strip()]
        if not wanted or any(s not in self.universe for s in wanted):
            return "F", "F One or more selected sources are unavailable."
        self.current = wanted
        return "C", ""

    def _current_view(self) -> sets.View:
        key = tuple(self.current)
        view = self._views.get(key)
        if view is None:
            view = sets.View([self.universe[s] for s in key], self.view.limits)
            self._views[key] = view
        return view
