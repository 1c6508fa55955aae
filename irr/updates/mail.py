"""E-mail in and out for submissions (spec auth.md §3-§6).

`read_message` turns a raw RFC 5322 message into the texts to process, each with the PGP
fingerprints that validly signed exactly that text:

- text/plain parts of any MIME structure (multipart/mixed, multipart/alternative takes its
  plain-text alternative, nested multiparts), any charset and transfer encoding, CRLF or LF;
  HTML and non-text attachments are skipped; format=flowed is unflowed.
- PGP/MIME (RFC 3156): the detached signature is verified over the first part's bytes exactly as
  transmitted (cut from the raw message, never re-serialised), canonicalised to CRLF.
- Inline clear-signed blocks: each block becomes its own part with its signer; text outside the
  blocks is an unsigned part of its own (so `password:` lines there still count).

A bad or missing signature never rejects anything: the text is simply unsigned and the reason is
recorded in `problems`. Nothing here raises on malformed input.

Replies go out through `irr.smtp.send_mail`.
"""
from __future__ import annotations

import binascii
import codecs
import logging
import quopri
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from email import policy
from email.message import Message
from email.parser import BytesHeaderParser, HeaderParser
from email.utils import getaddresses
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from irr.auth.pgp import Keyring

log = logging.getLogger(__name__)

MAX_MESSAGE_SIZE = 1_000_000      # bytes; larger messages are not processed (a reply still goes out)
MAX_DEPTH = 20                    # MIME nesting depth; deeper structures are a problem, not recursion
MAX_SIGNATURES = 50               # gpg runs per message: a message full of signatures can't tie up the server

_BEGIN_SIGNED = "-----BEGIN PGP SIGNED MESSAGE-----"
_BEGIN_SIGNATURE = "-----BEGIN PGP SIGNATURE-----"
_END_SIGNATURE = "-----END PGP SIGNATURE-----"
_TEXT_TYPES = ("text/plain", "application/pgp")   # application/pgp: old-style inline PGP (mutt, pine)
_TOO_MANY = f"More than {MAX_SIGNATURES} PGP signatures in one message; the rest were not checked."
_ASCII_CHARSETS = {"", "us-ascii", "ascii", "unknown-8bit", "x-unknown", "default"}


@dataclass
class MailPart:
    """One text to process and who signed exactly this text."""

    text: str                        # decoded text, LF line ends, NFC
    signers: tuple[str, ...] = ()    # fingerprints that validly signed exactly this text
    problems: tuple[str, ...] = ()   # why a signature did not count (the part is then unsigned)


@dataclass
class IncomingMail:
    """A received submission: envelope headers for the reply, the texts to process, problems."""

    from_address: str
    reply_to: str | None
    subject: str
    date: str | None
    message_id: str | None
    parts: list[MailPart] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    automatic: bool = False   # Auto-Submitted, Precedence bulk/list/junk: never answered (RFC 3834)

    @property
    def reply_address(self) -> str:
        """Reply-To if present, else From (address only)."""
        return self.reply_to or self.from_address

    def no_reply_reason(self, own_address: str) -> str | None:
        """Why this message must not be answered (mail loops, backscatter), or None."""
        address = self.reply_address.lower()
        if not address:
            return "no sender address"
        if self.automatic:
            return "an automatic message (Auto-Submitted or Precedence)"
        local = address.split("@", 1)[0]
        if local in ("mailer-daemon", "postmaster") or local.startswith(("owner-", "bounce")):
            return "a bounce or list address"
        if address == own_address.lower():
            return "the registry's own address"
        return None


# ---------------------------------------------------------------------------------------------
# reading

