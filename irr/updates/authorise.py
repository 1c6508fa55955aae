"""Who must approve a change (spec auth.md §2), and whether the submission's credentials do.

A list of maintainers is satisfied when one credential of the submission matches one `auth:` line
of one of them: a password against an MD5-PW/BCRYPT-PW/CRYPT-PW hash, or a PGP signature over the
object's part by the key a `PGPKEY-` line names (key-cert fingerprint checked in full).
Rules, APNIC-style where IRRd and APNIC differ (the registry is an NIR under APNIC):
- own maintainers: create: the new `mnt-by`; modify: the current AND the new `mnt-by`; delete:
  the current `mnt-by`. A new mntner must pass its own `auth:` lines.
- on creation, the parent: inet(6)num -> closest less specific inet(6)num; aut-num and as-block
  -> enclosing as-block; route(6) -> exact or closest less specific route(6), else inet(6)num,
  AND the origin's aut-num when it exists here; domain -> the inet(6)num of the zone;
  hierarchical set `A:B:C` -> object `A:B`. Attributes consulted: route(6) mnt-routes (prefix
  lists honoured) -> mnt-lower -> mnt-by, others mnt-lower -> mnt-by (domain: mnt-domains first).
- adding a reference: an irt in `mnt-irt` needs the irt's own `auth:`; an organisation in `org`
  needs its `mnt-ref`.
Every object whose attributes decide (maintainers, key-certs, irts, organisations, parents) is the
STORED one (`Context.authority`), never the version a submission sends: a modified mntner is
authorised by its stored `auth:` lines. Only an object the submission creates counts as submitted,
while its own creation is acceptable. Passwords of a maintainer (or of every maintainer, for a
client) locked out after too many failed attempts are not checked at all; PGP still counts.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from irr.auth.passwords import PASSWORD_SCHEMES, verification_cost, verify_auth_line
from irr.updates.deadline import Deadline
from rpsl import keys
from rpsl.errors import ValueSyntaxError
from rpsl.objects import RPSLObject

# Password hashing one submission may cause, in bcrypt cost-12 verifications (about 0.3 s each on a
# small server): the hashes are the submitter's choice (a new mntner's own auth: lines), so the work
# is bounded whatever the submission holds. A member's update needs one or two.
MAX_PASSWORD_WORK = 10.0


@dataclass
class Credentials:
    passwords: list[str]
    override: bool = False          # a valid override: no maintainer checks
    verified: dict = field(default_factory=dict)  # auth line -> a password matches it (always true of that text)
    deadline: Deadline | None = None
    work: float = 0.0               # password hashing done so far (MAX_PASSWORD_WORK units)
    exhausted: bool = False         # some hashes were not checked: the work limit was reached
    suspended: dict = field(default_factory=dict)   # subject ("mntner SOURCE NAME") -> why its passwords don't count
    client_suspended: str | None = None             # why no password of this submission counts

    def matches(self, auth_line: str) -> bool:
        """Does one of the passwords match this hash line? Each line is verified once."""
        if auth_line in self.verified:
            return self.verified[auth_line]
        cost = verification_cost(auth_line)
        for password in self.passwords:
            if self.work + cost > MAX_PASSWORD_WORK:
                self.exhausted = True
                return False            # not remembered: it was not checked
            if self.deadline is not None:
                self.deadline.check("checking passwords")
            self.work += cost
            if verify_auth_line(password, auth_line):
                self.verified[auth_line] = True
                return True
        self.verified[auth_line] = False
        return False


def _prefix_covered(prefix: str, ranges: list[str]) -> bool:
    """Does `prefix` fall within one of the prefix ranges of a mnt-routes list?"""
    try:
        version, first, length, _ = keys.prefix(prefix)
    except ValueSyntaxError:
        return False
    last = keys.last_address(version, first, length)
    for item in ranges:
        rng, _, op = item.strip().partition("^")
        try:
            v, f, ln, _ = keys.prefix(rng)
        except ValueSyntaxError:
            continue
        if v != version or not (f <= first and last <= keys.last_address(v, f, ln)):
            continue
        maximum = 32 if v == 4 else 128
        low, high = ln, ln
        if op == "-":
            low, high = ln + 1, maximum
        elif op == "+":
            high = maximum
        elif op:
            a, _, b = op.partition("-")
            if a.isdigit():
                low, high = int(a), int(b) if b.isdigit() else int(a)
        if low <= length <= high:
            return True
    return False


def mnt_routes_for(parent: RPSLObject, prefix: str | None) -> list[str] | None:
    """Maintainers of the parent's mnt-routes that may authorise `prefix` (None: no mnt-routes)."""
    lines = parent.values("mnt-routes")
    if not lines:
        return None
    names = []
    for value in lines:
        name, _, rest = value.partition(" ")
        rest = rest.strip()
        everything = not rest or rest.upper() == "ANY" or prefix is None
        if everything or (rest.startswith("{") and _prefix_covered(prefix, rest.strip("{} ").split(","))):
            names.append(name.upper())
    return names


