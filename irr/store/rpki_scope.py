"""ROAs and the NIR scope rows, and the RPKI/scope state they give objects."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import CIDR, INET, insert
from sqlalchemy.engine import Connection, Engine

from irr.store.models import (
    ROUTE_CLASSES,
    SCOPE_CLASSES,
    ObjectRow,
    RoaRow,
    ScopeRow,
    SourceRow,
    _ident,
    _notify,
)
from irr.store.rov import RoaIndex


class RpkiScope:
    """Part of irr.store.Store: rOAs and the NIR scope rows, and the RPKI/scope state they give objects."""

    engine: Engine

    def roas_loaded(self, conn: Connection) -> bool:
        """Are there ROAs at all? (Without them every route's state is unknown, not not_found.)"""
        return conn.execute(select(sa.literal(1)).select_from(RoaRow).limit(1)).first() is not None

    def replace_roas(self, roas, journal_sources: frozenset[str] = frozenset()) -> list[dict]:
        """Replace the ROA set and validate every route again, in one transaction. Routes whose
        state moves into or out of `invalid` get a journal entry in the sources listed in
        `journal_sources` (DEL when they vanish from filters, ADD when they come back), so mirrors
        see them go and return. Returns the transitions (source, object_class, pk, old, new, text)."""
        with self.engine.begin() as conn:
            conn.execute(sa.text("LOCK TABLE roas IN EXCLUSIVE MODE"))
            conn.execute(sa.text("TRUNCATE roas"))
            # a bulk index build after the COPY is several times faster than updating it row by row
            conn.execute(sa.text("DROP INDEX IF EXISTS roas_prefix"))
            conn.execute(sa.text("DROP INDEX IF EXISTS roas_prefix_exact"))
            raw = conn.connection.dbapi_connection
            with raw.cursor() as cur, cur.copy("COPY roas (prefix, max_length, asn, trust_anchor) FROM STDIN") as copy:
                for roa in roas:
                    copy.write_row((roa.prefix, roa.max_length, roa.asn, roa.trust_anchor))
            conn.execute(sa.text("CREATE INDEX roas_prefix ON roas USING gist (prefix inet_ops)"))
            conn.execute(sa.text("CREATE INDEX roas_prefix_exact ON roas (prefix)"))
            rows = [(r.prefix, r.max_length, r.asn) for r in roas]
            transitions = self._revalidate(conn, "rpsl_objects", rows if rows else None)
            moves = [t for t in transitions if (t["old"] == "invalid") != (t["new"] == "invalid")
                     and t["source"] in journal_sources]
            self._journal_only(conn, [(t["source"], "DEL" if t["new"] == "invalid" else "ADD", t["object_class"],
                                       t["pk"], t["text"]) for t in moves], origin="rpki")
            self._bump_visibility(conn, {t["source"] for t in transitions})
        return transitions

    def _bump_visibility(self, conn: Connection, sources: set[str]) -> None:
        """Objects of these sources were hidden or shown without (necessarily) a new serial: a new
        data version, so query processes reload them and filter ETags change; then NOTIFY."""
        if sources:
            conn.execute(sa.update(SourceRow).where(SourceRow.name.in_(sorted(sources))).values(
                visibility_version=SourceRow.visibility_version + 1))
        for source in sources:
            _notify(conn, source)

    def _revalidate(self, conn: Connection, table: str, roas) -> list[dict]:
        """Set the RPKI state of every route in `table` (the objects, or a load's staging table):
        computed in memory (irr.store.rov: one dictionary lookup per ROA prefix length), written
        back through a temporary table. `roas`: (prefix, max length, asn) rows, or None when there
        are no ROAs (state unknown). Returns the routes whose state changed."""
        index = RoaIndex((r[0], r[1], r[2]) for r in roas) if roas is not None else None
        quoted = _ident(conn, table)
        rows = conn.execute(sa.text(f"SELECT source, object_class, pk, prefix::text, origin, rpki_status "
                                    f"FROM {quoted} WHERE object_class IN ('route', 'route6')")).all()
        changes = []
        for source, object_class, pk, prefix, origin, old in rows:
            new = index.state(prefix, origin) if index is not None else None
            if new != old:
                changes.append((source, object_class, pk, old, new))
        if not changes:
            return []
        conn.execute(sa.text("CREATE TEMPORARY TABLE IF NOT EXISTS rov_changes (source text, object_class text, "
                             "pk text, status text) ON COMMIT DROP"))
        conn.execute(sa.text("TRUNCATE rov_changes"))
        raw = conn.connection.dbapi_connection
        with raw.cursor() as cur, cur.copy("COPY rov_changes (source, object_class, pk, status) FROM STDIN") as copy:
            for source, object_class, pk, _old, new in changes:
                copy.write_row((source, object_class, pk, new))
        updated = conn.execute(sa.text(
            f"UPDATE {quoted} o SET rpki_status = c.status FROM rov_changes c WHERE o.source = c.source "
            "AND o.object_class = c.object_class AND o.pk = c.pk RETURNING o.source, o.object_class, o.pk, "
            "o.object_text")).all()
        olds = {(c[0], c[1], c[2]): (c[3], c[4]) for c in changes}
        return [{"source": r[0], "object_class": r[1], "pk": r[2], "old": olds[(r[0], r[1], r[2])][0],
                 "new": olds[(r[0], r[1], r[2])][1], "text": r[3]} for r in updated]

    def replace_scope(self, entries) -> int:
        """Replace the NIR's scope and judge every address and AS number object again (one
        transaction); returns how many objects changed state."""
        with self.engine.begin() as conn:
            conn.execute(sa.text("LOCK TABLE scope IN EXCLUSIVE MODE"))
            conn.execute(sa.delete(ScopeRow))
            if entries:
                conn.execute(insert(ScopeRow), [{"first_address": e.first_address, "last_address": e.last_address,
                                                 "asn_first": e.asn_first, "asn_last": e.asn_last,
                                                 "origin": e.origin} for e in entries])
            new = func.scope_state(ObjectRow.ip_first, ObjectRow.ip_last, ObjectRow.asn_first, ObjectRow.asn_last)
            moved = conn.execute(sa.update(ObjectRow).where(
                ObjectRow.object_class.in_(SCOPE_CLASSES), ObjectRow.scope_status.is_distinct_from(new)).values(
                scope_status=new).returning(ObjectRow.source)).scalars().all()
            self._bump_visibility(conn, set(moved))
        return len(moved)

    def scope_of(self, first: str | None, last: str | None, asn_first: int | None, asn_last: int | None,
                 conn: Connection | None = None) -> str | None:
        """in / out / None (no scope configured) for an address range or AS number range."""
        if conn is None:
            with self.engine.connect() as c:
                return self.scope_of(first, last, asn_first, asn_last, c)
        return conn.execute(select(func.scope_state(sa.cast(first, INET), sa.cast(last, INET), asn_first,
                                                    asn_last))).scalar()

    def rov(self, prefix: str, origin: int, conn: Connection | None = None) -> tuple[str | None, list[RoaRow]]:
        """(state, covering ROAs) of one route; state None when no ROAs are loaded."""
        if conn is None:
            with self.engine.connect() as c:
                return self.rov(prefix, origin, c)
        if not self.roas_loaded(conn):
            return None, []
        state = conn.execute(select(func.rov_state(sa.cast(prefix, CIDR), origin))).scalar()
        covering = conn.execute(select(RoaRow.prefix, RoaRow.max_length, RoaRow.asn, RoaRow.trust_anchor).where(
            RoaRow.prefix.op(">>=")(sa.cast(prefix, CIDR))).order_by(RoaRow.prefix, RoaRow.asn)).all()
        return state, list(covering)

    def roa_count(self) -> int:
        with self.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(RoaRow)).scalar_one()

    def security_summary(self) -> dict:
        """ROAs and scope entries loaded; per source, route objects by RPKI state and objects out
        of scope. What the status page and `irr status` show."""
        with self.engine.connect() as conn:
            roas = conn.execute(select(func.count()).select_from(RoaRow)).scalar_one()
            scope = conn.execute(select(func.count()).select_from(ScopeRow)).scalar_one()
            rpki: dict[str, dict[str, int]] = {}
            for source, state, n in conn.execute(select(ObjectRow.source, ObjectRow.rpki_status, func.count()).where(
                    ObjectRow.object_class.in_(ROUTE_CLASSES)).group_by(ObjectRow.source, ObjectRow.rpki_status)):
                rpki.setdefault(source, {})[state or "unknown"] = n
            out_of_scope = dict(conn.execute(select(ObjectRow.source, func.count()).where(
                ObjectRow.scope_status == "out").group_by(ObjectRow.source)).all())
        return {"roas": roas, "scope_entries": scope, "rpki": rpki, "out_of_scope": out_of_scope}
