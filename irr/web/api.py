"""HTTP JSON API: IRRd-compatible submissions (`/v1/submit/`) and object history."""
from __future__ import annotations

import json

from flask import Blueprint, current_app, jsonify, request

from irr.updates.submission import from_api, from_texts
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


class BadInput(ValueError):
    """The request's JSON is not what /v1/submit/ takes; the message says what is wrong."""


def _read_json() -> dict:
    """The request body as a JSON object (size bounded by MAX_CONTENT_LENGTH, nesting by the parser)."""
    if not request.is_json:  # also what keeps cross-site HTML forms out: they can't send this type
        raise BadInput("send a JSON object with Content-Type: application/json")
    try:
        data = json.loads(request.get_data(cache=False))
    except RecursionError:
        raise BadInput("the JSON is nested too deeply") from None
    except ValueError as e:  # UnicodeDecodeError included
        raise BadInput(f"the body is not valid JSON: {str(e)[:100]}") from None
    if not isinstance(data, dict):
        raise BadInput("expected a JSON object with a list of objects")
    return data


def _optional(data: dict, key: str, kind: type, what: str):
    value = data.get(key)
    if value is not None and (not isinstance(value, kind) or (kind is not bool and isinstance(value, bool))):
        raise BadInput(f"{key} must be {what}")
    return value


def _texts(objects) -> list[str]:
    """Each element of `objects` as RPSL text: `object_text`, or `attributes` as name/value pairs."""
    if not isinstance(objects, list) or not objects:
        raise BadInput("objects must be a non-empty list of objects")
    texts = []
    for i, obj in enumerate(objects):
        where = f"objects[{i}]"
        if not isinstance(obj, dict):
            raise BadInput(f"{where} must be a JSON object with object_text or attributes")
        if "object_text" in obj:
            if not isinstance(obj["object_text"], str):
                raise BadInput(f"{where}.object_text must be a string")
            text = obj["object_text"]
        elif "attributes" in obj:
            attributes = obj["attributes"]
            if not isinstance(attributes, list) or not attributes:
                raise BadInput(f"{where}.attributes must be a non-empty list of {{\"name\": ..., \"value\": ...}}")
            lines = []
            for j, attr in enumerate(attributes):
                name, value = (attr.get("name"), attr.get("value", "")) if isinstance(attr, dict) else (None, None)
                if isinstance(value, list) and all(isinstance(v, str) for v in value):
                    value = ", ".join(value)
                if not isinstance(name, str) or not name or not isinstance(value, str):
                    raise BadInput(f"{where}.attributes[{j}] must be {{\"name\": string, \"value\": string or "
                                   "list of strings}")
                lines.append(f"{name}: {value}")
            text = "\n".join(lines)
        else:
            raise BadInput(f"{where} needs object_text or attributes")
        if not from_texts([(text, frozenset())]).requests:
            raise BadInput(f"{where} holds no RPSL object (expected lines of `attribute: value`)")
        texts.append(text)
    return texts


@bp.route("/submit/", methods=["POST", "DELETE"])
def submit():
    """IRRd's /v1/submit/: POST creates or modifies, DELETE deletes (with delete_reason)."""
    from irr.updates.report import api_reply
    from irr.updates.service import handle_api

    try:
        data = _read_json()
        texts = _texts(data.get("objects"))
        passwords = _optional(data, "passwords", list, "a list of strings") or []
        if not all(isinstance(p, str) for p in passwords):
            raise BadInput("passwords must be a list of strings")
        override = _optional(data, "override", str, "a string")
        reason = _optional(data, "delete_reason", str, "a string")
        dry_run = _optional(data, "dry_run", bool, "true or false (a JSON boolean, not a string)") or False
    except BadInput as e:
        return jsonify({"error": str(e)}), 400
    delete_reason = None
    if request.method == "DELETE":
        delete_reason = reason or "(deleted through the API)"
    client = request.remote_addr or "?"
    meta = {"HTTP-client-IP": client, "HTTP-User-Agent": request.headers.get("User-Agent", "")}
    sub = from_api([{"object_text": t} for t in texts], passwords, override, delete_reason, meta, dry_run=dry_run)
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
