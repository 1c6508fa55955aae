"""The registry's authority over the resources it hands out, and the status hierarchy.

An NIR records who holds which addresses and AS numbers: its hostmasters (`[auth]
registry_maintainers`, APNIC's `APNIC-HM`) create those records; members then work inside what
they were given (`mnt-lower`, `mnt-routes`, `mnt-by`), which the ordinary authorisation
(irr/updates/authorise.py) already checks. Both kinds of rule are stated once, as data, below:

- AUTHORITY: changes only the registry may make: its hostmasters' credentials (a password or
  PGP key of a registry maintainer as *stored* in the source: a mntner created in the same
  submission proves nothing) or the staff override.
- HIERARCHY: which status may sit under which (APNIC's StatusValidator: a non-portable object lies
  only inside allocations and never at the top; a portable one carries a registry maintainer;
  RIPE's IntersectionValidator, which APNIC runs too: no partial overlaps). Everyone but the
  override is held to them, hostmasters included.

Mirrored sources never reach the update pipeline, so none of this touches them.
"""
from __future__ import annotations

import weakref
from dataclasses import dataclass

from irr.updates.authorise import Authoriser
from rpsl import keys
from rpsl.objects import RPSLObject, parse

INET = ("inetnum", "inet6num")
ROUTES = ("route", "route6")

# APNIC's statuses (net.apnic...InetnumStatus): those ending in " PORTABLE" "require an NIR
# maintainer": the registry hands them out. The non-portable ones are the members' (LIRs'
# sub-allocations and assignments), inside an allocation.
ALLOCATIONS = frozenset({"ALLOCATED PORTABLE", "ALLOCATED NON-PORTABLE"})
REGISTRY_STATUSES = frozenset({"ALLOCATED PORTABLE", "ASSIGNED PORTABLE"})
# child status -> the statuses every less specific inetnum/inet6num must have, and whether the
# child may be at the top of the source (no less specific object at all).
PARENT_STATUSES: dict[str, tuple[frozenset[str], bool]] = {
    "ALLOCATED PORTABLE": (frozenset({"ALLOCATED PORTABLE"}), True),
    "ASSIGNED PORTABLE": (frozenset({"ALLOCATED PORTABLE"}), True),
    "ALLOCATED NON-PORTABLE": (ALLOCATIONS, False),
    "ASSIGNED NON-PORTABLE": (ALLOCATIONS, False),
    "UNSPECIFIED": (ALLOCATIONS, False),
}
# Attributes whose maintainers the registry alone adds or removes (RIPE's
# AddOrRemoveRipeNccMaintainerValidator): else a member could drop the hostmaster from its
# allocation, or dress its own object up as the registry's.
MAINTAINER_ATTRIBUTES = ("mnt-by", "mnt-lower", "mnt-routes", "mnt-domains")


@dataclass(frozen=True)
class Rule:
    name: str
    text: str


AS_BLOCK = Rule("as-block", "as-blocks are created, changed and deleted by the registry")
AUT_NUM_ORPHAN = Rule("aut-num-outside-as-block", "an aut-num that lies in no as-block of the source is "
                      "assigned by the registry (else by the holder of the as-block, through its mnt-lower)")
AUT_NUM_DELETE = Rule("aut-num-delete", "aut-nums are deleted (returned) by the registry")
TOP_LEVEL = Rule("top-level-address-space", "address space with no less specific inetnum/inet6num in the "
                 "source is created, re-parented (a new range) and deleted by the registry")
PORTABLE = Rule("portable-status", "the statuses the registry hands out (" + ", ".join(sorted(REGISTRY_STATUSES))
                + ") are created and deleted by the registry")
STATUS_CHANGE = Rule("status-change", "status: is changed by the registry (members delete the object and "
                     "create it again)")
NETNAME = Rule("registry-netname", "netname: of a portable allocation or assignment is the registry's")
ORG = Rule("registry-org", "org: of an aut-num or of a portable allocation or assignment is the registry's")
MAINTAINERS = Rule("registry-maintainers", "the registry's maintainers are added to or removed from "
                   + "/".join(MAINTAINER_ATTRIBUTES) + " by the registry")
NAMES = Rule("registry-maintainer-names", "the registry's maintainer names are created by the registry")
DELETE = Rule("registry-maintained", "objects the registry maintains (mnt-by) are deleted by the registry")
UNALLOCATED = Rule("unallocated-route", "a route in unallocated space (no inetnum/inet6num of the source "
                   "covers it) is created by the registry")
UNALLOCATED_DOMAIN = Rule("unallocated-domain", "a reverse zone for unallocated space (no inetnum/inet6num of the "
                          "source covers its addresses) is created by the registry")

NO_PARENT = Rule("status-needs-allocation", "{status} lies inside an allocation: the source has no less "
                 "specific {cls} above {key}")
PARENT_STATUS = Rule("status-hierarchy", "{status} lies only inside {allowed}: [{cls}] {parent} above it is "
                     "{parent_status}")
