"""The fast paths in front of the Lark grammars (rpsl.larkfast) change nothing: on every value of
the real RPSL data and on generated ones, strict and non-strict, the value objects, the policy
parse trees and the error messages equal what a plain Lark parse of the value gives."""
from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lark import Tree
from lark.exceptions import UnexpectedInput, VisitError

from rpsl import larkfast, policy, syntax
from rpsl.errors import ValueSyntaxError
from rpsl.objects import parse
from rpsl.reader import iter_paragraphs
from tests.conftest import REAL

KEYWORDS_WITH_DIGITS = {"BGP4", "IPV4", "IPV6", "X509", "MD5"}


def terminal_words_with_digits(parser) -> set[str]:
    """Words with digits in the terminals' regular expressions, character classes and repetition
    counts left out (they treat every digit alike)."""
    words = set()
    for terminal in parser.terminals:
        pattern = terminal.pattern.to_regexp()
        pattern = re.sub(r"\\.", "", pattern)             # escapes (\d is no literal digit)
        pattern = re.sub(r"\[[^\]]*\]", "", pattern)       # character classes
        pattern = re.sub(r"\{[0-9,]*\}", "", pattern)      # repetition counts
        words.update(w.upper() for w in re.findall(r"[A-Za-z]*[0-9]+[A-Za-z0-9]*", pattern))
    return words


@pytest.mark.parametrize("parser", [syntax._parser, policy._parser], ids=["values", "policy"])
def test_shapes_keep_every_digit_a_terminal_names(parser):
    """A shape zeroes digits; that is only safe while the terminals treat digits alike except in
    keywords whose digits follow a letter that is no AS-number's S (rpsl.larkfast)."""
    assert terminal_words_with_digits(parser()) <= KEYWORDS_WITH_DIGITS
    for word in KEYWORDS_WITH_DIGITS:
        assert larkfast.shape(word) == word and larkfast.shape(word.lower()) == word.lower()
        assert larkfast.shape(f"x {word} 12") == f"x {word} 00"
    assert larkfast.shape("from AS65537 accept AS-FOO:AS12 {192.0.2.0/24^+}") == \
        "from AS00000 accept AS-FOO:AS00 {000.0.0.0/00^+}"


# -- the reference: Lark alone -----------------------------------------------------------------

def value_reference(name: str, value: str, strict: bool):
    token = syntax._STRICT.set(strict)
    try:
        return syntax._BUILD.transform(syntax._parser().parse(value, start=name))
    except UnexpectedInput as err:
        return ("error", syntax._grammar_error(name, value, err).message)
    except VisitError as err:
        return ("error", err.orig_exc.message)
    finally:
        syntax._STRICT.reset(token)


def value_fast(name: str, value: str, strict: bool):
    try:
        return syntax.parse(name, value, strict=strict)
    except ValueSyntaxError as err:
        return ("error", err.message)


def value_checked(name: str, value: str):
    """What the strict validation loop's check (syntax.checker) makes of a value."""
    try:
        return syntax.checker(name)(value)
    except ValueSyntaxError as err:
        return ("error", err.message)


def policy_reference(name: str, value: str):
    start = policy._START[name]
    try:
        tree = policy._parser().parse(value, start=start)
    except (UnexpectedInput, policy._GluedTokens):
        return ("error", policy._diagnose(value, start).message)
    try:
        policy._Plan(start, tree).check(value)
    except ValueSyntaxError as err:
        return ("error", err.message)
    return tree


def policy_fast(name: str, value: str):
    try:
        tree = policy.parse(name, value)
    except ValueSyntaxError as err:
        return ("error", err.message)
    try:
        policy.check(name, value)
    except ValueSyntaxError as err:  # pragma: no cover - check must agree with parse
        return ("check refused what parse took", err.message)
    return tree


def same(fast, reference) -> bool:
    if isinstance(reference, Tree):
        return isinstance(fast, Tree) and fast == reference and \
            [t.type for t in larkfast.tokens(fast)] == [t.type for t in larkfast.tokens(reference)]
    return fast == reference


