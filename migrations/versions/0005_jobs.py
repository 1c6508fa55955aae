"""Registry-wide jobs (ROA refresh, NIR scope): their last success and last error, kept apart
from the sources table so a failing ROA download is not mistaken for a source.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28
"""
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        CREATE TABLE jobs (
            name text PRIMARY KEY,
            last_success timestamptz,
            last_status text,
            last_error text,
            last_error_at timestamptz
        )
    """)


def downgrade() -> None:
    op.execute("DROP TABLE jobs")