def read_message(raw: bytes, keyring: Keyring | None, *, max_size: int = MAX_MESSAGE_SIZE,
                 size: int | None = None) -> IncomingMail:
    """Parse a raw message; verify PGP signatures with `keyring` (None: nothing counts as signed).
    `size`: the message's real size when `raw` is only its beginning (a reader stopped at the limit)."""
    raw = _strip_mbox_from(raw)
    header_bytes = _split_entity(raw[:max_size + 1] if len(raw) > max_size else raw)[0]
    mail = _envelope(header_bytes)
    if len(raw) > max_size or (size or 0) > max_size:
        # Headers are still read so that the sender gets a reply saying why nothing was done.
        mail.problems.append(f"The message is {max(size or 0, len(raw))} bytes long, more than the limit of "
                             f"{max_size} bytes; "
                             "nothing in it was processed.")
        return mail
    if not mail.from_address:
        mail.problems.append("The message has no valid From address.")
    walker = _Walker(keyring)
    walker.entity(raw, 0, ())
    mail.parts = [p for p in walker.parts if p.text.strip()]
    mail.problems.extend(walker.problems)
    if not walker.found_text:
        mail.problems.append("The message contains no text/plain part; nothing was processed "
                             "(HTML-only messages and attachments that are not plain text are ignored).")
    elif not mail.parts:
        mail.problems.append("The message's text is empty; nothing was processed.")
    return mail


def _strip_mbox_from(raw: bytes) -> bytes:
    """Drop an mbox 'From sender date' line that local delivery (procmail, pipe) may prepend."""
    if raw.startswith(b"From "):
        end = raw.find(b"\n")
        return raw[end + 1:] if end >= 0 else b""
    return raw


def _split_entity(raw: bytes) -> tuple[bytes, bytes]:
    """Header block (with its line ends) and body of one entity; the empty line belongs to neither."""
    pos = 0
    while pos < len(raw):
        end = raw.find(b"\n", pos)
        if end < 0:
            return raw, b""
        line = raw[pos:end + 1]
        if line in (b"\n", b"\r\n"):
            return raw[:pos], raw[end + 1:]
        pos = end + 1
    return raw, b""


def _envelope(header_bytes: bytes) -> IncomingMail:
    # Headers are decoded as UTF-8 first: raw UTF-8 headers (RFC 6532, sloppy clients) then read right,
    # and RFC 2047 encoded-words are decoded by the email policy.
    headers = HeaderParser(policy=policy.default).parsestr(
        header_bytes.decode("utf-8", "backslashreplace"), headersonly=True)
    from_address = _address(headers, "From") or ""
    auto_submitted = (_raw_header(headers, "Auto-Submitted") or "no").split(";")[0].strip().lower()
    precedence = (_raw_header(headers, "Precedence") or "").strip().lower()
    return IncomingMail(from_address=from_address, reply_to=_address(headers, "Reply-To"),
                        subject=_header(headers, "Subject") or "", date=_raw_header(headers, "Date"),
                        message_id=_raw_header(headers, "Message-ID"),
                        automatic=auto_submitted != "no" or precedence in ("bulk", "list", "junk"))


def _header(headers: Message, name: str) -> str | None:
    """A header decoded (RFC 2047) and unfolded."""
    try:
        value = headers[name]
    except Exception:  # the email package raises on some malformed headers; keep the raw text then
        value = _raw_header(headers, name)
    if value is None:
        return None
    return unicodedata.normalize("NFC", re.sub(r"\r?\n", "", str(value)).strip())


def _raw_header(headers: Message, name: str) -> str | None:
    """A header as sent, unfolded (Date and Message-ID are echoed in replies exactly)."""
    value = next((v for k, v in headers.raw_items() if k.lower() == name.lower()), None)
    return None if value is None else re.sub(r"\r?\n", "", str(value)).strip() or None


def _address(headers: Message, name: str) -> str | None:
    """The first address of an address header, without display name."""
    try:
        value = headers[name]
        addresses = getattr(value, "addresses", None)
        if addresses and addresses[0].addr_spec.strip("<>"):
            return addresses[0].addr_spec
    except Exception:
        pass
    text = _header(headers, name)
    if not text:
        return None
    found = [addr for _, addr in getaddresses([text]) if addr]
    return found[0] if found else None


