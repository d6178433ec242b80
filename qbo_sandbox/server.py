"""SandboxServer: the sandbox on a threaded werkzeug server, embeddable in tests."""

from __future__ import annotations

import logging
import socket
import threading
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from .app import Sandbox

log = logging.getLogger("qbo_sandbox")


class _Handler(WSGIRequestHandler):
    verbose = False

    def connection_dropped(self, error: BaseException, environ: Any = None) -> None:
        # Injected resets (and real client drops) end the connection; don't wait for
        # another request on it.
        self.close_connection = True

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        if self.verbose:
            # Path only: query strings may carry codes or states.
            path = self.path.split("?", 1)[0]
            log.info("%s %s %s", self.command, path, code)

    def log_error(self, format: str, *args: Any) -> None:
        if self.verbose:
            super().log_error(format, *args)


class _VerboseHandler(_Handler):
    verbose = True


class SandboxServer:
    """Run a Sandbox on host:port (port 0 picks a free port; read it back from .port)."""

    def __init__(self, port: int = 0, host: str = "127.0.0.1", sandbox: Sandbox | None = None,
                 public_url: str | None = None, verbose: bool = False) -> None:
        self.sandbox = sandbox or Sandbox()
        self._host = host
        handler = _VerboseHandler if verbose else _Handler
        self._server: BaseWSGIServer = make_server(host, port, self.sandbox, threaded=True,
                                                   request_handler=handler)
        self._server.daemon_threads = True  # type: ignore[attr-defined]
        self.port: int = self._server.socket.getsockname()[1]
        self.sandbox.base_url = (public_url or self._default_url()).rstrip("/")
        self._thread: threading.Thread | None = None

    def _default_url(self) -> str:
        host = self._host
        if host in ("0.0.0.0", "::", ""):  # noqa: S104 - only choosing a URL to print
            host = socket.gethostname() if host == "::" else "127.0.0.1"
        return f"http://{host}:{self.port}"

    @property
    def base_url(self) -> str:
        return self.sandbox.base_url or self._default_url()

    @property
    def discovery_url(self) -> str:
        return self.base_url + "/.well-known/openid-configuration"

    @property
    def api_base(self) -> str:
        """What python-quickbooks calls api_url_v3 (…/v3)."""
        return self.base_url + "/v3"

    def start(self) -> SandboxServer:
        # A short poll interval keeps stop() quick (tests start many servers).
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        name="qbo-sandbox", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._server.serve_forever()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
