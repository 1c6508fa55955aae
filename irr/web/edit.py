"""Creating, modifying and deleting objects through forms generated from rpsl.schema.

Every submission goes through the one update pipeline (irr.updates), as e-mail and the HTTP API
do: the same validation, authorisation, journal entries and notifications. Preview is the
pipeline's dry run. Passwords are read from the request and handed to the pipeline, nothing more:
they are never written into a page, a hidden field, the session, a cookie or a log, so each
submission asks for them again.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext

from irr.updates.submission import from_texts
from irr.web.context import get_lookups, get_pipeline, get_store
from irr.web.form import (
    Row,
    add_attribute,
    add_row,
    can_remove,
    editable,
    place_errors,
    remove_row,
    rows_from_form,
    rows_from_text,
    rows_to_text,
    template_rows,
    to_text,
)
from irr.web.render import cards, diff, object_url
from irr.web.ui import _Text, search_sources
from rpsl.output import mask_hashes
from rpsl.schema import CLASSES, SCHEMA, ObjectClass

bp = Blueprint("edit", __name__)
MAX_PASSWORD_FIELDS = 8
# password: / override: lines typed into the RPSL text are used, then dropped from what is shown again
# (indented or `+` lines too: the pipeline takes those as credentials as well)
_SECRET_LINE = re.compile(r"^[ \t+]*(password|override)[ \t]*:.*$\n?", re.IGNORECASE | re.MULTILINE)


@dataclass
class EditState:
    """Everything one rendering of the object form shows (never a password)."""

    cls: ObjectClass
    action: str
    mode: str = "form"                   # form | text
    rows: list[Row] = field(default_factory=list)
    text: str = ""
    signed: str = ""
    password_fields: int = 1
    general: list[str] = field(default_factory=list)
    auth_errors: list[str] = field(default_factory=list)
    override_errors: list[str] = field(default_factory=list)
    outcome: list[dict] | None = None
    dry_run: bool = False
    existing: tuple[str, str, str] | None = None   # (source, class, pk) when modifying


def authoritative_sources() -> list[str]:
    config = current_app.config["IRR_CONFIG"]
    names = [s for s in config.source_order if config.source(s).authoritative]
    return names + sorted(s for s, c in config.sources.items() if c.authoritative and s not in names)


@bp.route("/create")
def choose():
    """Which class to create."""
    return render_template("choose.html", classes=CLASSES, sources=authoritative_sources())


@bp.route("/create/<object_class>", methods=["GET", "POST"])
def create(object_class: str):
    cls = SCHEMA.get(object_class.lower())
    sources = authoritative_sources()
    if cls is None or not sources:
        abort(404)
    state = EditState(cls, url_for("edit.create", object_class=cls.name))
    if request.method == "GET":
        state.rows = template_rows(cls, sources[0])
        for row in state.rows:  # ?origin=AS64500&mnt-by=MAINT-X fills the template in
            value = request.args.get(row.name, "").strip()
            if value and not row.value:
                row.value = value[:1000]
        if request.args.get("mode") == "text":
            state.mode, state.text = "text", to_text(state.rows, cls)
        return _render(state)
    return _post(state)


@bp.route("/modify/<source>/<object_class>/<path:pk>", methods=["GET", "POST"])
def modify(source: str, object_class: str, pk: str):
    row = _stored(source, object_class, pk)
    cls = SCHEMA[row.object_class]
    state = EditState(cls, url_for("edit.modify", source=row.source, object_class=row.object_class, pk=row.pk),
                      existing=(row.source, row.object_class, row.pk))
    if request.method == "GET":
        _, state.rows = rows_from_text(mask_hashes(row.object_text))
        _lock_keys(state)
        if request.args.get("mode") == "text":
            state.mode, state.text = "text", to_text(state.rows, cls)
        return _render(state)
    return _post(state)


@bp.route("/delete/<source>/<object_class>/<path:pk>", methods=["GET", "POST"])
def delete(source: str, object_class: str, pk: str):
    """Delete with a reason, authenticated as any change is."""
    row = _stored(source, object_class, pk)
    [card] = cards([_Text(row.source, row.object_class, row.pk, row.object_text)], get_lookups(), search_sources())
    state = EditState(SCHEMA[row.object_class], url_for("edit.delete", source=row.source,
                                                        object_class=row.object_class, pk=row.pk))
    reason = request.form.get("reason", "").strip()[:500]
    if request.method == "POST":
        state.password_fields = _password_fields()
        state.signed = _SECRET_LINE.sub("", request.form.get("signed", ""))
        op = request.form.get("op", "preview")
        if op == "add_password":
            state.password_fields = min(state.password_fields + 1, MAX_PASSWORD_FIELDS)
        elif op in ("preview", "submit"):
            parts = [(row.object_text, frozenset())]
            if state.signed.strip():
                parts = _signed_parts(state)
            if parts:
                outcome = _process(state, parts, op == "preview", reason or "(no reason given)")
                if outcome is not None:
                    return outcome
    return _render(state, "delete.html", card=card, reason=reason)


def _stored(source: str, object_class: str, pk: str):
    source, object_class = source.upper(), object_class.lower()
    if object_class not in SCHEMA or not current_app.config["IRR_CONFIG"].source(source).authoritative:
        abort(404)
    row = get_store().get(source, object_class, pk)
    if row is None:
        abort(404)
    return row


def _lock_keys(state: EditState) -> None:
    """A modification keeps the object's primary key (another key is another object)."""
    for row in state.rows:
        attr = state.cls.get(row.name)
        row.readonly = bool(attr and attr.key)