class _Walker:
    """Walks the MIME tree over the raw bytes, collecting text parts with their signers."""

    def __init__(self, keyring: Keyring | None):
        self.keyring = keyring
        self.parts: list[MailPart] = []
        self.problems: list[str] = []
        self.found_text = False
        self.verifications = 0

    def entity(self, raw: bytes, depth: int, signers: tuple[str, ...], problems: tuple[str, ...] = ()) -> None:
        """Process one MIME entity (headers + body) with the signers and problems of enclosing parts."""
        header_bytes, body = _split_entity(raw)
        headers = BytesHeaderParser().parsebytes(header_bytes)
        ctype = headers.get_content_type()
        if ctype.startswith("multipart/"):
            if depth >= MAX_DEPTH:
                self._problem(f"MIME structure nested more than {MAX_DEPTH} levels deep; the rest was ignored.")
                return
            boundary = headers.get_boundary()
            if not boundary:
                self._problem(f"A {ctype} part has no boundary; it was ignored.")
                return
            children = _split_multipart(body, boundary)
            if ctype == "multipart/signed":
                self.signed(children, depth, signers, problems)
            elif ctype == "multipart/alternative":
                # The first alternative that has plain text; HTML alternatives are skipped.
                for child in children:
                    before = len(self.parts), self.found_text
                    self.entity(child, depth + 1, signers, problems)
                    if (len(self.parts), self.found_text) != before:
                        break
            elif ctype == "multipart/encrypted":
                self._problem("Encrypted messages are not supported; the encrypted part was ignored.")
            else:
                for child in children:
                    self.entity(child, depth + 1, signers, problems)
        elif ctype in _TEXT_TYPES:
            self.found_text = True
            self.text(headers, body, signers, problems)
        # Everything else (text/html, images, keys, message/rfc822 ...) is not a submission.

    def signed(self, children: list[bytes], depth: int, signers: tuple[str, ...],
               problems: tuple[str, ...]) -> None:
        """multipart/signed: verify the first part over its exact transmitted bytes (RFC 3156)."""
        if not children:
            self._problem("A multipart/signed part is empty.")
            return
        sig_type, signature = "", b""
        if len(children) >= 2:
            sig_headers, sig_body = _split_entity(children[1])
            sig_message = BytesHeaderParser().parsebytes(sig_headers)
            sig_type = sig_message.get_content_type()
            signature = _decode_transfer(sig_body, sig_message.get("Content-Transfer-Encoding"))
        found: str | None = None
        if sig_type in ("application/pkcs7-signature", "application/x-pkcs7-signature"):
            problems += ("S/MIME signatures are not supported; the signed part was processed as unsigned.",)
        elif sig_type != "application/pgp-signature":
            problems += ("The message is PGP/MIME signed (multipart/signed) but has no PGP signature part; "
                         "it was processed as unsigned.",)
        elif not signature.strip():
            problems += ("The PGP signature part of the message is empty; it was processed as unsigned.",)
        else:
            found, problem = self._verify_detached(_crlf(children[0]), signature)
            if problem:
                problems += (problem,)
        if found and found not in signers:
            signers += (found,)
        self.entity(children[0], depth + 1, signers, problems)

    def _verify_detached(self, data: bytes, signature: bytes) -> tuple[str | None, str | None]:
        if self.keyring is None:
            return None, "PGP signatures are not checked here; the part was processed as unsigned."
        if not self._budget():
            return None, _TOO_MANY
        try:
            check = getattr(self.keyring, "check_detached", None)
            if check is not None:
                fingerprint, reason = check(data, signature)
            else:
                fingerprint, reason = self.keyring.verify_detached(data, signature), None
        except Exception as e:  # gpg missing or broken: the message is still processed, unsigned
            log.exception("PGP/MIME verification failed")
            return None, f"PGP signature could not be checked ({e}); the text was processed as unsigned."
        if not fingerprint:
            return None, (f"PGP signature did not verify: {reason or 'bad signature, unknown or unusable key'}; "
                          "the text was processed as unsigned.")
        return fingerprint, None

    def text(self, headers: Message, body: bytes, signers: tuple[str, ...], problems: tuple[str, ...]) -> None:
        data = _decode_transfer(body, headers.get("Content-Transfer-Encoding"))
        charset = headers.get_content_charset() or ""
        text, codec, charset_problem = _decode_charset(data, charset)
        if charset_problem:
            self._problem(charset_problem)
        flowed = str(headers.get_param("format") or "").lower() == "flowed"
        delsp = str(headers.get_param("delsp") or "").lower() == "yes"
        unflowed = _unflow(text, delsp) if flowed else text
        if _BEGIN_SIGNED not in text:
            self._add(MailPart(unflowed, signers, problems))
            return
        found = self._inline(unflowed, codec, signers, problems)
        if flowed and any(not p.signers for p in found if p.problems):
            # The signer may have signed the wrapped lines as transmitted: try those too, keep the better.
            raw_found = self._inline(text, codec, signers, problems, outside=lambda s: _unflow(s, delsp))
            if sum(len(p.signers) for p in raw_found) > sum(len(p.signers) for p in found):
                found = raw_found
        for part in found:
            self._add(part)

    def _inline(self, text: str, codec: str, signers: tuple[str, ...], problems: tuple[str, ...],
                outside: Callable[[str], str] = str) -> list[MailPart]:
        """Split text into unsigned stretches and clear-signed blocks, each block verified on its own."""
        result: list[MailPart] = []
        for kind, chunk in _split_inline(text):
            if kind == "text":
                result.append(MailPart(outside(chunk), signers, problems))
                continue
            result.append(self._verify_block(chunk, codec, signers, problems))
        return result

    def _verify_block(self, block: str, codec: str, signers: tuple[str, ...], problems: tuple[str, ...]) -> MailPart:
        """Verify one clear-signed block; `codec` re-creates the bytes the signer signed (the part's charset)."""
        inner = _signed_text(block)
        if self.keyring is None:
            return MailPart(inner, signers, problems + ("PGP signatures are not checked here; "
                                                        "the signed text was processed as unsigned.",))
        if not self._budget():
            return MailPart(inner, signers, problems + (_TOO_MANY,))
        try:
            results = self.keyring.verify_inline(block, codec)
        except Exception as e:
            log.exception("inline PGP verification failed")
            return MailPart(inner, signers, problems + (f"PGP signature could not be checked ({e}); "
                                                        "the signed text was processed as unsigned.",))
        if len(results) != 1:
            return MailPart(inner, signers, problems + ("Malformed PGP signed block; "
                                                        "it was processed as unsigned.",))
        signed = results[0]
        text = signed.text if signed.text or not inner else inner
        if signed.fingerprint and not signed.problem:
            return MailPart(text, signers + ((signed.fingerprint,) if signed.fingerprint not in signers else ()),
                            problems)
        reason = signed.problem or "bad signature, unknown or unusable key"
        return MailPart(text, signers, problems + (f"PGP signature did not verify: {reason}; "
                                                   "the signed text was processed as unsigned.",))

    def _budget(self) -> bool:
        self.verifications += 1
        return self.verifications <= MAX_SIGNATURES

    def _add(self, part: MailPart) -> None:
        text = unicodedata.normalize("NFC", part.text)
        if text and not text.endswith("\n"):   # the line end before a MIME boundary belongs to the boundary
            text += "\n"
        self.parts.append(MailPart(text, part.signers, part.problems))

    def _problem(self, problem: str) -> None:
        if problem not in self.problems:
            self.problems.append(problem)


