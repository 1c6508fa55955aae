"""Configuration: one TOML file plus environment overrides, validated at start with clear errors.

    [database]
    url = "postgresql+psycopg://irr@db.example.net/irr"   # omit: embedded PostgreSQL in the data dir

    [server]
    host = "127.0.0.1"
    http_port = 8080
    whois_port = 4343          # 43 in production
    http_max_connections = 64  # requests at once (more: 503); http_timeout = 60 s of client silence

    [whois]
    max_connections = 200
    max_connections_per_address = 50
    max_queued_queries = 1000  # pipelined queries read ahead per connection
    idle_timeout = 30
    max_line_length = 8192
    max_answer_seconds = 30
    max_objects = 10000        # objects in one answer (!r, !o: an error beyond; RIPE queries: truncated)
    max_set_depth = 50
    max_set_size = 2000000

    [sources.VNNIC]
    authoritative = true

    [sources.APNIC]
    description = "APNIC mirror"

    [email]
    smtp_host = "127.0.0.1"
    smtp_port = 25
    from = "irr@registry.example.vn"

    [auth]
    override_password_hash = "$2b$12$..."   # staff override; a hash, never the password

Environment: IRR_CONFIG (file), IRR_DATA_DIR, IRR_DATABASE_URL.
"""
from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SOURCE_NAME = re.compile(r"[A-Z][A-Z0-9-]*[A-Z0-9]")


WHOIS_DEFAULTS: dict[str, int | float] = {
    "max_connections": 200, "max_connections_per_address": 50, "max_queued_queries": 1000,
    "idle_timeout": 30, "max_line_length": 8192, "max_answer_seconds": 30.0, "max_objects": 10000,
    "max_set_depth": 50, "max_set_size": 2_000_000, "threads": 16,
}


class ConfigError(Exception):
    """The configuration file or environment is invalid; the message says where and why."""


@dataclass(frozen=True)
class SourceConfig:
    """One source: authoritative (changed here) or mirrored, and how it is mirrored and served."""

    name: str
    authoritative: bool = False
    description: str = ""
    # importing (mirrored sources): dumps, then NRTMv3 or NRTMv4
    dump_urls: tuple[str, ...] = ()          # file://, http(s)://, ftp://; split .gz files allowed
    serial_url: str | None = None            # <SOURCE>.CURRENTSERIAL
    nrtm_host: str | None = None             # NRTMv3 server
    nrtm_port: int = 43
    nrtm4_url: str | None = None             # NRTMv4 update notification file (https)
    nrtm4_public_key: str | None = None      # PEM, or a path to a PEM file
    import_timer: int = 300                  # seconds between polls
    object_classes: tuple[str, ...] = ()     # only these classes (empty: all)
    nrtm_other_sources: tuple[str, ...] = ()  # NRTMv3 objects of these sources are stored as this one
    # serving
    nrtm_access: tuple[str, ...] = ()        # addresses/networks allowed to mirror over NRTMv3 (-g)
    nrtm_max_serials: int = 1_000_000        # how far back -g may go, in serials
    export_timer: int = 0                    # seconds between dump exports (0: no exports)
    nrtm4_server: bool = False               # publish NRTMv4 files for this source
    nrtm4_private_key: str | None = None     # PEM of the ES256 signing key, or a path to it
    nrtm4_private_key_next: str | None = None  # the next key: announced as next_signing_key
    scope_filter: str = "flag"               # out-of-scope objects of this (mirrored) source: flag or hide