def _password_fields() -> int:
    try:
        n = int(request.form.get("password_fields", "1"))
    except ValueError:
        n = 1
    return max(1, min(n, MAX_PASSWORD_FIELDS))


def _post(state: EditState):
    form = request.form
    state.mode = form.get("mode") if form.get("mode") in ("form", "text") else "form"
    state.password_fields = _password_fields()
    state.text = _SECRET_LINE.sub("", form.get("rpsl", "").replace("\r\n", "\n"))
    state.signed = _SECRET_LINE.sub("", form.get("signed", "").replace("\r\n", "\n"))
    values = [_SECRET_LINE.sub("", v.replace("\r\n", "\n")) for v in form.getlist("value")]
    rows, refused = rows_from_form(form.getlist("attr"), values, state.cls)
    if refused:
        state.general.append(gettext("Not attributes of class %(cls)s: %(names)s", cls=state.cls.name,
                                     names=", ".join(sorted(set(refused)))[:200]))
    state.rows = rows
    if state.existing:
        _lock_keys(state)
    op = form.get("op", "preview")
    kind, _, arg = op.partition(":")
    if kind in ("add", "remove") and arg.isdigit():
        index = int(arg)
        if kind == "add":
            add_row(rows, index)
        elif index < len(rows) and can_remove(rows, index, state.cls) and not rows[index].readonly:
            remove_row(rows, index)
    elif op == "add_attr":
        add_attribute(rows, state.cls, form.get("new_attr", ""))
    elif op == "add_password":
        state.password_fields = min(state.password_fields + 1, MAX_PASSWORD_FIELDS)
    elif op == "to_text":
        state.mode, state.text = "text", to_text(rows, state.cls)
    elif op == "to_form":
        cls, parsed = rows_from_text(state.text)
        if cls is None or (state.existing and cls.name != state.cls.name):
            state.general.append(gettext("The text does not hold an object of class %(cls)s.", cls=state.cls.name))
        else:
            state.cls, state.rows, state.mode = cls, parsed, "form"
            if state.existing:
                _lock_keys(state)
            else:
                state.action = url_for("edit.create", object_class=cls.name)
    elif op in ("preview", "submit") and not refused:
        line_rows = None
        if state.signed.strip():
            parts = _signed_parts(state)
        elif state.mode == "text":
            parts = [(state.text, frozenset())]
        else:
            text, line_rows = rows_to_text(rows)
            parts = [(text, frozenset())]
        if parts:
            response = _process(state, parts, op == "preview", None, line_rows)
            if response is not None:
                return response
    return _render(state)


