"""Objects (partitioned per source), journal and source status.

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""
from alembic import op

from irr.store.models import PARTITION_INDEXES

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    # One partition per source: a bulk load builds a new partition with COPY and bulk index
    # builds, then swaps it in within the same transaction (all or nothing, fast).
    op.execute("""
        CREATE TABLE rpsl_objects (
            source        text NOT NULL,
            object_class  text NOT NULL,
            pk            text NOT NULL,
            object_text   text NOT NULL,
            prefix        cidr,
            prefix_length smallint,
            ip_first      inet,
            ip_last       inet,
            origin        bigint,
            asn_first     bigint,
            asn_last      bigint,
            members       text[],
            lookup_keys   text[] NOT NULL DEFAULT '{}',
            last_modified timestamptz,
            updated       timestamptz NOT NULL DEFAULT now()
        ) PARTITION BY LIST (source)
    """)
    # The one declaration of the partitioned indexes, which a bulk load also builds per partition
    # (irr.store.bulk). A later change of it needs a migration that is right on databases made either way.
    for ddl in PARTITION_INDEXES:
        op.execute(ddl.format(name="rpsl_objects", table="rpsl_objects"))

    op.execute("""
        CREATE TABLE rpsl_journal (
            source       text NOT NULL,
            serial       bigint NOT NULL,
            operation    text NOT NULL CHECK (operation IN ('ADD', 'DEL')),
            object_class text NOT NULL,
            pk           text NOT NULL,
            object_text  text NOT NULL,
            origin       text NOT NULL,
            created      timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (source, serial)
        )
    """)
    op.execute("CREATE INDEX rpsl_journal_object ON rpsl_journal (source, object_class, pk, serial)")

    op.execute("""
        CREATE TABLE sources (
            name              text PRIMARY KEY,
            serial_newest     bigint,
            serial_oldest     bigint,
            last_load         timestamptz,
            last_load_serial  bigint,
            last_load_objects integer,
            last_error        text,
            last_error_at     timestamptz,
            updated           timestamptz NOT NULL DEFAULT now()
        )
    """)


def downgrade() -> None:
    op.execute("DROP TABLE sources")
    op.execute("DROP TABLE rpsl_journal")
    op.execute("DROP TABLE rpsl_objects")
