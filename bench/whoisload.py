"""Whois load client: IRRd-style queries over persistent connections, many clients at once.

    python bench/whoisload.py 127.0.0.1:4343 --queries queries.txt --clients 50 --seconds 10

Each client opens one connection, sends `!!` (keep it open) and then the queries of the file
(one per line) in turn from its own starting point, waiting for each answer (IRRd framing:
`A<n>` + n bytes + `C`, or `C`, `D`, `E`, `F ...`) before sending the next. Prints one line:
queries per second, latency percentiles and how many answers were of each kind.
"""
from __future__ import annotations

import argparse
import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Result:
    queries: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    answers: Counter = field(default_factory=Counter)
    errors: int = 0

    @property
    def qps(self) -> float:
        return self.queries / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        """Latency in milliseconds below which p % of the answers came."""
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))] * 1000

    def line(self) -> str:
        return (f"qps={self.qps:.0f} p50_ms={self.percentile(50):.2f} p90_ms={self.percentile(90):.2f} "
                f"p99_ms={self.percentile(99):.2f} answers={dict(sorted(self.answers.items()))} errors={self.errors}")


async def _answer(reader: asyncio.StreamReader) -> str:
    """Read one framed answer; returns its kind (A, C, D, E, F)."""
    line = await reader.readline()
    if not line:
        raise ConnectionError("the server closed the connection")
    kind = line[:1].decode()
    if kind == "A":
        await reader.readexactly(int(line[1:]))
        end = await reader.readline()
        if end.strip() != b"C":
            raise ValueError(f"expected C after the data, got {end!r}")
    elif kind not in "CDEF":
        raise ValueError(f"not an IRRd answer: {line[:60]!r}")
    return kind


async def _client(host: str, port: int, queries: list[str], start: int, deadline: float, result: Result) -> None:
    try:
        reader, writer = await asyncio.open_connection(host, port, limit=1 << 24)
    except OSError:
        result.errors += 1
        return
    try:
        writer.write(b"!!\n")
        i = start
        while time.monotonic() < deadline:
            query = queries[i % len(queries)]
            i += 1
            t0 = time.perf_counter()
            writer.write(query.encode() + b"\n")
            await writer.drain()
            kind = await _answer(reader)
            result.latencies.append(time.perf_counter() - t0)
            result.answers[kind] += 1
            result.queries += 1
    except (OSError, ValueError, asyncio.IncompleteReadError):
        result.errors += 1
    finally:
        writer.close()


async def _run(host: str, port: int, queries: list[str], clients: int, seconds: float) -> Result:
    result = Result()
    started = time.monotonic()
    step = max(1, len(queries) // clients)
    await asyncio.gather(*(_client(host, port, queries, k * step, started + seconds, result) for k in range(clients)))
    result.seconds = time.monotonic() - started
    return result


def run(host: str, port: int, queries: list[str], clients: int = 1, seconds: float = 10.0) -> Result:
    """Measure the server with `clients` connections for about `seconds`."""
    if not queries:
        raise ValueError("no queries")
    return asyncio.run(_run(host, port, queries, clients, seconds))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("server", help="HOST:PORT")
    ap.add_argument("--queries", type=Path, required=True, help="file with one query per line")
    ap.add_argument("--clients", type=int, default=1)
    ap.add_argument("--seconds", type=float, default=10.0)
    args = ap.parse_args()
    host, _, port = args.server.rpartition(":")
    queries = [q for q in args.queries.read_text().splitlines() if q.strip()]
    print(run(host or "127.0.0.1", int(port), queries, args.clients, args.seconds).line())


if __name__ == "__main__":
    main()
