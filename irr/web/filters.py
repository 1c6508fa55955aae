"""HTTP filters API: prefix sets and as-path lists in routers' own syntax (bgpq4's formats and
bytes), and as-set health reports. Answers are text/plain (health: JSON), cacheable: the ETag
derives from the serials of the sources used, so a client revalidates cheaply."""
from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict

from flask import Blueprint, Response, current_app, jsonify, request

from irr.web import get_store

bp = Blueprint("filters", __name__, url_prefix="/v1/filters")


def get_memory():
    """The routing data in memory: the whois server's when `irr serve` runs, else loaded here."""
    memory = current_app.extensions.get("irr_memory")
    if memory is None:
        from irr.query.memory import RoutingMemory

        memory = RoutingMemory(get_store())
        memory.load_all()
        memory.start_listener(get_store().engine.url.render_as_string(hide_password=False))
        current_app.extensions["irr_memory"] = memory
    return memory


def _sources(memory) -> list[str]:
    config = current_app.config["IRR_CONFIG"]
    wanted = request.args.get("sources")
    if wanted:
        return [s.strip().upper() for s in wanted.split(",") if s.strip()]
    return list(config.source_order) or sorted(memory.snapshots)


def _limits():
    from irr.query.sets import Limits

    w = current_app.config["IRR_CONFIG"].whois
    return Limits(int(w["max_set_depth"]), int(w["max_set_size"]))


class _GoodTags:
    """ETags this process has answered 200 with (bounded, most recent kept). Only those get a 304:
    an ETag is derived before the answer is made, and an error answer must never be confirmed."""

    def __init__(self, size: int = 4096):
        self.size = size
        self.tags: OrderedDict[str, None] = OrderedDict()
        self.lock = threading.Lock()

    def __contains__(self, tag: str) -> bool:
        with self.lock:
            return tag in self.tags

    def add(self, tag: str) -> None:
        with self.lock:
            self.tags[tag] = None
            self.tags.move_to_end(tag)
            while len(self.tags) > self.size:
                self.tags.popitem(last=False)


def _good_tags() -> _GoodTags:
    return current_app.extensions.setdefault("irr_filter_etags", _GoodTags())


def _answer(argv: list[str]) -> Response:
    from irr.export.generate import generate
    from irr.query.sets import SetLimitError

    memory = get_memory()
    memory.refresh()
    sources = _sources(memory)
    unknown = [s for s in sources if s not in memory.snapshots]
    if unknown:
        return Response(f"unknown source(s): {', '.join(unknown)}\n", 400, mimetype="text/plain")
    etag = hashlib.sha256(repr((memory.versions(sources), argv)).encode()).hexdigest()[:32]
    good = _good_tags()
    if etag in request.if_none_match and etag in good:
        return Response(status=304, headers={"ETag": f'"{etag}"'})
    try:
        output, rc = generate(memory.view(sources, _limits()), argv)
    except SetLimitError as e:
        return Response(f"too large: {e}\n", 413, mimetype="text/plain", headers={"Cache-Control": "no-store"})
    if rc != 0:  # bgpq4 refused (e.g. juniper prefix-lists can't aggregate): an error, never cached
        return Response(output, 422, mimetype="text/plain", headers={"Cache-Control": "no-store"})
    good.add(etag)
    response = Response(output, 200, mimetype="text/plain")
    response.headers["ETag"] = f'"{etag}"'
    response.headers["Cache-Control"] = "public, max-age=60"
    return response


def _flag(name: str) -> bool:
    return request.args.get(name, "").lower() in ("1", "true", "yes", "on")


@bp.route("/prefix-set/<path:objects>")
def prefix_set(objects: str):
    """/v1/filters/prefix-set/AS-FOO?format=juniper&af=6&aggregate=1&name=FOO&max_length=48"""
    from irr.export.options import OptionError, prefix_set_args

    try:
        argv = prefix_set_args(objects.split(","), request.args.get("format", "cisco"),
                               int(request.args.get("af", 4)), _flag("aggregate"), request.args.get("name"),
                               int(request.args["max_length"]) if request.args.get("max_length") else None)
    except (OptionError, ValueError) as e:
        return Response(f"{e}\n", 400, mimetype="text/plain")
    return _answer(argv)


@bp.route("/as-path/<path:objects>")
def as_path(objects: str):
    """/v1/filters/as-path/AS-FOO?asn=64500&format=juniper&name=FOO"""
    from irr.export.options import OptionError, as_path_args

    try:
        argv = as_path_args(objects.split(","), int(request.args.get("asn", "")), request.args.get("format", "cisco"),
                            request.args.get("name"))
    except (OptionError, ValueError) as e:
        return Response(f"{e} (asn=<your AS number> is needed)\n", 400, mimetype="text/plain")
    return _answer(argv)


@bp.route("/health/<name>")
def health(name: str):
    """/v1/filters/health/AS-FOO: depth, sizes, cycles, missing members, largest contributors."""
    from irr.export.health import check
    from irr.query.sets import SetLimitError

    memory = get_memory()
    memory.refresh()
    sources = _sources(memory)
    unknown = [s for s in sources if s not in memory.snapshots]
    if unknown:
        return jsonify({"error": f"unknown source(s): {', '.join(unknown)}"}), 400
    try:
        return jsonify(check(memory.view(sources, _limits()), name).as_dict())
    except SetLimitError as e:
        return jsonify({"error": f"too large: {e}"}), 413
