"""Submission benchmark: how long the update pipeline takes to validate a submission against its
size, for the worst shapes found, before and after the change that made validation near-linear and
lock-free (issue 12), in one run; and how long a member's ordinary update takes while such a
submission is being processed.

The "before" code is the repository at --before (default 077a071, the last commit before that
change), extracted with `git archive` into a temporary directory; "after" is this checkout. Each
version gets its own database on one throwaway PostgreSQL and runs in its own processes (one per
measurement: a measurement over --timeout seconds is stopped and reported as such, which for the
old code also frees the source's write lock it held). Submissions are dry runs, as in the attack.

Shapes (sizes in bytes of submission text):
- chain:      new mntners each maintained by the next one, the last by a maintainer that does not exist
- wide:       new mntners and one route whose mnt-by lists them all; one mntner refers to nobody
- many:       independent new person objects maintained by the member (an ordinary bulk submission)
- deep-sets:  hierarchical as-sets AS64501:AS-Gn:AS-L2:AS-L3:AS-L4 (names have at most 5 components), each
              below and a member of the previous, the deepest first, the top one under an aut-num whose
              maintainer (the hostmasters) did not authorise it
- passwords:  new mntners each with its own bcrypt (cost 12) hash and 10 wrong passwords
- imports:    one aut-num with as many import lines as fit (parsing cost; not changed here)

    python bench/submission.py                   # about 15 minutes on two cores
    python bench/submission.py --max-bytes 300000 --timeout 60
"""
from __future__ import annotations

import argparse
import contextlib
import json
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BEFORE = "077a071"    # the last commit before validation became near-linear and lock-free
SHAPES = ("chain", "wide", "many", "deep-sets", "passwords", "imports")
PAD = 16
BCRYPT_ALPHABET = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def attr(name: str, value: str) -> str:
    return f"{name + ':':<{PAD}}{value}\n"


# -- the registry and the shapes (run inside a worker, against either version's code) ------------------
def registry_objects(bcrypt) -> list[str]:
    member = "BCRYPT-PW " + bcrypt.hashpw(b"member-pw", bcrypt.gensalt(10)).decode()
    vnnic = "BCRYPT-PW " + bcrypt.hashpw(b"vnnic-pw", bcrypt.gensalt(10)).decode()

    def mntner(name, auth, upd):
        return (attr("mntner", name) + attr("descr", name) + attr("admin-c", "NVA1-VN") + attr("upd-to", upd)
                + attr("auth", auth) + attr("mnt-by", name) + attr("referral-by", "MAINT-VNNIC")
                + attr("source", "VNNIC"))

    return [
        mntner("MAINT-VNNIC", vnnic, "hostmaster@vnnic.example"),
        mntner("MAINT-MEMBER", member, "upd@member.example"),
        attr("person", "Nguyen Van An") + attr("address", "Ha Noi") + attr("country", "VN")
        + attr("phone", "+84 24 0000 0000") + attr("e-mail", "an@member.example") + attr("nic-hdl", "NVA1-VN")
        + attr("mnt-by", "MAINT-MEMBER") + attr("source", "VNNIC"),
        attr("as-block", "AS64496 - AS64511") + attr("tech-c", "NVA1-VN") + attr("admin-c", "NVA1-VN")
        + attr("mnt-by", "MAINT-VNNIC") + attr("mnt-lower", "MAINT-VNNIC") + attr("source", "VNNIC"),
        attr("aut-num", "AS64500") + attr("as-name", "MEMBER") + attr("descr", "Member") + attr("country", "VN")
        + attr("admin-c", "NVA1-VN") + attr("tech-c", "NVA1-VN") + attr("mnt-by", "MAINT-MEMBER")
        + attr("source", "VNNIC"),
        attr("aut-num", "AS64501") + attr("as-name", "HOSTMASTER") + attr("descr", "Registry") + attr("country", "VN")
        + attr("admin-c", "NVA1-VN") + attr("tech-c", "NVA1-VN") + attr("mnt-by", "MAINT-VNNIC")
        + attr("source", "VNNIC"),
        attr("inetnum", "203.0.113.0 - 203.0.113.255") + attr("netname", "MEMBER-NET") + attr("descr", "Member")
        + attr("country", "VN") + attr("admin-c", "NVA1-VN") + attr("tech-c", "NVA1-VN")
        + attr("status", "ALLOCATED PORTABLE") + attr("mnt-by", "MAINT-VNNIC") + attr("mnt-lower", "MAINT-MEMBER")
        + attr("mnt-routes", "MAINT-MEMBER") + attr("source", "VNNIC"),
        route_text("Member prefix"),
    ]


