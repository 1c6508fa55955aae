"""Routing hygiene on the web: the registry summary (counts per verdict, a chart of the daily
counts drawn as SVG on the server, the members with most to fix), a member's page, and a lookup
of what a user types (prefix, address, AS number, as-set); the same as JSON under /v1/reports/."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict

from flask import Blueprint, abort, current_app, jsonify, render_template, request
from flask_babel import gettext
from markupsafe import Markup, escape

from irr.reports.inputs import Settings
from irr.reports.report import lookup, member_report
from irr.reports.verdicts import CODES, SEVERITIES, VERDICTS, fix_text, severity
from irr.store.reports import ReportStore, TooManyPrefixes
from irr.web import get_store
from irr.web.filters import get_memory
from mirror.report_jobs import as_set_checker

bp = Blueprint("reports", __name__)
COLOURS = {"danger": "#a40e26", "warning": "#9a6700", "info": "#0a5a91", "ok": "#1a7f37"}
TOP_MEMBERS = 50
MAX_PREFIXES = 20000   # a member page or lookup covering more asks for the command line (irr report)


def _settings() -> Settings:
    return Settings.from_config(current_app.config["IRR_CONFIG"])


def _reports() -> ReportStore:
    """Reads on behalf of visitors are bounded: a statement timeout and a number of prefixes."""
    return ReportStore(get_store().engine, statement_timeout_ms=10000,
                       max_prefixes=current_app.config.get("IRR_REPORT_MAX_PREFIXES", MAX_PREFIXES))


def _check():
    return as_set_checker(current_app.config["IRR_CONFIG"], get_store(), get_memory())


def _member_name(value: str) -> str:
    name = value.strip().upper()[:80]
    if not name or any(not (c.isalnum() or c in "-_:") for c in name):
        abort(404)
    return name


def register(app) -> None:
    """Template helpers: verdict titles and fixes through the catalogue."""

    @app.template_filter("verdict_title")
    def verdict_title(code: str) -> str:
        return gettext(VERDICTS[code][1])

    @app.template_filter("fix")
    def fix(line) -> str:
        return fix_text(line.fix_key, line.fix_params, gettext)

    @app.template_filter("severity")
    def severity_of(code: str) -> str:
        return severity(code)


def chart(series: list[tuple[dt.date, str, int]], width: int = 720, height: int = 240) -> Markup:
    """Lines per severity over the days of `series`, as inline SVG (no script, no style attribute)."""
    per_day: dict[dt.date, dict[str, int]] = defaultdict(lambda: dict.fromkeys(SEVERITIES, 0))
    for day, verdict, lines in series:
        per_day[day][severity(verdict)] += lines
    days = sorted(per_day)
    if not days:
        return Markup("")
    left, bottom, top, right = 48, 28, 12, 110
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max(max(v.values()) for v in per_day.values()) or 1
    span = max((days[-1] - days[0]).days, 1)

    def x(day: dt.date) -> float:
        return left + plot_w * ((day - days[0]).days / span if len(days) > 1 else 0.5)

    def y(value: int) -> float:
        return top + plot_h * (1 - value / peak)

    title = escape(gettext("Report lines per day, by severity"))
    parts = [f'<svg class="chart" role="img" aria-label="{title}" viewBox="0 0 {width} {height}" '
             f'width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg"><title>{title}</title>',
             f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="#fff" stroke="#d0d7de"/>']
    for value in (0, peak // 2, peak):
        parts.append(f'<text x="{left - 6}" y="{y(value) + 4:.1f}" text-anchor="end" font-size="11">{value}</text>')
    for day in {days[0], days[-1]}:
        parts.append(f'<text x="{x(day):.1f}" y="{height - 8}" text-anchor="middle" font-size="11">{day}</text>')
    for n, sev in enumerate(SEVERITIES):
        points = " ".join(f"{x(d):.1f},{y(per_day[d][sev]):.1f}" for d in days)
        parts.append(f'<polyline fill="none" stroke="{COLOURS[sev]}" stroke-width="2" points="{points}"/>')
        for d in days:
            parts.append(f'<circle cx="{x(d):.1f}" cy="{y(per_day[d][sev]):.1f}" r="3" fill="{COLOURS[sev]}"/>')
        label = escape(_severity_name(sev))
        parts.append(f'<rect x="{width - right + 12}" y="{top + 18 * n}" width="12" height="12" fill="{COLOURS[sev]}"/>'
                     f'<text x="{width - right + 30}" y="{top + 18 * n + 11}" font-size="12">{label}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def _severity_name(sev: str) -> str:
    return {"danger": gettext("to fix now"), "warning": gettext("to clean up"), "info": gettext("to know"),
            "ok": gettext("in order")}[sev]


def _summary() -> dict:
    reports = _reports()
    day, members = reports.member_counts()
    series = reports.counts_series()
    latest = {v: n for d, v, n in series if d == day}
    danger = {c for c in CODES if severity(c) == "danger"}
    worst = sorted(members.items(), key=lambda kv: (-sum(n for c, n in kv[1].items() if c in danger),
                                                    -sum(kv[1].values()), kv[0]))
    return {"day": day, "latest": latest, "series": series, "members": worst, "table": reports.bgp_table()}


@bp.route("/reports")
def summary():
    data = _summary()
    rows = []
    for name, counts in data["members"][:TOP_MEMBERS]:
        per = dict.fromkeys(SEVERITIES, 0)
        for code, n in counts.items():
            per[severity(code)] += n
        rows.append((name, per))
    return render_template("reports_summary.html", codes=CODES, chart=chart(data["series"]), member_rows=rows,
                           severities=SEVERITIES, severity_name=_severity_name, **data)


@bp.route("/reports/member/<member>")
def member(member: str):
    name = _member_name(member)
    try:
        found = member_report(_reports(), _settings(), name, _check())
    except TooManyPrefixes as e:
        return render_template("error.html", title=gettext("Too large for a web page"),
                               message=gettext("The report of %(member)s covers %(what)s: use irr report member.",
                                               member=name, what=str(e))), 413
    if not found.holdings and not found.asns and not found.lines:
        abort(404)
    history = _reports().counts_series(name)
    return render_template("reports_member.html", report=found, codes=CODES, chart=chart(history))


@bp.route("/reports/lookup")
def lookup_page():
    query = request.args.get("q", "").replace("\x00", "")[:100]
    found = lookup(_reports(), _settings(), query, _check()) if query.strip() else None
    return render_template("reports_lookup.html", query=query, found=found)


# -- JSON --------------------------------------------------------------------------------------
@bp.route("/v1/reports/summary")
def api_summary():
    data = _summary()
    table = data["table"]
    return jsonify({"day": str(data["day"]) if data["day"] else None, "verdicts": data["latest"],
                    "daily": [{"day": str(d), "verdict": v, "lines": n} for d, v, n in data["series"]],
                    "members": dict(data["members"]),
                    "bgp_table": None if table is None else {"location": table.location, "format": table.format,
                                                             "routes": table.routes,
                                                             "loaded_at": table.loaded_at.isoformat()}})


@bp.route("/v1/reports/member/<member>")
def api_member(member: str):
    try:
        found = member_report(_reports(), _settings(), _member_name(member), _check())
    except TooManyPrefixes as e:
        return jsonify({"error": f"the report covers {e}: use irr report member"}), 413
    if not found.holdings and not found.asns and not found.lines:
        return jsonify({"error": f"{found.member} holds nothing and maintains no route object"}), 404
    return jsonify(found.as_dict())


@bp.route("/v1/reports/lookup")
def api_lookup():
    found = lookup(_reports(), _settings(), request.args.get("q", "")[:100], _check())
    return jsonify(found.as_dict()), 400 if found.error else 200
