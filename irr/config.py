"""Configuration: one TOML file plus environment overrides, validated at start with clear errors.

    [database]
    url = "postgresql+psycopg://irr@db.example.net/irr"   # omit: embedded PostgreSQL in the data dir

    [server]
    host = "127.0.0.1"
    http_port = 8080
    whois_port = 4343          # 43 in production
    http_max_connections = 64  # requests at once (more: 503); http_timeout = 60 s of client silence

    [whois]                    # the numbers and their defaults: WhoisLimits below
    max_objects = 10000
    style = "apnic"            # RIPE-style answers laid out as APNIC's whois; "irrd": as IRRd 4.5
    name = "whois.vnnic.vn"    # the server's name in APNIC-style headers (default: this host's name)
    terms_url = "http://www.apnic.net/db/dbcopyright.html"   # the header's copyright terms line

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
    registry_maintainers = ["MAINT-VN-VNNIC"] # the registry's hostmasters (irr/updates/registry.py)

    [rdap]
    port43 = "whois.example.vn"              # the whois server named in RDAP answers
    redact = ["person.e-mail"]               # entity data not shown (RFC 9537)

    [updates]
    submission_timeout = 30        # seconds for one whole submission (parse, checks, passwords, write)
    pgp_max_age = 3600             # PGP signatures older than this are refused (RIPE: one hour) ...
    pgp_max_future = 600           # ... and those dated further ahead than this
    failed_auth_window = 3600      # failed authorisations count for this long ...
    failed_auth_per_client = 30    # ... at most this many per client (address or mail sender) ...
    failed_auth_per_mntner = 20    # ... and per maintainer; then its passwords are refused for a while

Environment: IRR_CONFIG (file), IRR_DATA_DIR, IRR_DATABASE_URL.
"""
from __future__ import annotations

import dataclasses
import ipaddress
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from irr.scope.resources import configured
from rpsl.errors import ValueSyntaxError
from rpsl.schema import SCHEMA
from rpsl.syntax import parse

SOURCE_NAME = re.compile(r"[A-Z][A-Z0-9-]*[A-Z0-9]")


@dataclass(frozen=True)
class WhoisLimits:
    """The numbers of [whois], typed: the one declaration of their names and defaults."""

    max_connections: int = 200
    max_connections_per_address: int = 50  # one host cannot take every slot
    max_queued_queries: int = 1000          # pipelined lines waiting per connection; then reading pauses
    idle_timeout: int = 30                  # seconds; `!t` changes it per connection (1-1000)
    max_line_length: int = 8192             # bytes
    max_answer_seconds: float = 30.0
    max_objects: int = 10000
    max_set_depth: int = 50
    max_set_size: int = 2_000_000
    threads: int = 16
    answer_cache: int = 100_000             # answers of !g, !6, !i, !a kept until a change reaches them (0: none);
                                            # the 1M dump's origins and sets alone ask 50,048 distinct !g, !6, !i,1


WHOIS_DEFAULTS: dict[str, int | float] = dataclasses.asdict(WhoisLimits())
WHOIS_ZERO_ALLOWED = ("answer_cache",)

UPDATES_DEFAULTS: dict[str, int | float] = {
    "submission_timeout": 30, "pgp_max_age": 3600, "pgp_max_future": 600, "failed_auth_window": 3600,
    "failed_auth_per_client": 30, "failed_auth_per_mntner": 20,
}


