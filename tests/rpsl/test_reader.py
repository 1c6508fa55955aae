"""Tests for rpsl.reader: byte streams and text -> object paragraphs (spec rpsl.md section 1)."""
from __future__ import annotations

import gzip
import io
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rpsl import reader
from rpsl.objects import parse
from rpsl.reader import Paragraph, decode, iter_blocks, iter_paragraphs, open_binary, split_paragraphs
from tests.conftest import REAL

REAL_DATA = REAL
DEMO = Path(__file__).resolve().parents[2] / "irr" / "demo" / "demo.db"


def paragraphs(data: bytes | str) -> list[tuple[int, str]]:
    text = decode(data) if isinstance(data, bytes) else data
    return [(p.line, p.text) for p in split_paragraphs(text)]


def via_blocks(data: bytes, block_size: int) -> list[Paragraph]:
    return [p for block, line in iter_blocks(io.BytesIO(data), block_size)
            for p in split_paragraphs(decode(block), line)]


def numbered(data: bytes) -> dict[int, str]:
    """Line number -> line text, as an editor shows them."""
    return dict(enumerate(decode(data).replace("\r\n", "\n").split("\n"), 1))


# ------------------------------------------------------------------------------------ separation


def test_objects_are_separated_by_empty_lines() -> None:
    assert paragraphs("a: 1\nb: 2\n\nc: 3\n") == [(1, "a: 1\nb: 2"), (4, "c: 3")]


def test_several_empty_lines_keep_line_numbers() -> None:
    text = "\n\na: 1\n\n\n\n\nb: 2\nc: 3\n\n\n"
    assert paragraphs(text) == [(3, "a: 1"), (8, "b: 2\nc: 3")]


def test_crlf_lines() -> None:
    data = b"mntner: A\r\nsource: X\r\n\r\n\r\nperson: B\r\nnic-hdl: B1\r\n"
    assert paragraphs(data) == [(1, "mntner: A\nsource: X"), (5, "person: B\nnic-hdl: B1")]


def test_only_zero_length_lines_separate_objects() -> None:
    # IRRd: a line of blanks is a continuation line with empty content, not a separator.
    text = "mntner: A\ndescr: x\n   \n\t\nsource: X\n\nperson: B\n"
    assert paragraphs(text) == [(1, "mntner: A\ndescr: x\n   \n\t\nsource: X"), (7, "person: B")]
    obj = parse(paragraphs(text)[0][1])
    assert [a.name for a in obj.attributes] == ["mntner", "descr", "source"]
    assert obj.get("descr")[0].continuations == [(" ", ""), ("\t", "")]
    assert obj.get("source")[0].line == 5


def test_blank_line_between_objects_merges_them() -> None:
    # The consequence of the rule above: the second "object" is part of the first one.
    (line, text), = paragraphs("mntner: A\nsource: X\n \nperson: B\nsource: X\n")
    obj = parse(text, line)
    assert obj.object_class == "mntner"
    assert [a.name for a in obj.attributes] == ["mntner", "source", "person", "source"]


def test_leading_comment_paragraph() -> None:
    first, second = split_paragraphs(DEMO.read_text())[:2]
    assert first.line == 1 and all(line[:1] == "#" for line in first.text.split("\n"))
    obj = parse(first.text, first.line)
    assert obj.object_class == "" and obj.attributes == [] and not obj.errors
    assert second.line == 5 and parse(second.text, second.line).object_class == "mntner"


def test_comment_glued_to_an_object() -> None:
    # pytinyirrdbcache: a "# ignored" line right above the first object (no empty line between).
    data = REAL_DATA.joinpath("pytinyirrdbcache-radb.db").read_bytes()
    first = split_paragraphs(decode(data))[0]
    assert first.line == 1 and first.text.startswith("# ignored\naut-num:")
    obj = parse(first.text, first.line)
    assert (obj.object_class, obj.pk, obj.line) == ("aut-num", "AS372", 2)
    assert not obj.text.startswith("#")


def test_comment_lines_are_kept_for_the_object_parser() -> None:
    text = "% server comment\n# rpsl comment\nmntner: A\n# inside\nsource: X\n%END\n"
    (line, para), = paragraphs(text)
    assert (line, para) == (1, text.rstrip("\n"))
    obj = parse(para, line)
    assert obj.line == 3
    assert [(a.name, a.line) for a in obj.attributes] == [("mntner", 3), ("source", 5)]
    assert obj.text == "mntner: A\nsource: X\n"


