"""Test session setup: import paths exactly as Lambda lays them out.

The shared layer is importable as `qbo_connector`; each function directory is
on the path so handlers import by their own (distinct) module names.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for path in [ROOT, ROOT / "layers" / "shared", *sorted((ROOT / "functions").glob("*/"))]:
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))
