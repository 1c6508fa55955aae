"""SQL of the routing hygiene reports: the BGP table (replaced all or nothing), what a report
reads (allocations, aut-nums, route objects, ROAs, scope: everything, or the part one member's
report needs), the daily counts per verdict and the members who receive the monthly mail."""
from __future__ import annotations

import datetime as dt
import ipaddress
from collections.abc import Iterable, Iterator, Sequence

import sqlalchemy as sa
from sqlalchemy import BigInteger, Date, DateTime, Integer, SmallInteger, Text, any_, func, select
from sqlalchemy.dialects.postgresql import ARRAY, CIDR, insert
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Mapped, Session, mapped_column

from irr.store import Base, ObjectRow, RoaRow, ScopeRow

ROUTE_CLASSES = ("route", "route6")
ADDRESS_CLASSES = ("inetnum", "inet6num")
HOLDER_KEYS = ("org=", "mnt-lower=", "mnt-by=")
_TEXT_ARRAY = ARRAY(Text)


def _keys(*prefixes: str):
    """Only the lookup keys a report reads (holders, netname): far fewer strings to decode."""
    k = sa.func.unnest(ObjectRow.lookup_keys).column_valued("k")
    return sa.func.array(select(k).where(sa.or_(*(k.startswith(p) for p in prefixes))).scalar_subquery())


ALLOCATION_KEYS = HOLDER_KEYS + ("netname=",)


class BgpRoute(Base):
    __tablename__ = "bgp_routes"
    prefix: Mapped[str] = mapped_column(CIDR, primary_key=True)   # no key in the table: the ORM needs one
    origin: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    peers: Mapped[int | None] = mapped_column(Integer)


class BgpTableRow(Base):
    __tablename__ = "bgp_table"
    id: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    location: Mapped[str] = mapped_column(Text)
    format: Mapped[str] = mapped_column(Text)
    dumped_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    loaded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    routes: Mapped[int] = mapped_column(Integer)
    prefixes: Mapped[int] = mapped_column(Integer)
    skipped: Mapped[int] = mapped_column(Integer)


class ReportCount(Base):
    __tablename__ = "report_counts"
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    member: Mapped[str] = mapped_column(Text, primary_key=True)     # '' : registry-wide
    verdict: Mapped[str] = mapped_column(Text, primary_key=True)
    lines: Mapped[int] = mapped_column(Integer)


class ReportMail(Base):
    __tablename__ = "report_mail"
    member: Mapped[str] = mapped_column(Text, primary_key=True)
    enabled_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    enabled_by: Mapped[str] = mapped_column(Text)
    last_sent: Mapped[dt.date | None] = mapped_column(Date)


def _array(values: Sequence[str]):
    return sa.bindparam(None, list(values), type_=_TEXT_ARRAY, unique=True)


def _cidrs(values: Sequence[str]):
    return sa.bindparam(None, list(values), type_=ARRAY(CIDR), unique=True)


def _unnest(values: Sequence[str]):
    """The prefixes as a derived table `q` (column q) to join on a GiST index."""
    return sa.func.unnest(_cidrs(values)).table_valued("q").render_derived()


def supernets(prefixes: Iterable[str], lengths: dict[int, Iterable[int]] | None = None) -> list[str]:
    """Every prefix covering one of `prefixes` (themselves included), each once: the covering
    objects of many prefixes are then exact matches on a b-tree (GiST `>>=` probes are slow).
    `lengths` (version -> prefix lengths the table holds) leaves out lengths nothing can match,
    so thousands of scattered IPv6 prefixes do not make a hundred candidates each."""
    wanted = {v: sorted(set(lengths.get(v, ())) if lengths is not None else range(bits + 1), reverse=True)
              for v, bits in ((4, 32), (6, 128))}
    out: set[str] = set()
    for prefix in prefixes:
        address, _, length = prefix.partition("/")
        packed = ipaddress.ip_address(address).packed
        bits = len(packed) * 8
        value = int.from_bytes(packed, "big")
        top = int(length) if length else bits
        for n in wanted[4 if bits == 32 else 6]:
            if n > top:
                continue
            network = value >> (bits - n) << (bits - n) if n else 0
            text = f"{ipaddress.ip_address(network.to_bytes(len(packed), 'big'))}/{n}"
            if text in out:
                break          # its shorter prefixes (of the wanted lengths) are in already
            out.add(text)
    return sorted(out)


