"""The update pipeline's security records (migration 0010_auth_security), shared by every process through
PostgreSQL: failed authorisations (rate limits per client and per maintainer), PGP signatures
already used (a signed message is applied once), and security event counters for /metrics.

Times are the database's (`now()`), so that processes on several hosts agree.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Engine


@dataclass(frozen=True)
class Lockout:
    """A subject (client or maintainer) over its limit of failed attempts."""

    subject: str
    failures: int
    until: dt.datetime        # when enough failures have aged out of the window


@dataclass(frozen=True)
class Crossing:
    """A subject that has just reached its limit: whose upd-to hears of it."""

    subject: str
    failures: int
    clients: tuple[str, ...]  # who failed within the window (addresses or mail senders)
    until: dt.datetime


@dataclass(frozen=True)
class Claim:
    """A PGP signature presented again: when and where it was first used."""

    signature_id: str
    used_at: dt.datetime
    origin: str


class SecurityStore:
    """SQL for the tables of migration 0010_auth_security."""

    def __init__(self, engine: Engine):
        self.engine = engine

    # -- failed authorisations ----------------------------------------------------------------------
    def lockouts(self, window: float, client_limit: int, other_limit: int) -> dict[str, Lockout]:
        """Subjects with at least their limit of failures (clients: `client_limit`, maintainers:
        `other_limit`) within the last `window` seconds."""
        limit = "CASE WHEN subject LIKE 'client %' THEN :c ELSE :o END"
        params = {"w": window, "c": client_limit, "o": other_limit}
        with self.engine.connect() as conn:
            over = conn.execute(sa.text(
                "SELECT subject FROM auth_failures WHERE at > now() - make_interval(secs => :w) "
                f"GROUP BY subject HAVING sum(weight) >= {limit}"), params).scalars().all()
            if not over:
                return {}
            rows = conn.execute(sa.text(
                "SELECT subject, at, weight FROM auth_failures WHERE subject = ANY(:s) "
                "AND at > now() - make_interval(secs => :w) ORDER BY subject, at DESC"),
                {"s": list(over), "w": window}).all()
        per_subject: dict[str, list[tuple[dt.datetime, int]]] = defaultdict(list)
        for subject, at, weight in rows:
            per_subject[subject].append((at, weight))
        out = {}
        for subject, entries in per_subject.items():
            needed = client_limit if subject.startswith("client ") else other_limit
            total = 0
            for at, weight in entries:          # newest first: the failure that reaches the limit
                total += weight
                if total >= needed:
                    out[subject] = Lockout(subject, sum(w for _, w in entries), at + dt.timedelta(seconds=window))
                    break
        return out

    def record_failures(self, failures: dict[str, int], client: str, window: float, limit_of) -> list[Crossing]:
        """Record failed attempts (subject -> weight) by `client`; return the subjects that reached their
        limit with them (each crossing is reported once, whatever the number of processes)."""
        crossings = []
        with self.engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM auth_failures WHERE at < now() - make_interval(secs => :w)"),
                         {"w": window})
            for subject in sorted(failures):
                weight = failures[subject]
                # one recorder per subject at a time: the crossing is seen by exactly one of them
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext(:s))"), {"s": subject})
                before = conn.execute(sa.text(
                    "SELECT coalesce(sum(weight), 0) FROM auth_failures WHERE subject = :s "
                    "AND at > now() - make_interval(secs => :w)"), {"s": subject, "w": window}).scalar_one()
                conn.execute(sa.text("INSERT INTO auth_failures (subject, weight, client) VALUES (:s, :n, :c)"),
                             {"s": subject, "n": weight, "c": client})
                limit = limit_of(subject)
                if before < limit <= before + weight:
                    clients = conn.execute(sa.text(
                        "SELECT DISTINCT client FROM auth_failures WHERE subject = :s "
                        "AND at > now() - make_interval(secs => :w) ORDER BY client LIMIT 20"),
                        {"s": subject, "w": window}).scalars().all()
                    until = conn.execute(sa.text("SELECT now() + make_interval(secs => :w)"),
                                         {"w": window}).scalar_one()
                    crossings.append(Crossing(subject, int(before + weight), tuple(clients), until))
        return crossings

    # -- PGP signatures -------------------------------------------------------------------------------
    def claim_signatures(self, signatures: list[tuple[str, str, dt.datetime]], origin: str,
                         keep: float) -> dict[str, Claim]:
        """Record signatures (id, fingerprint, signing time) as used; return those used before (id ->
        Claim). Signatures signed more than `keep` seconds ago are forgotten (they are refused as too
        old anyway). Concurrent claims of one signature: exactly one of them wins."""
        if not signatures:
            return {}
        earlier = {}
        with self.engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM used_signatures WHERE signed_at < now() - make_interval(secs => :k)"),
                         {"k": keep})
            for signature_id, fingerprint, signed_at in signatures:
                new = conn.execute(sa.text(
                    "INSERT INTO used_signatures (signature_id, fingerprint, signed_at, origin) "
                    "VALUES (:i, :f, :t, :o) ON CONFLICT (signature_id) DO NOTHING RETURNING signature_id"),
                    {"i": signature_id, "f": fingerprint, "t": signed_at, "o": origin[:500]}).first()
                if new is None:
                    used_at, first_origin = conn.execute(sa.text(
                        "SELECT used_at, origin FROM used_signatures WHERE signature_id = :i"),
                        {"i": signature_id}).one()
                    earlier[signature_id] = Claim(signature_id, used_at, first_origin)
        return earlier

    def used_signatures(self, signature_ids: list[str]) -> dict[str, Claim]:
        """Which of these signatures were used already (id -> Claim), without claiming any."""
        if not signature_ids:
            return {}
        with self.engine.connect() as conn:
            rows = conn.execute(sa.text(
                "SELECT signature_id, used_at, origin FROM used_signatures WHERE signature_id = ANY(:i)"),
                {"i": list(signature_ids)}).all()
        return {r[0]: Claim(r[0], r[1], r[2]) for r in rows}

    # -- counters ---------------------------------------------------------------------------------------
    def count(self, metric: str, label: str, n: int = 1) -> None:
        """Add `n` to a counter (created at zero)."""
        if n <= 0:
            return
        with self.engine.begin() as conn:
            conn.execute(sa.text(
                "INSERT INTO security_counters (metric, label, value) VALUES (:m, :l, :n) "
                "ON CONFLICT (metric, label) DO UPDATE SET value = security_counters.value + excluded.value"),
                {"m": metric, "l": label, "n": n})

    def counters(self) -> list[tuple[str, str, int]]:
        """(metric, label, value) of every counter."""
        with self.engine.connect() as conn:
            return [tuple(r) for r in conn.execute(sa.text(
                "SELECT metric, label, value FROM security_counters ORDER BY metric, label")).all()]