def real_values() -> dict[str, set[str]]:
    """Every attribute value (list items apart) of every real object, by syntax."""
    values: dict[str, set[str]] = {}
    for path in sorted(REAL.glob("*.db")):
        for p in iter_paragraphs(path):
            obj = parse(p.text, p.line)
            if obj.schema is None:
                continue
            for a in obj.attributes:
                attr = obj.schema.get(a.name)
                if attr is None:
                    continue
                items = [i.strip() for i in a.value.split(",") if i.strip()] if attr.list else [a.value]
                values.setdefault(attr.syntax, set()).update(items)
    return values


REAL_VALUES = real_values()


@pytest.mark.parametrize("name", sorted(REAL_VALUES))
def test_every_real_value_parses_as_lark_alone_parses_it(name):
    values = sorted(REAL_VALUES[name])
    variants = values + [v.replace("1", "7").replace("0", "9") for v in values]  # other digits, same shape
    for value in variants:
        if name in policy.POLICY_SYNTAXES:
            fast, reference = policy_fast(name, value), policy_reference(name, value)
            assert same(fast, reference), (name, value, fast, reference)
        else:
            for strict in (True, False):
                fast, reference = value_fast(name, value, strict), value_reference(name, value, strict)
                assert same(fast, reference), (name, value, strict, fast, reference)
            assert same(value_checked(name, value), value_reference(name, value, True)), (name, value)


PIECES = st.sampled_from([
    "AS", "as", "AS1", "AS65537", "AS4294967296", "AS1.2", "AS-FOO", "RS-BAR", ":", "-", " ", "  ", ",", ".", "/",
    "^", "^+", "^-", "^24", "^24-32", "0", "1", "9", "12", "255", "256", "999", "192.0.2.0", "2001:db8::", "::1",
    "{", "}", "(", ")", ";", "<", ">", "from", "to", "accept", "announce", "action", "pref=", "community",
    "afi", "ipv4", "ipv6.unicast", "BGP4", "X509", "MD5-PW", "PGPKEY-", "@", "example.net", "x", "ANY", "and",
    "or", "not", "except", "refine", "at", "#", "e", "Z", "T", "+", "$",
    "BCRYPT-PW", "CRYPT-PW", "SSO", "MAIL-FROM", "NONE", "IRRD-INTERNAL-AUTH", "\t", "$2b$12$", "é",
])


AUTH_WORDS = st.sampled_from(["BCRYPT-PW", "bcrypt-pw", "MD5-PW", "CRYPT-PW", "SSO", "MAIL-FROM", "NONE",
                              "PGPKEY-1234ABCD", "X509-1", "IRRD-INTERNAL-AUTH", "AS1", "x"])
HASH_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=70)


@given(AUTH_WORDS, st.sampled_from([" ", "  ", "\t", ""]), HASH_TEXT, st.booleans())
@settings(max_examples=3000, deadline=None)
def test_auth_values_parse_as_lark_alone_parses_them(scheme, blank, rest, strict):
    # an auth value's shape masks its second word (the hash, whatever its characters)
    value = f"{scheme}{blank}{rest}"
    assert same(value_fast("auth", value, strict), value_reference("auth", value, strict))


@given(st.lists(PIECES, min_size=1, max_size=12).map("".join),
       st.sampled_from(sorted(syntax.SYNTAXES - policy.POLICY_SYNTAXES)), st.booleans())
@settings(max_examples=3000, deadline=None)
def test_generated_values_parse_as_lark_alone_parses_them(value, name, strict):
    assert same(value_fast(name, value, strict), value_reference(name, value, strict))
    if strict:
        assert same(value_checked(name, value), value_reference(name, value, True))


@given(st.lists(PIECES, min_size=1, max_size=16).map("".join), st.sampled_from(sorted(policy.POLICY_SYNTAXES)))
@settings(max_examples=3000, deadline=None)
def test_generated_policies_parse_as_lark_alone_parses_them(value, name):
    assert same(policy_fast(name, value), policy_reference(name, value))


# -- the parser cache -------------------------------------------------------------------------

