"""The layers hold: import-linter's contracts pass on the tree and catch a wrong arrow,
and importing the logic loads no AWS SDK and no adapter."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def lint_imports(package_parent: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), str(ROOT / "pyproject.toml"), "--no-cache"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(package_parent)},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_layer_contracts_pass_on_the_tree():
    result = lint_imports(ROOT / "layers" / "shared")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def with_wrong_import(tmp_path: Path, module: str, line: str) -> subprocess.CompletedProcess[str]:
    """lint-imports over a copy of the package where `module` has one more import."""
    shutil.copytree(ROOT / "layers" / "shared" / "qbo_connector", tmp_path / "qbo_connector")
    source = tmp_path / "qbo_connector" / module
    source.write_text(source.read_text() + f"\n{line}  # wrong\n")
    return lint_imports(tmp_path)


def test_a_logic_module_importing_an_adapter_breaks_the_contracts(tmp_path):
    result = with_wrong_import(
        tmp_path, "logic/records.py", "from qbo_connector.adapters import aws"
    )
    assert result.returncode == 1, result.stdout
    layers = "Layers: api and invocations above wiring above adapters above logic above models"
    assert re.search(re.escape(layers) + r"\s*BROKEN", result.stdout), result.stdout
    assert "qbo_connector.logic.records -> qbo_connector.adapters.aws" in result.stdout


def test_a_model_importing_boto3_breaks_the_contracts(tmp_path):
    result = with_wrong_import(tmp_path, "models/caller.py", "import boto3")
    assert result.returncode == 1, result.stdout
    assert re.search(
        r"Models are the ground floor: nothing of the rest, no SDKs\s*BROKEN", result.stdout
    )


def test_importing_the_logic_loads_no_aws_sdk_and_no_adapter():
    modules = sorted(
        f"qbo_connector.logic.{path.stem}"
        for path in (ROOT / "layers" / "shared" / "qbo_connector" / "logic").glob("*.py")
        if path.stem != "__init__"
    )
    assert len(modules) > 10
    probe = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        # intuitlib itself is a namespace package its .pth loads into every process.
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('boto3', 'requests') "
        "or m.startswith(('intuitlib.', 'qbo_connector.adapters', 'qbo_connector.api', "
        "'qbo_connector.wiring')))\n"
        "print(bad)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        env={**os.environ, "PYTHONPATH": str(ROOT / "layers" / "shared")},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]", result.stdout
