"""The `auth:` lines a new or changed mntner or irt may carry, and masked hashes.

Hashes are masked in every output (`auth: BCRYPT-PW DummyValue  # Filtered for security`), so a
maintainer re-submitting its object from whois or the web form sends masked lines. Each masked line
stands for the stored line it was made from; it is put back only once the change is authorised (by
the STORED object's maintainers, irr.updates.authorise), and a masked line that stands for no stored
hash is an error. Nobody's password ever becomes a hash here: a new password is set by submitting
its hash (or a new auth line), never by replacing masked ones.
"""
from __future__ import annotations

from irr.auth.passwords import PASSWORD_SCHEMES, new_auth_problem
from rpsl.objects import RPSLObject, parse
from rpsl.output import DUMMY, mask_hashes

CLASSES_WITH_AUTH = ("mntner", "irt")


def _words(value: str) -> list[str]:
    return value.split("#", 1)[0].split()


def _normal(value: str) -> str:
    words = _words(value)
    return " ".join([words[0].upper(), *words[1:]]) if words else ""


def is_masked(value: str) -> bool:
    """An auth: value as our outputs print a hidden hash: DummyValue, or a password scheme alone."""
    words = _words(value)
    return DUMMY in words or (len(words) == 1 and words[0].upper() in PASSWORD_SCHEMES)


def _masked_form(value: str) -> str:
    """What our outputs show of a stored auth: value."""
    shown = mask_hashes(f"auth:           {value}\n")
    return _normal(shown.split(":", 1)[1]) if ":" in shown else _normal(value)


def restoration(new: RPSLObject, old: RPSLObject | None) -> tuple[dict[int, str], list[str]]:
    """For each masked auth line of `new` (by its index among the auth attributes), the stored value it
    stands for; and the errors (a masked line in a new object, or one that matches no stored hash)."""
    masked = [(i, a.value) for i, a in enumerate(new.get("auth")) if is_masked(a.value)]
    if not masked:
        return {}, []
    what = f"[{new.object_class}] {new.pk}"
    if old is None:
        return {}, [f"{what} is new: it can't contain masked hashes (DummyValue); submit the real BCRYPT-PW "
                    "or MD5-PW hashes, or PGPKEY- lines"]
    unused = [a.value for a in old.get("auth") if _masked_form(a.value) != _normal(a.value)]
    mapping: dict[int, str] = {}
    errors = []
    for index, value in masked:
        shown = _normal(value)
        scheme = shown.split(" ", 1)[0]
        match = next((s for s in unused if _masked_form(s) == shown), None)
        if match is None:   # a masked line written some other way: the first hidden hash of its scheme
            match = next((s for s in unused if _words(s)[0].upper() == scheme), None)
        if match is None:
            errors.append(f"The masked auth: line '{value}' of {what} stands for no hash of the stored object: "
                          "submit the hash itself (BCRYPT-PW $2b$...), or leave the line out to remove it")
            continue
        unused.remove(match)
        mapping[index] = match
    return mapping, errors


def problems(new: RPSLObject, old: RPSLObject | None) -> list[str]:
    """Errors in the auth: lines of a new or changed mntner or irt (masked lines aside)."""
    before = {_normal(a.value) for a in old.get("auth")} if old is not None else set()
    out = []
    for attr in new.get("auth"):
        if is_masked(attr.value) or _normal(attr.value) in before:
            continue
        problem = new_auth_problem(attr.value)
        if problem:
            out.append(f"attribute auth, line {attr.line}: {problem}")
    return out + restoration(new, old)[1]


def restore(text: str, old: RPSLObject | None) -> tuple[str, int]:
    """`text` with its masked auth: lines replaced by the stored values they stand for (call only once
    the change is authorised); and how many were replaced."""
    new = parse(text)
    mapping, _ = restoration(new, old)
    if not mapping:
        return text, 0
    out = []
    auth_index = -1
    skipping = False
    for line in text.rstrip("\n").split("\n"):
        if line[:1] in (" ", "\t", "+"):
            if not skipping:
                out.append(line)
            continue
        skipping = False
        if line.split(":", 1)[0].strip().lower() == "auth":
            auth_index += 1
            if auth_index in mapping:
                out.append(f"{'auth:':<16}{mapping[auth_index]}")
                skipping = True     # a masked value's continuation lines go with it
                continue
        out.append(line)
    return "\n".join(out) + "\n", len(mapping)
