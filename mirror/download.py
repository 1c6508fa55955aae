"""Fetching dump and serial files: file:// (and plain paths), http(s):// and ftp:// through urllib.

Downloads to a file are streamed (never all in memory) into a temporary name beside the
destination and renamed into place when complete, so a failed download leaves no partial file.
Every failure is a DownloadError that names the URL and says what went wrong.
"""
from __future__ import annotations

import os
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import BinaryIO

from irr.redaction import redact_urls

CHUNK = 1 << 20
USER_AGENT = "irr-vn mirror"


class DownloadError(OSError):
    """A fetch failed (unreachable, HTTP status, timeout, too large, truncated); nothing was kept.
    The message names the URL without its credentials."""

    def __init__(self, message: str):
        super().__init__(redact_urls(message))


def _local_path(url: str) -> Path | None:
    """The local file a file:// URL or plain path names; None for network URLs."""
    if url.startswith("file://"):
        parsed = urllib.parse.urlparse(url)
        if parsed.netloc not in ("", "localhost"):
            raise DownloadError(f"{url}: file:// URLs must name a local file")
        return Path(urllib.request.url2pathname(parsed.path))
    if "://" not in url:
        return Path(url)
    return None


def _open(url: str, timeout: float) -> tuple[BinaryIO, int | None]:
    """An open stream for the URL and its announced length (None when unknown)."""
    local = _local_path(url)
    if local is not None:
        try:
            f = open(local, "rb")  # noqa: SIM115 - the caller closes it
        except OSError as e:
            raise DownloadError(f"{url}: {e.strerror or e}") from e
        return f, os.fstat(f.fileno()).st_size
    scheme = url.split("://", 1)[0].lower()
    if scheme not in ("http", "https", "ftp"):
        raise DownloadError(f"{url}: unsupported URL scheme {scheme!r} (use file://, http://, https:// or ftp://)")
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    try:
        response = urllib.request.urlopen(request, timeout=timeout)  # noqa: S310 - schemes checked above
    except urllib.error.HTTPError as e:
        e.close()
        raise DownloadError(f"{url}: HTTP {e.code} {e.reason}") from e
    except urllib.error.URLError as e:
        reason = e.reason
        if isinstance(reason, TimeoutError):
            raise DownloadError(f"{url}: no answer within {timeout:g} s") from e
        raise DownloadError(f"{url}: {reason}") from e
    except TimeoutError as e:
        raise DownloadError(f"{url}: no answer within {timeout:g} s") from e
    except OSError as e:  # e.g. connection reset while reading the headers
        raise DownloadError(f"{url}: {e}") from e
    length = response.headers.get("Content-Length")
    try:
        announced = int(length) if length is not None else None
    except ValueError:
        announced = None
    return response, announced


def _copy(url: str, stream: BinaryIO, announced: int | None, out, timeout: float, max_bytes: int) -> int:
    """Copy stream to out (a file or bytearray) with the size limit; check the announced length."""
    if announced is not None and announced > max_bytes:
        raise DownloadError(f"{url}: {announced} bytes is more than the limit of {max_bytes} bytes")
    total = 0
    while True:
        try:
            chunk = stream.read(CHUNK)
        except TimeoutError as e:
            raise DownloadError(f"{url}: no data for {timeout:g} s after {total} bytes") from e
        except urllib.error.URLError as e:  # ftp errors while reading
            raise DownloadError(f"{url}: {e.reason} after {total} bytes") from e
        except OSError as e:
            raise DownloadError(f"{url}: {e} after {total} bytes") from e
        if not chunk:
            break
        total += len(chunk)
        if total > max_bytes:
            raise DownloadError(f"{url}: more than the limit of {max_bytes} bytes")
        if isinstance(out, bytearray):
            out += chunk
        else:
            out.write(chunk)
    if announced is not None and total != announced:
        raise DownloadError(f"{url}: truncated: received {total} of {announced} bytes")
    return total


def fetch(url: str, dest: Path | None = None, *, timeout: float = 60, max_bytes: int = 2 << 30) -> Path | bytes:
    """Fetch a URL: into `dest` (streamed; returns dest) or, without dest, as bytes.

    `timeout` bounds each wait for the server (connecting, each read), not the whole transfer;
    `max_bytes` bounds the size. Raises DownloadError (an OSError) with the URL and the reason."""
    stream, announced = _open(url, timeout)
    with stream:
        if dest is None:
            data = bytearray()
            _copy(url, stream, announced, data, timeout, max_bytes)
            return bytes(data)
        dest = Path(dest)
        local = _local_path(url)
        if local is not None and local.resolve() == dest.resolve():
            return dest  # already in place
        fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as out:
                _copy(url, stream, announced, out, timeout, max_bytes)
            os.replace(tmp, dest)
        except BaseException:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
            raise
        return dest