def test_comment_only_paragraphs_between_objects() -> None:
    text = "mntner: A\n\n# just a comment\n\nperson: B\n"
    assert paragraphs(text) == [(1, "mntner: A"), (3, "# just a comment"), (5, "person: B")]


def test_end_of_line_comments_stay_in_the_text() -> None:
    (_, text), = paragraphs("route: 192.0.2.0/24 # my route\norigin: AS1 #x\n")
    assert text == "route: 192.0.2.0/24 # my route\norigin: AS1 #x"
    obj = parse(text)
    assert obj.text == text + "\n"
    assert obj.get("route")[0].value == "192.0.2.0/24"


def test_continuation_lines() -> None:
    text = "descr: one\n two\n\tthree\n+four\n+\n+   \nsource: X"
    (_, para), = paragraphs(text + "\n")
    assert para == text
    obj = parse(para)
    descr = obj.get("descr")[0]
    assert descr.continuations == [(" ", "two"), ("\t", "three"), ("+", "four"), ("+", ""), ("+", "")]
    assert descr.value == "one two three four"
    assert obj.get("source")[0].line == 7


def test_whitespace_only_paragraph_is_no_object() -> None:
    (line, text), = paragraphs("mntner: A\n\n  \n\t\n\nperson: B\n")[1:2]
    assert line == 3
    obj = parse(text, line)
    assert obj.object_class == "" and obj.attributes == [] and not obj.errors


# ------------------------------------------------------------------------------------ bytes


def test_bytes_that_are_not_utf8_are_kept_as_escapes() -> None:
    data = "descr: Hà Nội\n".encode() + b"remarks: Latin-1 caf\xe9 \xff\xfe\n"
    text = decode(data)
    assert text == "descr: Hà Nội\nremarks: Latin-1 caf\\xe9 \\xff\\xfe\n"


@given(st.binary(max_size=300))
@settings(max_examples=200, deadline=None)
def test_any_bytes_decode_and_split_without_crashing(data: bytes) -> None:
    text = decode(data)
    assert "\x00" not in text
    for p in split_paragraphs(text):
        assert p.text and p.line >= 1
        parse(p.text, p.line, strict=False)


def test_nul_bytes_are_dropped() -> None:
    assert decode(b"mnt\x00ner: A\x00\n") == "mntner: A\n"
    assert paragraphs(b"mntner: A\x00\nsource: X\n") == [(1, "mntner: A\nsource: X")]


def test_utf8_split_across_blocks_is_not_broken() -> None:
    # Blocks end on a paragraph boundary, never inside a multi-byte character.
    data = ("person: Nguyễn Văn An\nsource: X\n\n" * 50).encode()
    for size in (1, 3, 7, 64):
        assert all("\\x" not in p.text for p in via_blocks(data, size))


# ------------------------------------------------------------------------------------ blocks

SAMPLE = (
    b"# header\r\n# more\r\n\r\n"
    b"mntner: A\r\ndescr: x\r\n  \r\nsource: X\r\n\r\n\r\n\r\n"
    b"person: B\n+\n# inside\nnic-hdl: B1\n\n\n\n\n"
    b"route: 192.0.2.0/24 # c\norigin: AS1\n\n"
    b"%END\n"
)


@pytest.mark.parametrize("size", list(range(1, 40)) + [64, 1000])
def test_iter_blocks_never_splits_objects_and_keeps_line_numbers(size: int) -> None:
    expected = split_paragraphs(decode(SAMPLE))
    assert via_blocks(SAMPLE, size) == expected
    lines = numbered(SAMPLE)
    for p in expected:
        assert lines[p.line] == p.text.split("\n")[0]


def test_iter_blocks_ends_on_paragraph_boundaries() -> None:
    blocks = list(iter_blocks(io.BytesIO(SAMPLE), 8))
    assert b"".join(b for b, _ in blocks) == SAMPLE.replace(b"\r\n", b"\n")  # line ends come out as LF
    for block, _ in blocks[:-1]:
        assert block.endswith(b"\n\n")
    starts = [line for _, line in blocks]
    assert starts[0] == 1
    for (block, line), next_line in zip(blocks, starts[1:]):
        assert next_line == line + block.count(b"\n")


@given(st.lists(st.sampled_from([
    "mntner: A", "descr: x", "  ", "\t", "+", " cont", "# c", "% c", "", "", "source: X", "person: Nguyễn",
    "remarks: a # b",
]), max_size=40), st.sampled_from(["\n", "\r\n", "\r"]), st.integers(1, 50))
@settings(max_examples=200, deadline=None)
def test_blocks_agree_with_whole_text(lines: list[str], eol: str, size: int) -> None:
    data = eol.join(lines).encode()
    assert via_blocks(data, size) == split_paragraphs(decode(data))


