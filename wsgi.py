"""WSGI entry point: `waitress-serve --listen=127.0.0.1:8080 wsgi:app` (configuration from IRR_CONFIG).
`irr serve` needs no entry point: it serves this app itself, beside whois and the jobs."""
from irr.web import create_app

app = create_app()