PORTABLE_MAINTAINER = Rule("portable-needs-registry-maintainer", "{status} objects carry a registry "
                           "maintainer ({names}) in mnt-by")
OVERLAP = Rule("overlapping-range", "a new inetnum lies inside or around every inetnum it touches: it "
               "partly overlaps [inetnum] {other}")


def check(config, ctx, creds, req, new: RPSLObject | None, old: RPSLObject | None) -> list[str]:
    """Errors for this change (empty: the registry's rules allow it). Called by the pipeline after
    the ordinary authorisation, in the update's transaction; `ctx` is the source's Context."""
    if creds.override:
        return []
    rules = _Rules(config, ctx, creds, req, new, old)
    errors = []
    broken = rules.authority()
    authorised, why_not = rules.registry_authorised() if broken else (True, [])
    if not authorised:
        names = ", ".join(config.registry_maintainers) or "none configured in [auth] registry_maintainers"
        req.notify_on_failure.extend(config.registry_maintainers)  # the hostmasters hear of the attempt (upd-to)
        for rule, detail in broken:
            errors.append(f"Authorisation for [{req.object_class}] {req.pk} failed: registry rule \"{rule.name}\": "
                          f"{rule.text}{detail}; only the registry's hostmasters ({names}) or the override may "
                          "do this")
        errors += why_not
    errors += rules.hierarchy()
    return errors


class _StoredOnly:
    """The source as stored, for checking hostmasters' credentials: an object created in the same
    submission (a mntner named like a hostmaster, a key-cert) must not vouch for itself. What
    irr.updates.authorise.Authoriser reads of a Context."""

    def __init__(self, ctx):
        self.ctx = ctx
        self.source = ctx.source

    def authority(self, cls: str, pk: str) -> RPSLObject | None:
        return self.ctx.stored(cls, pk.upper())

    def exists_stored(self, cls: str, pk: str) -> bool:
        return self.ctx.exists_stored(cls, pk)


