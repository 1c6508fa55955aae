"""RPKI: validated ROA payloads, each route's origin validation state (RFC 6811), NIR scope.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        CREATE TABLE roas (
            prefix       cidr NOT NULL,
            max_length   smallint NOT NULL,
            asn          bigint NOT NULL,
            trust_anchor text NOT NULL DEFAULT ''
        )
    """)
    op.execute("CREATE INDEX roas_prefix ON roas USING gist (prefix inet_ops)")
    op.execute("ALTER TABLE rpsl_objects ADD COLUMN rpki_status text")
    # RFC 6811 route origin validation of one route: not_found when no ROA covers the prefix,
    # valid when a covering ROA names the origin (never AS0) and allows the prefix length,
    # invalid otherwise.
    op.execute("""
        CREATE FUNCTION rov_state(p cidr, origin bigint) RETURNS text
        LANGUAGE sql STABLE PARALLEL SAFE AS $$
            SELECT CASE
                WHEN NOT EXISTS (SELECT 1 FROM roas r WHERE r.prefix >>= p) THEN 'not_found'
                WHEN EXISTS (SELECT 1 FROM roas r WHERE r.prefix >>= p AND r.asn = origin AND origin <> 0
                             AND masklen(p) <= r.max_length) THEN 'valid'
                ELSE 'invalid'
            END
        $$
    """)
    op.execute("""
        CREATE TABLE scope (
            first_address inet,
            last_address  inet,
            asn_first     bigint,
            asn_last      bigint,
            origin        text NOT NULL
        )
    """)


def downgrade() -> None:
    op.execute("DROP TABLE scope")
    op.execute("DROP FUNCTION rov_state(cidr, bigint)")
    op.execute("ALTER TABLE rpsl_objects DROP COLUMN rpki_status")
    op.execute("DROP TABLE roas")
