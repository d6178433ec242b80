"""A local QuickBooks Online sandbox: Intuit's OAuth 2.0 / OpenID and Accounting API v3.

    from qbo_sandbox import SandboxServer
    s = SandboxServer(port=0).start()
    s.sandbox.register_app(["http://localhost:8000/callback"])
    ...
    s.stop()
"""

from .app import Sandbox
from .server import SandboxServer

__all__ = ["Sandbox", "SandboxServer"]
