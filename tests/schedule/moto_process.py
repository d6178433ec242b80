"""`python -m tests.schedule.moto_process PORT`: the tuned moto server, in its own process.

`running()` starts it and yields its URL: the 10,000-schedule test and bench.schedules
then use a core for the client and one for the server.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def running() -> Iterator[str]:
    from tests.moto_server import free_port

    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.schedule.moto_process", str(port)], cwd=ROOT
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(f"{url}/moto-api/", timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


if __name__ == "__main__":
    from moto.server import ThreadedMotoServer

    from tests.schedule.conftest import _quiet_fast_moto

    _quiet_fast_moto()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=int(sys.argv[1]), verbose=False)
    server.start()
    threading.Event().wait()
