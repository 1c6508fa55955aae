"""The front page: sources, their serials and object counts per class."""
from __future__ import annotations

from flask import Blueprint, current_app, render_template

from irr.web.context import get_store
from rpsl.schema import CLASSES

bp = Blueprint("status", __name__)


@bp.route("/")
def index():
    store = get_store()
    config = current_app.config["IRR_CONFIG"]
    counts = store.counts()
    sources = store.sources()
    names = [s.name for s in sources]
    classes = [c.name for c in CLASSES if any(c.name in counts.get(s, {}) for s in names)]
    return render_template("status.html", sources=sources, counts=counts, classes=classes, config=config,
                           totals={s: sum(counts.get(s, {}).values()) for s in names},
                           security=store.security_summary(), jobs=store.jobs())