@dataclass(frozen=True)
class Config:
    data_dir: Path
    database_url: str | None = None
    readonly_url: str | None = None    # a streaming replica for query front ends (irr serve --query-only)
    host: str = "127.0.0.1"
    http_port: int = 8080
    whois_port: int = 4343
    http_max_connections: int = 64     # requests served at once by `irr serve` (more: 503)
    http_timeout: int = 60             # seconds a client may stay silent within a request
    whois: dict[str, int | float] = field(default_factory=lambda: dict(WHOIS_DEFAULTS))
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    mail_from: str = "irr@localhost"
    override_hash: str | None = None   # bcrypt or md5-crypt hash of the staff override password
    roa_url: str | None = None         # validated ROA payloads (rpki-client json, Routinator jsonext, CSV)
    roa_timer: int = 3600
    scope_country: str | None = None   # the NIR's resources: delegated stats filtered by country (VN) ...
    scope_registry: str | None = None  # ... or by registry
    scope_delegated_url: str | None = None
    scope_prefixes: tuple[str, ...] = ()
    scope_asns: tuple[str, ...] = ()
    scope_timer: int = 86400

    @property
    def scope_configured(self) -> bool:
        return bool(self.scope_delegated_url or self.scope_prefixes or self.scope_asns)

    @property
    def scope_hidden_sources(self) -> frozenset[str]:
        return frozenset(n for n, s in self.sources.items() if s.scope_filter == "hide" and not s.authoritative)
    sources: dict[str, SourceConfig] = field(default_factory=dict)
    source_order: tuple[str, ...] = ()
    path: Path | None = None

    @property
    def embedded(self) -> bool:
        return self.database_url is None

    def source(self, name: str) -> SourceConfig:
        """The configuration of a source; unconfigured sources are mirrored (read-only to users)."""
        return self.sources.get(name.upper()) or SourceConfig(name.upper())


def default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(base) / "irr"


_SECTIONS = {
    "database": {"url", "readonly_url"},
    "server": {"host", "http_port", "whois_port", "http_max_connections", "http_timeout"},
    "whois": set(WHOIS_DEFAULTS),
    "email": {"smtp_host", "smtp_port", "from"},
    "auth": {"override_password_hash"},
    "rpki": {"roa_url", "roa_timer"},
    "scope": {"country", "registry", "delegated_url", "prefixes", "asns", "timer"},
    "sources": None,  # table of source tables
    "data_dir": None,
    "source_order": None,
}


