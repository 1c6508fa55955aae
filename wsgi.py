"""WSGI entry point: `gunicorn -w 4 -b 127.0.0.1:8080 wsgi:app` (configuration from IRR_CONFIG)."""
from irr.web import create_app

app = create_app()
