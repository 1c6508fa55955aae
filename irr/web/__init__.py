"""The Flask application (application factory; `wsgi.py` exposes it to any WSGI server)."""
from __future__ import annotations

from flask import Flask, request
from flask_babel import Babel

from irr.config import Config, load_config

LANGUAGES = ("en", "vi")


def select_locale() -> str:
    """?lang= (remembered in a cookie), else the browser's Accept-Language."""
    chosen = request.args.get("lang") or request.cookies.get("lang")
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(LANGUAGES) or "en"


def create_app(config: Config | None = None, store=None, memory=None) -> Flask:
    """Build the app. Without a store, one is made from the configuration on first use; `memory`
    (irr.query.memory.RoutingMemory) is shared with the whois server when `irr serve` runs."""
    app = Flask(__name__)
    app.config["IRR_CONFIG"] = config or load_config()
    app.extensions["irr_store"] = store
    if memory is not None:
        app.extensions["irr_memory"] = memory
    Babel(app, locale_selector=select_locale)

    @app.after_request
    def remember_language(response):
        lang = request.args.get("lang")
        if lang in LANGUAGES:
            response.set_cookie("lang", lang, max_age=365 * 86400, samesite="Lax")
        return response

    @app.context_processor
    def languages():
        from flask_babel import get_locale

        return {"languages": LANGUAGES, "current_language": str(get_locale())}

    from irr.web.api import bp as api_bp
    from irr.web.filters import bp as filters_bp
    from irr.web.nrtm4 import bp as nrtm4_bp
    from irr.web.status import bp as status_bp

    app.config["MAX_CONTENT_LENGTH"] = 1 << 20  # submissions are small; refuse anything bigger
    app.register_blueprint(status_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(nrtm4_bp)
    app.register_blueprint(filters_bp)
    return app


def get_store():
    """The store of the running app (made lazily for WSGI servers)."""
    from flask import current_app

    store = current_app.extensions.get("irr_store")
    if store is None:
        from irr.database import engine_for
        from irr.store import Store

        store = current_app.extensions["irr_store"] = Store(engine_for(current_app.config["IRR_CONFIG"]))
    return store