def load_config(path: str | os.PathLike | None = None, data_dir: str | os.PathLike | None = None,
                environ: dict[str, str] | None = None) -> Config:
    """Read the TOML file (if any) and apply environment overrides; raise ConfigError when invalid."""
    env = os.environ if environ is None else environ
    path = path or env.get("IRR_CONFIG")
    raw: dict[str, Any] = {}
    if path:
        p = Path(path)
        try:
            raw = tomllib.loads(p.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"configuration file {p} does not exist") from None
        except tomllib.TOMLDecodeError as e:
            raise ConfigError(f"configuration file {p} is not valid TOML: {e}") from None
    where = str(path) if path else "configuration"
    for key, value in raw.items():
        if key not in _SECTIONS:
            raise ConfigError(f"{where}: unknown setting {key!r} (known: {', '.join(sorted(_SECTIONS))})")
        allowed = _SECTIONS[key]
        if allowed is not None:
            if not isinstance(value, dict):
                raise ConfigError(f"{where}: [{key}] must be a table")
            for sub in value:
                if sub not in allowed:
                    raise ConfigError(f"{where}: unknown setting {key}.{sub} (known: {', '.join(sorted(allowed))})")

    database = raw.get("database", {})
    server = raw.get("server", {})
    url = env.get("IRR_DATABASE_URL") or database.get("url") or None
    if url is not None:
        url = _sqlalchemy_url(url, where)
    readonly_url = env.get("IRR_DATABASE_READONLY_URL") or database.get("readonly_url") or None
    if readonly_url is not None:
        readonly_url = _sqlalchemy_url(readonly_url, where)
    chosen_dir = data_dir or env.get("IRR_DATA_DIR") or raw.get("data_dir") or default_data_dir()

    host = server.get("host", "127.0.0.1")
    if not isinstance(host, str) or not host:
        raise ConfigError(f"{where}: server.host must be a host name or address")
    ports = {}
    for name, default in (("http_port", 8080), ("whois_port", 4343)):
        port = server.get(name, default)
        if not isinstance(port, int) or isinstance(port, bool) or not 0 <= port <= 65535:
            raise ConfigError(f"{where}: server.{name} must be a port number (0-65535), not {port!r}")
        ports[name] = port
    http_limits = {}
    for name, default in (("http_max_connections", 64), ("http_timeout", 60)):
        value = server.get(name, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ConfigError(f"{where}: server.{name} must be a positive whole number, not {value!r}")
        http_limits[name] = value
    whois = dict(WHOIS_DEFAULTS)
    for name, value in (raw.get("whois") or {}).items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            raise ConfigError(f"{where}: whois.{name} must be a positive number, not {value!r}")
        whois[name] = value

    email = raw.get("email", {})
    smtp_port = email.get("smtp_port", 25)
    if isinstance(smtp_port, bool) or not isinstance(smtp_port, int) or not 0 < smtp_port <= 65535:
        raise ConfigError(f"{where}: email.smtp_port must be a port number, not {smtp_port!r}")
    override = (raw.get("auth") or {}).get("override_password_hash")
    hash_prefixes = ("$2b$", "$2a$", "$2y$", "$1$")
    if override is not None and not (isinstance(override, str) and override.startswith(hash_prefixes)):
        raise ConfigError(f"{where}: auth.override_password_hash must be a bcrypt ($2b$...) or md5-crypt ($1$...) "
                          "hash, never a clear-text password")

    rpki = raw.get("rpki") or {}
    roa_url = rpki.get("roa_url")
    if roa_url is not None and not (isinstance(roa_url, str) and roa_url.startswith(
            ("file://", "http://", "https://", "/"))):
        raise ConfigError(f"{where}: rpki.roa_url must be a file path or a file://, http(s):// URL")
    roa_timer = rpki.get("roa_timer", 3600)
    if isinstance(roa_timer, bool) or not isinstance(roa_timer, int) or roa_timer < 60:
        raise ConfigError(f"{where}: rpki.roa_timer must be a number of seconds (at least 60)")

    scope = raw.get("scope") or {}
    scope_values = {}
    for key, kind in (("country", str), ("registry", str), ("delegated_url", str), ("prefixes", list),
                      ("asns", list), ("timer", int)):
        if key in scope:
            if not isinstance(scope[key], kind) or (kind is list and any(not isinstance(v, str) for v in scope[key])):
                raise ConfigError(f"{where}: scope.{key} must be a {kind.__name__}")
            scope_values[key] = tuple(scope[key]) if kind is list else scope[key]
    try:
        from irr.rpki.scope import configured

        configured(scope_values.get("prefixes", ()), scope_values.get("asns", ()))
    except ValueError as e:
        raise ConfigError(f"{where}: scope: {e}") from None

    sources: dict[str, SourceConfig] = {}
    for name, table in (raw.get("sources") or {}).items():
        if not SOURCE_NAME.fullmatch(name):
            raise ConfigError(f"{where}: source name {name!r} must be upper case letters, digits and '-' "
                              "(e.g. VNNIC, APNIC, RIPE-NONAUTH)")
        if not isinstance(table, dict):
            raise ConfigError(f"{where}: [sources.{name}] must be a table")
        sources[name] = _source(name, table, where)
    order = raw.get("source_order", list(sources))
    if not isinstance(order, list) or any(not isinstance(s, str) for s in order):
        raise ConfigError(f"{where}: source_order must be a list of source names")
    return Config(data_dir=Path(chosen_dir).expanduser(), database_url=url, readonly_url=readonly_url, host=host,
                  http_port=ports["http_port"], whois_port=ports["whois_port"], whois=whois, **http_limits,
                  smtp_host=str(email.get("smtp_host", "127.0.0.1")), smtp_port=smtp_port,
                  mail_from=str(email.get("from", "irr@localhost")), override_hash=override,
                  roa_url=roa_url, roa_timer=roa_timer,
                  scope_country=scope_values.get("country"), scope_registry=scope_values.get("registry"),
                  scope_delegated_url=scope_values.get("delegated_url"),
                  scope_prefixes=scope_values.get("prefixes", ()), scope_asns=scope_values.get("asns", ()),
                  scope_timer=scope_values.get("timer", 86400),
                  sources=sources, source_order=tuple(s.upper() for s in order),
                  path=Path(path) if path else None)


_SOURCE_TYPES: dict[str, type | tuple[type, ...]] = {
    "authoritative": bool, "description": str, "dump_urls": list, "serial_url": str, "nrtm_host": str,
    "nrtm_port": int, "nrtm4_url": str, "nrtm4_public_key": str, "import_timer": int, "object_classes": list,
    "nrtm_access": list, "nrtm_max_serials": int, "export_timer": int, "nrtm4_server": bool,
    "nrtm4_private_key": str, "nrtm4_private_key_next": str, "scope_filter": str, "nrtm_other_sources": list,
}


def _source(name: str, table: dict, where: str) -> SourceConfig:
    """One [sources.NAME] table, every value checked."""
    import ipaddress

    from rpsl.schema import SCHEMA

    values: dict[str, Any] = {}
    for key, value in table.items():
        expected = _SOURCE_TYPES.get(key)
        if expected is None:
            raise ConfigError(f"{where}: unknown setting sources.{name}.{key} "
                              f"(known: {', '.join(sorted(_SOURCE_TYPES))})")
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            raise ConfigError(f"{where}: sources.{name}.{key} must be a {expected.__name__}, not {value!r}")
        if expected is list:
            if any(not isinstance(v, str) for v in value):
                raise ConfigError(f"{where}: sources.{name}.{key} must be a list of strings")
            value = tuple(value)
        values[key] = value
    for url in values.get("dump_urls", ()) + tuple(v for v in (values.get("serial_url"),) if v):
        if not url.startswith(("file://", "http://", "https://", "ftp://", "/")):
            raise ConfigError(f"{where}: sources.{name}: {url!r} is not a file://, http(s):// or ftp:// URL")
    if values.get("nrtm4_url") and not values["nrtm4_url"].startswith(("https://", "file://")):
        raise ConfigError(f"{where}: sources.{name}.nrtm4_url must be an https:// URL (or file:// for tests): "
                          "NRTMv4 clients must not use other protocols (RFC 10063)")
    if "nrtm_other_sources" in values:
        values["nrtm_other_sources"] = tuple(s.upper() for s in values["nrtm_other_sources"])
    for cls in values.get("object_classes", ()):
        if cls not in SCHEMA:
            raise ConfigError(f"{where}: sources.{name}.object_classes: unknown class {cls!r}")
    for network in values.get("nrtm_access", ()):
        try:
            ipaddress.ip_network(network, strict=False)
        except ValueError:
            raise ConfigError(f"{where}: sources.{name}.nrtm_access: {network!r} is not an address or "
                              "network") from None
    for key in ("import_timer", "nrtm_port", "nrtm_max_serials"):
        if key in values and values[key] <= 0:
            raise ConfigError(f"{where}: sources.{name}.{key} must be positive")
    if values.get("scope_filter", "flag") not in ("flag", "hide"):
        raise ConfigError(f"{where}: sources.{name}.scope_filter must be flag or hide")
    if values.get("nrtm_host") and values.get("nrtm4_url"):
        raise ConfigError(f"{where}: sources.{name}: choose NRTMv3 (nrtm_host) or NRTMv4 (nrtm4_url), not both")
    if values.get("nrtm4_url") and not values.get("nrtm4_public_key"):
        raise ConfigError(f"{where}: sources.{name}.nrtm4_public_key is needed to check nrtm4_url's signature")
    if values.get("authoritative") and (values.get("dump_urls") or values.get("nrtm_host")
                                        or values.get("nrtm4_url")):
        raise ConfigError(f"{where}: sources.{name} is authoritative: it can't also be imported from elsewhere")
    return SourceConfig(name, **values)


def _sqlalchemy_url(url: str, where: str) -> str:
    """Accept libpq-style URLs too; always use the psycopg 3 driver."""
    for prefix in ("postgresql+psycopg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    raise ConfigError(f"{where}: database url must start with postgresql:// (got {url.split(':', 1)[0]}:...)")
