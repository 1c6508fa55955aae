"""The Flask application (application factory; `wsgi.py` exposes it to any WSGI server)."""
from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

from flask import Flask, request
from flask_babel import Babel

from irr.config import Config, load_config

LANGUAGES = ("en", "vi")
SECRET_FILE = "web-secret-key"
log = logging.getLogger(__name__)


def select_locale() -> str:
    """?lang= (remembered in a cookie), else the browser's Accept-Language."""
    chosen = request.args.get("lang") or request.cookies.get("lang")
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(LANGUAGES) or "en"


def secret_key(config: Config) -> str:
    """The key signing session cookies and CSRF tokens: IRR_WEB_SECRET_KEY, else a random key kept in
    `<data_dir>/web-secret-key` (made on first use, mode 0600) so that every worker of a WSGI server
    and every restart share it; a per-process key when the data directory can't be written."""
    env = os.environ.get("IRR_WEB_SECRET_KEY")
    if env:
        return env
    path = Path(config.data_dir) / SECRET_FILE
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            key = path.read_text().strip()
            if len(key) >= 32:
                return key
            raise OSError(f"{path} holds no usable key") from None
        key = secrets.token_hex(32)
        with os.fdopen(fd, "w") as f:
            f.write(key + "\n")
        return key
    except OSError as e:
        log.warning("web secret key: %s; using a per-process key (forms break across workers)", e)
        return secrets.token_hex(32)


def create_app(config: Config | None = None, store=None, memory=None) -> Flask:
    """Build the app. Without a store, one is made from the configuration on first use; `memory`
    (irr.query.memory.RoutingMemory) is shared with the whois server when `irr serve` runs."""
    from flask_wtf.csrf import CSRFProtect

    app = Flask(__name__)
    app.config["IRR_CONFIG"] = config = config or load_config()
    app.extensions["irr_store"] = store
    if memory is not None:
        app.extensions["irr_memory"] = memory
    app.config.update(SECRET_KEY=secret_key(config), SESSION_COOKIE_SAMESITE="Lax", SESSION_COOKIE_HTTPONLY=True,
                      WTF_CSRF_TIME_LIMIT=None)  # a token lives as long as the session cookie
    Babel(app, locale_selector=select_locale)
    from irr.web.errors import register_errors

    register_errors(app)  # first: a NUL in the URL is refused before anything reads it
    csrf = CSRFProtect(app)

    @app.after_request
    def remember_language(response):
        lang = request.args.get("lang")
        if lang in LANGUAGES:
            response.set_cookie("lang", lang, max_age=365 * 86400, samesite="Lax")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if response.mimetype == "text/html":
            response.headers.setdefault("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'; "
                                        "form-action 'self'; base-uri 'none'")
        else:  # text, JSON, files: never run as a page, whatever a client guesses
            response.headers.setdefault("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
        return response

    @app.context_processor
    def languages():
        from flask_babel import get_locale

        return {"languages": LANGUAGES, "current_language": str(get_locale()), "lang_url": _lang_url}

    from irr.web.api import bp as api_bp
    from irr.web.edit import bp as edit_bp
    from irr.web.filters import bp as filters_bp
    from irr.web.nrtm4 import bp as nrtm4_bp
    from irr.web.status import bp as status_bp
    from irr.web.ui import bp as ui_bp
    from irr.web.ui import register_filters

    app.config["MAX_CONTENT_LENGTH"] = 1 << 20  # submissions are small; refuse anything bigger
    app.register_blueprint(status_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(nrtm4_bp)
    app.register_blueprint(filters_bp)
    app.register_blueprint(ui_bp)
    app.register_blueprint(edit_bp)
    from irr.web.ops import bp as ops_bp

    app.register_blueprint(ops_bp)
    from irr.web.rdap import bp as rdap_bp

    app.register_blueprint(rdap_bp)

    from irr.web import reports

    app.register_blueprint(reports.bp)
    reports.register(app)
    csrf.exempt(api_bp)  # JSON for programs (no cookies, no forms); every HTML form carries a token
    csrf.exempt(rdap_bp)  # read-only JSON; its other methods are answered with an RDAP error
    register_filters(app)
    return app


def _lang_url(lang: str) -> str:
    """The current page (GET) in another language."""
    from urllib.parse import urlencode

    # only the query string: a path like `/\\evil.example` would make the link leave the site
    args = [(k, v) for k, v in request.args.items(multi=True) if k != "lang"] + [("lang", lang)]
    return f"?{urlencode(args)}"


def get_store():
    """The store of the running app (made lazily for WSGI servers)."""
    from flask import current_app

    store = current_app.extensions.get("irr_store")
    if store is None:
        from irr.database import engine_for
        from irr.store import Store

        store = current_app.extensions["irr_store"] = Store(engine_for(current_app.config["IRR_CONFIG"]))
    return store


def get_lookups():
    """Read queries for the web pages (a small row limit: people read these results)."""
    from flask import current_app

    lookups = current_app.extensions.get("irr_lookups")
    if lookups is None:
        from irr.store.lookups import Lookups

        lookups = current_app.extensions["irr_lookups"] = Lookups(get_store().engine, max_rows=500)
    return lookups
