"""Tables the update pipeline shares between processes (web workers, `irr submit`, `irr serve`):
failed authorisations (the per-client and per-maintainer rate limit), PGP signatures already used
(never applied twice), and security event counters for /metrics.

Revision ID: 0010_auth_security
Revises: 0009_bgp_reports
Create Date: 2026-12-01
"""
from alembic import op

revision = "0010_auth_security"
down_revision = "0009_bgp_reports"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        CREATE TABLE auth_failures (
            id       bigserial PRIMARY KEY,
            subject  text NOT NULL,             -- 'client <address>', 'mntner <SOURCE> <NAME>', 'irt <SOURCE> <NAME>'
            weight   integer NOT NULL CHECK (weight > 0),
            client   text NOT NULL,             -- who failed (address or sender), for the notice to upd-to
            at       timestamptz NOT NULL DEFAULT now()
        )
    """)
    op.execute("CREATE INDEX auth_failures_subject ON auth_failures (subject, at)")
    op.execute("CREATE INDEX auth_failures_at ON auth_failures (at)")
    op.execute("""
        CREATE TABLE used_signatures (
            signature_id text PRIMARY KEY,      -- sha256 of signer, signing time and signed bytes
            fingerprint  text NOT NULL,
            signed_at    timestamptz NOT NULL,
            used_at      timestamptz NOT NULL DEFAULT now(),
            origin       text NOT NULL
        )
    """)
    op.execute("CREATE INDEX used_signatures_signed_at ON used_signatures (signed_at)")
    op.execute("""
        CREATE TABLE security_counters (
            metric text NOT NULL,
            label  text NOT NULL,
            value  bigint NOT NULL DEFAULT 0,
            PRIMARY KEY (metric, label)
        )
    """)


def downgrade() -> None:
    op.execute("DROP TABLE security_counters")
    op.execute("DROP TABLE used_signatures")
    op.execute("DROP TABLE auth_failures")
