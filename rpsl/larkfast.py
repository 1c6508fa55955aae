"""Making the Lark grammars cheap to run a million times, without changing what they accept.

Strict validation parses every attribute value with the grammars in grammars/*.lark. Three things
make that fast; none of them replaces the grammar, each only avoids asking it the same question
twice:

- **Parsers from a private disk cache.** Building the LALR tables takes about a second; a built
  parser is kept (Lark's own ``cache`` option, a pickle) in a directory only this user can write,
  named by a hash of the grammar files, the options and the Lark version, written and read under
  a lock.
- **Shapes.** The parse of a value depends only on which terminals its characters match. The
  terminals of both grammars treat every digit alike (``[0-9]`` classes; the only literal digits
  are in keywords, right after a letter: BGP4, ipv4, ipv6, X509, MD5), so zeroing the digits of
  a value that do not follow a letter, or that follow an ``AS`` at the start of a word, gives a
  *shape* with exactly the same tokens at the same places and the same parse tree.
  ``from AS1 accept AS1`` and ``from AS64500 accept AS64500:AS-CUST`` each have their own shape,
  but the 200,000 lines of a big aut-num have a handful. Each shape is parsed once; a value of
  a known shape gets the shape's tree with its own token texts (tests/rpsl/test_larkfast.py
  checks the terminals keep that property and that every real value parses the same both ways).
- **Single tokens.** Where a start rule is one terminal (``as_number: ASN``, ``free: TEXT``,
  ``object_name: OBJECT_NAME``), the contextual lexer of the start state can only match that
  terminal; a value without surrounding blanks that the terminal's regular expression matches
  whole is exactly the one-token tree Lark would build.

A value that does not parse is always parsed again by Lark itself, so error messages and
positions are those of the value, never of its shape.
"""
from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import re
import stat
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

import lark
from lark import Lark, Token, Tree

GRAMMARS = Path(__file__).with_name("grammars")
MAX_SHAPES = 1 << 16
BLANKS = " \t\f\r\n"  # common.WS, the %ignore'd terminal of both grammars

# Digits right after a letter are kept in the shape (keywords such as BGP4, ipv4, X509, MD5),
# unless the letters are the "AS" of an AS number at the start of a word.
_KEPT_DIGITS = re.compile(r"(?:[A-RT-Za-rt-z]|(?<![^A-Za-z0-9][Aa])(?<!^[Aa])[Ss])([0-9]+)")
_ZEROS = str.maketrans("123456789", "000000000")
_ZEROS_ASCII = bytes.maketrans(b"123456789", b"000000000")


# ------------------------------------------------------------------------------- parser cache

def _cache_dir() -> Path | None:
    """A directory only this user can write (IRR_CACHE_DIR, else ~/.cache/irr-vn), or None."""
    configured = os.environ.get("IRR_CACHE_DIR")
    if configured == "":
        return None
    base = Path(configured) if configured else \
        Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "irr-vn"
    try:
        base.mkdir(mode=0o700, parents=True, exist_ok=True)
        st = base.stat()
    except OSError:
        return None
    if st.st_uid != os.getuid() or st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return None  # someone else could plant a pickle there
    return base


