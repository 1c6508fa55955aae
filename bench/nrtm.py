"""Mirroring benchmark: the full import of the 1M dump through the mirror path (download from a
file:// URL, then the bulk load), then NRTMv3: the dump's 10k-operation journal served over a
loopback socket and applied by our client, in serials per second; then our NRTMv3 server answering
the whole journal range.

    python bench/nrtm.py      # uses /tmp/irr-generated-1m.db and its .journal.nrtm3 (generated if missing)
"""
from __future__ import annotations

import argparse
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from common import DUMP_1M, database, generate_dump  # noqa: E402

from irr.config import Config, SourceConfig  # noqa: E402
from irr.database import make_engine  # noqa: E402
from irr.store import Store  # noqa: E402


def serve_file(path: Path) -> int:
    """A loopback peer that answers any query with the journal file (a complete NRTMv3 stream)."""
    sock = socket.create_server(("127.0.0.1", 0))
    payload = path.read_bytes()

    def run():
        while True:
            conn, _ = sock.accept()
            conn.recv(1000)
            conn.sendall(payload)
            conn.close()

    threading.Thread(target=run, daemon=True).start()
    return sock.getsockname()[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dump", type=Path, default=DUMP_1M)
    ap.add_argument("--journal", type=Path, default=DUMP_1M.with_suffix(".journal.nrtm3"))
    args = ap.parse_args()
    if not args.journal.exists():
        args.dump.unlink(missing_ok=True)            # the dump and its journal are made together
    generate_dump(args.dump, 1_000_000, 1, "--serial-journal", str(args.journal))
    first_serial = int(args.journal.read_text(errors="replace").split("\n", 1)[0].split()[-1].split("-")[0])

    with database() as url:
        store = Store(make_engine(url))
        store.upgrade()
        from mirror.full_import import FullImport
        from mirror.nrtm3 import Nrtm3Client

        workdir = Path(tempfile.mkdtemp(prefix="irr-bench-mirror-"))
        serial_file = workdir / "APNIC.CURRENTSERIAL"
        serial_file.write_text(f"{first_serial - 1}\n")
        port = serve_file(args.journal)
        source = SourceConfig("APNIC", dump_urls=(f"file://{args.dump}",), serial_url=f"file://{serial_file}",
                              nrtm_host="127.0.0.1", nrtm_port=port)
        t0 = time.monotonic()
        status = FullImport(store, source, workdir / "download").run_once(force=True)
        full = time.monotonic() - t0
        print(f"full import through the mirror path: {full:.1f} s  ({status})")

        t0 = time.monotonic()
        status = Nrtm3Client(store, source).run_once()
        apply = time.monotonic() - t0
        applied = len(store.journal("APNIC"))
        print(f"NRTMv3 client: {applied:,} journal operations in {apply:.1f} s = "
              f"{applied / apply:,.0f} serials/s  ({status})")

        from irr.query.nrtm import NrtmRequest, NrtmServer

        config = Config(data_dir=workdir, sources={"APNIC": SourceConfig("APNIC", nrtm_access=("127.0.0.1",))})
        oldest, newest = store.journal_range("APNIC")
        t0 = time.monotonic()
        text, _ = NrtmServer(config, store).answer(NrtmRequest("APNIC", 3, oldest, None, False), "127.0.0.1:1")
        serve = time.monotonic() - t0
        print(f"NRTMv3 server: -g APNIC:3:{oldest}-LAST ({newest - oldest + 1:,} serials, {len(text) / 2**20:.1f} MB) "
              f"answered in {serve:.2f} s = {(newest - oldest + 1) / serve:,.0f} serials/s")
        store.engine.dispose()


if __name__ == "__main__":
    main()
