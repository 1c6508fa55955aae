"""HTTP JSON API: IRRd-compatible submissions (`/v1/submit/`) and object history."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request

from irr.web import get_store

bp = Blueprint("api", __name__, url_prefix="/v1")


def get_pipeline():
    pipeline = current_app.extensions.get("irr_pipeline")
    if pipeline is None:
        from irr.updates.service import build_pipeline

        # a query front end reads a replica; submissions go to the primary (the write store)
        store = current_app.extensions.get("irr_write_store") or get_store()
        pipeline = current_app.extensions["irr_pipeline"] = build_pipeline(current_app.config["IRR_CONFIG"], store)
    return pipeline


@bp.route("/submit/", methods=["POST", "DELETE"])
def submit():
    """IRRd's /v1/submit/: POST creates or modifies, DELETE deletes (with delete_reason)."""
    from irr.updates.report import api_reply
    from irr.updates.service import handle_api
    from irr.updates.submission import from_api

    data = request.get_json(silent=True)
    if not isinstance(data, dict) or not isinstance(data.get("objects"), list):
        return jsonify({"error": "expected a JSON object with a list of objects"}), 400
    passwords = data.get("passwords") or []
    if not isinstance(passwords, list):
        return jsonify({"error": "passwords must be a list"}), 400
    delete_reason = None
    if request.method == "DELETE":
        delete_reason = str(data.get("delete_reason") or "(deleted through the API)")
    client = request.remote_addr or "?"
    meta = {"HTTP-client-IP": client, "HTTP-User-Agent": request.headers.get("User-Agent", "")}
    try:
        sub = from_api(data["objects"], passwords, data.get("override"), delete_reason, meta,
                       dry_run=bool(data.get("dry_run")))
    except (ValueError, AttributeError, TypeError) as e:
        return jsonify({"error": str(e)}), 400
    outcome = handle_api(get_pipeline(), sub, client)
    return jsonify(api_reply(outcome))


@bp.route("/history/<source>/<object_class>/<path:pk>")
def history(source: str, object_class: str, pk: str):
    """Every version of an object, from the journal (hashes masked)."""
    from rpsl.output import mask_hashes

    rows = get_store().history([source.upper()], pk, object_class.lower())
    if not rows:
        return jsonify({"error": "no history for this object"}), 404
    return jsonify({"source": source.upper(), "object_class": object_class.lower(), "pk": rows[0].pk,
                    "versions": [{"version": i + 1, "serial": r.serial, "operation": r.operation,
                                  "timestamp": r.created.isoformat(), "object_text": mask_hashes(r.object_text)}
                                 for i, r in enumerate(rows)]})
