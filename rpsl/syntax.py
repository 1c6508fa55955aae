"""Value syntaxes of RPSL attributes.

``parse(syntax, value)`` turns one attribute value (one item of a list attribute) into a small
immutable value object whose ``str()`` is the canonical text; ``normalise`` returns that text::

    parse("as_number", "as065537")       -> ASNumber(65537)          "AS65537"
    normalise("prefix6", "2001:DB8::/32") -> "2001:db8::/32"
    normalise("inetnum", "192.0.2.0/24")  -> "192.0.2.0 - 192.0.2.255"

The shapes are the Lark grammar grammars/values.lark (one start rule per syntax name); numeric
limits, reserved words and what differs between strict (authoritative) and non-strict (mirrored)
data are checked in ``rpsl.value_checks``, trees become values in ``rpsl.value_tree``, the values
are ``rpsl.values``. Policy syntaxes (import, filter, ...) are handed to ``rpsl.policy``.
Case-insensitive names are canonically upper case, DNS names lower case, free text unchanged
(RFC 2622 sections 2 and 3, RFC 4012, RFC 5396).
"""
from __future__ import annotations

import functools
from collections.abc import Callable

from lark import Lark, Tree
from lark.exceptions import UnexpectedInput, UnexpectedToken, VisitError

from rpsl import larkfast, policy
from rpsl.errors import ValueSyntaxError
from rpsl.value_checks import _STRICT
from rpsl.value_tree import _BUILD
from rpsl.values import POLICY_SYNTAXES

__all__ = ["SYNTAXES", "POLICY_SYNTAXES", "parse", "normalise", "check", "checker"]


# ---------------------------------------------------------------------------------------- parser

_GRAMMAR_SYNTAXES: tuple[str, ...] = (
    "free", "certif", "person_name", "org_name", "object_name", "irt_name", "as_name", "source",
    "nic_handle", "netname", "mbrs_by_ref", "key_cert_name", "key_method", "org_type",
    "inet_status", "country", "language", "email", "changed", "phone", "timestamp", "url",
    "geoloc", "as_number", "as_range", "prefix4", "prefix6", "inetnum", "as_set_name",
    "route_set_name", "rtr_set_name", "filter_set_name", "peering_set_name", "as_set_member",
    "route_set_member4", "route_set_member", "rtr_set_member4", "rtr_set_member", "mnt_routes",
    "auth", "fingerprint", "dns_name", "domain_name", "nserver", "ds_rdata",
)

_VALUE_SYNTAXES = frozenset(_GRAMMAR_SYNTAXES)
SYNTAXES: frozenset[str] = _VALUE_SYNTAXES | POLICY_SYNTAXES

# What each syntax is called in error messages ("X is not a valid <description>").
_DESCRIPTIONS = {
    "free": "text", "certif": "certificate line", "person_name": "name",
    "org_name": "organisation name",
    "object_name": "object name (letters, digits, '-' and '_', starting with a letter and "
                   "ending with a letter or digit)",
    "irt_name": "irt name (e.g. IRT-EXAMPLE-AP)", "as_name": "as-name (e.g. EXAMPLE-AS)",
    "source": "source name (e.g. APNIC)", "nic_handle": "NIC handle (e.g. AB123-AP)",
    "netname": "netname (e.g. EXAMPLE-NET)", "mbrs_by_ref": "maintainer name or ANY",
    "key_cert_name": "key-cert name (PGPKEY-<8 hex digits> or X509-<n>)",
    "key_method": "key method (PGP or X509)",
    "org_type": "organisation type (IANA, RIR, NIR, LIR, WHITEPAGES, DIRECT_ASSIGNMENT or OTHER)",
    "inet_status": "status", "country": "country code (two letters, e.g. AU)",
    "language": "language code (two letters, e.g. EN)", "email": "e-mail address",
    "changed": "changed value (e-mail address and optional YYYYMMDD date)",
    "phone": "phone number (e.g. +61 7 3858 3100)",
    "timestamp": "timestamp (e.g. 2018-08-30T07:50:19Z)",
    "url": "URL (http:// or https://)", "geoloc": "location (latitude longitude, e.g. 52.37 4.89)",
    "as_number": "AS number (e.g. AS65537)", "as_range": "AS range (e.g. AS65536 - AS65551)",
    "prefix4": "IPv4 prefix (e.g. 192.0.2.0/24)", "prefix6": "IPv6 prefix (e.g. 2001:db8::/32)",
    "inetnum": "IPv4 address range (e.g. 192.0.2.0 - 192.0.2.255)",
    "as_set_name": "as-set name (e.g. AS65537:AS-CUSTOMERS)",
    "route_set_name": "route-set name (e.g. AS65537:RS-CUSTOMERS)",
    "rtr_set_name": "rtr-set name (e.g. AS65537:RTRS-EDGE)",
    "filter_set_name": "filter-set name (e.g. AS65537:FLTR-BOGONS)",
    "peering_set_name": "peering-set name (e.g. AS65537:PRNG-IX)",
    "as_set_member": "as-set member (AS number or as-set name)",
    "route_set_member4": "route-set member (IPv4 prefix range, AS number, as-set or route-set "
                         "name, e.g. 192.0.2.0/24^+)",
    "route_set_member": "route-set member (prefix range, AS number, as-set or route-set name, "
                        "e.g. 2001:db8::/32^48)",
    "rtr_set_member4": "rtr-set member (router name, rtr-set name or IPv4 address)",
    "rtr_set_member": "rtr-set member (router name, rtr-set name or IP address)",
    "mnt_routes": "mnt-routes value (maintainer name, optionally followed by ANY or "
                  "{ prefix-range, ... })",
    "auth": "auth value (e.g. BCRYPT-PW <hash>, MD5-PW <hash> or PGPKEY-<8 hex digits>)",
    "fingerprint": "fingerprint (hex digits)", "dns_name": "DNS name",
    "domain_name": "domain name (e.g. 2.0.192.in-addr.arpa)",
    "nserver": "name server (DNS name, optionally followed by an IP address)",
    "ds_rdata": "DS record data (keytag algorithm digest-type digest)",
}