WHOIS_STYLES = ("apnic", "irrd")
WHOIS_TEXT = ("style", "name", "terms_url")  # [whois] settings that are text, not numbers


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
class RdapConfig:
    """[rdap]: the RDAP service under /rdap/ on the HTTP port (irr.rdap)."""

    base_url: str | None = None      # public URL of /rdap/ used in links (default: the request's own)
    port43: str | None = None        # whois server named in answers
    redact: tuple[str, ...] = ()     # "class.attribute" of entities not shown (RFC 9537 redaction)
    max_results: int = 100           # objects per search answer (more: truncated, with a notice)
    rate_limit: int = 600            # requests per minute and client address (0: no limit)
    terms_url: str | None = None     # terms of service, linked from every answer


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
    whois_style: str = "apnic"         # RIPE-style answers: "apnic" (APNIC's layout) or "irrd" (IRRd 4.5's)
    whois_name: str | None = None      # the server's name in APNIC-style headers; None: this host's name
    whois_terms_url: str | None = None  # the copyright terms in APNIC-style headers; None: APNIC's
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    mail_from: str = "irr@localhost"
    override_hash: str | None = None   # bcrypt or md5-crypt hash of the staff override password
    registry_maintainers: tuple[str, ...] = ()  # the registry's hostmasters: top-level resources are theirs
    roa_url: str | None = None         # validated ROA payloads (rpki-client json, Routinator jsonext, CSV)
    roa_timer: int = 3600
    scope_country: str | None = None   # the NIR's resources: delegated stats filtered by country (VN) ...
    scope_registry: str | None = None  # ... or by registry
    scope_delegated_url: str | None = None
    scope_prefixes: tuple[str, ...] = ()
    scope_asns: tuple[str, ...] = ()
    scope_timer: int = 86400
    rdap: RdapConfig = field(default_factory=RdapConfig)
    bgp_table_url: str | None = None   # [bgp] an MRT RIB dump, bgpdump -m text or pfx2as table (file or URL)
    bgp_timer: int = 28800
    reports: dict[str, Any] = field(default_factory=dict)   # [reports], checked by _reports()
    updates: dict[str, int | float] = field(default_factory=lambda: dict(UPDATES_DEFAULTS))

    @property
    def whois_limits(self) -> WhoisLimits:
        """[whois]'s numbers as their types say (the dict holds what the file said)."""
        return WhoisLimits(**{f.name: type(f.default)(self.whois[f.name]) for f in dataclasses.fields(WhoisLimits)})

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
    "whois": set(WHOIS_DEFAULTS) | set(WHOIS_TEXT),
    "email": {"smtp_host", "smtp_port", "from"},
    "auth": {"override_password_hash", "registry_maintainers"},
    "updates": set(UPDATES_DEFAULTS),
    "rpki": {"roa_url", "roa_timer"},
    "scope": {"country", "registry", "delegated_url", "prefixes", "asns", "timer"},
    "rdap": {"base_url", "port43", "redact", "max_results", "rate_limit", "terms_url"},
    "bgp": {"table_url", "timer"},
    "reports": {"sources", "exclude_members", "stale_years", "timer", "mail_day"},
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
    if not isinstance(chosen_dir, (str, os.PathLike)) or not str(chosen_dir):
        raise ConfigError(f"{where}: data_dir must be a directory path, not {chosen_dir!r}")

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
    whois_text = _whois_text(raw.get("whois") or {}, where)
    for name, value in (raw.get("whois") or {}).items():
        if name in WHOIS_TEXT:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)) or \
                (value <= 0 and not (value == 0 and name in WHOIS_ZERO_ALLOWED)):
            raise ConfigError(f"{where}: whois.{name} must be a positive number, not {value!r}")
        whois[name] = value
    updates = dict(UPDATES_DEFAULTS)
    for name, value in (raw.get("updates") or {}).items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            raise ConfigError(f"{where}: updates.{name} must be a positive number, not {value!r}")
        updates[name] = value

    email = raw.get("email", {})
    smtp_port = email.get("smtp_port", 25)
    if isinstance(smtp_port, bool) or not isinstance(smtp_port, int) or not 0 < smtp_port <= 65535:
        raise ConfigError(f"{where}: email.smtp_port must be a port number, not {smtp_port!r}")
    override = (raw.get("auth") or {}).get("override_password_hash")
    hash_prefixes = ("$2b$", "$2a$", "$2y$", "$1$")
    if override is not None and not (isinstance(override, str) and override.startswith(hash_prefixes)):
        raise ConfigError(f"{where}: auth.override_password_hash must be a bcrypt ($2b$...) or md5-crypt ($1$...) "
                          "hash, never a clear-text password")
    registry_maintainers = (raw.get("auth") or {}).get("registry_maintainers", [])
    if not isinstance(registry_maintainers, list) or not all(_mntner_name(m) for m in registry_maintainers):
        raise ConfigError(f"{where}: auth.registry_maintainers must be a list of mntner names "
                          "(e.g. [\"MAINT-VN-VNNIC\"])")

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
    # absolute once, at start: a relative directory must not mean something else to code that
    # resolves paths elsewhere (Flask's send_file takes relative paths from the package directory)
    return Config(data_dir=Path(chosen_dir).expanduser().absolute(), database_url=url,
                  readonly_url=readonly_url, host=host,
                  http_port=ports["http_port"], whois_port=ports["whois_port"], whois=whois, updates=updates,
                  **whois_text, **http_limits,
                  smtp_host=str(email.get("smtp_host", "127.0.0.1")), smtp_port=smtp_port,
                  mail_from=str(email.get("from", "irr@localhost")), override_hash=override,
                  registry_maintainers=tuple(m.upper() for m in registry_maintainers),
                  roa_url=roa_url, roa_timer=roa_timer,
                  scope_country=scope_values.get("country"), scope_registry=scope_values.get("registry"),
                  scope_delegated_url=scope_values.get("delegated_url"),
                  scope_prefixes=scope_values.get("prefixes", ()), scope_asns=scope_values.get("asns", ()),
                  scope_timer=scope_values.get("timer", 86400), rdap=_rdap(raw.get("rdap") or {}, where),
                  **_bgp(raw.get("bgp") or {}, where), reports=_reports(raw.get("reports") or {}, where),
                  sources=sources, source_order=tuple(s.upper() for s in order),
                  path=Path(path) if path else None)


