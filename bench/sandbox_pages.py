"""Pages per second the local QBO sandbox serves at 1000 rows a page.

    python -m bench.sandbox_pages --vendors 100000

A thin entry point: the measurement lives with the sandbox (qbo_sandbox.bench).
"""

from qbo_sandbox.bench import main

if __name__ == "__main__":
    raise SystemExit(main())
