"""The response rules of RFC 9083 (and the extensions our answers use: cidr0, RFC 9910 RIR search,
RFC 9537 redaction), as a checker: `check(answer)` raises AssertionError naming the JSON path and
the rule broken. Written from the RFCs, independently of irr.rdap.

What is checked: the top-level members (rdapConformance, notices, errors per section 6), member
names per object class (standard members, or `<extension>_` prefixed ones the conformance
announces, section 2), links (value, rel and href are required, section 4.2), notices and remarks
(description required, registered types, 4.3), events (registered actions, RFC 3339 dates, 4.5),
status (registered values, 4.6), port43 (4.7), roles and jCard arrays (5.1, RFC 7095), ip networks
(5.4: version, addresses, cidr0 prefixes covering exactly the range), autnums (5.5), domains and
name servers (5.2, 5.3), search results (8), redacted members (RFC 9537 section 4.2)."""
from __future__ import annotations

import datetime as dt
import ipaddress
import re

STATUS = {"validated", "renew prohibited", "update prohibited", "transfer prohibited", "delete prohibited", "proxy",
          "private", "removed", "obscured", "associated", "active", "inactive", "locked", "pending create",
          "pending renew", "pending transfer", "pending update", "pending delete"}
ROLES = {"registrant", "technical", "administrative", "abuse", "billing", "registrar", "reseller", "sponsor", "proxy",
         "notifications", "noc"}
EVENTS = {"registration", "reregistration", "last changed", "expiration", "deletion", "reinstantiation", "transfer",
          "locked", "unlocked", "last update of RDAP database", "registrar expiration", "enum validation expiration"}
NOTICE_TYPES = {"result set truncated due to authorization", "result set truncated due to excessive load",
                "result set truncated due to unexplainable reasons", "object truncated due to authorization",
                "object truncated due to excessive load", "object truncated due to unexplainable reasons",
                "object redacted due to authorization"}
TRUNCATED = {t for t in NOTICE_TYPES if t.startswith("result set truncated")}
REDACTION_METHODS = {"removal", "emptyValue", "partialValue", "replacementValue"}

COMMON = {"objectClassName", "handle", "links", "remarks", "events", "status", "port43", "entities", "lang"}
MEMBERS = {
    "entity": COMMON | {"vcardArray", "roles", "publicIds", "asEventActor", "networks", "autnums"},
    "domain": COMMON | {"ldhName", "unicodeName", "variants", "nameservers", "secureDNS", "publicIds", "network"},
    "nameserver": COMMON | {"ldhName", "unicodeName", "ipAddresses"},
    "ip network": COMMON | {"startAddress", "endAddress", "ipVersion", "name", "type", "country", "parentHandle"},
    "autnum": COMMON | {"startAutnum", "endAutnum", "name", "type", "country"},
}
SEARCH_RESULTS = {"domainSearchResults": "domain", "nameserverSearchResults": "nameserver",
                  "entitySearchResults": "entity", "ipSearchResults": "ip network",  # RFC 9910 for the last two
                  "autnumSearchResults": "autnum"}
RFC9083_RESULTS = {"domainSearchResults", "nameserverSearchResults", "entitySearchResults"}
_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")
_LDH = re.compile(r"(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}"
                  r"[A-Za-z0-9])?)*\.?")