def _split_multipart(body: bytes, boundary: str) -> list[bytes]:
    """The raw bytes of each body part (headers included), exactly as transmitted (RFC 2046 §5.1.1).

    The line end before a delimiter line belongs to the delimiter, so it is not part of the body part.
    A missing close delimiter (truncated mail) ends the last part at the end of the body.
    """
    delimiter = b"--" + boundary.encode("utf-8", "replace")
    parts: list[bytes] = []
    current: list[bytes] | None = None
    for line in body.splitlines(keepends=True):
        stripped = line.rstrip(b" \t\r\n")
        if stripped in (delimiter, delimiter + b"--"):
            if current is not None:
                parts.append(_drop_line_end(b"".join(current)))
            if stripped != delimiter:
                return parts
            current = []
        elif current is not None:
            current.append(line)
    if current is not None:
        parts.append(b"".join(current))
    return parts


def _drop_line_end(data: bytes) -> bytes:
    if data.endswith(b"\r\n"):
        return data[:-2]
    if data.endswith((b"\n", b"\r")):
        return data[:-1]
    return data


def _crlf(data: bytes) -> bytes:
    """Canonical form for PGP/MIME: every line end CRLF (MTAs often deliver LF only)."""
    return re.sub(rb"\r?\n", b"\r\n", data)