def route_text(descr: str, mnt_by: str = "MAINT-MEMBER") -> str:
    return (attr("route", "203.0.113.0/24") + attr("descr", descr) + attr("origin", "AS64500")
            + attr("mnt-by", mnt_by) + attr("source", "VNNIC"))


def mntner(name: str, by: str, auth: str) -> str:
    return (attr("mntner", name) + attr("descr", "bench") + attr("admin-c", "NVA1-VN")
            + attr("upd-to", "bench@example.net") + attr("auth", auth) + attr("mnt-by", by)
            + attr("referral-by", "MAINT-VNNIC") + attr("source", "VNNIC"))


def random_bcrypt(cost: int) -> str:
    """A well-formed bcrypt hash of no known password: verifying it costs what a real one costs."""
    salt = "".join(secrets.choice(BCRYPT_ALPHABET) for _ in range(21)) + secrets.choice(".Oeu")
    return f"BCRYPT-PW $2b${cost:02d}${salt}" + "".join(secrets.choice(BCRYPT_ALPHABET) for _ in range(31))


def shape(name: str, size: int, bcrypt) -> tuple[str, list[str], int]:
    """(submission text, passwords, objects) of about `size` bytes."""
    chain_pw = "BCRYPT-PW " + bcrypt.hashpw(b"chain-pw", bcrypt.gensalt(4)).decode()
    objects: list[str] = []
    passwords = ["chain-pw"]
    if name == "chain":
        one = len(mntner("MAINT-CHAIN0000", "MAINT-CHAIN0001", chain_pw)) + 1
        n = max(2, size // one)
        objects = [mntner(f"MAINT-CHAIN{i:04d}", f"MAINT-CHAIN{i + 1:04d}" if i + 1 < n else "MAINT-NOWHERE", chain_pw)
                   for i in range(n)]
    elif name == "wide":
        one = len(mntner("MAINT-WIDE0000", "MAINT-WIDE0000", chain_pw)) + 20
        n = max(2, size // one)
        names = [f"MAINT-WIDE{i:04d}" for i in range(n)]
        objects = [mntner(m, m if i else "MAINT-NOWHERE", chain_pw) for i, m in enumerate(names)]
        objects.append(route_text("wide", ", ".join(names)))
    elif name == "many":
        passwords = ["member-pw"]
        one = 200
        objects = [attr("person", f"Bench Person {i}") + attr("address", "Ha Noi") + attr("country", "VN")
                   + attr("phone", "+84 24 0000 0000") + attr("e-mail", "p@member.example")
                   + attr("nic-hdl", f"BP{i}-VN") + attr("mnt-by", "MAINT-MEMBER") + attr("source", "VNNIC")
                   for i in range(max(1, size // one))]
    elif name == "deep-sets":
        # set names have at most 5 components: many hierarchies 4 deep below AS64501 (the hostmasters'
        # aut-num, which did not authorise them), the deepest first, each set a member of the one above
        passwords = ["member-pw"]
        total, group = 0, 0
        while total < size:
            names = [f"AS64501:AS-G{group}"]
            for level in range(2, 5):
                names.append(f"{names[-1]}:AS-L{level}")
            for key, inner in reversed(list(zip(names, names[1:] + ["AS64500"]))):
                text = (attr("as-set", key) + attr("descr", "deep") + attr("members", inner)
                        + attr("tech-c", "NVA1-VN") + attr("admin-c", "NVA1-VN") + attr("mnt-by", "MAINT-MEMBER")
                        + attr("source", "VNNIC"))
                objects.append(text)
                total += len(text) + 1
            group += 1
        objects.reverse()    # the deepest of the last hierarchy first
    elif name == "passwords":
        passwords = [f"wrong-{i}" for i in range(10)]
        one = len(mntner("MAINT-PW0000", "MAINT-PW0000", random_bcrypt(12))) + 1
        objects = [mntner(f"MAINT-PW{i:04d}", f"MAINT-PW{i:04d}", random_bcrypt(12))
                   for i in range(max(1, size // one))]
    elif name == "imports":
        passwords = ["member-pw"]
        line = attr("import", "from AS64512 action pref=100; accept AS64512:AS-CUSTOMERS AND NOT {0.0.0.0/0^24-32}")
        head = attr("aut-num", "AS64500") + attr("as-name", "MEMBER") + attr("descr", "Member") + attr("country", "VN")
        tail = attr("admin-c", "NVA1-VN") + attr("tech-c", "NVA1-VN") + attr("mnt-by", "MAINT-MEMBER") + attr(
            "source", "VNNIC")
        objects = [head + line * max(1, (size - len(head) - len(tail)) // len(line)) + tail]
    else:
        raise ValueError(name)
    return "\n".join(objects), passwords, len(objects)


def worker(root: str, url: str, action: str, *args: str) -> None:
    """Run inside one version's code (root first on sys.path); print one JSON line."""
    sys.path.insert(0, root)
    import logging

    import bcrypt

    from irr.config import Config, SourceConfig
    from irr.database import make_engine
    from irr.store import Change, Store
    from irr.store.lookups import Lookups
    from irr.updates.pipeline import Pipeline
    from irr.updates.service import keyring_for
    from irr.updates.submission import from_texts
    from rpsl.lenient import load

    logging.disable(logging.WARNING)    # the attacks are logged: not what is measured
    store = Store(make_engine(url))
    if action == "setup":
        store.upgrade()
        store.apply([Change("VNNIC", "ADD", load(t)) for t in registry_objects(bcrypt)], origin="bench setup")
        print(json.dumps({"ok": True}))
        return
    from rpsl.objects import parse

    for text in registry_objects(bcrypt) + [shape("imports", 300, bcrypt)[0]]:
        parse(text, strict=True)        # the grammars are compiled once per process: not what is measured
    data = Path(tempfile.mkdtemp(prefix="irr-bench-data-"))
    config = Config(data_dir=data, sources={"VNNIC": SourceConfig("VNNIC", True)}, source_order=("VNNIC",))
    pipeline = Pipeline(config, store, Lookups(store.engine), keyring_for(config), None)

    def submit(text: str, passwords: list[str], client: str, dry_run: bool = True):
        sub = from_texts([(text, frozenset())], {"HTTP-client-IP": client})
        sub.passwords.extend(passwords)
        sub.dry_run = dry_run
        started = time.perf_counter()
        outcome = pipeline.process(sub, f"api {client}")
        return time.perf_counter() - started, outcome

    if action == "measure":
        name, size = args[0], int(args[1])
        text, passwords, n = shape(name, size, bcrypt)
        seconds, outcome = submit(text, passwords, "192.0.2.1")
        errors = [e for r in outcome.requests for e in r.errors]
        print(json.dumps({"bytes": len(text), "objects": n, "seconds": seconds,
                          "accepted": sum(r.ok for r in outcome.requests),
                          "timeout": any("took longer than the limit" in e for e in errors),
                          "hash_bound": any("more password checking" in e for e in errors)}))
    elif action == "concurrent":
        size = int(args[0])
        text, passwords, _ = shape("chain", size, bcrypt)
        alone = sorted(submit(route_text(f"alone {i}"), ["member-pw"], "203.0.113.9", dry_run=False)[0]
                       for i in range(3))[1]
        big: dict = {}
        thread = threading.Thread(target=lambda: big.setdefault("seconds", submit(text, passwords, "192.0.2.1")[0]))
        thread.start()
        during, ok = [], True
        while thread.is_alive():    # member updates one after the other for as long as the big one runs
            seconds, outcome = submit(route_text(f"during {len(during)}"), ["member-pw"], "203.0.113.9", dry_run=False)
            ok = ok and all(r.ok for r in outcome.requests)
            during.append(seconds)
            time.sleep(0.1)
        thread.join()
        print(json.dumps({"bytes": len(text), "alone": alone, "during": during, "big": big["seconds"], "ok": ok}))


# -- the driver ---------------------------------------------------------------------------------------------------
def run_worker(root: Path, url: str, timeout: float, *args: str) -> dict | None:
    try:
        proc = subprocess.run([sys.executable, __file__, "--worker", str(root), url, *args], capture_output=True,
                              text=True, timeout=timeout, cwd=tempfile.gettempdir())
    except subprocess.TimeoutExpired:
        return None
    if proc.returncode != 0:
        raise RuntimeError(f"worker {args} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


@contextlib.contextmanager
def databases(names: list[str]):
    """One database per name on a throwaway embedded PostgreSQL: {name: url}."""
    import psycopg

    sys.path.insert(0, str(REPO / "bench"))
    from common import database

    with database() as url:
        libpq = "postgresql://" + url.split("://", 1)[1]
        with psycopg.connect(libpq, autocommit=True) as conn:
            for name in names:
                conn.execute(f"CREATE DATABASE {name}")
        base, _, query = url.partition("?")
        yield {name: base.rsplit("/", 1)[0] + f"/{name}" + (f"?{query}" if query else "") for name in names}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--before", default=BEFORE, help="git revision of the old code (default %(default)s)")
    ap.add_argument("--max-bytes", type=int, default=1_000_000)
    ap.add_argument("--timeout", type=float, default=120, help="seconds before a measurement is stopped")
    ap.add_argument("--shapes", default=",".join(SHAPES))
    args = ap.parse_args()
    shapes = args.shapes.split(",")
    old_root = Path(tempfile.mkdtemp(prefix="irr-bench-before-"))
    archive = subprocess.run(["git", "-C", str(REPO), "archive", args.before], capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(old_root)], input=archive, check=True)
    roots = {"before": old_root, "after": REPO}
    sizes = sorted({s for s in (16_000, 64_000, 250_000, args.max_bytes) if s <= args.max_bytes})
    print(f"before: {args.before} (git archive into {old_root}); after: this checkout")
    print(f"dry runs; each measurement in its own process, stopped after {args.timeout:g} s\n")
    with databases(["bench_before", "bench_after"]) as urls:
        for version, root in roots.items():
            run_worker(root, urls[f"bench_{version}"], 600, "setup")
        print(f"{'shape':<10} {'bytes':>9} {'objects':>8}  {'before':>22}  {'after':>22}")
        for name in shapes:
            stopped = {"before": False, "after": False}
            for size in sizes:
                cells = {}
                for version, root in roots.items():
                    if stopped[version]:
                        cells[version] = None
                        continue
                    result = run_worker(root, urls[f"bench_{version}"], args.timeout, "measure", name, str(size))
                    cells[version] = result
                    stopped[version] = result is None
                done = next((c for c in cells.values() if c), None)
                print(f"{name:<10} {done['bytes'] if done else size:>9} {done['objects'] if done else '':>8}  "
                      f"{_cell(cells['before'], args.timeout):>22}  {_cell(cells['after'], args.timeout):>22}",
                      flush=True)
        print("\nA member's update (a route, real, bcrypt cost 10) alone, and one after the other while a dry run of a "
              "mnt-by chain runs:")
        for version, root in roots.items():
            size = args.max_bytes if version == "after" else 40_000
            result = run_worker(root, urls[f"bench_{version}"], args.timeout * 3, "concurrent", str(size))
            if result is None:
                print(f"  {version:<6} stopped after {args.timeout * 3:g} s")
                continue
            during = result["during"]
            print(f"  {version:<6} chain of {result['bytes']:>9} bytes: {result['big']:7.2f} s; member's update alone "
                  f"{result['alone']:5.2f} s; {len(during)} updates during it, slowest {max(during):6.2f} s"
                  f"{'' if result['ok'] else ' (some FAILED)'}")


def _cell(result: dict | None, timeout: float) -> str:
    if result is None:
        return f"stopped > {timeout:g} s"
    note = " deadline" if result["timeout"] else (" hash bound" if result["hash_bound"] else "")
    return f"{result['seconds']:8.2f} s{note} ({result['accepted']} ok)"


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        worker(*sys.argv[2:])
    else:
        main()
