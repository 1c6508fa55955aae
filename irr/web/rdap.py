"""RDAP over HTTP (RFC 7480) under /rdap/: the answers of irr.rdap.service as JSON, with content
negotiation (application/rdap+json, or application/json when a client asks for that only), CORS
for browser clients, RDAP error objects for every failure, and a per-client rate limit (429)."""
from __future__ import annotations

import ipaddress
import json
import logging
import threading
import time

from flask import Blueprint, Response, current_app, request
from werkzeug.exceptions import HTTPException

from irr.rdap import MEDIA_TYPE
from irr.rdap.common import RdapError, error
from irr.rdap.search import SEARCHES
from irr.rdap.service import RdapService
from irr.store.lookups import LookupTimeout
from irr.store.registration import RegistrationLookups
from irr.web import get_store

bp = Blueprint("rdap", __name__, url_prefix="/rdap")
log = logging.getLogger(__name__)
MAX_CLIENTS = 100_000  # addresses counted per minute; more share one counter


class RateLimiter:
    """At most `per_minute` requests per client in each minute (fixed windows). IPv6 clients are
    counted per /64, the block a single host can pick addresses from."""

    def __init__(self, per_minute: int):
        self.per_minute = per_minute
        self.lock = threading.Lock()
        self.window = 0
        self.counts: dict[str, int] = {}

    @staticmethod
    def client(address: str | None) -> str:
        try:
            a = ipaddress.ip_address(address or "")
        except ValueError:
            return address or "?"
        return str(ipaddress.ip_network(f"{a}/64", strict=False)) if a.version == 6 else str(a)

    def wait(self, address: str | None) -> int:
        """0 when the request may go ahead, else the seconds until the client may ask again."""
        if not self.per_minute:
            return 0
        now = time.monotonic()
        window = int(now // 60)
        key = self.client(address)
        with self.lock:
            if window != self.window:
                self.window, self.counts = window, {}
            if key not in self.counts and len(self.counts) >= MAX_CLIENTS:
                key = "*"
            self.counts[key] = n = self.counts.get(key, 0) + 1
        return 0 if n <= self.per_minute else max(1, int(60 - now % 60) + 1)


def service() -> RdapService:
    svc = current_app.extensions.get("irr_rdap")
    if svc is None:
        config = current_app.config["IRR_CONFIG"]
        store = get_store()
        lookups = RegistrationLookups(store.engine, max_rows=config.rdap.max_results,
                                      scope_hidden=config.scope_hidden_sources)
        svc = current_app.extensions["irr_rdap"] = RdapService(config, store, lookups)
        current_app.extensions["irr_rdap_limiter"] = RateLimiter(config.rdap.rate_limit)
    return svc


def answer(body: dict, status: int = 200, headers: dict | None = None) -> Response:
    """JSON as the client asked for it: application/rdap+json unless it accepts only application/json."""
    media = request.accept_mimetypes.best_match([MEDIA_TYPE, "application/json"], default=MEDIA_TYPE)
    data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return Response(data, status=status, mimetype=media, headers=headers)


def context():
    base = current_app.config["IRR_CONFIG"].rdap.base_url or request.url_root + "rdap"
    return service().context(base, request.url)


@bp.before_request
def limit():
    service()
    wait = current_app.extensions["irr_rdap_limiter"].wait(request.remote_addr)
    if wait:
        return answer(error(429, [f"Too many requests from this address: try again in {wait} seconds."]), 429,
                      {"Retry-After": str(wait)})
    return None


@bp.after_request
def cors(response: Response) -> Response:
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers.setdefault("Access-Control-Expose-Headers", "Retry-After")
    return response


@bp.errorhandler(RdapError)
def rdap_error(e: RdapError):
    return answer(error(e.code, e.description), e.code, {"Retry-After": "5"} if e.code == 503 else None)


@bp.errorhandler(LookupTimeout)
def timeout(e: LookupTimeout):
    return answer(error(503, ["The query took too long; try a more specific one."]), 503, {"Retry-After": "10"})


@bp.errorhandler(Exception)
def failure(e: Exception):
    if isinstance(e, HTTPException):  # e.g. a request too large for the server
        return answer(error(e.code or 500, [e.description or e.name]), e.code or 500)
    log.exception("RDAP request %s failed", request.path)
    return answer(error(500, ["The server failed to answer this query."]), 500)


@bp.route("/help")
def help_():
    return answer(service().answer(context(), "help"))


@bp.route("/ip/<path:query>")
def ip(query: str):
    return answer(service().answer(context(), "ip", query))


@bp.route("/ips/rirSearch1/rdap-up/<path:query>")
def ip_up(query: str):
    return answer(service().answer(context(), "ip_up", query))


@bp.route("/ips/rirSearch1/rdap-down/<path:query>")
def ip_down(query: str):
    return answer(service().answer(context(), "ip_down", query))


@bp.route("/autnum/<path:number>")
def autnum(number: str):
    return answer(service().answer(context(), "autnum", number))


@bp.route("/entity/<path:handle>")
def entity(handle: str):
    return answer(service().answer(context(), "entity", handle))


@bp.route("/domain/<path:name>")
def domain(name: str):
    return answer(service().answer(context(), "domain", name))


@bp.route("/<any(ips, autnums, entities, domains):kind>")
def search(kind: str):
    return answer(service().answer(context(), "search", kind, {k: request.args[k] for k in request.args}))


@bp.route("/nameserver/<path:name>")
@bp.route("/nameservers")
def nameserver(name: str = ""):
    raise RdapError(501, "Name servers are not registry objects here: see the nameservers of domain/<zone>.")


@bp.route("/", defaults={"rest": ""}, methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"])
@bp.route("/<path:rest>", methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"])
def unknown(rest: str):
    if request.method not in ("GET", "HEAD"):
        raise RdapError(400, "RDAP queries are GET requests.")
    known = ", ".join(["ip/", "autnum/", "entity/", "domain/", "help", *(f"{k}?" for k in SEARCHES)])
    raise RdapError(400, f"Unknown RDAP query {rest[:60]!r}: this server answers {known}.")
