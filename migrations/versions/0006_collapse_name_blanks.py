"""Lookup keys of free-text names (person, role, org-name...) with their blanks collapsed, as
rpsl.objects.index_tokens now indexes them, so `-i person "John  Smith"` and a name search find
objects written with two spaces or a continuation line.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28
"""
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # only rows with a key holding a run of blanks, a tab or a newline (names; no other key has blanks)
    op.execute(r"""
        UPDATE rpsl_objects SET lookup_keys = ARRAY(
            SELECT btrim(regexp_replace(k, '\s+', ' ', 'g')) FROM unnest(lookup_keys) WITH ORDINALITY AS u(k, n)
            ORDER BY n)
        WHERE EXISTS (SELECT 1 FROM unnest(lookup_keys) AS k WHERE k ~ '\s\s|[\t\n\r]|\s$')
    """)


def downgrade() -> None:
    pass  # collapsed keys can stay: name searches before this revision collapse blanks in the query too
