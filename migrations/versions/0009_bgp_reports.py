"""Routing hygiene reports: the BGP table (what is announced: prefix and origin, with how many
peers saw it), its load metadata, the reports' daily counts per verdict (registry-wide and per
member) and the members who asked for the monthly report by mail.

Revision ID: 0009_bgp_reports
Revises: 0008_visibility_version
Create Date: 2026-12-05
"""
from alembic import op

revision = "0009_bgp_reports"
down_revision = "0008_visibility_version"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        CREATE TABLE bgp_routes (
            prefix cidr NOT NULL,
            origin bigint NOT NULL,
            peers  integer
        )
    """)
    op.execute("CREATE INDEX bgp_routes_prefix ON bgp_routes USING gist (prefix inet_ops)")
    op.execute("CREATE INDEX bgp_routes_origin ON bgp_routes (origin)")
    op.execute("""
        CREATE TABLE bgp_table (
            id         smallint PRIMARY KEY CHECK (id = 1),
            location   text NOT NULL,
            format     text NOT NULL,
            dumped_at  timestamptz,
            loaded_at  timestamptz NOT NULL DEFAULT now(),
            routes     integer NOT NULL,
            prefixes   integer NOT NULL,
            skipped    integer NOT NULL DEFAULT 0
        )
    """)
    # member '' is the registry-wide count (each line once); other rows count a member's lines
    op.execute("""
        CREATE TABLE report_counts (
            day     date NOT NULL,
            member  text NOT NULL,
            verdict text NOT NULL,
            lines   integer NOT NULL,
            PRIMARY KEY (day, member, verdict)
        )
    """)
    op.execute("CREATE INDEX report_counts_member ON report_counts (member, day)")
    op.execute("""
        CREATE TABLE report_mail (
            member     text PRIMARY KEY,
            enabled_at timestamptz NOT NULL DEFAULT now(),
            enabled_by text NOT NULL,
            last_sent  date
        )
    """)


def downgrade() -> None:
    op.execute("DROP TABLE report_mail")
    op.execute("DROP TABLE report_counts")
    op.execute("DROP TABLE bgp_table")
    op.execute("DROP TABLE bgp_routes")