class Checker:
    def __init__(self, conformance: list[str]):
        self.conformance = set(conformance)

    def fail(self, path: str, message: str) -> None:
        raise AssertionError(f"{path}: {message}")

    def require(self, ok: bool, path: str, message: str) -> None:
        if not ok:
            self.fail(path, message)

    # -- section 4 ------------------------------------------------------------------------------
    def strings(self, value, path: str) -> None:
        self.require(isinstance(value, list) and all(isinstance(v, str) for v in value), path,
                     "must be an array of strings")

    def links(self, value, path: str) -> None:
        self.require(isinstance(value, list), path, "links must be an array")
        for i, link in enumerate(value):
            p = f"{path}[{i}]"
            self.require(isinstance(link, dict), p, "a link must be an object")
            for member in ("value", "rel", "href"):  # RFC 9083 4.2: MUST be specified
                self.require(isinstance(link.get(member), str) and link[member], p, f"{member} is required")
            self.require(re.match(r"https?://[^/\s]+", link["href"]) is not None, p, "href must be an absolute URI")
            for member in link:
                self.require(member in ("value", "rel", "href", "hreflang", "title", "media", "type"), p,
                             f"unknown link member {member!r}")

    def notices(self, value, path: str) -> None:
        self.require(isinstance(value, list), path, "must be an array")
        for i, notice in enumerate(value):
            p = f"{path}[{i}]"
            self.require(isinstance(notice, dict), p, "must be an object")
            self.require("description" in notice, p, "description is required")
            self.strings(notice["description"], p + ".description")
            if "title" in notice:
                self.require(isinstance(notice["title"], str), p + ".title", "must be a string")
            if "type" in notice:
                self.require(notice["type"] in NOTICE_TYPES, p + ".type", f"unregistered type {notice['type']!r}")
            if "links" in notice:
                self.links(notice["links"], p + ".links")

    def events(self, value, path: str) -> None:
        self.require(isinstance(value, list), path, "must be an array")
        for i, event in enumerate(value):
            p = f"{path}[{i}]"
            self.require(event.get("eventAction") in EVENTS, p, f"unregistered eventAction {event.get('eventAction')!r}")
            date = event.get("eventDate")
            self.require(isinstance(date, str) and _RFC3339.fullmatch(date) is not None, p,
                         f"eventDate {date!r} is not an RFC 3339 date-time")
            dt.datetime.fromisoformat(date.replace("Z", "+00:00"))

    def common(self, obj: dict, path: str, kind: str, top: bool) -> None:
        allowed = MEMBERS[kind] | ({"rdapConformance", "notices", "redacted"} if top else set())
        for member in obj:
            extension = member.split("_", 1)[0] if "_" in member else None
            self.require(member in allowed or (extension is not None and extension in self.conformance), path,
                         f"member {member!r} is neither standard for {kind} nor of an announced extension")
        self.require(obj.get("objectClassName") == kind, path, f"objectClassName must be {kind!r}")
        if "handle" in obj:
            self.require(isinstance(obj["handle"], str) and obj["handle"], path + ".handle", "must be a string")
        if "links" in obj:
            self.links(obj["links"], path + ".links")
        if "remarks" in obj:
            self.notices(obj["remarks"], path + ".remarks")
        if "events" in obj:
            self.events(obj["events"], path + ".events")
        if "status" in obj:
            self.strings(obj["status"], path + ".status")
            for s in obj["status"]:
                self.require(s in STATUS, path + ".status", f"unregistered status {s!r}")
        if "port43" in obj:
            self.require(isinstance(obj["port43"], str) and _LDH.fullmatch(obj["port43"]) is not None,
                         path + ".port43", "must be a host name")
        if "country" in obj:
            self.require(re.fullmatch(r"[A-Z]{2}", obj["country"] or "") is not None, path + ".country",
                         "must be a two-letter country code")
        for i, entity in enumerate(obj.get("entities", [])):
            self.entity(entity, f"{path}.entities[{i}]")

    # -- section 5 ------------------------------------------------------------------------------
    def entity(self, obj: dict, path: str, top: bool = False) -> None:
        self.common(obj, path, "entity", top)
        if "roles" in obj:
            self.strings(obj["roles"], path + ".roles")
            for role in obj["roles"]:
                self.require(role in ROLES, path + ".roles", f"unregistered role {role!r}")
        if "vcardArray" in obj:
            self.jcard(obj["vcardArray"], path + ".vcardArray")

    def jcard(self, value, path: str) -> None:
        self.require(isinstance(value, list) and len(value) == 2 and value[0] == "vcard"
                     and isinstance(value[1], list), path, 'must be ["vcard", [properties]]')
        props = value[1]
        for i, prop in enumerate(props):
            p = f"{path}[1][{i}]"
            self.require(isinstance(prop, list) and len(prop) >= 4, p, "a property is [name, parameters, type, value]")
            self.require(isinstance(prop[0], str) and prop[0] == prop[0].lower(), p, "name must be lower case")
            self.require(isinstance(prop[1], dict), p, "parameters must be an object")
            self.require(isinstance(prop[2], str), p, "value type must be a string")
        names = [prop[0] for prop in props]
        self.require(names[:1] == ["version"] and props[0][3] == "4.0", path, "the first property must be version 4.0")
        self.require("fn" in names, path, "a vCard must have an fn property")

    def network(self, obj: dict, path: str, top: bool = False) -> None:
        self.common(obj, path, "ip network", top)
        version = {"v4": 4, "v6": 6}.get(obj.get("ipVersion"))
        self.require(version is not None, path + ".ipVersion", "must be v4 or v6")
        first = ipaddress.ip_address(obj["startAddress"])
        last = ipaddress.ip_address(obj["endAddress"])
        self.require(first.version == version == last.version, path, "addresses must be of ipVersion")
        self.require(first <= last, path, "startAddress must not be above endAddress")
        if "cidr0_cidrs" in obj:
            self.require("cidr0" in self.conformance, path, "cidr0_cidrs needs cidr0 in rdapConformance")
            prefixes = []
            for c in obj["cidr0_cidrs"]:
                key = "v4prefix" if version == 4 else "v6prefix"
                self.require(set(c) == {key, "length"}, path + ".cidr0_cidrs", f"entries are {{{key}, length}}")
                prefixes.append(ipaddress.ip_network(f"{c[key]}/{c['length']}"))
            self.require(prefixes == list(ipaddress.summarize_address_range(first, last)), path + ".cidr0_cidrs",
                         "the prefixes must cover exactly startAddress-endAddress")
        for member in ("name", "type", "parentHandle"):
            if member in obj:
                self.require(isinstance(obj[member], str), f"{path}.{member}", "must be a string")

    def autnum(self, obj: dict, path: str, top: bool = False) -> None:
        self.common(obj, path, "autnum", top)
        start, end = obj.get("startAutnum"), obj.get("endAutnum")
        for n in (start, end):
            self.require(isinstance(n, int) and not isinstance(n, bool) and 0 <= n <= 4294967295, path,
                         "startAutnum/endAutnum must be AS numbers")
        self.require(start <= end, path, "startAutnum must not be above endAutnum")

    def nameserver(self, obj: dict, path: str) -> None:
        self.common(obj, path, "nameserver", False)
        self.require(_LDH.fullmatch(obj.get("ldhName", "")) is not None, path + ".ldhName", "must be an LDH name")
        for family, addresses in obj.get("ipAddresses", {}).items():
            self.require(family in ("v4", "v6"), path + ".ipAddresses", "members are v4 and v6")
            for a in addresses:
                self.require(ipaddress.ip_address(a).version == int(family[1]), path + ".ipAddresses",
                             f"{a} is no {family} address")

    def domain(self, obj: dict, path: str, top: bool = False) -> None:
        self.common(obj, path, "domain", top)
        self.require(_LDH.fullmatch(obj.get("ldhName", "")) is not None, path + ".ldhName", "must be an LDH name")
        for i, ns in enumerate(obj.get("nameservers", [])):
            self.nameserver(ns, f"{path}.nameservers[{i}]")
        if "secureDNS" in obj:
            sec = obj["secureDNS"]
            for member in ("zoneSigned", "delegationSigned"):
                if member in sec:
                    self.require(isinstance(sec[member], bool), f"{path}.secureDNS.{member}", "must be a boolean")
            for ds in sec.get("dsData", []):
                self.require(all(isinstance(ds.get(k), int) for k in ("keyTag", "algorithm", "digestType"))
                             and isinstance(ds.get("digest"), str), path + ".secureDNS.dsData",
                             "keyTag, algorithm, digestType are numbers and digest a string")
        if "network" in obj:
            self.network(obj["network"], path + ".network")

    def redacted(self, value, path: str) -> None:
        self.require("redacted" in self.conformance, path, "redacted needs redacted in rdapConformance")
        for i, r in enumerate(value):
            p = f"{path}[{i}]"
            self.require(isinstance(r.get("name"), dict) and ({"type", "description"} & set(r["name"])), p,
                         "name is an object with type or description")
            method = r.get("method", "removal")
            self.require(method in REDACTION_METHODS, p, f"unknown method {method!r}")
            self.require(r.get("pathLang", "jsonpath") == "jsonpath", p, "pathLang must be jsonpath")
            path_member = "prePath" if method == "removal" else "postPath"
            self.require(isinstance(r.get(path_member), str) and r[path_member].startswith("$"), p,
                         f"{method} needs a JSONPath {path_member}")


