"""References and authorisation of a whole submission, in time near-linear in its size.

The requests of a submission may depend on each other (a route maintained by a mntner created in
the same submission; a deletion allowed because the objects referencing it are deleted too). Every
request is checked once; each check records the other requests it relied on (Context.consulted);
when a request is rejected, only the requests that relied on it are checked again. A request is
rejected at most once, so the work is bounded by the number of references in the submission, not
by its square or cube (a chain of N mntners, each maintained by the next and the last by nobody,
is N checks and N re-checks).
"""
from __future__ import annotations

from collections import deque

from irr.config import Config
from irr.store.lookups import canonical_key
from irr.updates import registry
from irr.updates.authorise import Authoriser
from irr.updates.context import STRONG, Context
from irr.updates.deadline import Deadline


def validate(requests: list, contexts: dict[str, Context], authorisers: dict[str, Authoriser],
             deadline: Deadline, config: Config) -> None:
    """Reject (add errors to) every request whose references, authorisation or the registry's
    rules (irr.updates.registry) fail, given the requests that remain acceptable, until no more
    change."""
    dependents: dict[int, set[int]] = {}
    by_id = {id(r): r for r in requests}
    queue = deque(r for r in requests if r.ok and r.operation != "noop")
    queued = {id(r) for r in queue}
    while queue:
        deadline.check("checking references and authorisation")
        req = queue.popleft()
        queued.discard(id(req))
        if not req.ok:
            continue
        ctx = contexts[req.source]
        ctx.consulted = set()
        try:
            errors = references(req, ctx)
            if not errors:
                old = ctx.stored(req.object_class, req.pk)
                new = ctx.new_object(req) if req.new_text else None
                authoriser = authorisers[req.source]
                errors = authoriser.check(req, new, old)
                errors += registry.check(config, ctx, authoriser.creds, req, new, old)  # the registry's authority
                errors = list(dict.fromkeys(errors))   # both may say why passwords were not checked
                req.auth_failed = bool(errors)
        finally:
            consulted, ctx.consulted = ctx.consulted, None
        for other in consulted:
            if other != id(req):
                dependents.setdefault(other, set()).add(id(req))
        if errors:
            req.errors.extend(errors)
            for waiting in dependents.pop(id(req), ()):
                again = by_id[waiting]
                if again.ok and waiting not in queued:
                    queue.append(again)
                    queued.add(waiting)


def references(req, ctx: Context) -> list[str]:
    """Strong references must resolve (counting this submission's changes); a deleted object must
    no longer be referenced."""
    if req.operation == "delete":
        users = ctx.referencing(req.object_class, req.pk)
        if users:
            return [f"Object [{req.object_class}] {req.pk} is still referenced by {', '.join(users[:10])}"
                    + (" and others" if len(users) > 10 else "")]
        return []
    new = ctx.new_object(req)
    errors = []
    for attr, classes in STRONG.get(req.object_class, {}).items():
        for value in new.values(attr):
            name = value.split(" ", 1)[0].upper() if attr == "mnt-routes" else value.upper()
            if name == req.pk and req.object_class in classes:
                continue  # a mntner maintained by itself
            key = canonical_key(classes[0], name)
            if not ctx.exists_any(classes, key):
                errors.append(f"Object {name} referenced in attribute {attr} not found in database "
                              f"{req.source} - must reference one of type {', '.join(classes)}"
                              + (" (it is in this submission, but was refused)" if ctx.refused(classes, key) else ""))
    for value in new.values("auth"):
        scheme = value.split(" ", 1)[0].upper()
        if scheme.startswith("PGPKEY-") and ctx.object("key-cert", scheme) is None:
            errors.append(f"Object {scheme} referenced in attribute auth not found in database "
                          f"{req.source} - must reference one of type key-cert")
    return errors


def wanted_keys(req, ctx: Context) -> set[tuple[str, str]]:
    """The stored objects checking `req` will read by key (prefetched in bulk)."""
    out = {(req.object_class, req.pk)}
    if req.new_text is None:
        return out
    new = ctx.new_object(req)
    for attr, classes in STRONG.get(req.object_class, {}).items():
        for value in new.values(attr):
            name = value.split(" ", 1)[0] if attr == "mnt-routes" else value
            out.update((c, canonical_key(c, name)) for c in classes)
    for value in new.values("auth"):
        scheme = value.split(" ", 1)[0].upper()
        if scheme.startswith("PGPKEY-"):
            out.add(("key-cert", scheme))
    return out
