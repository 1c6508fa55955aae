"""B-tree indexes on prefixes next to the GiST ones: exact matches (`= ANY(...)`) and the covering
prefixes of a report (found as exact matches of every shorter prefix) probe a b-tree in a few
buffers, where GiST inet_ops reads about a hundred per probe.

Revision ID: 0011_exact_prefix_indexes
Revises: 0010_auth_security
Create Date: 2026-12-05
"""
from alembic import op

revision = "0011_exact_prefix_indexes"
down_revision = "0010_auth_security"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # on the partitioned table: PostgreSQL creates (or attaches) one per partition; IF NOT EXISTS:
    # a schema made from the current PARTITION_INDEXES has it already
    op.execute("CREATE INDEX IF NOT EXISTS rpsl_objects_prefix_exact ON rpsl_objects (prefix) WHERE prefix IS NOT NULL")
    op.execute("CREATE INDEX IF NOT EXISTS roas_prefix_exact ON roas (prefix)")
    op.execute("CREATE INDEX IF NOT EXISTS bgp_routes_prefix_exact ON bgp_routes (prefix)")


def downgrade() -> None:
    op.execute("DROP INDEX bgp_routes_prefix_exact")
    op.execute("DROP INDEX roas_prefix_exact")
    op.execute("DROP INDEX rpsl_objects_prefix_exact")
