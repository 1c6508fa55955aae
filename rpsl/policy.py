"""RPSL / RPSLng routing policy expressions (RFC 2622 sections 5-9, RFC 4012, rpsl-via draft).

`parse(syntax, value)` checks one attribute value (import, mp-export, filter, inject, peer, ...)
against grammars/policy.lark and returns the Lark parse tree; `referenced_names(tree)` lists the
AS numbers and set names in it. The grammar checks the shape; numeric ranges (AS numbers, octets,
prefix lengths, range operators, communities, pref/med/...) and the IPv4-only rule of the non-mp
attributes are checked here, so errors can name the bad value.
"""
from __future__ import annotations

import difflib
import ipaddress
import re
from collections.abc import Callable, Iterator
from functools import lru_cache

import lark
from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken
from lark.lark import PostLex
from lark.parsers.lalr_interactive_parser import InteractiveParser

from rpsl import larkfast
from rpsl.errors import ValueSyntaxError
from rpsl.values import IPV4_ONLY_POLICY_SYNTAXES as _IPV4_ONLY
from rpsl.values import POLICY_SYNTAXES

__all__ = ["POLICY_SYNTAXES", "parse", "check", "referenced_names"]

_GRAMMAR = larkfast.GRAMMARS / "policy.lark"

# Syntax name (as used in rpsl/schema.py; declared in rpsl.values) -> start rule of the grammar.
_START: dict[str, str] = {name: f"{name}_attr" for name in POLICY_SYNTAXES}

# Reserved words (RFC 2622 section 2), AS numbers and set names (reserved prefixes AS-, RS-, ...)
# are lexed in every parser state, so that they are never mistaken for a router DNS name or a
# dictionary attribute name ("from AS1 AS-X accept ..." is an error, as at RIPE).
_ALWAYS_ACCEPT = (
    "ANY", "AS_ANY", "RS_ANY", "PEERAS", "ATOMIC", "INBOUND", "OUTBOUND", "_AND", "_OR", "_NOT",
    "_FROM", "_TO", "_AT", "_ACTION", "_ACCEPT", "_ANNOUNCE", "_EXCEPT", "_REFINE", "_NETWORKS",
    "_INTO", "AS_NUMBER", "AS_SET_NAME", "ROUTE_SET_NAME", "RTR_SET_NAME", "FILTER_SET_NAME",
    "PEERING_SET_NAME",
)

_SET_NAME_TYPES = frozenset({"AS_SET_NAME", "ROUTE_SET_NAME", "RTR_SET_NAME", "FILTER_SET_NAME", "PEERING_SET_NAME"})

# How terminals are named in error messages.
_DISPLAY = {
    "AS_NUMBER": "AS number", "AS_RANGE": "AS range", "AS_SET_NAME": "as-set name",
    "ROUTE_SET_NAME": "route-set name", "RTR_SET_NAME": "rtr-set name",
    "FILTER_SET_NAME": "filter-set name", "PEERING_SET_NAME": "peering-set name",
    "IPV4_ADDRESS": "IPv4 address", "IPV6_ADDRESS": "IPv6 address",
    "PREFIX4_RANGE": "IPv4 prefix", "PREFIX6_RANGE": "IPv6 prefix",
    "RANGE_OPERATOR": "range operator (^-, ^+, ^n, ^n-m)", "COMMUNITY": "community value",
    "AFI": "address family (ipv4, ipv6.unicast, any.multicast, ...)",
    "PROTOCOL_NAME": "protocol name (BGP4, MPBGP, OSPF, ...)", "ENCAPSULATION": "GRE or IPinIP",
    "REGEX_OP": "AS-path repetition (*, +, ?, {m,n}, ~*, ...)", "ATTR_NAME": "attribute name",
    "OPERATOR": "operator (=, ==, .=, ...)", "GENERIC_ARG": "value", "DNS_NAME": "router DNS name",
    "INT": "number", "COMMUNITY_METHOD": "append, contains or delete", "$END": "end of value",
}
_NAME_ORDER = {name: i for i, name in enumerate(_DISPLAY)}


