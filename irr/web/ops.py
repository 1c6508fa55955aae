"""Operations endpoints: Prometheus metrics and a health check for load balancers."""
from __future__ import annotations

import logging

import sqlalchemy as sa
from flask import Blueprint, Response, jsonify

from irr.web import get_store
from irr.web.errors import database_reason

log = logging.getLogger(__name__)
bp = Blueprint("ops", __name__)


@bp.route("/metrics")
def metrics():
    from prometheus_client import CONTENT_TYPE_LATEST

    from irr.metrics import exposition

    return Response(exposition(get_store()), mimetype=CONTENT_TYPE_LATEST)


@bp.route("/health")
def health():
    """200 when the database answers (a replica too), 503 otherwise."""
    try:
        with get_store().engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
            replica = conn.execute(sa.text("SELECT pg_is_in_recovery()")).scalar()
    except Exception as e:  # any database failure means: take this instance out of the pool
        log.warning("health check: %s", str(e).splitlines()[0][:300] if str(e) else repr(e))
        return jsonify({"status": "unavailable", "error": database_reason(e)}), 503
    return jsonify({"status": "ok", "database": "replica" if replica else "primary"})
