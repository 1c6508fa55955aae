"""Alembic environment: migrations run on the connection irr.store.upgrade() hands over."""
from alembic import context

connection = context.config.attributes.get("connection")
if connection is None:  # `alembic` command line: use sqlalchemy.url from alembic.ini / -x url=
    import sqlalchemy as sa

    url = context.get_x_argument(as_dictionary=True).get("url") or context.config.get_main_option("sqlalchemy.url")
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        context.configure(connection=conn, transactional_ddl=True)
        with context.begin_transaction():
            context.run_migrations()
else:
    context.configure(connection=connection, transactional_ddl=True)
    with context.begin_transaction():
        context.run_migrations()