def _signed_parts(state: EditState) -> list[tuple[str, frozenset[str]]]:
    """The clear-signed blocks pasted into the form, each with its verified signer."""
    try:
        blocks = get_pipeline().keyring.verify_inline(state.signed)
    except Exception as e:  # gpg missing or failing: say so, change nothing
        state.general.append(gettext("The PGP signature could not be checked: %(error)s", error=str(e)))
        return []
    if not blocks:
        state.general.append(gettext("No PGP-signed message was found in the signed text: it must start with "
                                     "-----BEGIN PGP SIGNED MESSAGE-----."))
        return []
    for block in blocks:
        if block.fingerprint is None:
            state.general.append(gettext("The PGP signature did not verify (%(problem)s); the text was "
                                         "processed as unsigned.", problem=block.problem or "?"))
    return [(b.text, frozenset({b.fingerprint}) if b.fingerprint else frozenset()) for b in blocks]


def _process(state: EditState, parts, dry_run: bool, delete_reason: str | None,
             line_rows: dict[int, int] | None = None):
    """Run the submission through the pipeline; a redirect when it was saved, else None (the page
    is rendered again with the preview or the errors)."""
    client = request.remote_addr or "?"
    meta = {"HTTP-client-IP": client, "HTTP-User-Agent": request.headers.get("User-Agent", "")}
    sub = from_texts(parts, meta, delete_reason)
    sub.passwords.extend(p for p in request.form.getlist("password") if p)
    override = request.form.get("override") or None
    if override:
        sub.override = override
    sub.dry_run = sub.dry_run or dry_run
    if not sub.requests:
        state.general.append(gettext("There is no object to submit."))
        return None
    outcome = get_pipeline().process(sub, f"web {client}")
    if outcome.successful and not outcome.dry_run:
        return _saved(state, outcome)
    state.dry_run = outcome.dry_run
    views = []
    placeable = line_rows is not None and len(outcome.requests) == 1
    for req in outcome.requests:
        errors, auth = place_errors(list(req.errors), state.rows, line_rows if placeable else None)
        state.auth_errors.extend(auth)
        infos = [i for i in req.infos if not i.startswith("Dry run:")]
        state.override_errors.extend(i for i in infos if "override password" in i)
        infos = [i for i in infos if "override password" not in i]
        new = req.new_text if req.ok and req.operation != "delete" else None
        views.append({"req": req, "errors": errors, "infos": infos, "new": mask_hashes(new) if new else None,
                      "diff": diff(req.old_text, new) if req.ok else [],
                      "url": object_url(req.source, req.object_class, req.pk)
                      if req.source and req.operation in ("modify", "noop", "delete") else None})
    state.outcome = views
    return None


def _saved(state: EditState, outcome):
    """After a committed change: to the object (or its history when deleted), with a message."""
    messages = {"create": gettext("Object created: %(what)s"), "modify": gettext("Object modified: %(what)s"),
                "delete": gettext("Object deleted: %(what)s"),
                "noop": gettext("No change: the submitted object is identical to the current one (%(what)s).")}
    for req in outcome.requests:
        flash(messages[req.operation] % {"what": f"[{req.object_class}] {req.pk}"}, "success")
    last = outcome.requests[-1]
    if last.operation == "delete":
        return redirect(url_for("ui.history", source=last.source, object_class=last.object_class, pk=last.pk), 303)
    return redirect(object_url(last.source, last.object_class, last.pk), 303)


def _render(state: EditState, template: str = "edit.html", **extra):
    rows = state.rows
    first_of = {}
    for i, row in enumerate(rows):
        first_of.setdefault(row.name, i)
    removable = [can_remove(rows, i, state.cls) and not row.readonly for i, row in enumerate(rows)]
    error_rows = [(i, row) for i, row in enumerate(rows) if row.errors]
    response = current_app.make_response(render_template(
        template, state=state, cls=state.cls, rows=rows, first_of=first_of, removable=removable,
        error_rows=error_rows, attributes=editable(state.cls), **extra))
    response.headers["Cache-Control"] = "no-store"
    return response
