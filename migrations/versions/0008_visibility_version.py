"""A per-source counter of visibility changes that leave the serial alone: ROA and scope reloads
hide or show objects of mirrors whose serials are their upstream's (NRTMv3, dumps) without a
journal entry. It is part of the data version that query processes reload their in-memory
routing data on and that HTTP filter ETags derive from.

Revision ID: 0008_visibility_version
Revises: 0007_submission_counts
Create Date: 2026-12-05
"""
from alembic import op

revision = "0008_visibility_version"
down_revision = "0007_submission_counts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE sources ADD COLUMN visibility_version bigint NOT NULL DEFAULT 0")


def downgrade() -> None:
    op.execute("ALTER TABLE sources DROP COLUMN visibility_version")