def test_real_files_through_blocks() -> None:
    for path in sorted(REAL_DATA.glob("*.db")):
        data = path.read_bytes()
        whole = split_paragraphs(decode(data))
        assert via_blocks(data, 997) == whole, path.name
        assert list(iter_paragraphs(path)) == whole, path.name
        lines = numbered(data)
        for p in whole:
            assert lines[p.line] == p.text.split("\n")[0], (path.name, p.line)


# ------------------------------------------------------------------------------------ sources


def test_gzip_is_recognised_by_magic_bytes(tmp_path: Path) -> None:
    plain = REAL_DATA / "apnicnet-whois-grs-radb.db"
    packed = tmp_path / "dump.db"  # no .gz suffix: only the content says gzip
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    with open_binary(packed) as f:
        assert f.read() == plain.read_bytes()
    assert list(iter_paragraphs(packed)) == list(iter_paragraphs(plain))
    named = tmp_path / "plain.db.gz"  # a .gz name on a plain file is read as it is
    named.write_bytes(plain.read_bytes())
    assert list(iter_paragraphs(named)) == list(iter_paragraphs(plain))


def test_iter_paragraphs_sources(tmp_path: Path) -> None:
    data = SAMPLE
    expected = split_paragraphs(decode(data))
    path = tmp_path / "x.db"
    path.write_bytes(data)
    assert list(iter_paragraphs(data)) == expected
    assert list(iter_paragraphs(decode(data))) == expected
    assert list(iter_paragraphs(str(path))) == expected
    assert list(iter_paragraphs(path)) == expected
    assert list(iter_paragraphs(io.BytesIO(data))) == expected
    text = decode(data).replace("\r\n", "\n")
    assert list(iter_paragraphs(io.StringIO(text))) == expected
    assert list(iter_paragraphs(text.splitlines(keepends=True))) == expected


def test_binary_stream_with_small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reader, "BLOCK_SIZE", 5)
    data = REAL_DATA.joinpath("rpsl-rs-misc.db").read_bytes()

    def blocks(stream, block_size=reader.BLOCK_SIZE):
        return iter_blocks(stream, 5)

    monkeypatch.setattr(reader, "iter_blocks", blocks)
    assert list(iter_paragraphs(io.BytesIO(data))) == split_paragraphs(decode(data))


def test_nrtm_payload() -> None:
    data = REAL_DATA.joinpath("nrtm", "irrd-nrtm-v3.nrtm").read_bytes()
    got = paragraphs(data)
    assert [text.split("\n")[0] for _, text in got] == [
        "% NRTM v3 contains serials per object.", "% Another comment", "%START Version: 3 TEST 11012700-11012701",
        "ADD 11012700", "person: NRTM test", "DEL 11012701", "inetnum: 192.0.2.0 - 192.0.2.255", "%END TEST",
    ]
    assert [line for line, _ in got] == [1, 3, 5, 7, 9, 13, 15, 18]
    person = parse(got[4][1], got[4][0])
    assert person.object_class == "person" and person.get("source")[0].line == 11
    inetnum = parse(got[6][1], got[6][0])
    assert inetnum.pk == "192.0.2.0 - 192.0.2.255" and inetnum.source == "TEST"


def test_email_body() -> None:
    mail = (
        b"From: noc@example.net\r\nTo: auto-dbm@example.net\r\nSubject: update\r\n\r\n"
        b"route:          192.0.2.0/24\r\ndescr:          Example\r\n+\r\n                second line\r\n"
        b"origin:         AS65537\r\nmnt-by:         MAINT-EX\r\nsource:         TEST\r\npassword: secret\r\n"
        b"\r\n-- \r\nNOC team\r\n"
    )
    got = paragraphs(mail)
    assert [line for line, _ in got] == [1, 5, 14]
    route = parse(got[1][1], got[1][0])
    assert route.pk == "192.0.2.0/24AS65537"
    assert route.get("descr")[0].value == "Example second line"
    assert route.get("password")[0].line == 12
    assert "\r" not in route.text
    signature = parse(got[2][1], got[2][0])
    assert signature.errors and signature.errors[0].line == 14


def test_stdin_is_dash(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = io.TextIOWrapper(io.BytesIO(b"mntner: A\n\nperson: B\n"))
    monkeypatch.setattr("sys.stdin", fake)
    assert open_binary("-") is fake.buffer
    assert [p.text for p in iter_paragraphs(open_binary("-"))] == ["mntner: A", "person: B"]
