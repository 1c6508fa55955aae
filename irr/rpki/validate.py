"""Loading ROAs and what follows: every route validated again (RFC 6811), invalid routes hidden
from filters, queries, exports and NRTM (a DEL in the journal when they vanish, an ADD when they
come back), and the maintainers of authoritative routes that just turned invalid told once."""
from __future__ import annotations

import logging
import time

from irr.config import Config
from irr.rpki.roas import parse
from irr.smtp import send_mail
from irr.store.lookups import Lookups
from rpsl.objects import parse as parse_object

log = logging.getLogger(__name__)


def journal_sources(config: Config, store) -> frozenset[str]:
    """Sources whose journal uses our own serials: all but NRTMv3 and dump mirrors, whose serial
    is their upstream's (a local entry would push it past upstream's and the next import would
    look old). IRRd turns those into local serials when RPKI filtering is on; not done here."""
    synchronised = {name for name, s in config.sources.items()
                    if s.nrtm_host or (s.dump_urls and not s.nrtm4_url)}
    return frozenset(s.name for s in store.sources()) - synchronised


def load_roas(config: Config, store, data: bytes, send=None) -> str:
    """Replace the ROA set (all or nothing) and revalidate; returns a status line."""
    t0 = time.monotonic()
    roaset = parse(data)
    if not roaset.roas and roaset.rejected:
        raise ValueError(f"no valid ROA in the file ({len(roaset.rejected)} rejected, e.g. {roaset.rejected[0]})")
    transitions = store.replace_roas(roaset.roas, journal_sources(config, store))
    invalid_now = [t for t in transitions if t["new"] == "invalid" and t["old"] != "invalid"]
    valid_again = [t for t in transitions if t["old"] == "invalid" and t["new"] != "invalid"]
    authoritative = {name for name, s in config.sources.items() if s.authoritative}
    told, failed = notify_invalid(config, store, [t for t in invalid_now if t["source"] in authoritative], send)
    for r in roaset.rejected[:20]:
        log.warning("ROA entry rejected: %s", r)
    return (f"{len(roaset.roas)} ROAs loaded ({roaset.format}), {len(roaset.rejected)} rejected; "
            f"{len(transitions)} routes changed state: {len(invalid_now)} now invalid, {len(valid_again)} valid "
            f"again; {told} maintainers notified" + (f", {failed} could not be (mail failed)" if failed else "")
            + f" ({time.monotonic() - t0:.1f} s)")


def notify_invalid(config: Config, store, routes: list[dict], send=None) -> tuple[int, int]:
    """Tell the maintainers (upd-to) of authoritative routes that became RPKI invalid, one mail
    per address; this happens at the transition only, so each change is told once.
    Returns (addresses told, addresses whose mail failed)."""
    if not routes:
        return 0, 0

    if send is None:
        def send(to, subject, body):
            send_mail(config, to, subject, body)

    lookups = Lookups(store.engine).unfiltered()
    failed = 0
    by_address: dict[str, list[dict]] = {}
    for route in routes:
        obj = parse_object(route["text"])
        mntners = lookups.by_keys([route["source"]], [m.upper() for m in obj.values("mnt-by")], ["mntner"])
        for mntner in mntners:
            for address in parse_object(mntner.text).values("upd-to"):
                by_address.setdefault(address, []).append(route)
    for address, items in by_address.items():
        body = ["This message is auto-generated.", "",
                "The route objects below are now RPKI invalid (RFC 6811): a ROA covers their prefix but none "
                "authorises their origin and prefix length. They are no longer visible in queries, filters, "
                "exports and mirrors until the ROAs or the objects are corrected.", ""]
        for r in items:
            body += ["---", f"[{r['object_class']}] {r['pk']} ({r['source']})", "", r["text"].rstrip("\n"), ""]
        try:
            send([address], "RPKI invalid route objects in " + "/".join(sorted({r["source"] for r in items})),
                 "\n".join(body) + "\n")
        except Exception as e:  # the ROAs stay loaded; the operator sees the failure in the status line
            log.warning("could not notify %s: %s", address, e)
            failed += 1
    return len(by_address) - failed, failed
