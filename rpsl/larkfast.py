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
  but the 200,000 lines of a big aut-num have a handful. A start rule may have a shape function
  of its own that masks more (an ``auth`` value's hash, where the grammar takes any word).
  Each shape is parsed once; a value of a known shape gets the shape's tree with its own token
  texts (tests/rpsl/test_larkfast.py checks the terminals keep that property and that every
  real value parses the same both ways).
- **Single tokens.** Where a start rule is one terminal (``as_number: ASN``, ``free: TEXT``,
  ``object_name: OBJECT_NAME``), the contextual lexer of the start state can only match that
  terminal; a value without surrounding blanks that the terminal's regular expression matches
  whole is exactly the one-token tree Lark would build.

A value that does not parse is always parsed again by Lark itself, so error messages and
positions are those of the value, never of its shape.

The shapes parsed are kept too, beside the parsers (their trees, or that they do not parse, under
the same hash of grammar, options and versions): the next process asks Lark only about shapes no
earlier run has seen, so it builds none of the lexer's regular expressions (a quarter of a second)
for data like the data it checked before. ``save_shapes()`` writes what was learnt (rpsl.checkfile
calls it after each block).
"""
from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import pickle
import re
import stat
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

import lark
from lark import Lark, Token, Tree

GRAMMARS = Path(__file__).with_name("grammars")
MAX_SHAPES = 1 << 16
MAX_SAVED_SHAPES = 1 << 14  # per parser, on disk: what a registry's data has, not all one could send
BLANKS = " \t\f\r\n"  # common.WS, the %ignore'd terminal of both grammars
# Both grammars' terminals match ASCII only: with Unicode rules, a case-insensitive [A-Z] or "AS"
# also matches the dotless i, the dotted I, the long s and the Kelvin sign (AS-FOOſ read as AS-FOOS).
# Text terminals keep Unicode blanks with a scoped (?u:...).
ASCII_ONLY = re.ASCII

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


def _digest(key: str, options: dict) -> str:
    """A hash of all grammar files, the options (and the module of a post-lexer or transformer,
    whose code decides what parses too) and the Lark and Python versions."""
    digest = hashlib.sha256()
    for path in sorted(GRAMMARS.glob("*.lark")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    digest.update(Path(__file__).read_bytes())  # the format of the saved shapes
    for name in ("postlex", "transformer"):
        module = sys.modules.get(type(options.get(name)).__module__)
        if options.get(name) is not None and getattr(module, "__file__", None):
            digest.update(Path(module.__file__).read_bytes())  # type: ignore[union-attr, arg-type]
    hashable = sorted((k, repr(v)) for k, v in options.items() if k not in ("postlex", "transformer"))
    digest.update(f"{key}|{hashable}|{lark.__version__}|{sys.version_info[:2]}".encode())
    return digest.hexdigest()[:24]


def shape_file(key: str, **options) -> Path | None:
    """The disk cache's file of the shapes parsed by load_parser(..., key, **options), or None."""
    directory = _cache_dir()
    return None if directory is None else directory / f"shapes-{key}-{_digest(key, options)}.pickle"


def load_parser(grammar: str, key: str, **options) -> Lark:
    """Lark.open(grammars/<grammar>, **options), loaded from the private cache when it holds this
    exact grammar (all files in grammars/), these options and this Lark and Python version."""
    path = str(GRAMMARS / grammar)
    directory = _cache_dir()
    if directory is None:
        return Lark.open(path, **options)
    digest = _digest(key, options)
    cached = directory / f"lark-{key}-{digest}.pickle"
    shapes = directory / f"shapes-{key}-{digest}.pickle"
    with open(directory / f"lark-{key}.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one process writes the file while no other reads it
        with contextlib.suppress(FileNotFoundError):
            if not _private(cached):
                return Lark.open(path, **options)
        parser = Lark.open(path, cache=str(cached), **options)  # loads it, or builds and writes it
        for old in [*directory.glob(f"lark-{key}-*.pickle"), *directory.glob(f"shapes-{key}-*.pickle")]:
            if old not in (cached, shapes):
                old.unlink(missing_ok=True)
    _LOADED[id(parser)] = (parser, shapes)
    return parser


def _private(path: Path | int) -> bool:
    """Whether the file (path or open descriptor) is this user's and only this user can write it
    (else it is never unpickled)."""
    st = os.fstat(path) if isinstance(path, int) else path.stat()
    return st.st_uid == os.getuid() and not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


# ------------------------------------------------------------------------------------ shapes

def shape(value: str) -> str:
    """The value with the digits that can't change its parse set to 0 (see the module text)."""
    zeroed = value.encode().translate(_ZEROS_ASCII).decode() if value.isascii() else value.translate(_ZEROS)
    for m in _KEPT_DIGITS.finditer(value):
        start, end = m.span(1)
        zeroed = zeroed[:start] + value[start:end] + zeroed[end:]
    return zeroed


_SECOND_WORD = re.compile(r"(\S+[ \t]+)(\S+)")


def shape_masking_second_word(value: str) -> str:
    """shape() with every character of the second word an ``x``: for a start rule whose first
    token is a keyword and whose second is one terminal that takes any non-blank run (``auth:
    BCRYPT-PW <hash>``: TOKEN ``\\S+`` or TEXT), so that each hash is not a shape of its own."""
    m = _SECOND_WORD.match(value)
    if m is None:
        return shape(value)
    return shape(m.group(1)) + "x" * len(m.group(2)) + shape(value[m.end():])


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


_LOADED: dict[int, tuple[Lark, Path]] = {}  # id(parser) -> (parser, its file of saved shapes)
_SAVING: list[ShapeCache] = []


def _encode(tree: Tree) -> tuple:
    """A tree as plain tuples (a pickled Token loses its end position, which instantiate reads)."""
    return tree.data, tuple(_encode(c) if isinstance(c, Tree) else c if c is None else
                            (c.type, str(c), c.start_pos, c.line, c.column, c.end_line, c.end_column, c.end_pos)
                            for c in tree.children)


def _decode(encoded: tuple) -> Tree:
    data, children = encoded
    return Tree(data, [c if c is None else _decode(c) if len(c) == 2 else Token(*c) for c in children])


class ShapeCache:
    """start rule -> shape -> what ``build(start, tree)`` made of the shape's tree, or None when the
    shape does not parse. Bounded: emptied when it holds MAX_SHAPES shapes. The shapes of earlier
    runs are read from the disk cache (``saved``, shape_file(); by default the file of a parser
    from load_parser) and Lark (``parser``, or a function returning it, called when first needed)
    parses only new ones."""

    def __init__(self, parser: Lark | Callable[[], Lark],
                 build: Callable[[str, Tree], object] = lambda start, tree: tree,
                 parse_errors: tuple[type[Exception], ...] = (lark.exceptions.UnexpectedInput,),
                 saved: Path | None = None, shapers: dict[str, Callable[[str], str]] | None = None):
        self._parser = parser
        self.shapers = shapers or {}  # start rule -> its shape function, when not shape()
        self.build = build
        self.parse_errors = parse_errors
        self.shapes: dict[tuple[str, str], object] = {}
        self.path = saved or _LOADED.get(id(parser), (None, None))[1]
        self.known: dict[tuple[str, str], tuple | None] | None = None if self.path else {}
        self.learnt: dict[tuple[str, str], tuple | None] = {}
        if self.path:
            _SAVING.append(self)

    @property
    def parser(self) -> Lark:
        if not isinstance(self._parser, Lark):
            self._parser = self._parser()
        return self._parser

    def _read(self) -> dict:
        """The shapes saved by earlier runs ({} when none, or the file is not safe to read)."""
        try:
            with open(self.path, "rb") as f:  # type: ignore[arg-type]
                if _private(f.fileno()):
                    known = pickle.load(f)
                    return known if isinstance(known, dict) else {}
        except (OSError, EOFError, pickle.UnpicklingError, ValueError, TypeError, AttributeError):
            pass
        return {}

    def _parse(self, start: str, shape_: str) -> Tree | None:
        if self.known is None:
            self.known = self._read()
        try:
            encoded = self.known[start, shape_]
        except KeyError:
            try:
                tree = self.parser.parse(shape_, start=start)
            except self.parse_errors:
                tree = None
            if self.path and len(self.known) + len(self.learnt) < MAX_SAVED_SHAPES:
                self.learnt[start, shape_] = None if tree is None else _encode(tree)
            return tree
        return None if encoded is None else _decode(encoded)

    def save(self) -> None:
        """Add the shapes learnt since the last save to the file (merged with what other
        processes wrote meanwhile, under the parsers' lock)."""
        if not self.learnt or self.path is None:
            return
        learnt, self.learnt = self.learnt, {}
        try:
            with open(self.path.with_suffix(".lock"), "a") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                known = self._read() if self.path.exists() else {}
                known.update(list(learnt.items())[:max(0, MAX_SAVED_SHAPES - len(known))])
                temporary = self.path.with_suffix(f".{os.getpid()}.tmp")
                with open(temporary, "wb") as f:
                    pickle.dump(known, f, protocol=pickle.HIGHEST_PROTOCOL)
                os.replace(temporary, self.path)
        except OSError:
            return  # a cache: the next run parses these shapes again
        self.known = known

    def get(self, start: str, value: str) -> tuple[str, object]:
        """(shape, built) for `value`; built is None when the value does not parse."""
        key = (start, self.shapers.get(start, shape)(value))
        try:
            return key[1], self.shapes[key]
        except KeyError:
            pass
        try:
            tree = self._parse(*key)
            built = None if tree is None else self.build(start, tree)
        except self.parse_errors:
            built = None
        if len(self.shapes) >= MAX_SHAPES:
            self.shapes.clear()
        self.shapes[key] = built
        return key[1], built


def save_shapes() -> None:
    """Write the shapes parsed by this process that the disk cache does not hold yet."""
    for cache in _SAVING:
        cache.save()


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
        pattern = parser.get_terminal(symbol.name).pattern.to_regexp()
        out[start] = (symbol.name, re.compile(pattern, parser.options.g_regex_flags))
    return out


NOT_ONE_TOKEN = object()  # what a one-token builder returns when unsure (then ask Lark)


def one_token_builder(rule: tuple[str, re.Pattern], build: Callable[[list[Token]], object]) -> Callable[[str], object]:
    """For a one-terminal start rule: value -> build([its one token]), or NOT_ONE_TOKEN when the
    value is not that one token (blanks around it, or the terminal does not match it whole)."""
    name, regex = rule
    match = regex.match
    new = str.__new__

    def built(value: str) -> object:
        if value and value[0] not in BLANKS and value[-1] not in BLANKS:
            m = match(value)
            if m is not None and m.end() == len(value):
                tok = new(Token, value)  # token(), inlined: this runs for every value checked
                tok.type, tok.value = name, value
                return build([tok])
        return NOT_ONE_TOKEN

    return built


def token(type_: str, text: str) -> Token:
    """A lark Token without a place (what value callbacks read: its text and type), made cheaply."""
    tok = str.__new__(Token, text)
    tok.type, tok.value = type_, text
    return tok