def _decode_transfer(body: bytes, encoding: str | None) -> bytes:
    """Undo the Content-Transfer-Encoding; unknown encodings leave the bytes as they are."""
    encoding = (encoding or "").strip().lower()
    if encoding == "base64":
        compact = re.sub(rb"[^A-Za-z0-9+/]", b"", body)
        compact = compact[:len(compact) - len(compact) % 4] if len(compact) % 4 == 1 else compact
        try:
            return binascii.a2b_base64(compact + b"=" * (-len(compact) % 4))
        except binascii.Error:
            return body
    if encoding == "quoted-printable":
        return quopri.decodestring(body)
    return body


def _decode_charset(data: bytes, charset: str) -> tuple[str, str, str | None]:
    """Text, the codec used and a problem; never fails (unknown charsets, bad bytes: backslash escapes)."""
    charset = charset.strip().strip('"').lower()
    problem = None
    if charset in _ASCII_CHARSETS:
        # Undeclared or US-ASCII text with 8-bit bytes is almost always UTF-8 in practice.
        name = "utf-8"
    else:
        try:
            name = codecs.lookup(charset).name
        except LookupError:
            name = "utf-8"
            problem = f"Unknown charset {charset!r}; the text was read as UTF-8."
    text = data.decode(name, "backslashreplace")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.removeprefix("\ufeff"), name, problem


def _unflow(text: str, delsp: bool) -> str:
    """Undo format=flowed (RFC 3676): join soft-broken lines, remove space-stuffing."""
    out: list[str] = []
    pending: tuple[int, str] | None = None
    for line in text.split("\n"):
        depth = len(line) - len(line.lstrip(">"))
        content = line[depth:]
        if content.startswith(" "):
            content = content[1:]
        flowed = content.endswith(" ") and content != "-- "
        if flowed and delsp:
            content = content[:-1]
        if pending is not None and pending[0] == depth:
            pending = (depth, pending[1] + content)
        else:
            if pending is not None:
                out.append(_quoted(*pending))
            pending = (depth, content)
        if not flowed:
            out.append(_quoted(*pending))
            pending = None
    if pending is not None:
        out.append(_quoted(*pending))
    return "\n".join(out)


def _quoted(depth: int, content: str) -> str:
    return ">" * depth + (" " if depth and content else "") + content


def _split_inline(text: str) -> list[tuple[str, str]]:
    """('text', stretch) and ('signed', block) chunks in order; a block lacking its end runs to the end."""
    lines = text.split("\n")
    chunks: list[tuple[str, str]] = []
    start = i = 0
    while i < len(lines):
        if lines[i].rstrip() != _BEGIN_SIGNED:
            i += 1
            continue
        end = len(lines) - 1
        in_signature = False
        for j in range(i + 1, len(lines)):
            stripped = lines[j].rstrip()
            if stripped == _BEGIN_SIGNATURE:
                in_signature = True
            elif in_signature and stripped == _END_SIGNATURE:
                end = j
                break
        if i > start:
            chunks.append(("text", "\n".join(lines[start:i]) + "\n"))
        chunks.append(("signed", "\n".join(lines[i:end + 1]) + "\n"))
        start = i = end + 1
    if start < len(lines):
        chunks.append(("text", "\n".join(lines[start:])))
    return chunks


def _signed_text(block: str) -> str:
    """The dash-unescaped text of a clear-signed block (used when the keyring gives none)."""
    lines = block.split("\n")[1:]
    while lines and lines[0].strip():   # armour headers (Hash: ...)
        lines.pop(0)
    out = []
    for line in lines[1:]:
        if line.rstrip() == _BEGIN_SIGNATURE:
            break
        out.append(line[2:] if line.startswith("- ") else line)
    return "\n".join(out) + ("\n" if out else "")
