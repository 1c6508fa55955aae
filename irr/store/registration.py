"""Read queries of the registration data service (RDAP, irr.rdap): child networks, name and handle
searches, and when objects were registered and last changed according to the journal.

They add to `Lookups` (same bounds: each statement in its own transaction under the statement
timeout, at most `max_rows` objects) what whois never needed.
"""
from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import psycopg.errors
import sqlalchemy as sa
from sqlalchemy import and_, cast, func, not_, or_, select
from sqlalchemy.dialects.postgresql import CIDR, INET
from sqlalchemy.exc import OperationalError

from irr.store import JournalEntry, ObjectRow
from irr.store.lookups import Lookups, LookupTimeout, Obj, Objects, _array, address_key

# A search term: the primary key, an indexed lookup attribute (`lookup:netname`), or an attribute
# matched in the object text (`text:as-name`, for attributes that have no index entry).
PK = "pk"


@dataclass(frozen=True)
class JournalTimes:
    """When the journal saw an object registered (its first ADD since its last deletion) and last
    changed (its newest ADD)."""

    registered: dt.datetime | None
    changed: dt.datetime | None


def like_escape(text: str) -> str:
    """`text` as a literal inside a LIKE pattern (backslash is LIKE's default escape)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def regex_escape(text: str) -> str:
    """`text` as a literal inside a PostgreSQL regular expression (every non-alphanumeric escaped)."""
    return "".join(c if c.isalnum() else "\\" + c for c in text)


BYTE_ORDER_COLLATIONS = frozenset(("C", "POSIX", "C.UTF-8", "C.utf8", "ucs_basic", "pg_c_utf8"))


class RegistrationLookups(Lookups):
    """Lookups plus the queries RDAP needs."""

    byte_order: bool = False  # the database sorts text by code point (set by snapshot)
    _collation: str | None = None

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[RegistrationLookups]:
        """These lookups on one connection in one read-only transaction (one statement timeout
        setting, one consistent view): the several reads of one answer cost one round trip each."""
        if self.conn is not None:
            yield self
            return
        with self.engine.connect() as conn:
            if self._collation is None:
                self._collation = conn.execute(sa.text(
                    "SELECT datcollate FROM pg_database WHERE datname = current_database()")).scalar() or ""
            conn.execute(select(func.set_config("statement_timeout", str(self.statement_timeout_ms), True)))
            try:
                inner = RegistrationLookups(self.engine, self.statement_timeout_ms, self.max_rows, conn=conn,
                                            rpki_filter=self.rpki_filter, scope_hidden=self.scope_hidden)
                inner.byte_order = self._collation in BYTE_ORDER_COLLATIONS
                yield inner
            except OperationalError as e:
                if isinstance(e.orig, psycopg.errors.QueryCanceled):
                    raise LookupTimeout(f"query cancelled after {self.statement_timeout_ms / 1000:g} s") from None
                raise
            finally:
                conn.rollback()

    def children(self, sources: Sequence[str], key: str, classes: Sequence[str]) -> Objects:
        """The networks directly below `key` (an address range or prefix): objects inside it, not
        equal to it, and not inside another such object. One object per range (the first source
        in `sources` order), ordered by address.

        One pass over the networks inside `key`: in address order (outermost first among equal
        starts), a network is directly below when it ends after every network before it."""
        k = address_key(key)
        upper = [s.upper() for s in sources]
        rank = func.array_position(_array(upper), ObjectRow.source)
        inside = (self._base(sources, classes)
                  .where(ObjectRow.prefix.op("<<=")(cast(k.prefix, CIDR)), ObjectRow.ip_first >= cast(k.first, INET),
                         ObjectRow.ip_last <= cast(k.last, INET),
                         not_(and_(ObjectRow.ip_first == cast(k.first, INET), ObjectRow.ip_last == cast(k.last, INET))))
                  .distinct(ObjectRow.ip_first, ObjectRow.ip_last)
                  .order_by(ObjectRow.ip_first, ObjectRow.ip_last.desc(), rank)).subquery("inside")
        above = func.max(inside.c.ip_last).over(order_by=(inside.c.ip_first, inside.c.ip_last.desc()),
                                                rows=(None, -1))
        ranked = select(*inside.c, above.label("above")).subquery("ranked")
        stmt = (select(*[c for c in ranked.c if c.name != "above"])
                .where(or_(ranked.c.above.is_(None), ranked.c.above < ranked.c.ip_last))
                .order_by(ranked.c.ip_first).limit(self.max_rows + 1))
        return self._objects(self._execute(stmt))

    def search(self, sources: Sequence[str], classes: Sequence[str], terms: Sequence[str], value: str,
               prefix: bool) -> Objects:
        """Objects of `classes` whose term (PK, `lookup:<attribute>` or `text:<attribute>`) equals
        `value`, or starts with it when `prefix`; compared upper case with blanks collapsed, as
        keys and lookup entries are stored. Ordered by source priority, then key."""
        value = " ".join(value.split()).upper()
        conditions = []
        for term in terms:
            if term == PK and prefix:
                condition = ObjectRow.pk.like(like_escape(value) + "%")
                if self.byte_order and value and value[-1] < "\U0010ffff":
                    # the index on pk serves a prefix as a range when text sorts by code point
                    condition = and_(ObjectRow.pk >= value, ObjectRow.pk < value[:-1] + chr(ord(value[-1]) + 1),
                                     condition)
                conditions.append(condition)
            elif term == PK:
                conditions.append(ObjectRow.pk == value)
            elif term.startswith("lookup:"):
                token = f"{term[7:]}={value}"
                if prefix:
                    k = func.unnest(ObjectRow.lookup_keys).column_valued("k")
                    conditions.append(select(k).where(k.like(like_escape(token) + "%")).exists())
                else:
                    conditions.append(ObjectRow.lookup_keys.op("&&")(_array([token])))
            elif term.startswith("text:"):
                end = "" if prefix else r"[ \t]*(#|$)"
                pattern = rf"(?n)^{regex_escape(term[5:])}:[ \t]*{regex_escape(value)}{end}"
                conditions.append(ObjectRow.object_text.op("~*")(pattern))
            else:
                raise ValueError(f"unknown search term {term!r}")
        if not conditions:
            return Objects()
        return self._run(self._base(sources, classes).where(or_(*conditions)), sources, classes, ObjectRow.pk,
                         class_first=False)

    def journal_times(self, objects: Sequence[Obj]) -> dict[tuple[str, str, str], JournalTimes]:
        """Registration and last change of each object from the journal (absent: no entries)."""
        keys = list(dict.fromkeys((o.source, o.object_class, o.pk) for o in objects))
        if not keys:
            return {}
        j = JournalEntry
        entries = select(j.source, j.object_class, j.pk, j.serial, j.operation, j.created).where(
            sa.tuple_(j.source, j.object_class, j.pk).in_(keys)).cte("entries")
        key = (entries.c.source, entries.c.object_class, entries.c.pk)
        deleted = select(*key, func.max(entries.c.serial).label("serial")).where(
            entries.c.operation == "DEL").group_by(*key).cte("deleted")
        since = sa.func.coalesce(deleted.c.serial, -1)
        added = entries.c.operation == "ADD"
        stmt = select(*key,
                      func.min(entries.c.created).filter(and_(added, entries.c.serial > since)),
                      func.max(entries.c.created).filter(added)).select_from(
            entries.outerjoin(deleted, and_(deleted.c.source == entries.c.source,
                                            deleted.c.object_class == entries.c.object_class,
                                            deleted.c.pk == entries.c.pk))).group_by(*key)
        return {(r[0], r[1], r[2]): JournalTimes(r[3], r[4]) for r in self._execute(stmt)}

    def _objects(self, rows: list) -> Objects:
        out = Objects(Obj(r.source, r.object_class, r.pk, r.object_text, tuple(r.lookup_keys or ()), r.rpki_status)
                      for r in rows[: self.max_rows])
        out.truncated = len(rows) > self.max_rows
        return out

