"""aut-num objects, and the as-block covering an AS number no aut-num describes, as RDAP `autnum`
objects (RFC 9083 section 5.5)."""
from __future__ import annotations

from irr.rdap.common import Context, described, port43
from irr.rdap.record import Record
from irr.store.registration import JournalTimes
from rpsl import keys

AUTNUM_CLASSES = ("aut-num", "as-block")


def asn_range(rec: Record) -> tuple[int, int]:
    if rec.object_class == "aut-num":
        n = keys.as_number(rec.pk)
        return n, n
    first, last, _ = keys.as_range(rec.pk)
    return first, last


def autnum(ctx: Context, rec: Record, times: JournalTimes | None, entities: list[dict]) -> dict:
    """One autnum object (without the envelope): an aut-num is active; an as-block is the range
    the registry holds (its handle `ASx - ASy`, its name the first description line)."""
    first, last = asn_range(rec)
    out: dict = {"objectClassName": "autnum", "handle": rec.pk if rec.object_class == "aut-num" else
                 f"AS{first} - AS{last}", "startAutnum": first, "endAutnum": last}
    name = rec.first("as-name") if rec.object_class == "aut-num" else (rec.first("descr") or out["handle"])
    if name:
        out["name"] = name
    if rec.object_class == "as-block":
        out["type"] = "AS BLOCK"
    country = rec.first("country")
    if country:
        out["country"] = country
    out["status"] = ["active"]
    return port43(ctx, described(ctx, out, rec, times, [ctx.link("self", "autnum", str(first))], entities))
