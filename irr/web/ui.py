"""Reading pages: search (one box, anything whois takes), object pages with links, resolved set
members on demand, and history from the journal with a diff between any two versions."""
from __future__ import annotations

from flask import Blueprint, Flask, abort, current_app, render_template, request
from flask_babel import gettext

from irr.web import get_lookups, get_store
from irr.web.render import cards, diff
from rpsl.output import mask_hashes
from rpsl.schema import SCHEMA

bp = Blueprint("ui", __name__)
MAX_CARDS = 100
MAX_MEMBERS = 5000
SET_CLASSES = ("as-set", "route-set")


def register_filters(app: Flask) -> None:
    """Template helpers: schema help texts through the catalogue, operation names."""

    @app.template_filter("translated")
    def translated(text: str) -> str:
        return gettext(text) if text else ""

    @app.template_filter("operation")
    def operation(name: str) -> str:
        names = {"create": gettext("create"), "modify": gettext("modify"), "delete": gettext("delete"),
                 "noop": gettext("no change")}
        return names.get(name, name)

    @app.errorhandler(404)
    def not_found(e):
        if request.path.startswith(("/v1/", "/nrtm4/")):
            return "not found\n", 404, {"Content-Type": "text/plain; charset=utf-8"}
        return render_template("error.html", title=gettext("Not found"),
                               message=gettext("There is no such page or object.")), 404

    from flask_wtf.csrf import CSRFError

    @app.errorhandler(CSRFError)
    def csrf_error(e):
        return render_template("error.html", title=gettext("The form has expired"),
                               message=gettext("The form was not accepted (its security token is missing or "
                                               "expired). Please open the page again and resubmit.")), 400


def search_sources() -> list[str]:
    """Sources in the configured priority order (all known sources when none is configured)."""
    config = current_app.config["IRR_CONFIG"]
    known = [s.name for s in get_store().sources()]
    order = list(config.source_order) or sorted(known)
    return order + [s for s in known if s not in order]


def authoritative(source: str) -> bool:
    return current_app.config["IRR_CONFIG"].source(source).authoritative


@bp.route("/search")
def search():
    """One box: AS number, prefix, address, range, set, mntner, handle, name; or `inverse=ATTR`."""
    from irr.query.ripe import INVERSE_ATTRIBUTES, _free_text, _unique
    from irr.store.lookups import LookupTimeout
    from rpsl.errors import ValueSyntaxError

    query = " ".join(request.args.get("q", "").replace("\x00", "").split())[:200]
    inverse = request.args.get("inverse", "")
    inverse = inverse if inverse in INVERSE_ATTRIBUTES else ""
    results, error, truncated = [], None, False
    if query:
        sources = search_sources()
        lookups = get_lookups()
        try:
            if inverse:
                found = [lookups.by_inverse(sources, inverse, query)]
            else:
                found = _free_text(query, sources, None, lookups)
            objs = _unique(o for r in found for o in r)
            truncated = len(objs) > MAX_CARDS or any(r.truncated for r in found)
            results = cards(objs[:MAX_CARDS], lookups, sources)
        except ValueSyntaxError as e:
            error = e.message
        except LookupTimeout:
            error = gettext("The search took too long; please make it more specific.")
    return render_template("search.html", query=query, inverse=inverse, results=results, error=error,
                           truncated=truncated, max_cards=MAX_CARDS)


@bp.route("/object/<source>/<object_class>/<path:pk>")
def object_page(source: str, object_class: str, pk: str):
    """One object: its text with links, source, last change, RPKI status when known, actions."""
    source, object_class = source.upper(), object_class.lower()
    if object_class not in SCHEMA:
        abort(404)
    row = get_store().get(source, object_class, pk)
    if row is None:
        deleted = bool(get_store().history([source], pk, object_class))
        return render_template("missing.html", source=source, object_class=object_class, pk=pk.upper(),
                               deleted=deleted), 404
    [card] = cards([_Text(row.source, row.object_class, row.pk, row.object_text)], get_lookups(), search_sources())
    members = None
    if object_class in SET_CLASSES and request.args.get("members"):
        members = resolved_members(source, object_class, row.pk)
    from rpsl.objects import parse

    return render_template("object.html", card=card, row=row, members=members, set_classes=SET_CLASSES,
                           editable=authoritative(source), rpki=rpki_status(row), scope=scope_status(row),
                           max_members=MAX_MEMBERS, can_create=any(
                               c.authoritative for c in current_app.config["IRR_CONFIG"].sources.values()),
                           mnt_by=", ".join(parse(row.object_text).values("mnt-by")))