CHECK = {"entity": Checker.entity, "ip network": Checker.network, "autnum": Checker.autnum,
         "domain": Checker.domain}


def check(body: dict, status: int = 200, headers: dict | None = None) -> None:
    """Every rule above for one answer (its HTTP status and headers too, when given)."""
    if headers is not None:
        media = headers.get("Content-Type", "").split(";")[0]
        assert media in ("application/rdap+json", "application/json"), f"Content-Type {media!r}"
        assert headers.get("Access-Control-Allow-Origin") == "*", "CORS: Access-Control-Allow-Origin: * is missing"
    assert isinstance(body, dict), "the answer must be a JSON object"
    conformance = body.get("rdapConformance")
    c = Checker(conformance if isinstance(conformance, list) else [])
    c.strings(conformance, "$.rdapConformance")
    c.require("rdap_level_0" in conformance, "$.rdapConformance", "must announce rdap_level_0")
    if "notices" in body:
        c.notices(body["notices"], "$.notices")
    if "redacted" in body:
        c.redacted(body["redacted"], "$.redacted")
    if status >= 400 or "errorCode" in body:
        c.require(body.get("errorCode") == status, "$.errorCode", f"must be the HTTP status {status}")
        c.require(isinstance(body.get("title"), str), "$.title", "must be a string")
        c.strings(body.get("description"), "$.description")
        for member in body:
            c.require(member in ("rdapConformance", "notices", "errorCode", "title", "description", "lang"), "$",
                      f"member {member!r} does not belong in an error")
        return
    results = [m for m in body if m in SEARCH_RESULTS]
    if results:
        for member in results:
            c.require(member in RFC9083_RESULTS or member in c.conformance, f"$.{member}",
                      "search results of an unannounced extension")
            for i, obj in enumerate(body[member]):
                CHECK[SEARCH_RESULTS[member]](c, obj, f"$.{member}[{i}]")
                c.require("rdapConformance" not in obj and "notices" not in obj, f"$.{member}[{i}]",
                          "rdapConformance and notices belong to the top level only")
        for member in body:
            c.require(member in ("rdapConformance", "notices", "redacted", *results), "$", f"unexpected {member!r}")
        return
    if "objectClassName" not in body:  # help (section 7): conformance and notices only
        for member in body:
            c.require(member in ("rdapConformance", "notices", "lang"), "$", f"unexpected {member!r} in help")
        return
    kind = body["objectClassName"]
    c.require(kind in CHECK, "$.objectClassName", f"unknown class {kind!r}")
    CHECK[kind](c, body, "$", True)


def truncated(body: dict) -> bool:
    """The answer says its results were cut (a notice of a registered truncation type)."""
    return any(n.get("type") in TRUNCATED for n in body.get("notices", []))