def load_parser(grammar: str, key: str, **options) -> Lark:
    """Lark.open(grammars/<grammar>, **options), loaded from the private cache when it holds this
    exact grammar (all files in grammars/), these options and this Lark and Python version."""
    digest = hashlib.sha256()
    for path in sorted(GRAMMARS.glob("*.lark")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    hashable = sorted((k, repr(v)) for k, v in options.items() if k not in ("postlex", "transformer"))
    digest.update(f"{key}|{hashable}|{lark.__version__}|{sys.version_info[:2]}".encode())
    path = str(GRAMMARS / grammar)
    directory = _cache_dir()
    if directory is None:
        return Lark.open(path, **options)
    cached = directory / f"lark-{key}-{digest.hexdigest()[:24]}.pickle"
    with open(directory / f"lark-{key}.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one process writes the file while no other reads it
        with contextlib.suppress(FileNotFoundError):
            st = cached.stat()
            if st.st_uid != os.getuid() or st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
                return Lark.open(path, **options)
        parser = Lark.open(path, cache=str(cached), **options)  # loads it, or builds and writes it
        for old in directory.glob(f"lark-{key}-*.pickle"):
            if old != cached:
                old.unlink(missing_ok=True)
    return parser


# ------------------------------------------------------------------------------------ shapes

def shape(value: str) -> str:
    """The value with the digits that can't change its parse set to 0 (see the module text)."""
    zeroed = value.encode().translate(_ZEROS_ASCII).decode() if value.isascii() else value.translate(_ZEROS)
    for m in _KEPT_DIGITS.finditer(value):
        start, end = m.span(1)
        zeroed = zeroed[:start] + value[start:end] + zeroed[end:]
    return zeroed


def instantiate(tree: Tree, value: str) -> Tree:
    """A copy of a shape's tree with the token texts of `value` (same length, same places)."""
    children = []
    for child in tree.children:
        if isinstance(child, Token):
            child = Token.new_borrow_pos(child.type, value[child.start_pos:child.end_pos], child)
        elif isinstance(child, Tree):
            child = instantiate(child, value)
        children.append(child)
    return Tree(tree.data, children, tree._meta)


def tokens(tree: Tree) -> list[Token]:
    """The tokens of a tree, left to right."""
    out: list[Token] = []
    stack: list = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, Token):
            out.append(node)
        elif isinstance(node, Tree):
            stack.extend(reversed(node.children))
    return out


class ShapeCache:
    """start rule -> shape -> what ``build(start, tree)`` made of the shape's tree, or None when the
    shape does not parse. Bounded: emptied when it holds MAX_SHAPES shapes."""

    def __init__(self, parser: Lark, build: Callable[[str, Tree], object] = lambda start, tree: tree,
                 parse_errors: tuple[type[Exception], ...] = (lark.exceptions.UnexpectedInput,)):
        self.parser = parser
        self.build = build
        self.parse_errors = parse_errors
        self.shapes: dict[tuple[str, str], object] = {}

    def get(self, start: str, value: str) -> tuple[str, object]:
        """(shape, built) for `value`; built is None when the value does not parse."""
        key = (start, shape(value))
        try:
            return key[1], self.shapes[key]
        except KeyError:
            pass
        try:
            built = self.build(start, self.parser.parse(key[1], start=start))
        except self.parse_errors:
            built = None
        if len(self.shapes) >= MAX_SHAPES:
            self.shapes.clear()
        self.shapes[key] = built
        return key[1], built


# ------------------------------------------------------------------------------ single tokens

def single_token_rules(parser: Lark, starts: Iterable[str]) -> dict[str, tuple[str, re.Pattern]]:
    """start -> (terminal, regex) for the start rules that are exactly one kept terminal."""
    rules: dict[str, list] = {}
    for rule in parser.rules:
        rules.setdefault(rule.origin.name, []).append(rule)
    out = {}
    for start in starts:
        # `x: T` or `x: T?` (then a value without blanks is never the empty alternative)
        alternatives = [r for r in rules.get(start, []) if r.expansion]
        if len(alternatives) != 1:
            continue
        rule = alternatives[0]
        if rule.alias or rule.options.expand1 or len(rule.expansion) != 1:
            continue
        symbol = rule.expansion[0]
        if not symbol.is_term or (symbol.filter_out and not rule.options.keep_all_tokens):
            continue
        out[start] = (symbol.name, re.compile(parser.get_terminal(symbol.name).pattern.to_regexp()))
    return out


def single_token(rule: tuple[str, re.Pattern], value: str) -> Token | None:
    """The one token of a one-terminal start rule's tree, or None when unsure (ask Lark)."""
    if not value or value[0] in BLANKS or value[-1] in BLANKS:
        return None
    name, regex = rule
    m = regex.match(value)
    if m is None or m.end() != len(value):
        return None
    return token(name, value)


def token(type_: str, text: str) -> Token:
    """A lark Token without a place (what value callbacks read: its text and type), made cheaply."""
    tok = str.__new__(Token, text)
    tok.type, tok.value = type_, text
    return tok
