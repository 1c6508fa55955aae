"""Read queries for whois and the web UI: exact keys, inverse keys, address hierarchies, as-blocks.

Every statement is a SQLAlchemy `select()` with bound parameters, written so that PostgreSQL can
use the indexes of 0001_initial: the unique btree on (pk, object_class, source) for keys, the GIN
index on lookup_keys (`@>` / `&&`), the GiST inet_ops index on prefix (`=`, `>>=`, `<<=`), the btree
on origin and on (asn_first, asn_last). Each query runs in its own transaction under a statement
timeout (SET LOCAL, so it never sticks to a pooled connection) and answers at most `max_rows`
objects (`Objects.truncated` says when it was cut).

Results are ordered by source priority (the order of `sources`), then class order (the order of
`classes` when given, else the schema's), then a per-query order (address, key); by_keys puts the
order of its keys before the class order.
"""
from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import psycopg.errors
import sqlalchemy as sa
from sqlalchemy import Select, and_, any_, cast, func, literal, or_, select
from sqlalchemy.dialects.postgresql import ARRAY, CIDR, INET
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError

from irr.store import VISIBLE, ObjectRow, in_scope_or_shown
from rpsl import keys
from rpsl.errors import ValueSyntaxError
from rpsl.objects import index_tokens
from rpsl.output import mask_hashes
from rpsl.schema import CLASSES

SCHEMA_ORDER: tuple[str, ...] = tuple(c.name for c in CLASSES)
ADDRESS_CLASSES: tuple[str, ...] = ("inetnum", "inet6num", "route", "route6")
ROUTE_CLASSES: tuple[str, ...] = ("route", "route6")
CONTACT_CLASSES: tuple[str, ...] = ("person", "role")
MODES = ("exact", "less-one", "less", "more", "more-one", "most-specific")
# IRRd 4.5 orders RIPE-style answers by first address, then AS number (a route's origin), then
# primary key, across sources (irrd/storage/queries.py finalise_statement; NULLs last).
IRRD_ORDER = (ObjectRow.ip_first.asc().nulls_last(),
              func.coalesce(ObjectRow.asn_first, ObjectRow.origin).asc().nulls_last(), ObjectRow.pk.asc())
# Inverse attributes that are part of a primary key are not in lookup_keys (rpsl.objects skips
# key attributes); they have a column of their own.
KEY_COLUMNS = {"origin": ObjectRow.origin}

_TEXT_ARRAY = ARRAY(sa.Text)
_V4_RANGE = re.compile(r"^\s*([0-9.]+)\s*-\s*([0-9.]+)\s*$")


@dataclass(frozen=True)
class Obj:
    """One object as stored (callers mask password hashes before output)."""

    source: str
    object_class: str
    pk: str
    text: str
    # The object's `attr=VALUE` index entries: lets callers follow references (admin-c, ...)
    # without parsing the text.
    lookup_keys: tuple[str, ...] = field(default=(), compare=False, repr=False)
    rpki_status: str | None = field(default=None, compare=False)  # routes, once ROAs are loaded

    def whois_text(self) -> str:
        """The text whois answers show: hashes masked and, for a route validated against ROAs,
        IRRd's `rpki-ov-state:` line."""
        text = mask_hashes(self.text)
        if self.rpki_status is None or self.object_class not in ("route", "route6"):
            return text
        comment = " # No ROAs found, or RPKI validation not enabled for source" \
            if self.rpki_status == "not_found" else ""
        return f"{text.rstrip(chr(10))}\nrpki-ov-state:  {self.rpki_status}{comment}\n"

    def values(self, attribute: str) -> list[str]:
        """Indexed values of a lookup/inverse attribute (upper case, as in lookup_keys)."""
        prefix = attribute + "="
        return [k[len(prefix):] for k in self.lookup_keys if k.startswith(prefix)]


class Objects(list[Obj]):
    """A list of objects; `truncated` is set when more than `max_rows` matched."""

    truncated: bool = False


class LookupTimeout(Exception):
    """The statement timeout cancelled a query."""


@dataclass(frozen=True)
class AddressKey:
    """An address query key: IP version, first and last address, and the smallest prefix covering
    them (what the GiST index on `prefix` is searched with)."""

    version: int
    first: str
    last: str
    prefix: str
    exact_prefix: bool  # the key is a prefix (or single address), not an arbitrary range