@functools.cache
def _parser() -> Lark:
    """The value grammar, built once (or loaded from the cache, see rpsl.larkfast)."""
    return larkfast.load_parser("values.lark", "values", parser="lalr", start=list(_GRAMMAR_SYNTAXES),
                                maybe_placeholders=True, g_regex_flags=larkfast.ASCII_ONLY)


@functools.cache
def _fast() -> tuple[dict, larkfast.ShapeCache, dict]:
    """The builders of the one-terminal start rules' values (rpsl.larkfast.one_token_builder),
    the shapes parsed so far (rpsl.larkfast) and the _Build method of each rule."""
    global _FAST
    parser = _parser()
    callbacks = {name: getattr(_BUILD, name) for name in {r.alias or r.origin.name for r in parser.rules}
                 if callable(getattr(_BUILD, name, None))}
    singles = {start: larkfast.one_token_builder(rule, callbacks[start])
               for start, rule in larkfast.single_token_rules(parser, _GRAMMAR_SYNTAXES).items()}
    shapes = larkfast.ShapeCache(parser, shapers={"auth": larkfast.shape_masking_second_word})
    _FAST = singles, shapes, callbacks
    return _FAST


_FAST: tuple[dict, larkfast.ShapeCache, dict] | None = None


def _build(syntax: str, value: str) -> object:
    """The value object of a value; raises UnexpectedInput (from parsing the value itself) when
    it does not parse, ValueSyntaxError (maybe in a VisitError) when a check refuses it."""
    singles, shapes, callbacks = _FAST or _fast()
    single = singles.get(syntax)
    if single is not None:
        built = single(value)  # = _BUILD.transform(Tree(syntax, [token])) when it is one token
        if built is not larkfast.NOT_ONE_TOKEN:
            return built
    tree = shapes.get(syntax, value)[1]
    if tree is None:
        return _BUILD.transform(_parser().parse(value, start=syntax))
    return _transform(tree, value, callbacks)  # type: ignore[arg-type]


def _transform(tree: Tree, value: str, callbacks: dict) -> object:
    """_BUILD.transform(larkfast.instantiate(tree, value)) in one pass: a shape's tree with the
    value's own token texts, turned into a value object."""
    children: list = []
    for child in tree.children:
        if isinstance(child, Tree):
            children.append(_transform(child, value, callbacks))
        elif child is None:  # a placeholder for an absent [optional] part
            children.append(None)
        else:
            children.append(larkfast.token(child.type, value[child.start_pos:child.end_pos]))
    callback = callbacks.get(tree.data)
    return callback(children) if callback is not None else Tree(tree.data, children)


