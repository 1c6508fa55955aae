"""The attack suite's registry: the update_helpers registry (MAINT-MEMBER "alice", password
member-pw; MAINT-OTHER "mallory", other-pw; MAINT-VNNIC the hostmasters) plus one object of every
class for the member, behind the real web app (API, forms) with notifications captured; and a
snapshot of the source (journal and every object's text) to assert that an attack changed nothing."""
from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from irr.store import Change, Store
from rpsl.lenient import load
from tests.update_helpers import ROUTE, ROUTE6, bcrypt_line
from tests.web_helpers import Site, serve

MALLORY = "other-pw"
ALICE = "member-pw"


def _obj(text: str) -> str:
    return "\n".join(f"{k + ':':<16}{v}" if k else line for line in text.strip().split("\n")
                     for k, v in [line.split(": ", 1) if ": " in line else ("", line)]) + "\n"


ROLE = _obj("""role: Member NOC
address: Hà Nội
country: VN
phone: +84 24 0000 0001
e-mail: noc@member.example
admin-c: NVA1-VN
tech-c: NVA1-VN
nic-hdl: MNOC1-VN
mnt-by: MAINT-MEMBER
source: VNNIC""")
AS_SET = _obj("""as-set: AS64500:AS-CUSTOMERS
descr: Member customers
members: AS64500
tech-c: NVA1-VN
admin-c: NVA1-VN
mnt-by: MAINT-MEMBER
source: VNNIC""")
ROUTE_SET = _obj("""route-set: AS64500:RS-ROUTES
descr: Member routes
members: 203.0.113.0/24
tech-c: NVA1-VN
admin-c: NVA1-VN
mnt-by: MAINT-MEMBER
source: VNNIC""")
DOMAIN = _obj("""domain: 113.0.203.in-addr.arpa
descr: Member reverse zone
admin-c: NVA1-VN
tech-c: NVA1-VN
zone-c: NVA1-VN
nserver: ns1.member.example
mnt-by: MAINT-MEMBER
source: VNNIC""")
MEMBER_OBJECTS = (ROLE, AS_SET, ROUTE_SET, DOMAIN, ROUTE, ROUTE6)


class Attacked(Site):
    """A Site with the member's objects and helpers to attack it through the API."""

    def post(self, texts: list[str], passwords: list[str], *, delete: str | None = None, dry_run: bool = False,
             client: str = "192.0.2.66") -> dict:
        """POST (or DELETE) /v1/submit/ as a client at `client`; the JSON answer."""
        body = {"objects": [{"object_text": t} for t in texts], "passwords": passwords, "dry_run": dry_run}
        if delete is not None:
            body["delete_reason"] = delete
        call = self.app.test_client().delete if delete is not None else self.app.test_client().post
        reply = call("/v1/submit/", json=body, environ_base={"REMOTE_ADDR": client})
        assert reply.status_code == 200, reply.get_data(as_text=True)
        return reply.get_json()

    def text(self, cls: str, pk: str) -> str:
        row = self.store.get("VNNIC", cls, pk)
        assert row is not None, f"[{cls}] {pk} is not stored"
        return row.object_text


def snapshot(store: Store) -> tuple[list, dict]:
    """The source as it stands: journal entries and every object's text."""
    journal = [(j.serial, j.operation, j.object_class, j.pk, j.object_text) for j in store.journal("VNNIC")]
    objects = {(c, pk): text for c, pk, text in store.iter_objects("VNNIC")}
    return journal, objects


def errors(answer: dict) -> list[str]:
    return [e for o in answer["objects"] for e in o["error_messages"]]


@contextlib.contextmanager
def attacked_site(store: Store, tmp_path: Path) -> Iterator[Attacked]:
    from tests.pgp_helpers import session_keys
    from tests.test_email_updates import keycert_text

    with serve(store, tmp_path) as site:
        store.apply([Change("VNNIC", "ADD", load(t)) for t in MEMBER_OBJECTS], origin="test setup")
        attacked = Attacked(**vars(site))
        answer = attacked.post([keycert_text(session_keys().alice)], [ALICE], client="127.0.0.1")
        assert answer["summary"]["successful"] == 1, answer
        yield attacked


def own_hash(text: str, password: str = MALLORY) -> str:
    """An object with every auth: line replaced by one hash of `password`."""
    lines = [ln for ln in text.rstrip("\n").split("\n") if not ln.startswith("auth:")]
    at = next(i for i, ln in enumerate(lines) if ln.startswith("mnt-by:"))
    return "\n".join(lines[:at] + [f"{'auth:':<16}{bcrypt_line(password)}"] + lines[at:]) + "\n"
