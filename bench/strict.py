"""Strict validation speed: `irr check --strict` on three inputs, before and after, in one run.

Inputs (generated here, deterministic): 50,000 small APNIC-style objects; an aut-num of 9,500
policy lines; one aut-num of 200,000 lines. "Before" is the code of a git revision (default
`main`) checked out into a temporary `git worktree`; "after" is this checkout. Both run with this
checkout's Python environment, one after the other (interleaved, the best of --runs counts; the
machine is busy and noisy). Wall and CPU seconds of the whole command are printed, with both
ratios (a big file is checked by one worker per core, which shortens the wall time and costs
some CPU), and the two outputs are compared (they must report the same errors).

The "after" side keeps its parsed grammars in a disk cache (rpsl.larkfast); the first of its runs
starts with an empty cache and is shown on its own ("after, cold").

    .venv/bin/python bench/strict.py [--before main] [--runs 3] [--only 50k,9500,200k]
"""
from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


# ------------------------------------------------------------------------------------- inputs

WORDS = ("Viet", "Nam", "Ha", "Noi", "Sai", "Gon", "Telecom", "Data", "Net", "Online", "Cloud", "Hosting",
         "Digital", "Mobile", "Broadband", "Services", "Technology", "Solutions", "Center", "Global")


class Generator:
    """APNIC-style objects that pass strict validation, with realistic variety."""

    def __init__(self, seed: int = 15):
        self.r = random.Random(seed)
        self.n = 0

    def words(self, k: int) -> str:
        return " ".join(self.r.choice(WORDS) for _ in range(k))

    def name(self) -> str:
        self.n += 1
        return f"{self.r.choice(WORDS).upper()}-{self.n}"

    def stamp(self) -> str:
        r = self.r
        return f"20{r.randint(10, 24)}-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}T{r.randint(0, 23):02d}:" \
               f"{r.randint(0, 59):02d}:{r.randint(0, 59):02d}Z"

    def tail(self, mntner: str) -> list[str]:
        return [f"mnt-by:         {mntner}", f"last-modified:  {self.stamp()}", "source:         APNIC"]

    def contact(self, cls: str, handle: str, mntner: str) -> str:
        r = self.r
        lines = [f"{cls + ':':<16}{self.words(2)}", f"address:        {r.randint(1, 999)} {self.words(3)}",
                 "country:        VN", f"phone:          +84 {r.randint(20, 99)} {r.randint(1000, 9999)} "
                                     f"{r.randint(1000, 9999)}", f"e-mail:         noc{self.n}@example{self.n % 97}.vn"]
        if cls == "role":
            lines += [f"admin-c:        {handle}", f"tech-c:         {handle}"]
        return "\n".join(lines + [f"nic-hdl:        {handle}", *self.tail(mntner)])

    def objects(self, count: int) -> str:
        r = self.r
        mntners = [f"MAINT-VN-{self.name()}" for _ in range(max(1, count // 20))]
        handles = [f"{self.r.choice('ABCDEFGH')}{self.r.choice('KLMNOP')}{i}-AP" for i in range(max(1, count // 15))]
        out = []
        kinds = ["inetnum"] * 45 + ["route"] * 15 + ["inet6num"] * 12 + ["route6"] * 6 + ["person"] * 6 + \
                ["mntner"] * 5 + ["domain"] * 4 + ["role"] * 3 + ["aut-num"] * 2 + ["as-set", "route-set"]
        for i in range(count):
            kind = kinds[i % len(kinds)]
            mnt, nic = r.choice(mntners), r.choice(handles)
            a, b, c = r.randint(1, 223), r.randint(0, 255), r.randint(0, 255)
            asn = r.randint(1, 140000)
            v6 = f"2001:{r.randint(0x200, 0xfff):x}:{r.randint(0, 0xffff):x}::"
            if kind == "inetnum":
                lines = [f"inetnum:        {a}.{b}.{c}.0 - {a}.{b}.{c}.255", f"netname:        {self.name()}-VN",
                         f"descr:          {self.words(3)}", f"descr:          {self.words(4)}", "country:        VN",
                         f"admin-c:        {nic}", f"tech-c:         {nic}", "status:         ASSIGNED NON-PORTABLE",
                         f"mnt-by:         {r.choice(mntners)}", "mnt-irt:        IRT-VNNIC-AP", *self.tail(mnt)]
            elif kind == "inet6num":
                lines = [f"inet6num:       {v6}/48", f"netname:        {self.name()}-VN",
                         f"descr:          {self.words(3)}",
                         "country:        VN", f"admin-c:        {nic}", f"tech-c:         {nic}",
                         "status:         ASSIGNED NON-PORTABLE", "mnt-irt:        IRT-VNNIC-AP", *self.tail(mnt)]
            elif kind == "route":
                lines = [f"route:          {a}.{b}.{c}.0/24", f"descr:          {self.words(3)}", "country:        VN",
                         f"origin:         AS{asn}", f"mnt-lower:      {mnt}", f"mnt-routes:     {mnt}",
                         *self.tail(mnt)]
            elif kind == "route6":
                lines = [f"route6:         {v6}/48", f"descr:          {self.words(3)}", f"origin:         AS{asn}",
                         *self.tail(mnt)]
            elif kind in ("person", "role"):
                out.append(self.contact(kind, r.choice(handles), mnt))
                continue
            elif kind == "mntner":
                lines = [f"mntner:         {r.choice(mntners)}", f"descr:          {self.words(3)}",
                         f"admin-c:        {nic}", f"upd-to:         hm{self.n}@example.vn",
                         f"auth:           BCRYPT-PW $2b$12$"
                         f"{''.join(r.choice('./ABCDEFabcdef0123456789') for _ in range(53))}",
                         "referral-by:    MAINT-VN-VNNIC", *self.tail(mnt)]
            elif kind == "domain":
                lines = [f"domain:         {c}.{b}.{a}.in-addr.arpa", f"descr:          {self.words(2)}",
                         f"admin-c:        {nic}", f"tech-c:         {nic}", f"zone-c:         {nic}",
                         f"nserver:        ns1.example{self.n}.vn", f"nserver:        ns2.example{self.n}.vn",
                         *self.tail(mnt)]
            elif kind == "aut-num":
                peers = [r.randint(1, 140000) for _ in range(3)]
                lines = [f"aut-num:        AS{asn}", f"as-name:        {self.name()}-AS-VN",
                         f"descr:          {self.words(3)}",
                         "country:        VN", "org:            ORG-VNNIC-AP",
                         *(f"import:         from AS{p} action pref=100; accept ANY" for p in peers),
                         *(f"export:         to AS{p} announce AS{asn}" for p in peers),
                         f"admin-c:        {nic}", f"tech-c:         {nic}", "mnt-irt:        IRT-VNNIC-AP",
                         *self.tail(mnt)]
            else:
                prefix = "AS" if kind == "as-set" else "RS"
                members = ", ".join(f"AS{r.randint(1, 140000)}" for _ in range(r.randint(1, 6))) \
                    if kind == "as-set" else ", ".join(f"{r.randint(1, 223)}.{r.randint(0, 255)}.0.0/16^+"
                                                       for _ in range(r.randint(1, 6)))
                lines = [f"{kind + ':':<16}AS{asn}:{prefix}-{self.name()}", f"descr:          {self.words(2)}",
                         f"members:        {members}", f"tech-c:         {nic}", f"admin-c:        {nic}",
                         *self.tail(mnt)]
            out.append("\n".join(lines))
        return "\n\n".join(out) + "\n"

    def policy_line(self, asn: int, i: int) -> str:
        r = self.r
        peer = r.randint(1, 400000)
        return (
            f"import:         from AS{peer} action pref={r.randint(50, 200)}; accept AS{peer}",
            f"export:         to AS{peer} announce AS{asn}:AS-CUSTOMERS",
            f"mp-import:      afi ipv6.unicast from AS{peer} accept AS{peer}:AS-CUST-{r.randint(1, 99)}",
            f"mp-export:      afi ipv6.unicast to AS{peer} announce AS{asn}:AS-CUSTOMERS-V6",
            f"import:         from AS{peer} {r.randint(1, 223)}.{r.randint(0, 255)}.0.{r.randint(1, 254)} at "
            f"203.119.{r.randint(0, 255)}.{r.randint(1, 254)} accept {{{r.randint(1, 223)}.0.0.0/8^16-24}}",
            f"export:         to AS{peer} action community.append({asn}:0:{r.randint(1, 999)}); announce ANY",
        )[i % 6]

    def aut_num(self, policy_lines: int) -> str:
        asn = 131072 + self.r.randint(0, 1000)
        lines = [f"aut-num:        AS{asn}", "as-name:        VNPT-AS-VN", "descr:          A big transit network",
                 "country:        VN", "org:            ORG-VNNIC-AP"]
        lines += [self.policy_line(asn, i) for i in range(policy_lines)]
        lines += ["admin-c:        NV1-AP", "tech-c:         NV1-AP", "mnt-by:         MAINT-VN-VNPT",
                  "mnt-irt:        IRT-VNNIC-AP", "last-modified:  2024-05-01T00:00:00Z", "source:         APNIC"]
        return "\n".join(lines) + "\n"


INPUTS = {
    "50k": ("50,000 small objects", lambda g: g.objects(50_000)),
    "9500": ("aut-num, 9,500 policy lines", lambda g: g.aut_num(9_500)),
    "200k": ("one object of 200,000 lines", lambda g: g.aut_num(200_000 - 11)),
}


# ------------------------------------------------------------------------------------ running

def run(checkout: Path, path: Path, env: dict) -> tuple[float, float, str]:
    """(wall seconds, CPU seconds, output) of `irr check --strict path` with that checkout's code."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "irr.cli", "check", "--strict", str(path)], cwd=checkout,
                          env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode not in (0, 1) or "Traceback" in proc.stderr:
        raise SystemExit(f"irr check failed in {checkout}:\n{proc.stderr}")
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return wall, cpu, proc.stdout


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--before", help="git revision to compare with (default: where this branch left main, "
                                     "git merge-base HEAD main)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--only", default=",".join(INPUTS), help="inputs to run: " + ", ".join(INPUTS))
    args = ap.parse_args()
    if args.before is None:
        base = subprocess.run(["git", "-C", str(REPO), "merge-base", "HEAD", "main"], capture_output=True, text=True)
        args.before = base.stdout.strip() or "main"
    work = Path(tempfile.mkdtemp(prefix="irr-bench-strict-"))
    old = work / "before"
    subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", str(old), args.before], check=True,
                   capture_output=True)
    try:
        for checkout in (old, REPO):  # both sides start from compiled modules, as an installed package does
            subprocess.run([sys.executable, "-m", "compileall", "-q", "rpsl", "irr", "mirror"], cwd=checkout,
                           capture_output=True)
        env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", IRR_CACHE_DIR=str(work / "cache"))
        env.pop("IRR_CONFIG", None)
        short = subprocess.run(["git", "-C", str(old), "rev-parse", "--short", "HEAD"], capture_output=True,
                               text=True).stdout.strip()
        print(f"before: {args.before} ({short}), "
              f"after: this checkout; best of {args.runs} runs, seconds (wall / CPU)")
        print(f"{'input':<32}{'before':>16}{'after, cold':>16}{'after':>16}{'speed-up CPU':>14}{'wall':>7}"
              "  same output")
        for key in args.only.split(","):
            title, make = INPUTS[key]
            path = work / f"{key}.db"
            path.write_text(make(Generator()))
            cold = run(REPO, path, env)
            befores, afters = [], []
            for _ in range(args.runs):
                befores.append(run(old, path, env))
                afters.append(run(REPO, path, env))
            b_wall, b_cpu = min(x[0] for x in befores), min(x[1] for x in befores)
            a_wall, a_cpu = min(x[0] for x in afters), min(x[1] for x in afters)
            same = befores[0][2] == afters[0][2] == cold[2]
            summary = afters[0][2].strip().rsplit("\n", 1)[-1]
            print(f"{title:<32}{b_wall:>8.2f} / {b_cpu:<5.2f}{cold[0]:>8.2f} / {cold[1]:<5.2f}"
                  f"{a_wall:>8.2f} / {a_cpu:<5.2f}"
                  f"{b_cpu / a_cpu:>13.1f}x{b_wall / a_wall:>6.1f}x  {'yes' if same else 'NO'} ({summary})", flush=True)
    finally:
        subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(old)], capture_output=True)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