def _lengths(conn: Connection, column, *where) -> dict[int, list[int]]:
    """The prefix lengths per address family that `column` holds (rows matching `where`)."""
    out: dict[int, list[int]] = {4: [], 6: []}
    for family, length in conn.execute(select(func.family(column), func.masklen(column)).where(
            column.is_not(None), *where).distinct()):
        out[family].append(length)
    return out


class TooManyPrefixes(Exception):
    """A report would cover more prefixes than the caller allows (web pages are bounded)."""


class ReportStore:
    def __init__(self, engine: Engine, statement_timeout_ms: int | None = None, max_prefixes: int | None = None):
        self.engine = engine
        self.statement_timeout_ms = statement_timeout_ms   # for reads on behalf of web visitors
        self.max_prefixes = max_prefixes                   # prefixes one member report or lookup may cover

    def begin_read(self, conn: Connection) -> None:
        """Inside a read transaction: its statement timeout (SET LOCAL: never sticks to the pool)."""
        if self.statement_timeout_ms:
            conn.execute(select(func.set_config("statement_timeout", str(self.statement_timeout_ms), True)))

    # -- the BGP table --------------------------------------------------------------------------
    def replace_bgp(self, routes: dict[tuple[str, int], int | None], location: str, fmt: str,
                    dumped_at: dt.datetime | None, skipped: int) -> None:
        """Replace the BGP table in one transaction (readers see the old one until the commit)."""
        with self.engine.begin() as conn:
            conn.execute(sa.text("LOCK TABLE bgp_routes IN EXCLUSIVE MODE"))
            conn.execute(sa.text("TRUNCATE bgp_routes"))
            conn.execute(sa.text("DROP INDEX IF EXISTS bgp_routes_prefix"))
            conn.execute(sa.text("DROP INDEX IF EXISTS bgp_routes_prefix_exact"))
            conn.execute(sa.text("DROP INDEX IF EXISTS bgp_routes_origin"))
            raw = conn.connection.dbapi_connection
            with raw.cursor() as cur, cur.copy("COPY bgp_routes (prefix, origin, peers) FROM STDIN") as copy:
                for (prefix, origin), peers in routes.items():
                    copy.write_row((prefix, origin, peers))
            conn.execute(sa.text("CREATE INDEX bgp_routes_prefix ON bgp_routes USING gist (prefix inet_ops)"))
            conn.execute(sa.text("CREATE INDEX bgp_routes_prefix_exact ON bgp_routes (prefix)"))
            conn.execute(sa.text("CREATE INDEX bgp_routes_origin ON bgp_routes (origin)"))
            values = {"location": location, "format": fmt, "dumped_at": dumped_at, "loaded_at": func.now(),
                      "routes": len(routes), "prefixes": len({p for p, _ in routes}), "skipped": skipped}
            conn.execute(insert(BgpTableRow).values(id=1, **values).on_conflict_do_update(
                index_elements=[BgpTableRow.id], set_=values))
        with self.engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(sa.text("ANALYZE bgp_routes"))

    def bgp_table(self) -> BgpTableRow | None:
        with Session(self.engine, expire_on_commit=False) as session:
            return session.scalars(select(BgpTableRow)).first()

    def bgp_routes(self, conn: Connection, batch: int = 20000) -> Iterator[tuple[str, int, int | None]]:
        """Every announced (prefix, origin, peers), in address order (family, address, length),
        streamed from a server-side cursor."""
        stmt = select(sa.cast(BgpRoute.prefix, Text), BgpRoute.origin, BgpRoute.peers).order_by(BgpRoute.prefix)
        yield from conn.execution_options(yield_per=batch).execute(stmt)

    # -- what reports read ----------------------------------------------------------------------
    def stream_allocations(self, conn: Connection, sources: Sequence[str], batch: int = 20000) -> Iterator:
        """Every inetnum/inet6num of `sources` as allocations() gives them, in address order
        (family, first address, larger first), from a server-side cursor."""
        stmt = select(ObjectRow.source, ObjectRow.object_class, ObjectRow.pk, sa.func.host(ObjectRow.ip_first),
                      sa.func.host(ObjectRow.ip_last), _keys(*ALLOCATION_KEYS)).where(
            ObjectRow.source == any_(_array(sources)), ObjectRow.object_class == any_(_array(ADDRESS_CLASSES)),
            ObjectRow.ip_first.is_not(None)).order_by(
            sa.func.family(ObjectRow.ip_first), ObjectRow.ip_first, ObjectRow.ip_last.desc())
        yield from conn.execution_options(yield_per=batch).execute(stmt)

    def stream_route_objects(self, conn: Connection, batch: int = 20000) -> Iterator:
        """Every route/route6 object as route_objects() gives them, in prefix order."""
        stmt = select(ObjectRow.source, sa.cast(ObjectRow.prefix, Text), ObjectRow.origin, _keys("mnt-by="),
                      ObjectRow.last_modified).where(ObjectRow.object_class == any_(_array(ROUTE_CLASSES)),
                                                     ObjectRow.prefix.is_not(None)).order_by(ObjectRow.prefix)
        yield from conn.execution_options(yield_per=batch).execute(stmt)

    def stream_roas(self, conn: Connection, batch: int = 20000) -> Iterator[tuple[str, int, int]]:
        """Every ROA (prefix, max length, asn) in prefix order."""
        stmt = select(sa.cast(RoaRow.prefix, Text), RoaRow.max_length, RoaRow.asn).order_by(RoaRow.prefix)
        yield from conn.execution_options(yield_per=batch).execute(stmt)

    def allocations(self, conn: Connection, sources: Sequence[str], covering: Sequence[str] | None = None,
                    member: str | None = None, within: Sequence[str] | None = None) -> list:
        """inetnum/inet6num of `sources`: (source, class, pk, first, last, lookup_keys); all of
        them, those whose covering prefix covers one of `covering` or lies within one of
        `within`, or those that name `member`."""
        stmt = select(ObjectRow.source, ObjectRow.object_class, ObjectRow.pk, sa.func.host(ObjectRow.ip_first),
                      sa.func.host(ObjectRow.ip_last), ObjectRow.lookup_keys).where(
            ObjectRow.source == any_(_array(sources)), ObjectRow.object_class == any_(_array(ADDRESS_CLASSES)))
        if member is not None:
            stmt = stmt.where(ObjectRow.lookup_keys.op("&&")(_array([k + member for k in HOLDER_KEYS])))
        elif covering is not None:   # exact matches of every covering prefix, on the b-tree
            lengths = _lengths(conn, ObjectRow.prefix, ObjectRow.source == any_(_array(sources)),
                               ObjectRow.object_class == any_(_array(ADDRESS_CLASSES)))
            stmt = stmt.where(ObjectRow.prefix == any_(_cidrs(supernets(covering, lengths))))
        elif within is not None:     # a join on the GiST index, one probe per prefix
            q = _unnest(within)
            stmt = stmt.select_from(q).join(ObjectRow, ObjectRow.prefix.op("<<=")(q.c.q)).distinct()
        return conn.execute(stmt).all()

    def aut_nums(self, conn: Connection, sources: Sequence[str], asns: Sequence[int] | None = None,
                 member: str | None = None) -> list:
        """(asn, lookup_keys) of aut-nums in `sources` (all, those of `asns`, or naming `member`)."""
        stmt = select(ObjectRow.asn_first, _keys(*HOLDER_KEYS)).where(
            ObjectRow.source == any_(_array(sources)), ObjectRow.object_class == "aut-num")
        if member is not None:
            stmt = stmt.where(ObjectRow.lookup_keys.op("&&")(_array([k + member for k in HOLDER_KEYS])))
        if asns is not None:
            stmt = stmt.where(ObjectRow.asn_first == any_(sa.bindparam(None, list(asns), type_=ARRAY(BigInteger))))
        return conn.execute(stmt).all()

    def route_objects(self, conn: Connection, prefixes: Sequence[str] | None = None,
                      covering: str | None = None) -> list:
        """(source, prefix, origin, lookup_keys, last_modified) of every route/route6 object, of
        those for exactly `prefixes`, or of those covering the prefix `covering`."""
        stmt = select(ObjectRow.source, sa.cast(ObjectRow.prefix, Text), ObjectRow.origin, ObjectRow.lookup_keys,
                      ObjectRow.last_modified).where(ObjectRow.object_class == any_(_array(ROUTE_CLASSES)))
        if prefixes is not None:   # exact matches on the b-tree
            stmt = stmt.where(ObjectRow.prefix == any_(_cidrs(prefixes)))
        if covering is not None:
            stmt = stmt.where(ObjectRow.prefix.op(">>=")(sa.cast(covering, CIDR)))
        return conn.execute(stmt).all()

    def roas(self, conn: Connection, covering: Sequence[str] | None = None,
             within: Sequence[str] | None = None) -> list | None:
        """(prefix, max length, asn) of every ROA, of those covering one of `covering`, or (and)
        of those within one of `within`; None when no ROAs are loaded (RPKI states unknown)."""
        if conn.execute(select(sa.literal(1)).select_from(RoaRow).limit(1)).first() is None:
            return None
        stmt = select(sa.cast(RoaRow.prefix, Text), RoaRow.max_length, RoaRow.asn)
        if covering is None and within is None:
            return [tuple(r) for r in conn.execute(stmt)]
        found: set[tuple] = set()
        if covering:     # exact matches of every covering prefix, on the b-tree
            candidates = supernets(covering, _lengths(conn, RoaRow.prefix))
            found.update(tuple(r) for r in conn.execute(stmt.where(RoaRow.prefix == any_(_cidrs(candidates)))))
        if within:
            q = _unnest(within)
            joined = stmt.select_from(q).join(RoaRow, RoaRow.prefix.op("<<=")(q.c.q))
            found.update(tuple(r) for r in conn.execute(joined))
        return sorted(found)

    def scope(self, conn: Connection) -> list:
        """(first, last) address ranges of the NIR's scope (empty when none is loaded)."""
        return conn.execute(select(sa.func.host(ScopeRow.first_address), sa.func.host(ScopeRow.last_address)).where(
            ScopeRow.first_address.is_not(None))).all()

    def as_sets(self, conn: Connection, sources: Sequence[str], member: str | None = None) -> list:
        """(source, name, lookup_keys) of the as-sets of `sources` (all, or maintained by `member`)."""
        stmt = select(ObjectRow.source, ObjectRow.pk, ObjectRow.lookup_keys).where(
            ObjectRow.source == any_(_array(sources)), ObjectRow.object_class == "as-set")
        if member is not None:
            stmt = stmt.where(ObjectRow.lookup_keys.op("&&")(_array([k + member for k in HOLDER_KEYS])))
        return conn.execute(stmt).all()

    def prefixes_near(self, conn: Connection, inside: Sequence[str], asns: Sequence[int],
                      route_sources: Sequence[str], maintainer: str | None = None) -> set[str]:
        """Prefixes with something to report in or around a member's space: announced, registered
        or in a ROA inside one of `inside`, with an origin in `asns`, or (announced) covering one
        of `inside`; and the prefixes of route objects in `route_sources` it maintains."""
        asn_array = sa.bindparam(None, list(asns), type_=ARRAY(BigInteger))
        routes = ObjectRow.object_class == any_(_array(ROUTE_CLASSES))
        statements = []
        for col, origin, where, both_ways in ((BgpRoute.prefix, BgpRoute.origin, sa.true(), True),
                                              (ObjectRow.prefix, ObjectRow.origin, routes, False),
                                              (RoaRow.prefix, RoaRow.asn, sa.true(), False)):
            q = _unnest(inside)   # joins on the GiST indexes: one probe per allocation
            statements.append(select(sa.cast(col, Text)).select_from(q).join(col.class_, col.op("<<=")(q.c.q))
                              .where(where))
            if both_ways:
                q = _unnest(inside)
                statements.append(select(sa.cast(col, Text)).select_from(q).join(col.class_, col.op(">>=")(q.c.q))
                                  .where(where))
            statements.append(select(sa.cast(col, Text)).where(origin == any_(asn_array), where))
        found: set[str] = set()
        limit = self.max_prefixes
        for stmt in statements:
            found.update(r[0] for r in conn.execute(stmt if limit is None else stmt.limit(limit + 1)))
            if limit is not None and len(found) > limit:
                raise TooManyPrefixes(f"more than {limit:,} prefixes")
        if maintainer is not None:
            found.update(r[0] for r in conn.execute(select(sa.cast(ObjectRow.prefix, Text)).where(
                ObjectRow.source == any_(_array(route_sources)),
                ObjectRow.object_class == any_(_array(ROUTE_CLASSES)),
                ObjectRow.lookup_keys.op("@>")(_array(["mnt-by=" + maintainer])))))
        return found

    def bgp_for(self, conn: Connection, prefixes: Sequence[str]) -> list:
        """(prefix, origin, peers) announced for exactly `prefixes`, in address order."""
        return conn.execute(select(sa.cast(BgpRoute.prefix, Text), BgpRoute.origin, BgpRoute.peers).where(
            BgpRoute.prefix == any_(_cidrs(prefixes))).order_by(BgpRoute.prefix)).all()

    # -- daily counts ---------------------------------------------------------------------------
    def record_counts(self, day: dt.date, counts: dict[tuple[str, str], int]) -> None:
        """The counts of one day's run, (member, verdict) -> lines ('' for the registry), replacing
        an earlier run of the same day."""
        with self.engine.begin() as conn:
            conn.execute(sa.delete(ReportCount).where(ReportCount.day == day))
            raw = conn.connection.dbapi_connection
            with raw.cursor() as cur, cur.copy("COPY report_counts (day, member, verdict, lines) FROM STDIN") as copy:
                for (member, verdict), n in counts.items():
                    copy.write_row((day, member, verdict, n))

    def counts_series(self, member: str = "", days: int = 365) -> list[tuple[dt.date, str, int]]:
        """(day, verdict, lines) of a member ('' : the registry) over the last `days` days of runs."""
        with self.engine.connect() as conn:
            last = conn.execute(select(func.max(ReportCount.day))).scalar()
            if last is None:
                return []
            stmt = select(ReportCount.day, ReportCount.verdict, ReportCount.lines).where(
                ReportCount.member == member, ReportCount.day > last - dt.timedelta(days=days))
            return [tuple(r) for r in conn.execute(stmt.order_by(ReportCount.day))]

    def member_counts(self) -> tuple[dt.date | None, dict[str, dict[str, int]]]:
        """The latest run's counts per member: (day, member -> verdict -> lines)."""
        with self.engine.connect() as conn:
            last = conn.execute(select(func.max(ReportCount.day))).scalar()
            out: dict[str, dict[str, int]] = {}
            if last is not None:
                for member, verdict, n in conn.execute(select(ReportCount.member, ReportCount.verdict,
                                                              ReportCount.lines).where(
                        ReportCount.day == last, ReportCount.member != "")):
                    out.setdefault(member, {})[verdict] = n
        return last, out

    # -- the monthly mail -----------------------------------------------------------------------
    def set_mail(self, member: str, enabled: bool, by: str) -> bool:
        """Switch a member's monthly mail on or off; True when something changed."""
        with self.engine.begin() as conn:
            if enabled:
                return conn.execute(insert(ReportMail).values(member=member, enabled_by=by).on_conflict_do_nothing(
                ).returning(ReportMail.member)).first() is not None
            return conn.execute(sa.delete(ReportMail).where(ReportMail.member == member)).rowcount > 0

    def mail_members(self) -> list[ReportMail]:
        with Session(self.engine, expire_on_commit=False) as session:
            return list(session.scalars(select(ReportMail).order_by(ReportMail.member)))

    def mark_sent(self, member: str, day: dt.date) -> None:
        with self.engine.begin() as conn:
            conn.execute(sa.update(ReportMail).where(ReportMail.member == member).values(last_sent=day))

    def contact(self, sources: Iterable[str], member: str) -> list:
        """(class, object_text) of the mntner or organisation named `member` in `sources`."""
        with self.engine.connect() as conn:
            return conn.execute(select(ObjectRow.object_class, ObjectRow.object_text).where(
                ObjectRow.source == any_(_array(list(sources))), ObjectRow.pk == member.upper(),
                ObjectRow.object_class.in_(("mntner", "organisation")))).all()
