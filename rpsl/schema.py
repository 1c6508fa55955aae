"""The one declaration of every RPSL class this registry holds.

Each class is an ordered list of attributes; parsing, strict validation, indexing, `-t` templates,
web forms and documentation all read these declarations and nothing else. The templates are
APNIC's (which follow the RIPE NCC software), with the IRRd additions mirrors carry (`changed`).
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace


@dataclass(frozen=True)
class Attr:
    """One attribute of a class template.

    syntax:    name of the value syntax (a rule in rpsl/grammars/*.lark, see rpsl.syntax);
               for list attributes, the syntax of one list element.
    mandatory: must appear (unless generated).       multiple: may appear on several lines.
    key:       part of the primary key.              lookup:   exact-match lookup key.
    inverse:   usable with `-i` (inverse lookups).   list:     comma separated list of items.
    refers:    classes a value names.                strong:   the named object must exist.
    generated: set by the server (submitted values are replaced).
    discarded: dropped on input (server-computed pseudo attributes).
    """

    name: str
    syntax: str = "free"
    mandatory: bool = False
    multiple: bool = False
    key: bool = False
    lookup: bool = False
    inverse: bool = False
    list: bool = False
    refers: tuple[str, ...] = ()
    strong: bool = False
    generated: bool = False
    discarded: bool = False
    help: str = ""

    @property
    def presence(self) -> str:
        if self.generated:
            return "generated"
        return "mandatory" if self.mandatory else "optional"

    @property
    def repeat(self) -> str:
        return "multiple" if self.multiple else "single"


@dataclass(frozen=True)
class ObjectClass:
    """An RPSL class: its name, ordered attributes and which of them form the primary key."""

    name: str
    attributes: tuple[Attr, ...]
    key: tuple[str, ...] = ()
    help: str = ""
    by_name: dict[str, Attr] = field(init=False, repr=False, compare=False)
    discarded: frozenset[str] = field(init=False, repr=False, compare=False)
    _mandatory: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_name", {a.name: a for a in self.attributes})
        object.__setattr__(self, "discarded", frozenset(a.name for a in self.attributes if a.discarded))
        object.__setattr__(self, "_mandatory",
                           tuple(a.name for a in self.attributes if a.mandatory and not a.generated))
        if not self.key:
            object.__setattr__(self, "key", tuple(a.name for a in self.attributes if a.key))

    def __getitem__(self, name: str) -> Attr:
        return self.by_name[name]

    def get(self, name: str) -> Attr | None:
        return self.by_name.get(name)

    @property
    def mandatory(self) -> tuple[str, ...]:
        return self._mandatory

    @property
    def inverse_keys(self) -> tuple[str, ...]:
        return tuple(a.name for a in self.attributes if a.inverse)

    @property
    def references(self) -> tuple[Attr, ...]:
        return tuple(a for a in self.attributes if a.refers)


def _a(name: str, syntax: str = "free", flags: str = "", refers: tuple[str, ...] = (),
       help: str = "") -> Attr:
    """Compact constructor. flags: M mandatory, m multiple, K key, L lookup, I inverse, l list,
    S strong reference, G generated, D discarded."""
    return Attr(name, syntax, mandatory="M" in flags, multiple="m" in flags, key="K" in flags,
                lookup="L" in flags, inverse="I" in flags, list="l" in flags, refers=refers,
                strong="S" in flags, generated="G" in flags, discarded="D" in flags, help=help)


CONTACT = ("person", "role")

# Attributes shared by most classes, declared once.
DESCR = _a("descr", flags="Mm", help="A short description of the object.")
DESCR_O = replace(DESCR, mandatory=False)
COUNTRY = _a("country", "country", help="ISO 3166 two-letter country code (AP for Asia Pacific).")
COUNTRY_M = replace(COUNTRY, mandatory=True)
ORG = _a("org", "object_name", "IS", ("organisation",), "The organisation responsible for this object.")
ORG_M = replace(ORG, multiple=True)
ADMIN_C = _a("admin-c", "nic_handle", "MmIlS", CONTACT, "NIC handle of an administrative contact.")
TECH_C = _a("tech-c", "nic_handle", "MmIlS", CONTACT, "NIC handle of a technical contact.")
ABUSE_C = _a("abuse-c", "nic_handle", "IS", ("role",), "NIC handle of a role with an abuse-mailbox.")
REMARKS = _a("remarks", flags="m", help="Free text remarks.")
NOTIFY = _a("notify", "email", "mI", help="E-mail address notified of every change to this object.")
MNT_BY = _a("mnt-by", "object_name", "MmIlS", ("mntner",), "Maintainer(s) that authorise changes to this object.")
MNT_LOWER = _a("mnt-lower", "object_name", "mIlS", ("mntner",),
               "Maintainer(s) that authorise creation of more specific objects below this one.")
MNT_ROUTES = _a("mnt-routes", "mnt_routes", "mIS", ("mntner",),
                "Maintainer(s) that authorise route objects for this space, optionally limited to "
                "a list of prefix ranges in braces.")
MNT_IRT = _a("mnt-irt", "object_name", "MmIlS", ("irt",), "The incident response team (irt) for this resource.")
ABUSE_MAILBOX = _a("abuse-mailbox", "email", "mI", help="E-mail address for abuse reports.")
CHANGED = _a("changed", "changed", "m", help="Legacy: e-mail address and date of a change (RFC 2622).")
CREATED = _a("created", "timestamp", "G", help="When the object was created (generated).")
LAST_MODIFIED = _a("last-modified", "timestamp", "G", help="When the object was last changed (generated).")
SOURCE = _a("source", "source", "M", help="The registry (database) this object belongs to.")
TAIL = (CHANGED, CREATED, LAST_MODIFIED, SOURCE)
ADDRESS = _a("address", flags="Mm", help="Postal address.")
PHONE = _a("phone", "phone", "Mm", help="Telephone number in international format (+84 ...).")
FAX = _a("fax-no", "phone", "m", help="Fax number in international format.")
EMAIL = _a("e-mail", "email", "MmL", help="E-mail address.")
NIC_HDL = _a("nic-hdl", "nic_handle", "MKL", help="The NIC handle identifying this contact (e.g. AB123-AP).")
MEMBER_OF_AS = _a("member-of", "as_set_name", "mIl", ("as-set",), "as-set(s) this object claims membership of.")
MEMBER_OF_RS = _a("member-of", "route_set_name", "mIl", ("route-set",), "route-set(s) this route claims membership of.")
MBRS_BY_REF = _a("mbrs-by-ref", "mbrs_by_ref", "mIl", ("mntner",),
                 "Maintainers (or ANY) whose objects may join this set with member-of.")
INJECT = _a("inject", "inject", "m", help="Conditions for injecting this aggregate (RFC 2622 section 8).")
AGGR_MTD = _a("aggr-mtd", "aggr_mtd", help="Aggregation method: inbound, or outbound with an AS expression.")
AGGR_BNDRY = _a("aggr-bndry", "aggr_bndry", help="AS expression bounding the aggregation.")
EXPORT_COMPS = _a("export-comps", "filter", help="Filter of components exported outside the aggregation boundary.")
# RFC 4012 section 3: route6 takes mp-filters (IPv6 prefixes) where route takes IPv4-only filters.
EXPORT_COMPS6 = replace(EXPORT_COMPS, syntax="mp_filter")
COMPONENTS = _a("components", "components", help="Which routes form this aggregate.")
RPKI_OV_STATE = _a("rpki-ov-state", flags="D", help="Server-computed RPKI state; ignored on input.")
POLICY_HELP = "Routing policy expression (RFC 2622 / RFC 4012)."


def _set_tail(org_before: bool = False) -> tuple[Attr, ...]:
    """remarks ... source of the set classes (as APNIC orders them)."""
    return (REMARKS, ORG_M, TECH_C, ADMIN_C, NOTIFY, MNT_BY, MNT_LOWER) + TAIL


CLASSES: tuple[ObjectClass, ...] = (
    ObjectClass("mntner", (
        _a("mntner", "object_name", "MKL", help="Name of the maintainer."),
        DESCR, COUNTRY, ADMIN_C, replace(TECH_C, mandatory=False),
        _a("upd-to", "email", "MmI", help="E-mail address notified of failed update attempts."),
        _a("mnt-nfy", "email", "mI", help="E-mail address notified of successful updates of maintained objects."),
        _a("auth", "auth", "MmI", ("key-cert",),
           help="Credential: BCRYPT-PW or MD5-PW hash, or PGPKEY-<id> naming a key-cert."),
        REMARKS, NOTIFY, ABUSE_MAILBOX, MNT_BY,
        _a("referral-by", "object_name", "MIS", ("mntner",), "Maintainer that referred this one (APNIC)."),
    ) + TAIL, help="Maintainer: a set of credentials that authorises changes to objects."),
    ObjectClass("person", (
        _a("person", "person_name", "ML", help="Full name of the person."),
        ADDRESS, COUNTRY_M, PHONE, FAX, EMAIL, ORG_M, NIC_HDL, REMARKS, NOTIFY, ABUSE_MAILBOX, MNT_BY,
    ) + TAIL, key=("nic-hdl",), help="A contact person."),
    ObjectClass("role", (
        _a("role", "person_name", "ML", help="Name of the role (team) account."),
        ADDRESS, COUNTRY_M, PHONE, FAX, EMAIL, ORG_M, ADMIN_C, TECH_C, NIC_HDL,
        _a("trouble", flags="m", help="Information on whom to contact in case of trouble."),
        REMARKS, NOTIFY, ABUSE_MAILBOX, MNT_BY,
    ) + TAIL, key=("nic-hdl",), help="A role (team) contact."),
    ObjectClass("irt", (
        _a("irt", "irt_name", "MKL", help="Name of the incident response team (IRT-...)."),
        ADDRESS, replace(PHONE, mandatory=False), FAX, EMAIL,
        replace(ABUSE_MAILBOX, mandatory=True),
        _a("signature", "key_cert_name", "mIlS", ("key-cert",), "key-cert used to sign the team's messages."),
        _a("encryption", "key_cert_name", "mIlS", ("key-cert",), "key-cert used to encrypt messages to the team."),
        ADMIN_C, TECH_C,
        _a("auth", "auth", "MmI", ("key-cert",), help="Credential authorising references to this irt."),
        REMARKS,
        _a("irt-nfy", "email", "mI", help="E-mail notified when objects start or stop referencing this irt."),
        NOTIFY, MNT_BY,
    ) + TAIL, help="Incident response team."),
    ObjectClass("organisation", (
        _a("organisation", "object_name", "MKL", help="Organisation identifier (ORG-...-AP)."),
        _a("org-name", "org_name", "ML", help="Name of the organisation."),
        _a("org-type", "org_type", "M", help="Type: IANA, RIR, NIR, LIR, WHITEPAGES, DIRECT_ASSIGNMENT or OTHER."),
        DESCR_O, COUNTRY_M, REMARKS, ADDRESS, replace(PHONE, mandatory=False), FAX, EMAIL, ORG_M,
        replace(ADMIN_C, mandatory=False), replace(TECH_C, mandatory=False), ABUSE_C,
        _a("ref-nfy", "email", "mI", help="E-mail notified when objects start or stop referencing this organisation."),
        _a("mnt-ref", "object_name", "MmIlS", ("mntner",),
           "Maintainer(s) authorising references to this organisation."),
        NOTIFY, MNT_BY,
    ) + TAIL, help="An organisation holding resources."),
    ObjectClass("key-cert", (
        _a("key-cert", "key_cert_name", "MKL",
           help="PGPKEY- followed by the last 8 hex digits of the key fingerprint."),
        _a("method", "key_method", "G", help="Key type (generated)."),
        _a("owner", flags="Gm", help="User IDs of the key (generated)."),
        _a("fingerpr", "fingerprint", "GI", help="Fingerprint of the key (generated)."),
        _a("certif", "certif", "Mm", help="ASCII-armoured public key, one armour line per line."),
        ORG_M, REMARKS, NOTIFY, replace(ADMIN_C, mandatory=False), replace(TECH_C, mandatory=False), MNT_BY,
    ) + TAIL, help="A public key used for PGP authentication."),
    ObjectClass("aut-num", (
        _a("aut-num", "as_number", "MKL", help="The AS number (asplain, e.g. AS131330)."),
        _a("as-name", "as_name", "M", help="Short name of the autonomous system."),
        DESCR, COUNTRY_M, MEMBER_OF_AS,
        _a("import-via", "import_via", "m", help=POLICY_HELP),
        _a("import", "import", "m", help=POLICY_HELP),
        _a("mp-import", "mp_import", "m", help=POLICY_HELP),
        _a("export-via", "export_via", "m", help=POLICY_HELP),
        _a("export", "export", "m", help=POLICY_HELP),
        _a("mp-export", "mp_export", "m", help=POLICY_HELP),
        _a("default", "default", "m", help=POLICY_HELP),
        _a("mp-default", "mp_default", "m", help=POLICY_HELP),
        REMARKS, replace(ORG, mandatory=True),
        _a("sponsoring-org", "object_name", "IS", ("organisation",), "Sponsoring organisation (LIR)."),
        ADMIN_C, TECH_C, ABUSE_C, NOTIFY, MNT_LOWER, MNT_ROUTES, MNT_BY, MNT_IRT,
    ) + TAIL, help="An autonomous system and its routing policy."),
    ObjectClass("as-block", (
        _a("as-block", "as_range", "MKL", help="Range of AS numbers: ASx - ASy."),
        DESCR_O, COUNTRY, REMARKS, ORG_M, TECH_C, ADMIN_C, NOTIFY, MNT_LOWER, MNT_BY,
    ) + TAIL, help="A block of AS numbers delegated together."),
    ObjectClass("as-set", (
        _a("as-set", "as_set_name", "MKL", help="Name of the set: AS-NAME, or hierarchical AS131330:AS-NAME."),
        DESCR, COUNTRY,
        _a("members", "as_set_member", "mIl", ("aut-num", "as-set"), "AS numbers and as-set names in this set."),
        MBRS_BY_REF,
    ) + _set_tail(), help="A set of autonomous systems."),
    ObjectClass("route-set", (
        _a("route-set", "route_set_name", "MKL", help="Name of the set: RS-NAME, or hierarchical AS131330:RS-NAME."),
        DESCR,
        _a("members", "route_set_member4", "mIl", ("route-set", "as-set", "aut-num"),
           "IPv4 prefix ranges, route-set, as-set and AS number members."),
        _a("mp-members", "route_set_member", "mIl", ("route-set", "as-set", "aut-num"),
           "IPv4 and IPv6 prefix ranges, route-set, as-set and AS number members."),
        MBRS_BY_REF,
    ) + _set_tail(), help="A set of routes."),
    ObjectClass("filter-set", (
        _a("filter-set", "filter_set_name", "MKL", help="Name of the set: FLTR-NAME."),
        DESCR,
        _a("filter", "filter", help="Routing policy filter (IPv4)."),
        _a("mp-filter", "mp_filter", help="Routing policy filter (IPv4 and IPv6)."),
    ) + _set_tail(), help="A named routing policy filter."),
    ObjectClass("peering-set", (
        _a("peering-set", "peering_set_name", "MKL", help="Name of the set: PRNG-NAME."),
        DESCR,
        _a("peering", "peering", "m", help="Peering expression (IPv4)."),
        _a("mp-peering", "mp_peering", "m", help="Peering expression (IPv4 and IPv6)."),
    ) + _set_tail(), help="A named set of peerings."),
    ObjectClass("rtr-set", (
        _a("rtr-set", "rtr_set_name", "MKL", help="Name of the set: RTRS-NAME."),
        DESCR,
        _a("members", "rtr_set_member4", "mIl", ("inet-rtr", "rtr-set"),
           "Router names, rtr-set names and IPv4 addresses."),
        _a("mp-members", "rtr_set_member", "mIl", ("inet-rtr", "rtr-set"),
           "Router names, rtr-set names and IPv4 or IPv6 addresses."),
        MBRS_BY_REF,
    ) + _set_tail(), help="A set of routers."),
    ObjectClass("inet-rtr", (
        _a("inet-rtr", "dns_name", "MKL", help="DNS name of the router."),
        DESCR,
        _a("alias", "dns_name", "m", help="Other DNS names of the router."),
        _a("local-as", "as_number", "MI", ("aut-num",), "AS number of the router."),
        _a("ifaddr", "ifaddr", "MmI", help="Interface: <ipv4-address> masklen <n> [action ...]."),
        _a("interface", "interface", "m", help="Interface (RPSLng): <address> masklen <n> [action ...] [tunnel ...]."),
        _a("peer", "peer", "m", help="BGP peer: <protocol> <address> [options]."),
        _a("mp-peer", "mp_peer", "m", help="BGP peer (RPSLng): <protocol> <address> [options]."),
        _a("member-of", "rtr_set_name", "mIl", ("rtr-set",), "rtr-set(s) this router claims membership of."),
        REMARKS, ORG_M, ADMIN_C, TECH_C, NOTIFY, MNT_BY,
    ) + TAIL, help="A router."),
    ObjectClass("route", (
        _a("route", "prefix4", "MKL", help="The IPv4 prefix announced (e.g. 203.0.113.0/24)."),
        DESCR, COUNTRY,
        _a("origin", "as_number", "MKI", ("aut-num",), "The AS number originating the prefix."),
        _a("holes", "prefix4", "ml", help="Prefixes inside this route that are not announced."),
        MEMBER_OF_RS, INJECT, AGGR_MTD, AGGR_BNDRY, EXPORT_COMPS, COMPONENTS, REMARKS, NOTIFY,
        MNT_LOWER, MNT_ROUTES, MNT_BY, RPKI_OV_STATE,
    ) + TAIL, help="An IPv4 route originated by an AS."),
    ObjectClass("route6", (
        _a("route6", "prefix6", "MKL", help="The IPv6 prefix announced (e.g. 2001:db8::/32)."),
        DESCR,
        _a("origin", "as_number", "MKI", ("aut-num",), "The AS number originating the prefix."),
        _a("holes", "prefix6", "ml", help="Prefixes inside this route that are not announced."),
        ORG_M, MEMBER_OF_RS, INJECT, AGGR_MTD, AGGR_BNDRY, EXPORT_COMPS6, COMPONENTS, REMARKS, NOTIFY,
        MNT_LOWER, MNT_ROUTES, MNT_BY, RPKI_OV_STATE,
    ) + TAIL, help="An IPv6 route originated by an AS."),
)

_INETNUM_BODY = (
    _a("netname", "netname", "ML", help="Short name of the network."),
    DESCR, replace(COUNTRY_M, multiple=True),
    _a("geofeed", "url", help="URL of a geofeed file (RFC 9632)."),
    _a("geoloc", "geoloc", help="Latitude and longitude."),
    _a("language", "language", "m", help="ISO 639-1 language code."),
    ORG, ADMIN_C, TECH_C, ABUSE_C,
    _a("status", "inet_status", "M", help="ALLOCATED PORTABLE, ALLOCATED NON-PORTABLE, ASSIGNED PORTABLE or "
                                         "ASSIGNED NON-PORTABLE."),
    REMARKS, NOTIFY, MNT_BY, MNT_LOWER, MNT_ROUTES,
    _a("mnt-domains", "object_name", "mIlS", ("mntner",),
       "Maintainer(s) that authorise reverse DNS (domain) objects for this space."),
    MNT_IRT,
) + TAIL

CLASSES += (
    ObjectClass("inetnum", (_a("inetnum", "inetnum", "MKL", help="IPv4 address range: first - last."),)
                + _INETNUM_BODY, help="IPv4 address space."),
    ObjectClass("inet6num", (_a("inet6num", "prefix6", "MKL", help="IPv6 prefix."),)
                + _INETNUM_BODY, help="IPv6 address space."),
    ObjectClass("domain", (
        _a("domain", "domain_name", "MKL", help="Reverse DNS zone (e.g. 113.0.203.in-addr.arpa)."),
        DESCR, COUNTRY, ORG_M, ADMIN_C, TECH_C,
        _a("zone-c", "nic_handle", "MmIlS", CONTACT, "NIC handle of a zone contact."),
        _a("nserver", "nserver", "mI", help="Name server: <dns-name> [<glue address>]."),
        _a("ds-rdata", "ds_rdata", "m", help="DS record data: keytag algorithm digest-type digest."),
        REMARKS, NOTIFY, MNT_BY, MNT_LOWER,
    ) + TAIL, help="Reverse DNS delegation."),
)

SCHEMA: dict[str, ObjectClass] = {c.name: c for c in CLASSES}

# Classes whose value is a set, and the class whose objects can join them with member-of.
SET_MEMBER_CLASSES: dict[str, tuple[str, ...]] = {
    "as-set": ("aut-num",),
    "route-set": ("route", "route6"),
    "rtr-set": ("inet-rtr",),
}

# Name prefixes reserved for set classes (RFC 2622 section 5).
SET_PREFIXES: dict[str, str] = {
    "as-set": "AS-", "route-set": "RS-", "rtr-set": "RTRS-", "filter-set": "FLTR-", "peering-set": "PRNG-",
}


def get_class(name: str) -> ObjectClass | None:
    """The class declared under ``name`` (case-insensitive), or None for unknown classes."""
    return SCHEMA.get(name.lower())


def syntaxes() -> frozenset[str]:
    """Every syntax name the schema uses."""
    return frozenset(a.syntax for c in CLASSES for a in c.attributes)
