"""Real-world RPSL that used to be refused or misread (issue 15): route6 mp-filters (RFC 4012),
one-letter object names (RFC 2622), byte-order marks and CR-only line ends."""
from __future__ import annotations

import gzip
import io

import pytest

from rpsl.objects import parse
from rpsl.reader import iter_blocks, iter_paragraphs, split_paragraphs
from tests.conftest import REAL

AGGREGATE_ATTRIBUTES = ("export-comps", "components", "inject")


def _real(file: str, first_line: str, *lines: str) -> tuple[str, int]:
    """The text and line of the first real object starting with `first_line` that has `lines`."""
    for p in iter_paragraphs(REAL / file):
        if p.text.split("\n", 1)[0] == first_line and all(line in p.text.split("\n") for line in lines):
            return p.text, p.line
    raise AssertionError(f"{first_line!r} with {lines} not in {file}")


# --------------------------------------------------------------------- route6 takes mp-filters


EXPORT_COMPS_V6 = ("route6:          2001:1578:0200::/40", "export-comps: {3323::/24}")
AGGREGATE_V6 = ("route6:         2001:600::/32", "export-comps:   { 2001:600::/48 }",
                "components:     protocol BGP4 { 0:0:0:0:1:1:1:1/10^+}",
                "inject:         at 1.2.3.4 action pref=100; upon HAVE-COMPONENTS "
                "{ 0:0:0:0:1:1:1:1/0, 0:0:0:0:1:1:1:1/0 }")


@pytest.mark.parametrize("lines", [EXPORT_COMPS_V6, AGGREGATE_V6])
def test_route6_aggregation_attributes_take_ipv6_prefixes(lines):
    """RFC 4012 section 3: route6's components, inject and export-comps take mp-filters. Real
    route6 objects of RIPE's whois test fixtures use IPv6 prefixes in them."""
    text, line = _real("ripe-whois-spec-fixtures.db", *lines)
    obj = parse(text, line, strict=True)
    assert [str(e) for e in obj.errors if e.attribute in AGGREGATE_ATTRIBUTES] == []


def test_route_export_comps_stays_ipv4_only():
    """RFC 2622's route takes a (IPv4) filter; the IPv6 prefix is refused there, as before."""
    text, line = _real("ripe-whois-spec-fixtures.db", *EXPORT_COMPS_V6)
    text = text.replace("route6:          2001:1578:0200::/40", "route:  194.55.167.0/24")
    errors = [str(e) for e in parse(text, line, strict=True).errors if e.attribute == "export-comps"]
    assert len(errors) == 1 and "IPv6 prefix 3323::/24 is not allowed in filter (use mp-filter)" in errors[0]


# ---------------------------------------------------------------------- one-letter object names

AUT_NUM = """\
aut-num:        AS64500
as-name:        {name}
descr:          RFC 2622: an object name may be a single letter
country:        VN
org:            ORG-EX1-AP
admin-c:        EX1-AP
tech-c:         EX1-AP
mnt-by:         {mntner}
mnt-irt:        IRT-EXAMPLE-AP
source:         TEST
"""


@pytest.mark.parametrize("name, mntner", [("X", "MAINT-EX"), ("EXAMPLE-AS", "M"), ("x", "m")])
def test_one_letter_names_are_object_names(name, mntner):
    """RFC 2622 section 2: "An <object-name> is made up of letters, digits, the character
    underscore "_", and the character hyphen "-"; the first character of a name must be a
    letter, and the last character of a name must be a letter or a digit." A single letter is
    both the first and the last."""
    obj = parse(AUT_NUM.format(name=name, mntner=mntner), strict=True)
    assert obj.errors == []


@pytest.mark.parametrize("name, message", [("X-", "not a valid as-name"), ("1", "not a valid as-name"),
                                           ("_", "not a valid as-name")])
def test_names_still_end_with_a_letter_or_digit(name, message):
    errors = parse(AUT_NUM.format(name=name, mntner="MAINT-EX"), strict=True).errors
    assert [e.attribute for e in errors] == ["as-name"] and message in errors[0].message


def test_one_letter_names_as_primary_keys():
    """RIPE's whois test fixtures hold a person with `nic-hdl: F`; a maintainer may be `M`."""
    text, line = _real("ripe-whois-spec-fixtures.db", "person:  First Person", "nic-hdl: F")
    obj = parse(text, line)
    assert obj.errors == [] and obj.pk == "F"
    assert [e.attribute for e in parse(text, line, strict=True).errors] == ["country"]  # APNIC template
    mntner = parse("mntner: M\nsource: TEST\n")
    assert mntner.errors == [] and mntner.pk == "M"


# ------------------------------------------------------------- byte-order mark, CR line ends

def _real_inetnum() -> tuple[str, str]:
    """Two real APNIC objects (an inetnum and its maintainer) as one file's text."""
    objects = [p.text for p in iter_paragraphs(REAL / "apnicnet-whois-TEST.db")
               if p.text.startswith(("inetnum:", "mntner:"))]
    return objects[0], objects[1]


@pytest.mark.parametrize("how", ["path", "gzip", "bytes", "str"])
def test_a_byte_order_mark_is_dropped(tmp_path, how):
    first, second = _real_inetnum()
    data = b"\xef\xbb\xbf" + (first + "\n\n" + second + "\n").encode()
    if how == "path":
        (tmp_path / "bom.db").write_bytes(data)
        source = tmp_path / "bom.db"
    elif how == "gzip":
        (tmp_path / "bom.db.gz").write_bytes(gzip.compress(data))
        source = tmp_path / "bom.db.gz"
    else:
        source = data if how == "bytes" else data.decode()
    paragraphs = list(iter_paragraphs(source))
    assert [p.text for p in paragraphs] == [first, second]
    assert parse(paragraphs[0].text).object_class == first.split(":", 1)[0]


@pytest.mark.parametrize("newline", ["\r", "\r\n", "\n"])
def test_cr_only_line_ends_are_line_ends(tmp_path, newline):
    first, second = _real_inetnum()
    text = (first + "\n\n" + second + "\n").replace("\n", newline)
    (tmp_path / "mac.db").write_bytes(text.encode())
    paragraphs = list(iter_paragraphs(tmp_path / "mac.db"))
    assert [(p.text, p.line) for p in paragraphs] == [(first, 1), (second, first.count("\n") + 3)]
    obj = parse(paragraphs[1].text, paragraphs[1].line)
    assert obj.errors == [] and [a.name for a in obj.attributes] == [a.name for a in parse(second).attributes]
    assert split_paragraphs(text) == paragraphs


def test_cr_line_ends_split_across_reads():
    """A CRLF cut between two reads is one line end; a CR at the very end is one too."""
    first, second = _real_inetnum()
    for newline in ("\r", "\r\n"):
        data = (first + "\n\n" + second + "\n").replace("\n", newline).encode()
        expected = list(iter_paragraphs(data))
        for size in (1, 2, 3, 7, 64):
            got = [p for block, line in iter_blocks(io.BytesIO(data), size)
                   for p in split_paragraphs(block.decode(), line)]
            assert got == expected, (newline, size)
            assert all("\r" not in block.decode() for block, _ in iter_blocks(io.BytesIO(data), size))
