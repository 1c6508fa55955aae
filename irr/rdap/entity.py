"""person, role, organisation, mntner and irt objects as RDAP entities (RFC 9083 section 5.1) with
jCard contact data (RFC 7095), and the entities an object refers to with their roles, as APNIC's
RDAP gives them: org -> registrant, admin-c -> administrative, tech-c and zone-c -> technical,
abuse-c and mnt-irt -> abuse."""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from irr.rdap import redaction
from irr.rdap.common import Context, described
from irr.rdap.record import Record
from irr.store.registration import JournalTimes
from rpsl.schema import SCHEMA

ENTITY_CLASSES = ("person", "role", "organisation", "irt", "mntner")
ROLES = {"org": "registrant", "admin-c": "administrative", "tech-c": "technical", "zone-c": "technical",
         "abuse-c": "abuse", "mnt-irt": "abuse"}
KINDS = {"person": "individual", "organisation": "org"}
EMPTY_ADR = ["", "", "", "", "", "", ""]  # structured address parts: the label carries the text

TimesOf = Callable[[Record], "JournalTimes | None"]


def handle(rec: Record) -> str:
    """An entity's handle: nic-hdl for persons and roles, else the key."""
    if rec.object_class in ("person", "role"):
        return rec.first("nic-hdl") or rec.pk
    return rec.key_value


def full_name(rec: Record) -> str:
    name_attribute = redaction.NAME_ATTRIBUTES[rec.object_class]
    return rec.first(name_attribute) or handle(rec)


def vcard(ctx: Context, rec: Record, path: str) -> list:
    """["vcard", [properties]]: name, kind, address, telephone, fax, e-mail and abuse mailbox,
    less what the operator keeps private (noted in ctx.redacted)."""
    hidden = redaction.hidden(ctx, rec.object_class)
    for attribute in sorted(hidden):
        if rec.first(attribute) is not None:
            redaction.record(ctx, path, rec.object_class, attribute)
    name_attribute = redaction.NAME_ATTRIBUTES[rec.object_class]
    props: list[list] = [["version", {}, "text", "4.0"],
                         ["fn", {}, "text", "" if name_attribute in hidden else full_name(rec)],
                         ["kind", {}, "text", KINDS.get(rec.object_class, "group")]]
    address = rec.all("address")
    if address and "address" not in hidden:
        props.append(["adr", {"label": "\n".join(address)}, "text", EMPTY_ADR])
    for attribute, prop, params in (("phone", "tel", {"type": "voice"}), ("fax-no", "tel", {"type": "fax"}),
                                    ("e-mail", "email", {}), ("abuse-mailbox", "email", {"pref": "1"})):
        if attribute not in hidden:
            props.extend([prop, dict(params), "text", v] for v in rec.all(attribute))
    return ["vcard", props]


def entity(ctx: Context, rec: Record, path: str, times: JournalTimes | None, roles: Sequence[str] = ()) -> dict:
    """One entity object (without the envelope)."""
    h = handle(rec)
    out: dict = {"objectClassName": "entity", "handle": h, "vcardArray": vcard(ctx, rec, path)}
    if roles:
        out["roles"] = list(roles)
    return described(ctx, out, rec, times, [ctx.link("self", "entity", h)],
                     hidden=redaction.hidden(ctx, rec.object_class))


def references(rec: Record) -> dict[str, list[str]]:
    """Handles the object names in role-giving attributes -> their roles, in order of appearance."""
    out: dict[str, list[str]] = {}
    for attribute, value in rec.attributes:
        role = ROLES.get(attribute)
        if role is None:
            continue
        roles = out.setdefault(value.upper(), [])
        if role not in roles:
            roles.append(role)
    return out


def resolve(rec: Record, found: Sequence[Record]) -> dict[str, Record]:
    """For each handle `rec` refers to, the entity it means: of a class the attribute may refer to,
    in the referring object's own source first, then in source priority order (`found` order)."""
    out: dict[str, Record] = {}
    wanted: dict[str, set[str]] = {}
    for attribute, value in rec.attributes:
        if attribute in ROLES:
            spec = SCHEMA[rec.object_class].get(attribute) if rec.object_class in SCHEMA else None
            classes = set(spec.refers) if spec is not None and spec.refers else set(ENTITY_CLASSES)
            if attribute == "abuse-c":
                classes |= {"person"}  # mirrors name persons as abuse contacts too
            wanted.setdefault(value.upper(), set()).update(classes)
    for h, classes in wanted.items():
        candidates = [f for f in found if f.pk == h and f.object_class in classes]
        same = [f for f in candidates if f.source == rec.source]
        if same or candidates:
            out[h] = (same or candidates)[0]
    return out


def related(ctx: Context, rec: Record, path: str, found: Sequence[Record], times_of: TimesOf) -> list[dict]:
    """The entities `rec` refers to, each once with all its roles; a handle that names nothing
    stored is still listed (handle and roles only), as the reference exists."""
    resolved = resolve(rec, found)
    out = []
    for h, roles in references(rec).items():
        target = resolved.get(h)
        entity_path = f"{path}.entities[?(@.handle=={redaction.quoted(handle(target) if target else h)})]"
        if target is None:
            out.append({"objectClassName": "entity", "handle": h, "roles": roles})
        else:
            out.append(entity(ctx, target, entity_path, times_of(target), roles))
    return out


def handles_of(records: Sequence[Record]) -> list[str]:
    """Every handle the records refer to (for one batched lookup)."""
    return list(dict.fromkeys(h for r in records for h in references(r)))


def times_lookup(times: Mapping[tuple[str, str, str], JournalTimes]) -> TimesOf:
    return lambda r: times.get((r.source, r.object_class, r.pk))
