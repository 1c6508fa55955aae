"""Routing hygiene reports on the generated data set (tests/report_dataset.py): every verdict,
member reports agree with the registry-wide run, daily counts, typed-in lookups."""
from __future__ import annotations

import dataclasses
import datetime as dt
import ipaddress

from irr.reports.inputs import Settings
from irr.reports.report import lookup, member_report, registry_run
from irr.reports.verdicts import CODES
from irr.store.reports import ReportStore, supernets
from tests import report_dataset as data


def _check(name: str):
    """The as-set check the application passes in (set resolution over the store's sets)."""
    return ([["AS64500:AS-CUSTOMERS", "AS64500:AS-CUSTOMERS"]], [("AS64500:AS-CUSTOMERS", "AS64500:AS-MISSING")]) \
        if name == "AS64500:AS-CUSTOMERS" else ([], [])


def test_every_verdict_in_the_generated_data_set(store, tmp_path):
    data.build(store, tmp_path)
    settings = Settings.from_config(data.config(tmp_path))
    reports = ReportStore(store.engine)
    alpha = member_report(reports, settings, data.ALPHA, _check)
    got = {(line.prefix, line.origin): line.verdict for line in alpha.lines}
    assert got == data.EXPECTED_ALPHA
    beta = member_report(reports, settings, data.BETA, _check)
    assert {(line.prefix, line.origin): line.verdict for line in beta.lines} == data.EXPECTED_BETA
    seen = set(got.values()) | {line.verdict for line in beta.lines}
    assert seen == set(CODES), set(CODES) - seen
    assert [h.range_text for h in alpha.holdings] == ["203.119.0.0/18", "203.119.128.0/20", "2405:4800::/32"]
    assert alpha.asns == [64500]
    line = next(x for x in alpha.lines if x.prefix == "203.119.16.0/24")
    assert line.routes == {"APNIC": "valid", "RADB": "valid"} and line.bgp_peers == 3 and line.rpki == "valid"
    assert "in VNNIC" in line.fix


def test_member_reports_agree_with_the_registry_run(store, tmp_path):
    data.build(store, tmp_path)
    settings = Settings.from_config(data.config(tmp_path))
    reports = ReportStore(store.engine)
    day = dt.date(2026, 11, 30)
    run = registry_run(reports, settings, check=_check, today=day)
    for member in (data.ALPHA, data.BETA, data.ORG_ALPHA):
        report = member_report(reports, settings, member, _check, today=day)
        assert dict(run.members[member]) == report.counts, member
    assert data.HOSTMASTER not in run.members
    # the Internet's other routes (8.8.8.0/24) belong to nobody and are not counted
    assert sum(run.registry.values()) == len(data.EXPECTED_ALPHA) + 2
    series = reports.counts_series()
    assert {(d, v) for d, v, _ in series} == {(day, v) for v in run.registry}
    last, per_member = reports.member_counts()
    assert last == day and per_member[data.ALPHA] == dict(run.members[data.ALPHA])


def test_prefix_and_asn_lookups(store, tmp_path):
    data.build(store, tmp_path)
    settings = Settings.from_config(data.config(tmp_path))
    reports = ReportStore(store.engine)
    found = lookup(reports, settings, "203.119.6.0/24")
    assert found.kind == "prefix"
    assert {(x.prefix, x.origin, x.verdict) for x in found.lines} == {
        ("203.119.6.0/24", 64500, "origin_mismatch"), ("203.119.6.0/24", 64499, "stale_origin")}
    assert [h.pk for h in found.allocations] == ["203.119.0.0 - 203.119.63.255"]
    wide = lookup(reports, settings, "203.119.0.0/18")
    assert {x.prefix for x in wide.lines} >= {"203.119.0.0/24", "203.119.5.0/24", "203.119.24.0/24"}
    foreign = lookup(reports, settings, "8.8.8.8")
    assert [(x.prefix, x.origin, x.verdict) for x in foreign.lines] == [("8.8.8.0/24", 15169, "no_route_object")]
    asn = lookup(reports, settings, "AS64510")
    assert {(x.prefix, x.verdict) for x in asn.lines} == {("203.119.64.0/24", "ok"),
                                                            ("203.119.200.0/24", "unallocated")}
    assert lookup(reports, settings, "not a thing").error


def test_serve_jobs_load_the_table_and_record_the_day(store, tmp_path):
    from mirror.scheduler import Scheduler

    table = data.build(store, tmp_path)
    config = dataclasses.replace(data.config(tmp_path), bgp_table_url=f"file://{table}", bgp_timer=3600,
                                 smtp_port=9)   # nobody subscribed: no mail is tried
    scheduler = Scheduler(config, store)
    jobs = {job.kind: job for job in scheduler.jobs}
    assert set(jobs) == {"bgp", "reports"} and jobs["bgp"].source == jobs["reports"].source == "BGP"
    assert scheduler.run_job(jobs["bgp"]).startswith("BGP table loaded: 10 routes (10 prefixes) from a bgpdump table")
    status = scheduler.run_job(jobs["reports"])
    assert f"{len(data.EXPECTED_ALPHA) + 2} lines" in status and "monthly report mail: 0 sent" in status
    recorded = {job.name: job for job in store.jobs()}
    assert recorded["bgp"].last_error is None and recorded["reports"].last_status == status
    assert ReportStore(store.engine).member_counts()[1][data.ALPHA]["as_set_problem"] == 1


def test_supernets_are_exactly_the_covering_prefixes():
    """Covering lookups are exact matches of these: every shorter prefix, the prefix itself, once."""
    for given in (["203.119.8.0/22", "203.119.9.0/24"], ["2001:df0:1234::/48"], ["0.0.0.0/0"], ["192.0.2.1/32"]):
        expected = {str(net.supernet(new_prefix=n)) for net in map(ipaddress.ip_network, given)
                    for n in range(net.prefixlen + 1)}
        found = supernets(given)
        assert len(found) == len(set(found)) and set(found) == expected
        lengths = {4: [0, 8, 22, 24], 6: [32, 48]}
        assert supernets(given, lengths) == [p for p in found if int(p.split("/")[1]) in lengths[6 if ":" in p else 4]]
