"""One lock for the layer: layers/shared/requirements.txt pins every runtime dependency,
the tests run on exactly those versions (requirements.lock says the same), and a built
layer holds exactly them.

The built layer checked is the one `make test` builds by the layer's own Makefile
(`make built-layer`: .local/cold-start-layer, which the cold-start bench uses too), or
the one BUILT_LAYER names (`make build` checks `sam build`'s that way).
"""

from __future__ import annotations

import importlib.metadata as md
import os
import re
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
LAYER_REQUIREMENTS = ROOT / "layers" / "shared" / "requirements.txt"
BUILT_LAYER = ROOT / os.environ.get("BUILT_LAYER", ".local/cold-start-layer/python")
# The Lambda python3.13 runtime on arm64 (template.yaml), for dependency markers.
LAMBDA_MARKERS = {
    **default_environment(),
    "python_version": "3.13",
    "python_full_version": "3.13.0",
    "implementation_name": "cpython",
    "platform_python_implementation": "CPython",
    "sys_platform": "linux",
    "platform_system": "Linux",
    "os_name": "posix",
    "platform_machine": "aarch64",
}


def layer_pins() -> dict[str, tuple[str, set[str]]]:
    """{canonical name: (version, extras)} of the layer's requirements, all `==` pins."""
    pins: dict[str, tuple[str, set[str]]] = {}
    for line in LAYER_REQUIREMENTS.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        requirement = Requirement(line)
        specs = list(requirement.specifier)
        assert len(specs) == 1 and specs[0].operator == "==", f"not pinned: {line}"
        pins[canonicalize_name(requirement.name)] = (specs[0].version, set(requirement.extras))
    return pins


def lock_versions() -> dict[str, str]:
    lock = (ROOT / "requirements.lock").read_text().splitlines()
    return {
        canonicalize_name(name): version
        for name, version in (line.split("==", 1) for line in lock if "==" in line)
    }


def test_every_line_is_a_pin_and_the_set_is_not_empty():
    assert len(layer_pins()) > 20


def test_the_layer_pins_every_runtime_dependency_in_range():
    pins = layer_pins()
    # Extras asked for anywhere in the set (powertools[tracer], intuit-oauth's pyjwt[crypto]).
    extras = {name: set(e) for name, (_, e) in pins.items()}
    missing: list[str] = []
    changed = True
    while changed:
        changed = False
        for name in list(pins):
            for text in md.requires(name) or []:
                requirement = Requirement(text)
                wanted = canonicalize_name(requirement.name)
                marker = requirement.marker
                if marker and not any(
                    marker.evaluate({**LAMBDA_MARKERS, "extra": extra})
                    for extra in (extras[name] or {""}) | {""}
                ):
                    continue
                if wanted not in pins:
                    missing.append(f"{wanted} (for {name}: {text})")
                    continue
                version = pins[wanted][0]
                assert requirement.specifier.contains(version, prereleases=True), (
                    f"{wanted}=={version} does not satisfy {name}'s {text}"
                )
                if not set(requirement.extras) <= extras[wanted]:
                    extras[wanted] |= set(requirement.extras)
                    changed = True
    assert not missing, "not pinned in layers/shared/requirements.txt: " + ", ".join(missing)


def test_the_tests_run_on_the_layer_pins():
    wrong = {
        name: (version, md.version(name))
        for name, (version, _) in layer_pins().items()
        if md.version(name) != version
    }
    assert not wrong, f"layer pin vs installed in the test environment: {wrong}"


def test_requirements_lock_agrees_with_the_layer_pins():
    lock = lock_versions()
    wrong = {
        name: (version, lock.get(name))
        for name, (version, _) in layer_pins().items()
        if lock.get(name) != version
    }
    assert not wrong, f"layer pin vs requirements.lock: {wrong}"


def built_distributions(site: Path) -> dict[str, str]:
    found = {}
    for info in site.glob("*.dist-info"):
        meta = (info / "METADATA").read_text(errors="replace")
        name = re.search(r"^Name: (.+)$", meta, re.M)
        version = re.search(r"^Version: (.+)$", meta, re.M)
        assert name and version, info
        found[canonicalize_name(name.group(1).strip())] = version.group(1).strip()
    return found


def test_the_built_layer_holds_exactly_the_tested_versions():
    assert BUILT_LAYER.is_dir(), f"no built layer at {BUILT_LAYER}: run `make built-layer`"
    built = built_distributions(BUILT_LAYER)
    tested = {name: md.version(name) for name in layer_pins()}
    assert built == tested, {
        "only in the layer": sorted(set(built.items()) - set(tested.items())),
        "only in the tests": sorted(set(tested.items()) - set(built.items())),
    }
