"""The Quick start demo: a small registry (source DEMO) a newcomer can change right away.

With no configuration at all (no --config, no IRR_CONFIG), source DEMO is authoritative and its
hostmaster maintainer is the registry's (`[auth] registry_maintainers`), so the registry's rules
hold in the demo too. On the first start of an empty database `irr serve` loads demo.db with
fresh random passwords: the member maintainer's (MAINT-VN-DEMO) is kept in
`<data_dir>/demo-password` (mode 0600) and printed at every start; the hostmaster's is thrown
away (the demo's top-level objects can't be changed).
"""
from __future__ import annotations

import dataclasses
import os
import secrets
from pathlib import Path

from irr.auth.passwords import hash_password
from irr.config import Config, SourceConfig

DEMO_SOURCE = "DEMO"
DEMO_FILE = Path(__file__).parent / "demo.db"
MEMBER = "MAINT-VN-DEMO"
HOSTMASTER = "MAINT-DEMO-HM"
PASSWORD_FILE = "demo-password"
# The hashes in demo.db (of published passwords) that a first start replaces.
MEMBER_HASH = "BCRYPT-PW $2b$10$m3eY2R.P5gV6f2AbcvMDf./x8wYlxqUTaA19pdZ.ES8Ie6xPFbdTK"
HOSTMASTER_HASH = "BCRYPT-PW $2b$10$.2p0tESj9EzPYdNgcNgzpe4fSVAOvkhY.KWU9TOuWpwZYV6qycPJ2"


def with_demo(config: Config) -> Config:
    """The configuration the demo needs when there is none: source DEMO authoritative, its
    hostmaster the registry's. Any configuration file (even an empty one) turns this off."""
    if config.path is not None or config.sources:
        return config
    return dataclasses.replace(
        config, sources={DEMO_SOURCE: SourceConfig(DEMO_SOURCE, authoritative=True,
                                                   description="Quick start demo (irr/demo/demo.db)")},
        registry_maintainers=config.registry_maintainers or (HOSTMASTER,))


def start(config: Config, store, url: str) -> list[str]:
    """At `irr serve` start: load the demo into an empty database; the lines to print (`url`:
    where the web interface listens)."""
    lines = []
    if not store.sources():
        _load(config, store)
        lines.append(f"irr: loaded demo data into source {DEMO_SOURCE}")
    password_file = config.data_dir / PASSWORD_FILE
    source = config.sources.get(DEMO_SOURCE)
    if source is not None and source.authoritative and password_file.exists() and \
            any(s.name == DEMO_SOURCE for s in store.sources()):
        password = password_file.read_text(encoding="utf-8").strip()
        lines.append(f"irr: demo: source {DEMO_SOURCE} can be changed; member maintainer {MEMBER}, "
                     f"password: {password}")
        lines.append(f"irr: demo: try it on {url}/create/route (README.md, Quick start)")
    return lines


def _load(config: Config, store) -> None:
    """demo.db with fresh passwords, loaded as source DEMO (all or nothing)."""
    from mirror.importer import load_files

    member = secrets.token_urlsafe(12)
    text = DEMO_FILE.read_text(encoding="utf-8")
    text = text.replace(MEMBER_HASH, hash_password(member)).replace(
        HOSTMASTER_HASH, hash_password(secrets.token_urlsafe(24)))
    config.data_dir.mkdir(parents=True, exist_ok=True)
    password_file = config.data_dir / PASSWORD_FILE
    fd = os.open(password_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(member + "\n")
    staged = config.data_dir / "demo.db.loading"
    staged.write_text(text, encoding="utf-8")
    try:
        load_files(store, DEMO_SOURCE, [staged], serial=1, workers=1)
    finally:
        staged.unlink(missing_ok=True)
