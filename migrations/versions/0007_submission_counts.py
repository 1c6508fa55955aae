"""Submissions counted in the database, by channel and outcome, so that every process counts into
one place: `irr submit` (one process per e-mail), the web workers and `irr serve`; /metrics
exports them as irr_submissions_total.

Revision ID: 0007_submission_counts
Revises: 0006
Create Date: 2026-12-05
"""
from alembic import op

revision = "0007_submission_counts"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        CREATE TABLE submission_counts (
            channel text NOT NULL,              -- email, api, web
            outcome text NOT NULL,              -- success, failure, dry-run
            count   bigint NOT NULL DEFAULT 0,
            PRIMARY KEY (channel, outcome)
        )
    """)


def downgrade() -> None:
    op.execute("DROP TABLE submission_counts")
