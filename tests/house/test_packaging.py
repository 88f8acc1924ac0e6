"""What ships (issue 19): the runtime's wheel is its package directory (hatch: packages =
["src/tideover_runtime"]), so no test machinery may live there; the service image installs every
package as an ordinary, non-editable install."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RUNTIME = ROOT / "libs/runtime"
TEST_PACKAGES = {"pytest", "testcontainers", "hypothesis", "tideover_testkit", "schemathesis", "playwright"}


def imported_packages(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def test_the_runtime_wheel_is_its_package_directory() -> None:
    build = tomllib.loads((RUNTIME / "pyproject.toml").read_text())["tool"]["hatch"]["build"]["targets"]["wheel"]
    assert build["packages"] == ["src/tideover_runtime"]


def test_the_runtime_package_carries_no_test_machinery() -> None:
    modules = sorted((RUNTIME / "src/tideover_runtime").rglob("*.py"))
    assert len(modules) > 20
    for module in modules:
        assert not re.search(r"test|fake|fault|fixture", module.stem), module
        assert not imported_packages(module) & TEST_PACKAGES, module


def test_the_runtime_declares_no_test_dependency() -> None:
    dependencies = tomllib.loads((RUNTIME / "pyproject.toml").read_text())["project"]["dependencies"]
    assert not {re.split(r"[\[<>=~! ]", requirement)[0] for requirement in dependencies} & TEST_PACKAGES


def test_the_service_image_installs_every_package_non_editable() -> None:
    dockerfile = (ROOT / "deploy/service.Dockerfile").read_text()
    installs = [line for line in dockerfile.splitlines() if "pip install" in line]
    assert installs
    for line in installs:
        for forbidden in (" -e ", "--editable", "libs/testkit", "libs/simulator"):
            assert forbidden not in line, line
