"""NRTMv4 repositories over HTTP: `/nrtm4/<SOURCE>/<file>` from the publisher's directory.

The update notification file may change at any time (`Cache-Control: no-cache`, revalidated by
ETag/Last-Modified); snapshot and delta files never change under their name (`immutable`).
Only sources with `nrtm4_server = true` and only NRTMv4 file names are served.
"""
from __future__ import annotations

from flask import Blueprint, abort, current_app, send_file

from mirror.nrtm4_files import FILE_NAME, UNF_NAME, publish_directory

bp = Blueprint("nrtm4", __name__)

IMMUTABLE = "public, max-age=31536000, immutable"
NOTIFICATION = "no-cache"


@bp.route("/nrtm4/<source>/<filename>")
def published(source: str, filename: str):
    """One published file of a source's NRTMv4 repository."""
    config = current_app.config["IRR_CONFIG"]
    settings = config.sources.get(source.upper())
    if settings is None or not settings.nrtm4_server:
        abort(404)
    if filename == UNF_NAME:
        mimetype, cache = "application/jose", NOTIFICATION
    elif FILE_NAME.match(filename):
        mimetype, cache = "application/gzip", IMMUTABLE
    else:
        abort(404)
    path = publish_directory(config, settings.name) / filename
    if not path.is_file():
        abort(404)
    response = send_file(path, mimetype=mimetype, conditional=True, etag=True, max_age=None)
    response.headers["Cache-Control"] = cache
    # werkzeug's conditional responses carry a Date; the HTTP server (werkzeug's, gunicorn ...)
    # sends its own: keep one
    del response.headers["Date"]
    return response