class Authoriser:
    """Checks one submission's credentials against maintainers, in the snapshot the submission is
    checked in (one per source and attempt)."""

    def __init__(self, ctx, creds: Credentials):
        self.ctx = ctx
        self.creds = creds
        self.checked: dict = {}     # (mntner, signers) -> bool, for stored mntners (passwords are slow)
        self.tried: set[str] = set()  # subjects whose password lines were checked against the passwords

    def satisfied(self, mntners: list[str], signers: frozenset[str]) -> bool:
        return any(self._mntner_ok(m, signers) for m in mntners)

    def _mntner_ok(self, name: str, signers: frozenset[str]) -> bool:
        key = (name, signers)
        if key in self.checked:
            return self.checked[key]
        mntner = self.ctx.authority("mntner", name)
        ok = mntner is not None and self.auth_ok(mntner.values("auth"), signers, self._subject("mntner", name))
        if self.ctx.exists_stored("mntner", name):   # a mntner created here may still be rejected
            self.checked[key] = ok
        return ok

    def _subject(self, cls: str, name: str) -> str | None:
        """The rate limiter's name for a stored maintainer or irt (None: created in this submission)."""
        return f"{cls} {self.ctx.source} {name.upper()}" if self.ctx.exists_stored(cls, name) else None

    def auth_ok(self, auth_lines: list[str], signers: frozenset[str], subject: str | None = None) -> bool:
        """One credential matches one of these `auth:` lines (mntner or irt). Passwords are not checked
        for a locked-out subject, nor at all when the client is locked out."""
        passwords = bool(self.creds.passwords) and not self.creds.client_suspended and \
            subject not in self.creds.suspended
        for line in auth_lines:
            scheme = line.split(" ", 1)[0].upper()
            if scheme in PASSWORD_SCHEMES:
                if passwords:
                    if subject is not None:
                        self.tried.add(subject)
                    if self.creds.matches(line):
                        return True
            elif scheme.startswith("PGPKEY-") and signers:
                keycert = self.ctx.authority("key-cert", scheme)
                if keycert is not None:
                    fingerprint = (keycert.first("fingerpr") or "").replace(" ", "").upper()
                    if fingerprint and fingerprint in signers:
                        return True
        return False

    # -- the rules ------------------------------------------------------------------------------
    def check(self, req, new: RPSLObject | None, old: RPSLObject | None) -> list[str]:
        """Errors (empty when authorised). Sets req.notify_on_failure for upd-to notifications and
        req.failed_credentials for the rate limiter."""
        if self.creds.override:
            return []
        errors: list[str] = []
        what = f"[{req.object_class}] {req.pk}"
        signers = req.signers
        if req.operation == "delete":
            groups = [("mnt-by", old.values("mnt-by"))]
        elif req.operation == "create":
            groups = [("mnt-by", new.values("mnt-by"))]
        else:
            groups = [("mnt-by", old.values("mnt-by")), ("mnt-by", new.values("mnt-by"))]
        for attr, names in groups:
            names = [n.upper() for n in names]
            if not self.satisfied(names, signers):
                self._failed(req, names)
                errors.append(f'Authorisation for {what} failed using "{attr}:" not authenticated by: '
                              f'{", ".join(names) or "(no maintainer)"}')
        if req.object_class == "mntner" and req.operation == "create" and not self.auth_ok(
                new.values("auth"), signers):
            errors.append(f"Authorisation for {what} failed: the new mntner's own auth: lines are not "
                          "satisfied by the credentials of this submission")
        if req.operation == "create" and not errors:
            errors += self._parents(req, new)
        if new is not None and req.operation in ("create", "modify") and not errors:
            errors += self._references(req, new, old)
        return errors + self._why_not_checked(req) if errors else errors

    def _failed(self, req, names: list[str], cls: str = "mntner") -> None:
        """A list of maintainers (or an irt) did not authorise req: upd-to hears of it, and stored ones
        whose passwords were really tried count as failed attempts."""
        if cls == "mntner":
            req.notify_on_failure.extend(names)
        for name in names:
            subject = self._subject(cls, name)
            if subject is not None and subject in self.tried and subject not in req.failed_credentials:
                req.failed_credentials.append(subject)
            if subject in self.creds.suspended and subject not in req.lockouts:
                req.lockouts.append(subject)

    def refused(self, req, names: list[str]) -> list[str]:
        """These maintainers did not authorise req (irr.updates.registry's hostmasters): upd-to hears of
        it, passwords tried count as failed attempts; why passwords were not (all) checked."""
        self._failed(req, names)
        return self._why_not_checked(req)

    def _why_not_checked(self, req) -> list[str]:
        """Why passwords were not (all) checked for a request that failed."""
        out = []
        if self.creds.passwords and self.creds.client_suspended:
            out.append(self.creds.client_suspended)
        out += [self.creds.suspended[s] for s in req.lockouts]
        if self.creds.exhausted:
            out.append(f"This submission needs more password checking than one submission may cause "
                       f"({MAX_PASSWORD_WORK:g} bcrypt checks): some maintainers' passwords were not checked. "
                       "Submit fewer objects or fewer passwords at once.")
        return out

    def _require(self, req, parent: RPSLObject, names: list[str], via: str) -> list[str]:
        names = [n.upper() for n in names]
        if self.satisfied(names, req.signers):
            return []
        self._failed(req, names)
        return [f"Authorisation for parent [{parent.object_class}] {parent.pk} failed using \"{via}:\" "
                f"not authenticated by: {', '.join(names) or '(no maintainer)'}"]

    def _lower(self, req, parent: RPSLObject, first: str = "mnt-lower") -> list[str]:
        for attr in (first, "mnt-lower", "mnt-by"):
            names = parent.values(attr)
            if names:
                return self._require(req, parent, names, attr)
        return []

    def _routes(self, req, parent: RPSLObject, prefix: str | None) -> list[str]:
        names = mnt_routes_for(parent, prefix)
        if names is not None:
            return self._require(req, parent, names, "mnt-routes")
        chain = ("mnt-by",) if parent.object_class in ("route", "route6", "aut-num") else ("mnt-lower", "mnt-by")
        for attr in chain:
            values = parent.values(attr)
            if values:
                return self._require(req, parent, values, attr)
        return []

    def _parents(self, req, new: RPSLObject) -> list[str]:
        cls = req.object_class
        ctx = self.ctx
        if cls in ("inetnum", "inet6num"):
            parent = ctx.parent_address(cls, req.pk, (cls,))
            return self._lower(req, parent) if parent else []
        if cls in ("aut-num", "as-block"):
            parent = ctx.enclosing_block(req.pk, cls)
            return self._lower(req, parent) if parent else []
        if cls in ("route", "route6"):
            prefix = new.first(cls) or ""
            errors = []
            parent = ctx.parent_route(cls, prefix) or ctx.parent_address(
                "inetnum" if cls == "route" else "inet6num", prefix, ("inetnum" if cls == "route" else "inet6num",),
                include_exact=True)
            if parent is not None:
                errors += self._routes(req, parent, keys.prefix(prefix)[3])
            origin = new.first("origin")
            autnum = ctx.authority("aut-num", f"AS{keys.as_number(origin)}") if origin else None
            if autnum is not None:  # APNIC: the origin's holder agrees too
                errors += self._routes(req, autnum, keys.prefix(prefix)[3])
            return errors
        if cls == "domain":
            parent = ctx.parent_domain(new.first("domain") or "")
            return self._lower(req, parent, "mnt-domains") if parent else []
        if cls in ("as-set", "route-set", "rtr-set", "filter-set", "peering-set") and ":" in req.pk:
            parent_name = req.pk.rsplit(":", 1)[0]
            parent_class = "aut-num" if parent_name.split(":")[-1][2:].isdigit() else cls
            parent = ctx.authority(parent_class, parent_name)   # its stored maintainers decide ...
            if parent is None or ctx.object(parent_class, parent_name) is None:   # ... and it must remain
                return [f"The parent object of {req.pk}, [{parent_class}] {parent_name}, does not exist; "
                        "hierarchical set names live below an existing aut-num or set"]
            return self._lower(req, parent)
        return []

    def _references(self, req, new: RPSLObject, old: RPSLObject | None) -> list[str]:
        """Adding an irt or an organisation reference needs the referenced object's consent."""
        errors = []
        before_irt = {v.upper() for v in old.values("mnt-irt")} if old else set()
        for name in new.values("mnt-irt"):
            if name.upper() in before_irt:
                continue
            irt = self.ctx.authority("irt", name.upper())
            if irt is not None and not self.auth_ok(irt.values("auth"), req.signers,
                                                    self._subject("irt", name)):
                self._failed(req, [name.upper()], "irt")
                errors.append(f"Authorisation for [irt] {name.upper()} failed: referencing it in mnt-irt needs "
                              "the irt's own auth: credentials")
        before_org = {v.upper() for v in old.values("org")} if old else set()
        for name in new.values("org"):
            if name.upper() in before_org:
                continue
            org = self.ctx.authority("organisation", name.upper())
            if org is not None and not self.satisfied([n.upper() for n in org.values("mnt-ref")], req.signers):
                self._failed(req, [n.upper() for n in org.values("mnt-ref")])
                errors.append(f"Authorisation for [organisation] {name.upper()} failed using \"mnt-ref:\" "
                              f"not authenticated by: {', '.join(org.values('mnt-ref'))}")
        return errors
