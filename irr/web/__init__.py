"""The web interface and HTTP API (Flask); `create_app` builds it, `wsgi.py` exposes it to any WSGI server."""
from irr.web.app import create_app

__all__ = ["create_app"]
