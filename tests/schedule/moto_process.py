"""`python -m tests.schedule.moto_process PORT`: the tuned moto server, in its own process."""

from __future__ import annotations

import sys
import threading

from moto.server import ThreadedMotoServer

from tests.schedule.conftest import _quiet_fast_moto

if __name__ == "__main__":
    _quiet_fast_moto()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=int(sys.argv[1]), verbose=False)
    server.start()
    threading.Event().wait()