def _grammar_error(syntax: str, value: str, err: UnexpectedInput) -> ValueSyntaxError:
    """A registry-user message for a value the grammar rejects."""
    what = _DESCRIPTIONS.get(syntax, syntax.replace("_", " "))
    text = value.strip()
    if not text:
        return ValueSyntaxError(f"empty value is not a valid {what}", 0)
    if syntax == "auth":  # never repeated: it may hold a password typed in clear
        incomplete = isinstance(err, UnexpectedToken) and err.token.type == "$END"
        return ValueSyntaxError(f"the value is not a valid {what}" + (": it is incomplete" if incomplete else ""), 0)
    if isinstance(err, UnexpectedToken) and err.token.type == "$END":
        return ValueSyntaxError(f"{text} is not a valid {what}: it is incomplete", len(value))
    pos = err.token.start_pos if isinstance(err, UnexpectedToken) else getattr(err, "pos_in_stream", None)
    if not pos or pos >= len(value):
        return ValueSyntaxError(f"{text} is not a valid {what}", 0)
    fragment = value[pos:].split()[0] if value[pos:].strip() else value[pos:]
    return ValueSyntaxError(f"{text} is not a valid {what}: unexpected {fragment!r} at column {pos}",
                            pos)


def _value(syntax: str, value: str) -> object:
    """_build with the grammar's and the checks' refusals as ValueSyntaxError (in the strictness
    the context has)."""
    try:
        return _build(syntax, value)
    except UnexpectedInput as err:
        raise _grammar_error(syntax, value, err) from None
    except VisitError as err:  # a check in _Build refused the value
        raise err.orig_exc from None


def _parse_value(syntax: str, value: str, strict: bool) -> object:
    token = _STRICT.set(strict) if _STRICT.get() is not strict else None
    try:
        return _value(syntax, value)
    finally:
        if token is not None:
            _STRICT.reset(token)


def _check_strict(syntax: str, value: str) -> object:
    """_parse_value(syntax, value, strict=True) for validation loops, which keep the values that
    passed themselves (so no LRU cache here: files of unique values only pay for its upkeep)."""
    return _value(syntax, value) if _STRICT.get() else _parse_value(syntax, value, True)


# Values parsed before (strict and non-strict apart): validating a file meets the same values
# (maintainers, contacts, countries, sources) again and again.
_CACHE_SIZE = 1 << 18
_parse_strict = functools.lru_cache(maxsize=_CACHE_SIZE)(functools.partial(_parse_value, strict=True))
_parse_lenient = functools.lru_cache(maxsize=_CACHE_SIZE)(functools.partial(_parse_value, strict=False))


def _parse_cached(syntax: str, value: str, strict: bool) -> object:
    return _parse_strict(syntax, value) if strict else _parse_lenient(syntax, value)


def parse(syntax: str, value: str, *, strict: bool = True) -> object:
    """Parse one attribute value (one list item) of ``syntax`` into a value object.

    ``strict`` is for authoritative data; ``strict=False`` applies the relaxed rules used for
    mirrored data (IRRd non-strict mode). Raises ValueSyntaxError naming the bad value.
    """
    if syntax in POLICY_SYNTAXES:
        return policy.parse(syntax, value)
    if syntax not in SYNTAXES:
        raise ValueError(f"unknown value syntax {syntax!r}")
    return _parse_cached(syntax, value, strict)


@functools.cache
def checker(syntax: str) -> Callable[[str], object]:
    """The strict check of one syntax as a function of the value (raising ValueSyntaxError), for
    validation loops: values seen before are answered from a cache without a Python call."""
    if syntax in _VALUE_SYNTAXES:
        single = (_FAST or _fast())[0].get(syntax)
        return functools.partial(_check_strict, syntax) if single is None else _single_checker(syntax, single)
    if syntax in POLICY_SYNTAXES:
        return functools.partial(policy.check, syntax)
    raise ValueError(f"unknown value syntax {syntax!r}")


def _single_checker(syntax: str, single: Callable[[str], object]) -> Callable[[str], object]:
    """_check_strict for a one-terminal syntax, calling its one-token builder directly (the
    validation loop calls it for every value it has not seen)."""

    def check(value: str) -> object:
        if _STRICT.get():
            built = single(value)
            if built is not larkfast.NOT_ONE_TOKEN:
                return built
        return _check_strict(syntax, value)

    return check


def check(syntax: str, value: str, *, strict: bool = True) -> None:
    """Validate one attribute value (one list item) like ``parse``, for validation only: policy
    values are checked without building their parse trees."""
    if syntax in _VALUE_SYNTAXES:
        _parse_cached(syntax, value, strict)
    elif syntax in POLICY_SYNTAXES:
        policy.check(syntax, value)
    else:
        raise ValueError(f"unknown value syntax {syntax!r}")


def normalise(syntax: str, value: str, *, strict: bool = True) -> str:
    """The canonical text of a value: ``str(parse(syntax, value, strict=strict))``."""
    return str(parse(syntax, value, strict=strict))