def _addr(version: int, n: int) -> str:
    return keys.v4_str(n) if version == 4 else str(ipaddress.IPv6Address(n))


def address_key(key: str) -> AddressKey:
    """Parse an IPv4/IPv6 address, prefix or IPv4 range `a - b`; raises ValueSyntaxError."""
    text = key.strip()
    if _V4_RANGE.match(text):
        first, last, _ = keys.inetnum(text)
        version = 4
    elif "/" in text:
        version, first, length, _ = keys.prefix(text)
        last = keys.last_address(version, first, length)
    else:
        version, first, _ = keys.address(text)
        last = first
    net, length = keys.covering_prefix(version, first, last)
    return AddressKey(version, _addr(version, first), _addr(version, last), f"{_addr(version, net)}/{length}",
                      keys.last_address(version, net, length) == last and net == first)


def canonical_key(object_class: str, key: str) -> str:
    """A primary key as stored (upper case, canonical address/AS syntax), for exact lookups.

    route/route6 keys may be written `prefix AS1`, `prefix-AS1` or `prefixAS1` (as IRRd's !m
    accepts); keys that don't parse are returned upper-cased."""
    text = key.strip()
    try:
        if object_class in ROUTE_CLASSES:
            compact = text.upper().replace(" ", "")
            m = re.fullmatch(r"(.+?)-?(AS[0-9.]+)", compact)
            if m:
                return keys.prefix(m.group(1), 4 if object_class == "route" else 6)[3].upper() + \
                    f"AS{keys.as_number(m.group(2))}"
        elif object_class == "inetnum":
            return keys.inetnum(text)[2]
        elif object_class == "inet6num":
            return keys.prefix(text, 6)[3].upper()
        elif object_class == "aut-num":
            return f"AS{keys.as_number(text)}"
        elif object_class == "as-block":
            return keys.as_range(text)[2]
        elif object_class == "domain":
            return text.upper().rstrip(".")
        else:
            return keys.name(text)
    except ValueSyntaxError:
        pass
    return text.upper()


def inverse_tokens(attribute: str, value: str) -> list[str]:
    """`attribute=VALUE` entries a value of `attribute` is indexed under, in any class."""
    out: dict[str, None] = {}
    for c in CLASSES:
        attr = c.get(attribute)
        if attr is not None and (attr.inverse or attr.lookup) and not attr.key:
            for token in index_tokens(attr, value.strip()):
                out[f"{attribute}={token}"] = None
    return list(out)


