"""Mirroring state per source (NRTMv3/NRTMv4 clients and servers, scheduler status).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE sources ADD COLUMN mirror_state jsonb NOT NULL DEFAULT '{}'")
    op.execute("ALTER TABLE sources ADD COLUMN last_success timestamptz")


def downgrade() -> None:
    op.execute("ALTER TABLE sources DROP COLUMN last_success")
    op.execute("ALTER TABLE sources DROP COLUMN mirror_state")
