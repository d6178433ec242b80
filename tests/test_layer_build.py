"""The layer ships compiled: its Makefile (what `sam build` runs, template.yaml's
BuildMethod makefile) leaves a .pyc beside every module, hash-based and unchecked so
the zip's mtimes do not matter, for the runtime's Python.

The tests here build only the package's part (copy and compile, a second or two) into
a temporary directory; the whole layer, dependencies included, is built before the
suites by `make built-layer` (part of `make test`), and checked here and by the lock
tests."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAYER_SRC = ROOT / "layers" / "shared"
# `make test` builds .local/cold-start-layer (make built-layer); `make build` points
# BUILT_LAYER at sam build's.
BUILT = ROOT / os.environ.get("BUILT_LAYER", ".local/cold-start-layer/python")
# .pyc flags (PEP 552): bit 0 hash-based, bit 1 check the source.
UNCHECKED_HASH = 0b01


def uncompiled(site: Path) -> list[str]:
    """Modules under `site` without an unchecked-hash .pyc of this Python's."""
    wrong = []
    tag = sys.implementation.cache_tag
    for source in site.rglob("*.py"):
        pyc = source.parent / "__pycache__" / f"{source.stem}.{tag}.pyc"
        if not pyc.is_file():
            wrong.append(f"{source.relative_to(site)}: no {pyc.name}")
            continue
        header = pyc.read_bytes()[:8]
        if header[:4] != importlib.util.MAGIC_NUMBER:
            wrong.append(f"{source.relative_to(site)}: another Python's .pyc")
        elif int.from_bytes(header[4:8], "little") != UNCHECKED_HASH:
            wrong.append(f"{source.relative_to(site)}: not unchecked-hash")
    return wrong


def test_the_template_builds_the_layer_with_its_makefile():
    template = (ROOT / "template.yaml").read_text()
    layer = re.search(r"^  SharedLayer:\n(?:(?!^  \w).*\n)*", template, re.M)
    assert layer, "no SharedLayer in template.yaml"
    assert "ContentUri: layers/shared/" in layer.group()
    assert re.search(r"^      BuildMethod: makefile$", layer.group(), re.M), layer.group()
    assert (LAYER_SRC / "Makefile").read_text().count("build-SharedLayer:") == 1


def test_the_package_is_built_with_a_pyc_for_every_module(tmp_path: Path):
    result = subprocess.run(
        [
            "make",
            "-s",
            "-C",
            str(LAYER_SRC),
            "layer-code",
            "compile",
            f"ARTIFACTS_DIR={tmp_path}",
            f"PYTHON={sys.executable}",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    package = tmp_path / "python" / "qbo_connector"
    sources = sorted(p.relative_to(package) for p in package.rglob("*.py"))
    expected = sorted(
        p.relative_to(LAYER_SRC / "qbo_connector")
        for p in (LAYER_SRC / "qbo_connector").rglob("*.py")
    )
    assert sources == expected
    assert uncompiled(tmp_path / "python") == []


def test_a_compiled_module_is_used_whatever_its_mtime(tmp_path: Path):
    site = tmp_path / "python"
    (site / "probe").mkdir(parents=True)
    (site / "probe" / "__init__.py").write_text("WHO = 'compiled'\n")
    result = subprocess.run(
        [
            "make",
            "-s",
            "-C",
            str(LAYER_SRC),
            "compile",
            f"ARTIFACTS_DIR={tmp_path}",
            f"PYTHON={sys.executable}",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    # The source changes after the build (as an mtime would): unchecked, the .pyc wins.
    (site / "probe" / "__init__.py").write_text("WHO = 'source'\n")
    probe = f"import sys; sys.path.insert(0, {str(site)!r}); import probe; print(probe.WHO)"
    ran = subprocess.run(
        [sys.executable, "-I", "-B", "-c", probe], capture_output=True, text=True, timeout=60
    )
    assert ran.stdout.strip() == "compiled", ran.stderr


def test_the_make_refuses_another_python(tmp_path: Path):
    other = tmp_path / "python3.12"
    other.write_text("#!/bin/sh\nexec " + sys.executable + ' -c "import sys; sys.exit(1)"\n')
    other.chmod(0o755)
    result = subprocess.run(
        [
            "make",
            "-s",
            "-C",
            str(LAYER_SRC),
            "compile",
            f"ARTIFACTS_DIR={tmp_path}",
            f"PYTHON={other}",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "is not Python 3.13" in result.stderr


def test_the_built_layer_is_compiled_too():
    assert BUILT.is_dir(), f"no built layer at {BUILT}: run `make built-layer`"
    assert uncompiled(BUILT) == []