class _GluedTokens(Exception):
    """Two word-like tokens touch ("fromAS1"): a keyword swallowed the start of a longer word."""

    def __init__(self, first: Token):
        super().__init__(first)
        self.first = first


class _GlueCheck(PostLex):
    """Post-lexer: refuses word tokens glued together, and declares the always-accepted terminals."""

    always_accept = _ALWAYS_ACCEPT

    def process(self, stream: Iterator[Token]) -> Iterator[Token]:
        prev: Token | None = None
        for tok in stream:
            if (prev is not None and prev.end_pos == tok.start_pos and tok.value
                    and _is_word_char(prev.value[-1]) and _is_word_char(tok.value[0])):
                raise _GluedTokens(prev)
            prev = tok
            yield tok


def _is_word_char(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


@lru_cache(maxsize=1)
def _parser() -> Lark:
    """The policy parser, built once (or loaded from the cache, see rpsl.larkfast) and shared;
    Lark LALR parsers are reentrant."""
    return larkfast.load_parser(_GRAMMAR.name, "policy", **_options())


def _options() -> dict:
    return {"parser": "lalr", "lexer": "contextual", "start": sorted(_START.values()), "postlex": _GlueCheck(),
            "maybe_placeholders": False, "g_regex_flags": larkfast.ASCII_ONLY}


@lru_cache(maxsize=1)
def _shapes() -> larkfast.ShapeCache:
    """Each shape of value (rpsl.larkfast) parsed once: its tree and the checks it needs. The
    parser is loaded only for shapes no earlier run has saved."""
    return larkfast.ShapeCache(_parser, _Plan, (UnexpectedInput, _GluedTokens),
                               saved=larkfast.shape_file("policy", **_options()))


def _start(syntax: str) -> str:
    start = _START.get(syntax.replace("-", "_"))
    if start is None:
        raise ValueError(f"not a policy syntax: {syntax!r}")
    return start


def _planned(start: str, value: str) -> _Plan:
    """The plan of the value's shape; raises ValueSyntaxError for a value that does not parse."""
    plan = _shapes().get(start, value)[1]
    if plan is None:
        try:  # the value itself, for the error message (its shape did not parse: nor will it)
            return _Plan(start, _parser().parse(value, start=start))
        except (UnexpectedInput, _GluedTokens):
            raise _diagnose(value, start) from None
    return plan  # type: ignore[return-value]


def parse(syntax: str, value: str) -> lark.Tree:
    """Parse one policy attribute value (comments removed, continuation lines joined).

    Raises ValueSyntaxError(message, column) with column the 0-based offset in `value`.
    """
    plan = _planned(_start(syntax), value)
    plan.check(value)
    return larkfast.instantiate(plan.tree, value)


@lru_cache(maxsize=1 << 16)
def check(syntax: str, value: str) -> None:
    """Validate one policy attribute value like `parse`, without building its tree."""
    _planned(_start(syntax), value).check(value)


def referenced_names(tree: lark.Tree) -> set[str]:
    """AS numbers (asplain, "AS65537") and set names (upper case) mentioned by a parsed value.

    AS numbers inside hierarchical set names are normalised too ("as2.1:as-x" -> "AS131073:AS-X");
    the bounds of AS ranges in AS-path regexes ([AS1-AS5]) are not references and are left out.
    """
    names: set[str] = set()
    for tok in tree.scan_values(lambda v: isinstance(v, Token)):
        if tok.type == "AS_NUMBER":
            names.add(_normalise_asn(tok.value))
        elif tok.type in _SET_NAME_TYPES:
            names.add(":".join(_normalise_component(c) for c in tok.value.split(":")))
    return names


# --------------------------------------------------------------------------------------------
# Value checks done after parsing.

_MAX_ASN = 4294967295
_ASN_COMPONENT = re.compile(r"AS[0-9]", re.IGNORECASE | re.ASCII)


def _asn_number(text: str) -> int | None:
    """Value of "AS65537" / "AS1.2" (asdot), None when out of range."""
    digits = text[2:]
    if "." in digits:
        high, low = (int(part) for part in digits.split("."))
        return high * 65536 + low if high <= 65535 and low <= 65535 else None
    number = int(digits)
    return number if number <= _MAX_ASN else None


def _normalise_asn(text: str) -> str:
    number = _asn_number(text)
    return f"AS{number}" if number is not None else text.upper()


def _normalise_component(component: str) -> str:
    return _normalise_asn(component) if _ASN_COMPONENT.match(component) else component.upper()


class _Checker:
    """Collects (column, message) for every out-of-range value in a parse tree."""

    def __init__(self, syntax: str):
        self.syntax = syntax
        self.errors: list[tuple[int, str]] = []

    def ipv6(self, tok: Token) -> None:  # in an IPv4-only attribute
        attr = self.syntax.replace("_", "-")
        self.error(tok, f"IPv6 {'prefix' if tok.type == 'PREFIX6_RANGE' else 'address'} "
                        f"{tok.value} is not allowed in {attr} (use mp-{attr})")

    def error(self, tok: Token, message: str) -> None:
        self.errors.append((tok.start_pos or 0, f"{message} at column {(tok.start_pos or 0) + 1}"))

    # -- token checks --------------------------------------------------------------------------

    def asn(self, tok: Token) -> None:
        if _asn_number(tok.value) is None:
            self.error(tok, f"AS number {tok.value} is out of range (AS0 - AS4294967295, "
                            "asdot parts 0 - 65535)")

    def set_name(self, tok: Token) -> None:
        for component in tok.value.split(":"):
            if _ASN_COMPONENT.match(component) and _asn_number(component) is None:
                self.error(tok, f"AS number {component} in {tok.value} is out of range")

    def ipv4(self, tok: Token) -> None:
        if not _valid_ipv4(tok.value):
            self.error(tok, f"invalid IPv4 address {tok.value}")

    def ipv6_address(self, tok: Token) -> None:
        if not _valid_ipv6(tok.value):
            self.error(tok, f"invalid IPv6 address {tok.value}")

    def prefix_range(self, tok: Token) -> None:
        prefix, _, operator = tok.value.partition("^")
        address, _, length_text = prefix.partition("/")
        v6 = tok.type == "PREFIX6_RANGE"
        maximum = 128 if v6 else 32
        if not (_valid_ipv6(address) if v6 else _valid_ipv4(address)):
            self.error(tok, f"invalid address in prefix {tok.value}")
            return
        length = int(length_text)
        if length > maximum:
            self.error(tok, f"prefix length /{length} exceeds {maximum} in {tok.value}")
            return
        if operator:
            problem = _range_problem(operator, length, maximum)
            if problem:
                self.error(tok, f"{problem} in {tok.value}")

    def range_operator(self, tok: Token) -> None:
        # Applied to a name or set: the prefix length is unknown here, only 0..128 can be checked.
        problem = _range_problem(tok.value[1:], 0, 128)
        if problem:
            self.error(tok, problem)

    def community(self, tok: Token) -> None:
        parts = [int(p) for p in tok.value.split(":")]
        if len(parts) == 2:
            ok = all(p <= 65535 for p in parts)
            expected = "16-bit:16-bit (0-65535:0-65535)"
        else:  # a 32-bit integer, or a large community (RFC 8092) of three 32-bit numbers
            ok = all(p <= _MAX_ASN for p in parts)
            expected = "32-bit" if len(parts) == 1 else "32-bit:32-bit:32-bit"
        if not ok:
            self.error(tok, f"community {tok.value} is out of range (expected {expected})")

    def as_range(self, tok: Token) -> None:
        low, high = (part.strip() for part in tok.value.split("-"))
        low_n, high_n = _asn_number(low), _asn_number(high)
        if low_n is None or high_n is None:
            self.error(tok, f"AS number out of range in {tok.value}")
        elif low_n > high_n:
            self.error(tok, f"AS range {tok.value} is empty (first AS number greater than last)")

    def regex_op(self, tok: Token) -> None:
        bounds = re.fullmatch(r"~?\{([0-9]+),([0-9]+)\}", tok.value)
        if bounds and int(bounds.group(1)) > int(bounds.group(2)):
            self.error(tok, f"repetition {tok.value}: minimum greater than maximum")

    def dns_name(self, tok: Token) -> None:
        labels = tok.value.split(".")
        if len(tok.value) > 255 or any(len(label) > 63 for label in labels):
            self.error(tok, f"DNS name {tok.value} is too long")
        elif labels[-1].isdigit():
            # RFC 1123 2.1 / RFC 3696 2: a top-level label is never all-numeric, so this is a
            # malformed address rather than a host name.
            self.error(tok, f"'{tok.value}' is neither an IPv4 address nor a DNS name")

    # -- rule checks ---------------------------------------------------------------------------

    def sixteen_bit(self, node: Tree) -> None:
        for tok in node.children:
            if isinstance(tok, Token) and tok.type == "INT" and int(tok.value) > 65535:
                self.error(tok, f"{node.data} value {tok.value} is out of range (0 - 65535)")

    def masklen(self, node: Tree) -> None:
        address, length = node.children[0], node.children[1]
        maximum = 128 if address.type == "IPV6_ADDRESS" else 32
        if int(length.value) > maximum:
            self.error(length, f"masklen {length.value} is out of range (0 - {maximum})")


_TOKEN_CHECKS: dict[str, Callable[[_Checker, Token], None]] = {
    "AS_NUMBER": _Checker.asn,
    "AS_SET_NAME": _Checker.set_name, "ROUTE_SET_NAME": _Checker.set_name,
    "RTR_SET_NAME": _Checker.set_name, "FILTER_SET_NAME": _Checker.set_name,
    "PEERING_SET_NAME": _Checker.set_name,
    "IPV4_ADDRESS": _Checker.ipv4, "IPV6_ADDRESS": _Checker.ipv6_address,
    "PREFIX4_RANGE": _Checker.prefix_range, "PREFIX6_RANGE": _Checker.prefix_range,
    "RANGE_OPERATOR": _Checker.range_operator, "COMMUNITY": _Checker.community,
    "AS_RANGE": _Checker.as_range, "REGEX_OP": _Checker.regex_op, "DNS_NAME": _Checker.dns_name,
}
_RULE_CHECKS: dict[str, Callable[[_Checker, Tree], None]] = {
    "pref": _Checker.sixteen_bit, "med": _Checker.sixteen_bit, "dpa": _Checker.sixteen_bit,
    "cost": _Checker.sixteen_bit,
    "ifaddr_attr": _Checker.masklen, "interface_attr": _Checker.masklen,
}


class _Text:
    """What the token checks read of a token: its type, text and place."""

    __slots__ = ("type", "value", "start_pos")

    def __init__(self, type: str, value: str, start_pos: int):  # noqa: A002 - as lark.Token
        self.type, self.value, self.start_pos = type, value, start_pos


class _Plan:
    """One shape's parse tree and the checks its tokens and rules need, in tree order: checking
    a value of that shape runs them on the value's own token texts (same places)."""

    __slots__ = ("syntax", "tree", "token_checks", "rule_checks")

    def __init__(self, start: str, tree: Tree):
        self.syntax = start.removesuffix("_attr")
        self.tree = tree
        self.token_checks: list[tuple[Callable[[_Checker, Token], None], Token]] = []
        self.rule_checks: list[tuple[Callable[[_Checker, Tree], None], Tree]] = []
        ipv4_only = self.syntax in _IPV4_ONLY
        stack = [tree]
        while stack:
            node = stack.pop()
            rule_check = _RULE_CHECKS.get(node.data)
            if rule_check is not None:
                self.rule_checks.append((rule_check, node))
            for child in node.children:
                if isinstance(child, Tree):
                    stack.append(child)
                    continue
                token_check = _TOKEN_CHECKS.get(child.type)
                if token_check is not None:
                    self.token_checks.append((token_check, child))
                if ipv4_only and child.type in ("IPV6_ADDRESS", "PREFIX6_RANGE"):
                    self.token_checks.append((_Checker.ipv6, child))

    def check(self, value: str) -> None:
        """Raise ValueSyntaxError for the first (leftmost) out-of-range value of `value`."""
        if not self.token_checks and not self.rule_checks:
            return
        checker = _Checker(self.syntax)
        for token_check, tok in self.token_checks:
            token_check(checker, _Text(tok.type, value[tok.start_pos:tok.end_pos], tok.start_pos))
        for rule_check, node in self.rule_checks:
            rule_check(checker, larkfast.instantiate(node, value))
        if checker.errors:
            column, message = min(checker.errors)
            raise ValueSyntaxError(message, column)


def _valid_ipv4(text: str) -> bool:
    return all(int(octet) <= 255 for octet in text.split("."))


def _valid_ipv6(text: str) -> bool:
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return True


def _range_problem(operator: str, length: int, maximum: int) -> str | None:
    """Why a range operator ("-", "+", "n", "n-m", without "^") cannot apply to a /length."""
    if operator in ("-", "+"):
        return None
    low_text, _, high_text = operator.partition("-")
    low = int(low_text)
    high = int(high_text) if high_text else low
    if not length <= low <= high <= maximum:
        return (f"range operator ^{operator} needs {length} <= n <= m <= {maximum}"
                if high_text else f"range operator ^{operator} needs {length} <= n <= {maximum}")
    return None


# --------------------------------------------------------------------------------------------
# Error messages. Only run when parsing failed: re-parses interactively to know what the parser
# expected before the offending token.

_KEYWORD = re.compile(r"[a-z][a-z_-]*\Z")
# Terminals that can spell a misspelt keyword (a router name "acept", an attribute name "exept").
_WORDLIKE = frozenset({"DNS_NAME", "ATTR_NAME"})
_MAX_EXPECTED = 14


def _diagnose(value: str, start: str) -> ValueSyntaxError:
    """Build a readable ValueSyntaxError for a value that does not parse."""
    interactive = _parser().parse_interactive(value, start=start)
    # (token, parser state before it): LALR reports some errors only after default reductions,
    # so what was expected is asked of the saved state (accepts()), not of the exception.
    # Snapshots share the parsed values (deepcopy_values=False): accepts() never builds trees.
    history: list[tuple[Token, InteractiveParser]] = []
    at_end = interactive
    try:
        for tok in interactive.iter_parse():
            history.append((tok, interactive.copy(deepcopy_values=False)))
        at_end = interactive.copy(deepcopy_values=False)
        interactive.feed_eof()
    except _GluedTokens:
        first, before = history[-1]
        return _message(value, first.start_pos, before.accepts())
    except UnexpectedToken as exc:
        if exc.token.type == "$END":
            tok, before, prev = None, at_end, history[-1] if history else None
        elif history and exc.token is history[-1][0]:  # refused by the parser
            tok, before = history[-1]
            prev = history[-2] if len(history) > 1 else None
        else:  # refused by the contextual lexer, never reached the parser
            if _glued(value, exc.token.start_pos, history):
                return _message(value, history[-1][0].start_pos, history[-1][1].accepts())
            tok, before, prev = exc.token, interactive, history[-1] if history else None
        # A misspelt keyword is often taken for a router or attribute name and the parse fails
        # one token later: blame the misspelt word.
        if prev is not None and prev[0].type in _WORDLIKE:
            expected_before = set(prev[1].accepts()) - {prev[0].type}
            if prev[0].type == "ATTR_NAME" or _close_keyword(prev[0].value, expected_before):
                return _message(value, prev[0].start_pos, expected_before)
        return _message(value, len(value) if tok is None else tok.start_pos, before.accepts())
    except UnexpectedCharacters as exc:
        pos = exc.pos_in_stream
        if _glued(value, pos, history):
            return _message(value, history[-1][0].start_pos, history[-1][1].accepts())
        return _message(value, pos, interactive.accepts())
    except UnexpectedInput as exc:  # pragma: no cover - other Lark errors
        pos = exc.pos_in_stream or 0
        return ValueSyntaxError(f"syntax error at column {pos + 1}", pos)
    # The interactive parse succeeded where the plain one failed: cannot happen, but stay safe.
    return ValueSyntaxError("syntax error", None)  # pragma: no cover


def _glued(value: str, pos: int, history: list[tuple[Token, InteractiveParser]]) -> bool:
    """Bad text right after a word token ("AS-1:rtrs-x", "PeerAS_"): the whole word is wrong."""
    return (bool(history) and history[-1][0].end_pos == pos and pos < len(value)
            and _is_word_char(value[pos - 1]) and value[pos] not in _DELIMITERS)


_DELIMITERS = frozenset(" \t,;(){}<>[]")


def _word_at(value: str, pos: int) -> str:
    """The text at `pos` up to the next blank (truncated), quoted for a message."""
    match = re.match(r"[^\s,;(){}<>\[\]]+", value[pos:])
    word = match.group(0) if match else value[pos:pos + 1]
    if len(word) > 40:
        word = word[:37] + "..."
    return f"'{word}'" if word else "end of value"


def _display(name: str) -> str:
    if name in _DISPLAY:
        return _DISPLAY[name]
    pattern = _parser().get_terminal(name).pattern
    text = pattern.value if isinstance(pattern, lark.lexer.PatternStr) else name.lower()
    return text if _KEYWORD.match(text) else f"'{text}'"


def _keywords(expected: set[str]) -> list[str]:
    return [d for d in (_display(n) for n in expected if n not in _DISPLAY) if _KEYWORD.match(d)]


def _close_keyword(word: str, expected: set[str]) -> str | None:
    matches = difflib.get_close_matches(word.lower(), _keywords(expected), n=1, cutoff=0.75)
    return matches[0] if matches else None


def _expected_order(name: str) -> tuple[int, int, str]:
    """Reserved words, then punctuation, then kinds of values, then contextual keywords."""
    if name in _DISPLAY:
        return (2, _NAME_ORDER[name], "")
    shown = _display(name)
    if name in _ALWAYS_ACCEPT:
        return (0, 0, shown)
    return (3 if _KEYWORD.match(shown) else 1, 0, shown)


def _message(value: str, pos: int, expected: set[str] | frozenset[str]) -> ValueSyntaxError:
    """ "unexpected <word at pos> at column N (did you mean ...?), expected one of: ..." """
    found = _word_at(value, pos)
    expected = {name for name in expected if name != "WS"}
    names = sorted(expected, key=_expected_order)
    shown = [_display(n) for n in names]
    if len(shown) > _MAX_EXPECTED:
        shown = shown[:_MAX_EXPECTED] + ["..."]
    message = f"unexpected {found} at column {pos + 1}"
    word = found.strip("'")
    hint = _close_keyword(word, expected) if found != "end of value" else None
    if hint and hint != word.lower():
        message += f" (did you mean '{hint}'?)"
    if shown:
        message += ", expected " + ("one of: " if len(shown) > 1 else "") + ", ".join(shown)
    return ValueSyntaxError(message, pos)