class _Rules:
    def __init__(self, config, ctx, creds, req, new, old):
        self.config, self.ctx, self.creds, self.req = config, ctx, creds, req
        self.new, self.old = new, old
        self.registry = frozenset(config.registry_maintainers)
        self._around: tuple[list[RPSLObject], list[str]] | None = None

    def registry_authorised(self) -> tuple[bool, list[str]]:
        """Does one credential of the submission satisfy a stored registry maintainer? Passwords
        tried against them are failed attempts like any other (counted, and not checked at all for
        a locked-out hostmaster or client): else this check would be a free password oracle. The
        second item says why passwords were not (all) checked."""
        auth = Authoriser(_StoredOnly(self.ctx), self.creds)
        names = [n for n in self.config.registry_maintainers if self.ctx.exists_stored("mntner", n)]
        if names and auth.satisfied(names, self.req.signers):
            return True, []
        return False, auth.refused(self.req, names)

    # -- what only the registry may do ----------------------------------------------------------
    def authority(self) -> list[tuple[Rule, str]]:
        req, new, old = self.req, self.new, self.old
        cls, op = req.object_class, req.operation
        broken: list[tuple[Rule, str]] = []
        if op == "delete" and self.registry & _names(old, "mnt-by"):
            broken.append((DELETE, f" ({', '.join(sorted(self.registry & _names(old, 'mnt-by')))} maintains it)"))
        if op in ("create", "modify"):
            changed = set()
            for attr in MAINTAINER_ATTRIBUTES:
                changed |= (_names(new, attr) ^ _names(old, attr)) & self.registry
            if changed:
                broken.append((MAINTAINERS, f" ({', '.join(sorted(changed))} added or removed)"))
        if cls == "mntner" and op == "create" and req.pk in self.registry:
            broken.append((NAMES, ""))
        if cls == "as-block":
            broken.append((AS_BLOCK, ""))
        elif cls == "aut-num":
            if op == "create" and self.ctx.enclosing_block(req.pk, cls) is None:
                broken.append((AUT_NUM_ORPHAN, ""))
            elif op == "delete":
                broken.append((AUT_NUM_DELETE, ""))
        elif cls in INET:
            broken += self._address_space()
        elif cls in ROUTES and op == "create":
            inet = "inetnum" if cls == "route" else "inet6num"
            prefix = new.first(cls) or req.pk
            if self.ctx.parent_address(inet, prefix, (inet,), include_exact=True) is None:
                broken.append((UNALLOCATED, f" (here: {prefix})"))
        elif cls == "domain" and op == "create" and self.ctx.parent_domain(new.first("domain") or "") is None:
            broken.append((UNALLOCATED_DOMAIN, f" (here: {req.pk.lower()})"))
        registry_resource = cls == "aut-num" or (cls in INET and self._handed_out())
        if op == "modify" and registry_resource and _names(new, "org") != _names(old, "org"):
            broken.append((ORG, ""))
        return broken

    def _handed_out(self) -> bool:
        return bool({_status(self.new), _status(self.old)} & REGISTRY_STATUSES)

    def _address_space(self) -> list[tuple[Rule, str]]:
        op = self.req.operation
        broken: list[tuple[Rule, str]] = []
        if op in ("create", "delete") and not self._surroundings()[0]:
            broken.append((TOP_LEVEL, ""))
        status = _status(self.new if op != "delete" else self.old)
        if op in ("create", "delete") and status in REGISTRY_STATUSES:
            broken.append((PORTABLE, f" (here: {status})"))
        if op == "modify":
            before, after = _status(self.old), _status(self.new)
            if before != after:
                broken.append((STATUS_CHANGE, f" (here: {before} to {after})"))
            if self._handed_out() and self.new.first("netname") != self.old.first("netname"):
                broken.append((NETNAME, ""))
        return broken

    # -- the status hierarchy (everyone but the override) ---------------------------------------
    def hierarchy(self) -> list[str]:
        req, new = self.req, self.new
        if req.object_class not in INET or req.operation not in ("create", "modify"):
            return []
        cls, status = req.object_class, _status(new)
        errors = []
        rule = PARENT_STATUSES.get(status)
        if rule is not None:
            allowed, top_allowed = rule
            parents = self._surroundings()[0]
            if not parents and not top_allowed:
                errors.append(_hierarchy(NO_PARENT, status=status, cls=cls, key=req.pk))
            for parent in parents:
                if _status(parent) not in allowed:
                    errors.append(_hierarchy(PARENT_STATUS, status=status, allowed=" or ".join(sorted(allowed)),
                                             cls=cls, parent=parent.pk, parent_status=_status(parent) or "(none)"))
        if status in REGISTRY_STATUSES and not self.registry & _names(new, "mnt-by"):
            errors.append(_hierarchy(PORTABLE_MAINTAINER, status=status,
                                     names=", ".join(sorted(self.registry)) or "none configured"))
        if req.operation == "create":
            for other in self._surroundings()[1][:1]:
                errors.append(_hierarchy(OVERLAP, other=other))
        return errors

    def _surroundings(self) -> tuple[list[RPSLObject], list[str]]:
        """The inetnum/inet6num objects around this one, as they will be if the submission's
        accepted changes commit: every less specific one (its parents, outermost first) and those
        that overlap it only in part. Both cover the first or the last address of the range: two
        short address chains to read (one for a prefix), and the submission's own changes."""
        if self._around is None:
            req, cls = self.req, self.req.object_class
            first, last = _range(cls, req.pk)
            found: dict[str, tuple[int, int, str]] = {}
            chains = (req.pk,) if cls == "inet6num" else tuple(dict.fromkeys(map(keys.v4_str, (first, last))))
            for key in chains:
                for o in self.ctx.lookups.addresses([req.source], key, "less", (cls,)):
                    found.setdefault(o.pk, (*_range(cls, o.pk), o.text))
            later = False  # of two changes that overlap in part, the later one is refused
            for a, b, other in _pending(self.ctx, cls):
                later = later or other is req
                surrounds = a <= first and last <= b
                if other.ok and other is not req and (surrounds or (not later and (a <= first <= b or a <= last <= b))):
                    found[other.pk] = (a, b, other.new_text)
                    if self.ctx.consulted is not None:   # if `other` is refused later, this is checked again
                        self.ctx.consulted.add(id(other))
            found.pop(req.pk, None)
            parents = sorted(((b - a, text) for a, b, text in found.values() if a <= first and last <= b),
                             key=lambda item: -item[0])
            partial = [pk for pk, (a, b, _) in found.items()
                       if not (a <= first and last <= b) and not (first <= a and b <= last)]
            self._around = ([parse(text) for _, text in parents], sorted(partial))
        return self._around


# Context -> {class: [(first, last, request)]}: the address ranges of a submission's inetnum and
# inet6num changes, worked out once per submission (a registry's import holds thousands).
_PENDING: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _pending(ctx, cls: str) -> list:
    index = _PENDING.get(ctx)
    if index is None:
        index = _PENDING[ctx] = {}
        for r in ctx.requests.values():
            if r.object_class in INET and r.source == ctx.source and r.new_text and r.operation in ("create", "modify"):
                index.setdefault(r.object_class, []).append((*_range(r.object_class, r.pk), r))
    return index.get(cls, [])


def _range(cls: str, pk: str) -> tuple[int, int]:
    """First and last address of an inetnum range or inet6num prefix, as integers."""
    if cls == "inetnum":
        first, last, _ = keys.inetnum(pk)
        return first, last
    version, first, length, _ = keys.prefix(pk)
    return first, keys.last_address(version, first, length)


def _hierarchy(rule: Rule, **values: str) -> str:
    return f"Status hierarchy, rule \"{rule.name}\": {rule.text.format(**values)}"


def _names(obj: RPSLObject | None, attr: str) -> set[str]:
    """Maintainer names in an attribute (mnt-routes: the first word of each line)."""
    if obj is None:
        return set()
    return {v.split()[0].upper() for v in obj.values(attr) if v.split()}


def _status(obj: RPSLObject | None) -> str | None:
    if obj is None:
        return None
    value = obj.first("status")
    return " ".join(value.upper().split()) if value else None
