"""`irr init` and `irr hash-password`: README's "First start" run verbatim in a terminal on an
empty data directory, then the hostmaster, the override and the rules at work; init runs once."""
from __future__ import annotations

import os
import re
import sys
from pathlib import Path

from irr.auth.passwords import verify_hash
from irr.config import load_config
from irr.database import make_engine
from irr.store import Store
from irr.store.lookups import Lookups
from irr.updates.registry_init import Hostmaster, import_delegated
from irr.updates.service import build_pipeline
from irr.updates.submission import from_texts
from rpsl.schema import SCHEMA
from tests.conftest import REPO
from tests.terminal_helpers import readme_block, run_in_terminal
from tests.update_helpers import bcrypt_line

HOSTMASTER_PW, STAFF_PW = "Mật-khẩu quản trị 1", "staff override 2"


def terminal_env(db_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("IRR_")}
    env["PATH"] = f"{Path(sys.executable).parent}:{env.get('PATH', '/usr/bin:/bin')}"
    env["IRR_DATABASE_URL"] = db_url  # the test's database instead of an embedded one in data/
    return env


def submit(config, store, text: str, *passwords: str, override: str | None = None):
    sub = from_texts([("".join(f"password: {p}\n" for p in passwords) + "\n" + text, frozenset())])
    sub.override = override
    return build_pipeline(config, store, notify=False).process(sub, "test")


def test_first_start_as_the_readme_says(db_url, tmp_path):
    (tmp_path / "delegated-apnic-extended-latest").write_bytes(
        (REPO / "tests" / "data" / "delegated-apnic-extended-sample").read_bytes())
    env = terminal_env(db_url)
    status, shown = run_in_terminal(readme_block("First start"), tmp_path, env,
                                    [HOSTMASTER_PW, HOSTMASTER_PW, STAFF_PW, STAFF_PW])
    assert status == 0, shown
    assert HOSTMASTER_PW not in shown and STAFF_PW not in shown, "a password was echoed"
    for line in ("created [mntner] MAINT-VN-VNNIC in VNNIC (serial 1)", "created [person] NVQ1-VN",
                 "created [irt] IRT-VNNIC", "created from delegated-apnic-extended-latest: 1 as-block, "
                 "1 inet6num, 2 inetnum in VNNIC (serials 4-7)"):
        assert line in shown, shown
    assert re.search(r"VNNIC\s+authoritative\s+1-7\s+7", shown), shown   # irr status

    config = load_config(tmp_path / "irr.toml")
    assert config.data_dir == tmp_path / "data" and config.registry_maintainers == ("MAINT-VN-VNNIC",)
    assert verify_hash(STAFF_PW, config.override_hash)
    store = Store(make_engine(db_url))
    try:
        journal = store.journal("VNNIC")
        # the bootstrap uses a one-time override, and the journal says so (every override leaves a trace)
        init_origin = ("cli irr init with the staff override (3 object(s): create [mntner] MAINT-VN-VNNIC, "
                       "create [person] NVQ1-VN, create [irt] IRT-VNNIC)")
        assert [(j.operation, j.object_class, j.origin) for j in journal[:3]] == [
            ("ADD", "mntner", init_origin), ("ADD", "person", init_origin), ("ADD", "irt", init_origin)]
        assert {(j.object_class, j.pk, j.origin) for j in journal[3:]} == {
            ("as-block", "AS64496 - AS64511", "cli irr init --from-delegated"),
            ("inetnum", "203.0.113.0 - 203.0.113.255", "cli irr init --from-delegated"),
            ("inetnum", "198.51.100.0 - 198.51.100.127", "cli irr init --from-delegated"),
            ("inet6num", "2001:DB8::/32", "cli irr init --from-delegated")}
        everything = "\n".join(j.object_text for j in journal)
        assert HOSTMASTER_PW not in everything and "BCRYPT-PW $2b$12$" in everything
        allocation = store.get("VNNIC", "inetnum", "203.0.113.0 - 203.0.113.255").object_text
        assert "status:         ALLOCATED PORTABLE" in allocation and "mnt-irt:        IRT-VNNIC" in allocation
        assert "status:         ASSIGNED PORTABLE" in store.get("VNNIC", "inetnum", "198.51.100.0 - 198.51.100.127").object_text

        # runs once: refused before it asks for a password, nothing changes
        again = ('irr init --person "Kẻ Lạ" --nic-hdl KL1-VN --email x@example.net --phone "+84 1" '
                 '--address "Hà Nội" --country VN\n')
        status, shown = run_in_terminal(f"export IRR_CONFIG={tmp_path}/irr.toml\n{again}", tmp_path, env, [])
        assert status != 0 and "VNNIC is already initialised: MAINT-VN-VNNIC exists; nothing was changed" in shown
        assert "Password" not in shown and len(store.journal("VNNIC")) == 7
        # README's init line again: the delegated part may be taken again, as a hostmaster change
        lines = readme_block("First start").split("\n")
        start = next(i for i, line in enumerate(lines) if line.startswith("irr init "))
        end = next(i for i in range(start, len(lines)) if not lines[i].endswith("\\"))
        status, shown = run_in_terminal(f"export IRR_CONFIG={tmp_path}/irr.toml\n" + "\n".join(lines[start:end + 1]),
                                        tmp_path, env, [HOSTMASTER_PW, HOSTMASTER_PW])
        assert status == 0, shown
        assert "VNNIC is already initialised: importing delegated-apnic-extended-latest only" in shown
        assert "created from delegated-apnic-extended-latest: nothing; 4 already there" in shown
        assert len(store.journal("VNNIC")) == 7
        (tmp_path / "more").write_text("apnic|VN|ipv4|192.0.2.0|256|20100101|allocated|A1\n")
        command = "\n".join(lines[start:end + 1]).replace("delegated-apnic-extended-latest", "more")
        status, shown = run_in_terminal(f"export IRR_CONFIG={tmp_path}/irr.toml\n{command}", tmp_path, env,
                                        ["wrong", "wrong"])
        assert status != 0 and 'rule "top-level-address-space"' in shown and "more: nothing was created" in shown
        assert len(store.journal("VNNIC")) == 7

        # the hostmaster divides its block; a stranger may not claim what is left; the override may
        stranger = ("mntner:         MAINT-KL\ndescr:          Kẻ Lạ\nadmin-c:        NVQ1-VN\nupd-to:         kl@example.net\n"
                    f"auth:           {bcrypt_line('kl-pw')}\n"
                    "mnt-by:         MAINT-KL\nreferral-by:    MAINT-KL\nsource:         VNNIC\n")
        assert submit(config, store, stranger, "kl-pw").successful
        inner = ("inetnum:        203.0.113.0 - 203.0.113.127\nnetname:        MEMBER\ndescr:          A member\n"
                 "country:        VN\nadmin-c:        NVQ1-VN\ntech-c:         NVQ1-VN\nstatus:         ALLOCATED PORTABLE\n"
                 "mnt-by:         MAINT-VN-VNNIC\nmnt-irt:        IRT-VNNIC\nsource:         VNNIC\n")
        assert submit(config, store, inner, HOSTMASTER_PW).successful
        claim = inner.replace("203.0.113.0 - 203.0.113.127", "203.0.113.128 - 203.0.113.255").replace(
            "MAINT-VN-VNNIC", "MAINT-KL")
        outcome = submit(config, store, claim, "kl-pw")
        assert not outcome.successful and 'rule "portable-status"' in "\n".join(outcome.requests[0].errors)
        assert submit(config, store, claim, override=STAFF_PW).successful
        assert Lookups(store.engine).by_key(["VNNIC"], "MAINT-VN-VNNIC", ["mntner"])
    finally:
        store.engine.dispose()


