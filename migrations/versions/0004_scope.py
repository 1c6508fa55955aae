"""NIR scope: whether each address or AS number object lies within the registry's resources.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE rpsl_objects ADD COLUMN scope_status text")
    op.execute("CREATE INDEX scope_addresses ON scope (first_address, last_address)")
    # in: within one of the registry's ranges; out: not; NULL: no scope configured or a class
    # without addresses or AS numbers. Routes are judged by their prefix, aut-nums by their number.
    op.execute("""
        CREATE FUNCTION scope_state(f inet, l inet, a1 bigint, a2 bigint) RETURNS text
        LANGUAGE sql STABLE PARALLEL SAFE AS $$
            SELECT CASE
                WHEN NOT EXISTS (SELECT 1 FROM scope) OR (f IS NULL AND a1 IS NULL) THEN NULL
                WHEN f IS NOT NULL AND EXISTS (SELECT 1 FROM scope s WHERE s.first_address <= f
                         AND s.last_address >= l AND family(s.first_address) = family(f)) THEN 'in'
                WHEN a1 IS NOT NULL AND EXISTS (SELECT 1 FROM scope s WHERE s.asn_first <= a1
                         AND s.asn_last >= a2) THEN 'in'
                ELSE 'out'
            END
        $$
    """)


def downgrade() -> None:
    op.execute("DROP FUNCTION scope_state(inet, inet, bigint, bigint)")
    op.execute("DROP INDEX scope_addresses")
    op.execute("ALTER TABLE rpsl_objects DROP COLUMN scope_status")
