"""A WSGI app of the local stack on its own port, in a daemon thread (the console, the
AWS fault proxy): bind (port 0: any free port), start, stop."""

from __future__ import annotations

import threading
from typing import Any

from werkzeug.serving import BaseWSGIServer, make_server


class LocalServer:
    thread_name = "local-server"

    def __init__(self) -> None:
        self._server: BaseWSGIServer | None = None
        self.url = ""

    def wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        raise NotImplementedError

    def bind(self, host: str = "127.0.0.1", port: int = 0) -> str:
        self._server = make_server(host, port, self.wsgi, threaded=True)
        self.url = f"http://{host}:{self._server.server_port}"
        return self.url

    def start(self) -> None:
        assert self._server is not None, "bind() first"
        threading.Thread(
            target=self._server.serve_forever, name=self.thread_name, daemon=True
        ).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