def test_hash_password_and_init_preconditions(db_url, tmp_path):
    env = terminal_env(db_url)
    status, shown = run_in_terminal("irr hash-password\n", tmp_path, env, ["s3cret", "s3cret"])
    assert status == 0 and "s3cret" not in shown, shown
    [hashed] = re.findall(r"^\$2b\$12\$\S{53}$", shown, re.M)
    assert verify_hash("s3cret", hashed) and not verify_hash("other", hashed)

    (tmp_path / "irr.toml").write_text(f'data_dir = "{tmp_path}/data"\n[sources.VNNIC]\nauthoritative = true\n'
                                       '[auth]\nregistry_maintainers = ["MAINT-VN-VNNIC"]\n')
    base = f"export IRR_CONFIG={tmp_path}/irr.toml\nirr init --person P --nic-hdl P1-VN --email p@example.net " \
           "--phone '+84 1' --address A --country VN"
    status, shown = run_in_terminal(base + " --maintainer MAINT-OTHER\n", tmp_path, env, [])
    assert status != 0 and "MAINT-OTHER is not in [auth] registry_maintainers" in shown
    status, shown = run_in_terminal(base + " --source APNIC\n", tmp_path, env, [])
    assert status != 0 and "source APNIC is not an authoritative source" in shown
    status, shown = run_in_terminal(base + "\n", tmp_path, env, ["", "x", "x"])
    assert status == 0, shown   # an empty answer is asked again
    store = Store(make_engine(db_url))
    try:
        assert [j.pk for j in store.journal("VNNIC")] == ["MAINT-VN-VNNIC", "P1-VN", "IRT-VNNIC"]
        # a delegated file is taken whole or not at all: the second range overlaps the first in part
        h = Hostmaster("VNNIC", "MAINT-VN-VNNIC", "P", "P1-VN", "p@example.net", "+84 1", ("A",), "VN", "IRT-VNNIC")
        config = load_config(tmp_path / "irr.toml")
        bad = "apnic|VN|ipv4|203.0.113.0|256|20100101|allocated|A1\napnic|VN|ipv4|203.0.113.128|256|20100101|allocated|A2\n"
        outcome = import_delegated(config, store, h, "x", bad, "VN")
        assert outcome.dry_run and [r.ok for r in outcome.requests] == [True, False]
        assert 'rule "overlapping-range"' in outcome.requests[1].errors[0]
        assert len(store.journal("VNNIC")) == 3
        assert import_delegated(config, store, h, "x", bad.split("\n")[0], "VN").successful
        assert len(store.journal("VNNIC")) == 4
    finally:
        store.engine.dispose()


def test_readme_lists_the_mandatory_attributes_of_the_schema():
    section = (REPO / "README.md").read_text(encoding="utf-8").split("### What APNIC makes mandatory", 1)[1]
    rows = re.findall(r"^\| ([a-z0-9-]+) \| ([a-z0-9, -]+) \|$", section.split("\n### ", 1)[0], re.M)[1:]
    assert len(rows) == 12
    for cls, attributes in rows:
        expected = [a for a in SCHEMA[cls].mandatory if a not in (cls, "source")]
        assert attributes.split(", ") == expected, cls