class _Text:
    """What `cards` needs of a stored row."""

    def __init__(self, source: str, object_class: str, pk: str, text: str):
        self.source, self.object_class, self.pk, self.text = source, object_class, pk, text


def rpki_status(row) -> dict | None:
    """A route's RPKI origin validation state (RFC 6811: valid, invalid, not_found) and the ROAs
    covering its prefix; None for other classes and while no ROAs are loaded. The state is the
    stored one, which decides whether filters, queries, exports and NRTM show the route."""
    if row.object_class not in ("route", "route6") or row.prefix is None or row.origin is None:
        return None
    state, covering = get_store().rov(str(row.prefix), int(row.origin))
    state = row.rpki_status or state
    if state is None:
        return None
    return {"state": state, "roas": [{"prefix": str(r.prefix), "max_length": r.max_length, "asn": r.asn,
                                      "trust_anchor": r.trust_anchor} for r in covering]}


def scope_status(row) -> dict | None:
    """Whether the object's addresses or AS numbers are the NIR's (`in`/`out`), and whether its
    source hides out-of-scope objects; None when no scope is loaded or the class has none."""
    if row.scope_status is None:
        return None
    hidden = row.source in current_app.config["IRR_CONFIG"].scope_hidden_sources
    return {"state": row.scope_status, "hidden": row.scope_status == "out" and hidden}


def resolved_members(source: str, object_class: str, name: str) -> dict:
    """The set's members resolved recursively (AS numbers, or prefixes), as whois `!i…,1` does."""
    from irr.query.sets import Limits, SetLimitError, resolve_as_set, resolve_route_set
    from irr.web.filters import get_memory

    memory = get_memory()
    memory.refresh()
    w = current_app.config["IRR_CONFIG"].whois
    order = [source] + [s for s in search_sources() if s != source]
    view = memory.view(order, Limits(int(w["max_set_depth"]), int(w["max_set_size"])))
    try:
        if object_class == "as-set":
            found = resolve_as_set(view, name) or []
        else:
            found = resolve_route_set(view, name) or []
    except SetLimitError as e:
        return {"error": str(e), "items": [], "count": 0, "kind": object_class}
    return {"error": None, "items": found[:MAX_MEMBERS], "count": len(found), "kind": object_class}


@bp.route("/history/<source>/<object_class>/<path:pk>")
def history(source: str, object_class: str, pk: str):
    """Versions from the journal; `a` and `b` choose two to compare, `show` one to read."""
    source, object_class = source.upper(), object_class.lower()
    rows = get_store().history([source], pk, object_class)
    if not rows:
        abort(404)
    versions = [{"number": i, "serial": r.serial, "operation": r.operation, "created": r.created,
                 "origin_channel": r.origin.split(" ", 1)[0], "text": mask_hashes(r.object_text)}
                for i, r in enumerate(rows, 1)]
    count = len(versions)

    def number(name: str, default: int) -> int:
        value = request.args.get(name, "")
        return int(value) if value.isdigit() and 1 <= int(value) <= count else default

    a, b = number("a", max(1, count - 1)), number("b", count)
    shown = number("show", 0)
    return render_template("history.html", source=source, object_class=object_class, pk=rows[0].pk,
                           versions=versions, a=a, b=b,
                           diff=diff(_state(versions[a - 1]) if count > 1 else None, _state(versions[b - 1])),
                           shown=versions[shown - 1] if shown else None,
                           exists=get_store().get(source, object_class, rows[0].pk) is not None)


def _state(version: dict) -> str | None:
    """The object as it was after a version: a deletion leaves nothing."""
    return None if version["operation"] == "DEL" else version["text"]