def _bgp(table: dict, where: str) -> dict:
    """[bgp]: the routing table the reports compare with, and how often it is loaded again."""
    url, timer = table.get("table_url"), table.get("timer", 28800)
    if url is not None and not (isinstance(url, str) and url.startswith(("file://", "http://", "https://",
                                                                            "ftp://", "/"))):
        raise ConfigError(f"{where}: bgp.table_url must be a file path or a file://, http(s)://, ftp:// URL")
    if isinstance(timer, bool) or not isinstance(timer, int) or timer < 60:
        raise ConfigError(f"{where}: bgp.timer must be a number of seconds (at least 60)")
    return {"bgp_table_url": url, "bgp_timer": timer}


def _reports(table: dict, where: str) -> dict[str, Any]:
    """[reports]: sources holding the registry's allocations, maintainers that are not members,
    when an unannounced route object is stale, the daily run and the day of the monthly mail."""
    out: dict[str, Any] = {"sources": (), "exclude_members": (), "stale_years": 3, "timer": 86400, "mail_day": 1}
    for key in ("sources", "exclude_members"):
        value = table.get(key, [])
        if not isinstance(value, list) or any(not isinstance(v, str) for v in value):
            raise ConfigError(f"{where}: reports.{key} must be a list of names")
        out[key] = tuple(v.upper() for v in value)
    for key, low, high in (("stale_years", 0, 100), ("timer", 60, 10**7), ("mail_day", 0, 28)):
        value = table.get(key, out[key])
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ConfigError(f"{where}: reports.{key} must be a whole number from {low} to {high}")
        out[key] = value
    return out


def _mntner_name(value: object) -> bool:
    try:
        return isinstance(value, str) and bool(parse("object_name", value))
    except ValueSyntaxError:
        return False


_SOURCE_TYPES: dict[str, type | tuple[type, ...]] = {
    "authoritative": bool, "description": str, "dump_urls": list, "serial_url": str, "nrtm_host": str,
    "nrtm_port": int, "nrtm4_url": str, "nrtm4_public_key": str, "import_timer": int, "object_classes": list,
    "nrtm_access": list, "nrtm_max_serials": int, "export_timer": int, "nrtm4_server": bool,
    "nrtm4_private_key": str, "nrtm4_private_key_next": str, "scope_filter": str, "nrtm_other_sources": list,
}


def _source(name: str, table: dict, where: str) -> SourceConfig:
    """One [sources.NAME] table, every value checked."""
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


RDAP_ENTITY_CLASSES = ("person", "role", "organisation", "mntner", "irt")


def _rdap(table: dict, where: str) -> RdapConfig:
    """The [rdap] table, every value checked."""
    values: dict[str, Any] = {}
    for key in ("base_url", "port43", "terms_url"):
        if key in table:
            if not isinstance(table[key], str) or not table[key].strip():
                raise ConfigError(f"{where}: rdap.{key} must be a non-empty string")
            values[key] = table[key].strip()
    for key in ("base_url", "terms_url"):
        if key in values and not values[key].startswith(("http://", "https://")):
            raise ConfigError(f"{where}: rdap.{key} must be an http:// or https:// URL")
    for key, low in (("max_results", 1), ("rate_limit", 0)):
        if key in table:
            value = table[key]
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ConfigError(f"{where}: rdap.{key} must be a whole number of at least {low}, not {value!r}")
            values[key] = value
    redact = table.get("redact", [])
    if not isinstance(redact, list) or any(not isinstance(r, str) for r in redact):
        raise ConfigError(f"{where}: rdap.redact must be a list of \"class.attribute\" strings")
    for item in redact:
        cls, _, attr = item.partition(".")
        if cls not in RDAP_ENTITY_CLASSES or attr not in SCHEMA[cls].by_name:
            raise ConfigError(f"{where}: rdap.redact: {item!r} is not \"class.attribute\" of an entity class "
                              f"({', '.join(RDAP_ENTITY_CLASSES)}), e.g. \"person.e-mail\"")
    values["redact"] = tuple(dict.fromkeys(redact))
    return RdapConfig(**values)


def _whois_text(table: dict, where: str) -> dict[str, Any]:
    """[whois] style, name and terms_url: checked, as Config fields."""
    style = table.get("style", "apnic")
    if style not in WHOIS_STYLES:
        raise ConfigError(f"{where}: whois.style must be one of {', '.join(WHOIS_STYLES)}, not {style!r}")
    out: dict[str, Any] = {"whois_style": style}
    for key in ("name", "terms_url"):
        value = table.get(key)
        if value is None:
            continue
        if not isinstance(value, str) or not value.strip() or len(value) > 200 or \
                any(ord(c) < 32 or ord(c) == 127 for c in value):
            raise ConfigError(f"{where}: whois.{key} must be one line of text (at most 200 characters)")
        out[f"whois_{key}"] = value.strip()
    return out


def _sqlalchemy_url(url: str, where: str) -> str:
    """Accept libpq-style URLs too; always use the psycopg 3 driver."""
    for prefix in ("postgresql+psycopg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    raise ConfigError(f"{where}: database url must start with postgresql:// (got {url.split(':', 1)[0]}:...)")
