"""Errors as clients expect them: JSON for the API, plain text for filters and NRTMv4 files, a
page for people; a clean 4xx for bad input and a 503 without internals when the database is down.
Redirects never name the host the client claimed (`Host` is the client's to choose)."""
from __future__ import annotations

import logging
from collections.abc import Callable
from urllib.parse import urlsplit, urlunsplit

from flask import Flask, Response, jsonify, render_template, request
from flask_babel import force_locale, gettext
from sqlalchemy.exc import InterfaceError, OperationalError
from werkzeug.exceptions import InternalServerError

log = logging.getLogger(__name__)
_TEXT_PREFIXES = ("/v1/filters/prefix-set/", "/v1/filters/as-path/", "/nrtm4/", "/metrics")


def answer_kind() -> str:
    """json, text or html: what the client of this URL reads."""
    path = request.path
    if path.startswith(_TEXT_PREFIXES):
        return "text"
    return "json" if path.startswith("/v1/") or path == "/health" else "html"


def error_response(status: int, message: Callable[[], str], title: Callable[[], str]):
    """An error in the form the client of this URL reads (programs get English, people their
    language: `message` and `title` are called under the right locale); never cached."""
    kind = answer_kind()
    if kind == "html":
        response = Response(render_template("error.html", title=title(), message=message()), mimetype="text/html")
    else:
        with force_locale("en"):
            text = message()
        response = jsonify({"error": text}) if kind == "json" else Response(text + "\n", mimetype="text/plain")
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


def database_reason(error: Exception) -> str:
    """A short reason for a database failure, without its internals (host names, socket paths,
    user names and SQL stay in the log)."""
    original = getattr(error, "orig", None)
    state = getattr(original, "sqlstate", None)
    if isinstance(error, (OperationalError, InterfaceError)) and not state:
        return "the database does not accept connections"
    if state:
        return f"database error (SQLSTATE {state})"
    return "database error"


def register_errors(app: Flask) -> None:
    @app.before_request
    def refuse_nul():
        """A NUL can't be in any key, set or source name (PostgreSQL text refuses it)."""
        if "\x00" in request.path or any("\x00" in k or "\x00" in v for k, v in request.args.items(multi=True)):
            return error_response(400, lambda: gettext("The address contains a NUL character."),
                                  lambda: gettext("Bad request"))
        return None

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    def database_down(e):
        log.warning("database unavailable for %s %s: %s", request.method, request.path,
                    str(e).splitlines()[0][:300])
        response = error_response(503, lambda: gettext("The database is not available at the moment; please try "
                                                       "again later."), lambda: gettext("Service unavailable"))
        response.headers["Retry-After"] = "30"
        return response

    @app.errorhandler(InternalServerError)
    def internal_error(e):  # Flask has logged the exception already
        return error_response(500, lambda: gettext("Something went wrong on our side; the error was logged."),
                              lambda: gettext("Internal error"))

    @app.after_request
    def relative_location(response):
        """Werkzeug makes slash redirects (`/v1/submit` -> `/v1/submit/`) absolute from the Host
        header: keep only the path, so a forged Host never reaches a Location."""
        location = response.headers.get("Location")
        if location:
            parts = urlsplit(location)
            if parts.scheme or parts.netloc or location.startswith("//"):
                path = "/" + parts.path.lstrip("/")          # never `//host/...` (scheme-relative)
                response.headers["Location"] = urlunsplit(("", "", path, parts.query, parts.fragment))
        return response
