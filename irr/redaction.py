"""Credentials in URLs (`ftp://user:password@host/`, `?token=...`) kept out of messages that are
logged, stored as a source's or job's last error, and shown by `!J`, `-q sources` and the status page."""
from __future__ import annotations

import logging
import re

_USERINFO = re.compile(r"(\b[A-Za-z][A-Za-z0-9+.-]*://)[^/\s@]+@")
_QUERY = re.compile(r"(\b[A-Za-z][A-Za-z0-9+.-]*://[^\s?#]*)\?[^\s#]+")


def redact_urls(text: str) -> str:
    """`https://user:pw@host/x?token=t` -> `https://***@host/x?***`: host and path stay, to say where."""
    if "://" not in text:
        return text
    return _QUERY.sub(r"\1?***", _USERINFO.sub(r"\1***@", text))


class RedactingFilter(logging.Filter):
    """A log handler filter: URLs in log lines lose their credentials too."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "://" in message:
            record.msg, record.args = redact_urls(message), None
        return True