def test_parsers_are_cached_in_a_private_directory(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    monkeypatch.setenv("IRR_CACHE_DIR", str(cache))
    first = larkfast.load_parser("values.lark", "values", parser="lalr", start=["as_number"])
    files = list(cache.glob("lark-values-*.pickle"))
    assert len(files) == 1 and oct(cache.stat().st_mode & 0o777) == "0o700"
    stamp = files[0].stat().st_mtime_ns
    again = larkfast.load_parser("values.lark", "values", parser="lalr", start=["as_number"])
    assert files[0].stat().st_mtime_ns == stamp  # loaded, not written again
    assert again.parse("AS1", start="as_number") == first.parse("AS1", start="as_number")
    other = larkfast.load_parser("values.lark", "values", parser="lalr", start=["as_number", "prefix4"])
    assert other.parse("192.0.2.0/24", start="prefix4")
    assert [f.name for f in cache.glob("lark-values-*.pickle")] != [files[0].name]  # other options: replaced


@pytest.mark.parametrize("setting", ["world-writable", ""])
def test_no_cache_where_others_could_write(tmp_path, monkeypatch, setting):
    """A directory others may write to could hold someone else's pickle: it is not used; an empty
    IRR_CACHE_DIR turns the cache off."""
    cache = tmp_path / "open"
    cache.mkdir(mode=0o777)
    cache.chmod(0o777)
    monkeypatch.setenv("IRR_CACHE_DIR", str(cache) if setting else "")
    parser = larkfast.load_parser("values.lark", "values", parser="lalr", start=["as_number"])
    assert parser.parse("AS1", start="as_number")
    assert list(cache.iterdir()) == []


# -- the shapes saved for the next process -----------------------------------------------------

def _positions(tree):
    return None if tree is None else [(t.type, str(t), t.start_pos, t.end_pos, t.line, t.column, t.end_line,
                                       t.end_column) for t in larkfast.tokens(tree)] + [tree]


def test_shapes_are_saved_and_the_next_process_asks_lark_only_about_new_ones(tmp_path, monkeypatch):
    monkeypatch.setenv("IRR_CACHE_DIR", str(tmp_path / "cache"))
    options = policy._options()
    saved = larkfast.shape_file("policy", **options)
    parser = larkfast.load_parser("policy.lark", "policy", **options)
    start = policy._start("import")
    values = ["from AS1 accept AS2", "from AS64500 192.0.2.1 at 198.51.100.1 action pref=100; accept {10.0.0.0/8^16-24}",
              "from AS1 accept", "fromAS1 accept ANY"]  # the last two do not parse
    first = larkfast.ShapeCache(lambda: parser, saved=saved,
                                parse_errors=(UnexpectedInput, policy._GluedTokens))
    trees = [first.get(start, v)[1] for v in values]
    assert trees[2] is None and trees[3] is None and trees[0] is not None
    larkfast.save_shapes()
    assert saved.exists() and oct(saved.stat().st_mode & 0o022) == "0o0"

    def no_lark():
        raise AssertionError("Lark asked about a saved shape")

    second = larkfast.ShapeCache(no_lark, saved=saved, parse_errors=(UnexpectedInput, policy._GluedTokens))
    for value, tree in zip(values, trees):
        assert _positions(second.get(start, value)[1]) == _positions(tree)
        assert _positions(second.get(start, value)[1]) == _positions(
            None if tree is None else parser.parse(larkfast.shape(value), start=start))
    asked = []
    third = larkfast.ShapeCache(lambda: asked.append(1) or parser, saved=saved,
                                parse_errors=(UnexpectedInput, policy._GluedTokens))
    assert third.get(start, "from AS1 accept AS2 AND AS3")[1] is not None and asked  # a new shape: Lark


def test_saved_shapes_others_could_write_are_not_read(tmp_path, monkeypatch):
    monkeypatch.setenv("IRR_CACHE_DIR", str(tmp_path / "cache"))
    parser = larkfast.load_parser("values.lark", "values", parser="lalr", start=["as_number", "prefix4"])
    saved = larkfast.shape_file("values", parser="lalr", start=["as_number", "prefix4"])
    first = larkfast.ShapeCache(parser)
    assert first.path == saved
    tree = first.get("prefix4", "192.0.2.0/24")[1]
    larkfast.save_shapes()
    saved.chmod(0o666)  # someone else could have planted it
    asked = []
    other = larkfast.ShapeCache(lambda: asked.append(1) or parser, saved=saved)
    assert other.get("prefix4", "192.0.2.0/24")[1] == tree and asked