class Lookups:
    """Read queries on rpsl_objects, each bounded in time and size."""

    def __init__(self, engine: Engine, statement_timeout_ms: int = 10000, max_rows: int = 10000,
                 conn: Connection | None = None, rpki_filter: bool = True,
                 scope_hidden: frozenset[str] = frozenset()):
        self.engine = engine
        self.statement_timeout_ms = int(statement_timeout_ms)
        self.max_rows = int(max_rows)
        self.conn = conn
        self.rpki_filter = rpki_filter  # hide RPKI-invalid routes (IRRd's default; !fno-rpki-filter)
        self.scope_hidden = scope_hidden  # sources whose out-of-scope objects are hidden (!fno-scope-filter)

    def _copy(self, **changes) -> Lookups:
        values = {"conn": self.conn, "rpki_filter": self.rpki_filter, "scope_hidden": self.scope_hidden} | changes
        return Lookups(self.engine, self.statement_timeout_ms, self.max_rows, **values)

    def bound(self, conn: Connection) -> Lookups:
        """The same lookups inside an open transaction (the update pipeline reads what it locked,
        hidden objects included: their maintainers can still change or delete them)."""
        return self._copy(conn=conn, rpki_filter=False, scope_hidden=frozenset())

    def unfiltered(self) -> Lookups:
        """The same lookups showing RPKI-invalid routes and out-of-scope objects too."""
        return self._copy(rpki_filter=False, scope_hidden=frozenset())

    def for_session(self, session, disabled_here: Iterable[str] = ()) -> Lookups:
        """The lookups a whois connection sees (`!fno-rpki-filter`, `!fno-scope-filter`), and one
        query with `disabled_here` (RIPE `--no-rpki-filter`, `--no-scope-filter`)."""
        disabled = {*getattr(session, "filters_disabled", ()), *disabled_here}
        if "NO-RPKI-FILTER" in disabled or "NO-SCOPE-FILTER" in disabled:
            return self._copy(rpki_filter=self.rpki_filter and "NO-RPKI-FILTER" not in disabled,
                              scope_hidden=frozenset() if "NO-SCOPE-FILTER" in disabled else self.scope_hidden)
        return self

    # -- queries --------------------------------------------------------------------------------
    def by_key(self, sources: Sequence[str], pk: str, classes: Sequence[str] | None = None) -> Objects:
        """Objects whose primary key is exactly `pk` (compared upper case)."""
        return self.by_keys(sources, [pk], classes)

    def by_keys(self, sources: Sequence[str], pks: Sequence[str],
                classes: Sequence[str] | None = None) -> Objects:
        """Objects whose primary key is one of `pks`; ordered by source, then `pks` order (e.g. the
        order references were found in), then class."""
        upper = list(dict.fromkeys(p.upper() for p in pks))
        if not upper:
            return Objects()
        stmt = self._base(sources, classes).where(ObjectRow.pk == any_(_array(upper)))
        return self._run(stmt, sources, classes, func.array_position(_array(upper), ObjectRow.pk),
                         class_first=False)

    def by_inverse(self, sources: Sequence[str], attribute: str | Sequence[str], value: str,
                   classes: Sequence[str] | None = None, irrd_order: bool = False) -> Objects:
        """Objects with `attribute: value` for a lookup or inverse attribute (several attributes:
        any of them). Raises ValueSyntaxError for a value the attribute can't hold (bad origin).
        irrd_order: in IRRd 4.5's order (address, AS, key; sources not ranked), not by source."""
        attributes = [attribute] if isinstance(attribute, str) else list(attribute)
        conditions = []
        tokens: list[str] = []
        for name in attributes:
            if name in KEY_COLUMNS:
                try:
                    conditions.append(KEY_COLUMNS[name] == keys.as_number(value))
                except ValueSyntaxError:
                    if len(attributes) == 1:
                        raise  # with other attributes, a value that is no AS number just can't match here
            else:
                tokens.extend(inverse_tokens(name, value))
        if tokens:
            conditions.append(ObjectRow.lookup_keys.op("&&")(_array(tokens)))
        if not conditions:
            return Objects()
        stmt = self._base(sources, classes).where(or_(*conditions))
        if irrd_order:
            return self._run(stmt, sources, classes, *IRRD_ORDER, ranked=False)
        return self._run(stmt, sources, classes, ObjectRow.pk)

    def contacts_by_name(self, sources: Sequence[str], name: str) -> Objects:
        """person/role objects whose name equals `name` (case-insensitive, blanks collapsed)."""
        words = " ".join(name.split()).upper()
        if not words:
            return Objects()
        tokens = [f"person={words}", f"role={words}"]
        stmt = self._base(sources, CONTACT_CLASSES).where(ObjectRow.lookup_keys.op("&&")(_array(tokens)))
        return self._run(stmt, sources, CONTACT_CLASSES, ObjectRow.pk)

    def routes(self, sources: Sequence[str], prefix: str, mode: str,
               classes: Sequence[str] = ROUTE_CLASSES) -> Objects:
        """route/route6 objects related to `prefix` (an address counts as a host prefix):
        exact | less-one (one level less specific, exact excluded) | less (all less specific,
        exact included) | more (all more specific, exact excluded)."""
        return self.addresses(sources, prefix, mode, classes)

    def addresses(self, sources: Sequence[str], key: str, mode: str, classes: Sequence[str],
                  irrd_order: bool = False) -> Objects:
        """Address objects (inetnum, inet6num, route, route6) related to an address, prefix or
        IPv4 range. Modes as `routes` plus most-specific: the smallest covering objects of each
        class (exact included), which is what RIPE answers for a plain address query, and
        more-one (RIPE's -m): the more specific objects not inside another more specific object
        of their class and source (exact excluded).

        Ranges are compared on ip_first/ip_last (exact for inetnum ranges); the GiST index on
        the covering prefix narrows the candidates first. Raises ValueSyntaxError for a bad key.
        irrd_order: in IRRd 4.5's order (address, AS, key; sources not ranked), not by source."""
        if mode not in MODES:
            raise ValueError(f"unknown address lookup mode {mode!r}")
        k = address_key(key)
        classes = [c for c in classes if c in ADDRESS_CLASSES]
        if not classes:
            return Objects()
        q_prefix, q_first, q_last = cast(k.prefix, CIDR), cast(k.first, INET), cast(k.last, INET)
        same = and_(ObjectRow.ip_first == q_first, ObjectRow.ip_last == q_last)
        base = self._base(sources, classes).where(ObjectRow.prefix.isnot(None))
        if mode == "exact":
            stmt = base.where(ObjectRow.prefix == q_prefix, same)
        elif mode in ("more", "more-one"):
            stmt = base.where(ObjectRow.prefix.op("<<=")(q_prefix), ObjectRow.ip_first >= q_first,
                              ObjectRow.ip_last <= q_last, ~same)
            if mode == "more-one":
                stmt = stmt.where(~self._covered_within(sources, classes, q_prefix, q_first, q_last))
        else:
            stmt = base.where(ObjectRow.prefix.op(">>=")(q_prefix), ObjectRow.ip_first <= q_first,
                              ObjectRow.ip_last >= q_last)
            if mode == "less-one":
                stmt = stmt.where(~same)
            if mode in ("less-one", "most-specific"):
                stmt = self._innermost(stmt)
        if irrd_order and mode not in ("less-one", "most-specific"):
            return self._run(stmt, sources, classes, *IRRD_ORDER, ranked=False)
        return self._run(stmt, sources, classes, ObjectRow.ip_first, ObjectRow.ip_last.desc(), ObjectRow.pk)

    def domains_under(self, sources: Sequence[str], zone: str) -> Objects:
        """domain objects strictly below a reverse zone (`1.193.IN-ADDR.ARPA` finds
        `1.1.193.IN-ADDR.ARPA`, ...), for RIPE's -d with -m/-M. The zone is a computed name of
        digits, hex letters and dots, so it needs no LIKE escaping; no index serves a suffix, the
        statement timeout bounds the scan."""
        if not re.fullmatch(r"[0-9A-F.-]+\.(IN-ADDR|IP6)\.ARPA|(IN-ADDR|IP6)\.ARPA", zone.upper()):
            raise ValueError(f"not a reverse zone: {zone!r}")
        stmt = self._base(sources, ("domain",)).where(ObjectRow.pk.like(f"%.{zone.upper()}"))
        return self._run(stmt, sources, ("domain",), ObjectRow.pk)

    def as_block(self, sources: Sequence[str], asn: int, last: int | None = None) -> Objects:
        """as-blocks containing `asn` (or the whole range asn..last), outermost first."""
        last = asn if last is None else last
        stmt = self._base(sources, ("as-block",)).where(
            ObjectRow.asn_first <= asn, ObjectRow.asn_last >= last)
        return self._run(stmt, sources, ("as-block",), ObjectRow.asn_first, ObjectRow.asn_last.desc())

    # -- helpers --------------------------------------------------------------------------------
    def _base(self, sources: Sequence[str], classes: Sequence[str] | None) -> Select:
        stmt = select(ObjectRow.source, ObjectRow.object_class, ObjectRow.pk, ObjectRow.object_text,
                      ObjectRow.lookup_keys, ObjectRow.rpki_status, ObjectRow.ip_first, ObjectRow.ip_last,
                      ObjectRow.prefix_length)
        # = ANY(array) rather than IN (...): one bound parameter whatever the number of sources,
        # and PostgreSQL still prunes the source partitions.
        stmt = stmt.where(ObjectRow.source == any_(_array([s.upper() for s in sources])))
        if classes is not None:
            stmt = stmt.where(ObjectRow.object_class == any_(_array(list(classes))))
        if self.rpki_filter:
            stmt = stmt.where(VISIBLE)
        if self.scope_hidden:
            stmt = stmt.where(in_scope_or_shown(self.scope_hidden))
        return stmt

    def _covered_within(self, sources: Sequence[str], classes: Sequence[str], q_prefix, q_first, q_last) -> sa.Exists:
        """EXISTS another object the client sees (same source and class) inside the query range,
        not the range itself, that strictly contains the row: the row is deeper than one level."""
        outer = self._base(sources, classes).add_columns(ObjectRow.prefix.label("outer_prefix")).subquery()
        return sa.exists().where(
            outer.c.source == ObjectRow.source, outer.c.object_class == ObjectRow.object_class,
            outer.c.outer_prefix.op(">>=")(ObjectRow.prefix), outer.c.outer_prefix.op("<<=")(q_prefix),
            outer.c.ip_first >= q_first, outer.c.ip_last <= q_last,
            ~and_(outer.c.ip_first == q_first, outer.c.ip_last == q_last),
            outer.c.ip_first <= ObjectRow.ip_first, outer.c.ip_last >= ObjectRow.ip_last,
            or_(outer.c.ip_first < ObjectRow.ip_first, outer.c.ip_last > ObjectRow.ip_last))

    @staticmethod
    def _innermost(stmt: Select) -> Select:
        """Keep the smallest objects of each class among covering candidates. Size: address count
        for IPv4 (inetnum ranges need not be prefixes), prefix length for IPv6 (always prefixes;
        inet - inet would overflow bigint there)."""
        count = ObjectRow.ip_last.op("-", return_type=sa.BigInteger)(ObjectRow.ip_first)
        size = sa.case((func.family(ObjectRow.ip_first) == 4, count), else_=literal(None, sa.BigInteger))
        rank = func.rank().over(partition_by=ObjectRow.object_class,
                                order_by=(size.asc().nulls_last(), ObjectRow.prefix_length.desc()))
        inner = stmt.add_columns(rank.label("level")).subquery()
        return select(*[c for c in inner.c if c.name != "level"]).where(inner.c.level == 1)

    def _run(self, stmt: Select, sources: Sequence[str], classes: Sequence[str] | None, *order,
             class_first: bool = True, ranked: bool = True) -> Objects:
        """Order (source priority, class order and `order`; only `order` when not ranked), limit
        and execute `stmt`."""
        cols = stmt.selected_columns
        class_order = list(classes) if classes is not None else list(SCHEMA_ORDER)
        by_class = [func.array_position(_array(class_order), cols.object_class)]
        rest = [_rebind(o, cols) for o in order]
        if ranked:
            stmt = stmt.order_by(
                func.array_position(_array([s.upper() for s in sources]), cols.source),
                *(by_class + rest if class_first else rest + by_class))
        else:  # the source only breaks ties (same key in two sources), so answers are repeatable
            stmt = stmt.order_by(*rest, func.array_position(_array([s.upper() for s in sources]), cols.source))
        stmt = stmt.limit(self.max_rows + 1)
        rows = self._execute(stmt)
        out = Objects(Obj(r.source, r.object_class, r.pk, r.object_text, tuple(r.lookup_keys or ()), r.rpki_status)
                      for r in rows[: self.max_rows])
        out.truncated = len(rows) > self.max_rows
        return out

    def _execute(self, stmt: Select) -> list:
        """Run one statement in its own transaction under the statement timeout."""
        if self.conn is not None:
            return self.conn.execute(stmt).all()
        try:
            with self.engine.connect() as conn:
                # SET LOCAL semantics: the timeout ends with this transaction, never leaks to the pool
                conn.execute(select(func.set_config("statement_timeout", str(self.statement_timeout_ms), True)))
                rows = conn.execute(stmt).all()
                conn.rollback()
        except OperationalError as e:
            if isinstance(e.orig, psycopg.errors.QueryCanceled):
                raise LookupTimeout(f"query cancelled after {self.statement_timeout_ms / 1000:g} s") from None
            raise
        return rows

    def explain(self, stmt: Select) -> str:
        """The plan PostgreSQL chooses for a statement (tests check index use with it)."""
        compiled = stmt.compile(self.engine)
        with self.engine.connect() as conn:
            rows = conn.exec_driver_sql("EXPLAIN " + compiled.string, compiled.params).all()
        return "\n".join(r[0] for r in rows)


def _array(values: list[str]):
    return sa.bindparam(None, values, type_=_TEXT_ARRAY, unique=True)


def _rebind(expr, cols):
    """An ORDER BY term on an ObjectRow column, re-targeted at the statement's columns (they are
    a subquery's after _innermost); other expressions are kept."""
    desc = isinstance(expr, sa.UnaryExpression) and expr.modifier is sa.sql.operators.desc_op
    inner = expr.element if desc else expr
    name = getattr(inner, "key", None)
    if not isinstance(inner, (sa.orm.InstrumentedAttribute, sa.Column, sa.sql.elements.ColumnClause)) \
            or name not in cols:
        return expr
    col = cols[name]
    return col.desc() if desc else col

