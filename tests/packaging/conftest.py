"""Sprintback installed the way a deployer installs it: a wheel in a fresh virtual environment.

The session builds the sdist, the wheel from it, and a virtual environment outside the
checkout with the wheel installed (scripts/wheel-venv), once per run (the workers of
`pytest -n` share it). CI has already done exactly that for its own smoke test and passes
the folder in SPRINTBACK_TEST_WHEEL_DIR, so the suite reuses it instead of building a
second time.
"""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
WHEEL_DIR_VARIABLE = "SPRINTBACK_TEST_WHEEL_DIR"


@dataclass(frozen=True)
class InstalledWheel:
    """The built distributions and the virtual environment the wheel is installed in."""

    wheel: Path
    sdist: Path
    venv: Path
    build_log: Path

    def command(self, name: str) -> str:
        """Return the path of an executable of the virtual environment (e.g. sprintback)."""
        return str(self.venv / "bin" / name)

    def env(self, **settings: str) -> dict[str, str]:
        """Return an environment with only ``settings`` as Sprintback settings: none inherited
        from the test process, no PYTHONPATH or active virtual environment, the venv first on
        PATH (as in the image)."""
        names = {name.upper() for name in Settings.model_fields}
        dropped = names | {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP"}
        env = {key: value for key, value in os.environ.items() if key.upper() not in dropped}
        env["PATH"] = f"{self.venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
        return env | settings


def _single(directory: Path, pattern: str) -> Path:
    found = sorted(directory.glob(pattern))
    assert len(found) == 1, f"expected one {pattern} in {directory}, found {found}"
    return found[0]


def _build_once(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build and install the wheel (scripts/wheel-venv) once per test run and return its
    folder. Under pytest-xdist each worker has a session of its own: the folder is then the
    one all workers of the run share, and the first to get there builds while the others
    wait for it (a file lock), instead of every worker building the same wheel."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = tmp_path_factory.getbasetemp().parent  # the run's folder, above each worker's
    else:
        shared = tmp_path_factory.getbasetemp()
    directory = shared / "installed-wheel"
    with (shared / "installed-wheel.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        built = directory / "built"
        if not built.is_file():
            result = subprocess.run(
                ["bash", str(ROOT / "scripts" / "wheel-venv"), str(directory)],
                env={**os.environ, "BUILD_PYTHON": sys.executable},
                capture_output=True,
                text=True,
                timeout=900,
                check=False,
            )
            assert result.returncode == 0, result.stdout + result.stderr
            built.touch()
    return directory


@pytest.fixture(scope="session")
def installed_wheel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InstalledWheel]:
    """Return the wheel installed in a fresh virtual environment outside the checkout."""
    given = os.environ.get(WHEEL_DIR_VARIABLE)
    directory = Path(given) if given else _build_once(tmp_path_factory)
    assert not directory.resolve().is_relative_to(ROOT), "the install must be outside the checkout"
    yield InstalledWheel(
        wheel=_single(directory / "dist", "sprintback-*.whl"),
        sdist=_single(directory / "dist", "sprintback-*.tar.gz"),
        venv=directory / "venv",
        build_log=directory / "build.log",
    )


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """Return an empty working folder outside the checkout (no protocols/ next to it)."""
    folder = tmp_path / "cwd"
    folder.mkdir()
    return folder


def dockerfile_instructions(path: Path = ROOT / "Dockerfile") -> list[tuple[str, str]]:
    """Return the Dockerfile's instructions as (KEYWORD, arguments), continuation lines joined
    and comments dropped."""
    instructions: list[tuple[str, str]] = []
    pending = ""
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        pending += line.removesuffix("\\").strip() + " "
        if line.endswith("\\"):
            continue
        keyword, _, arguments = pending.strip().partition(" ")
        instructions.append((keyword.upper(), arguments.strip()))
        pending = ""
    return instructions


def final_stage(path: Path = ROOT / "Dockerfile") -> list[tuple[str, str]]:
    """Return the instructions of the Dockerfile's last stage (from its FROM on)."""
    instructions = dockerfile_instructions(path)
    start = max(i for i, (keyword, _) in enumerate(instructions) if keyword == "FROM")
    return instructions[start:]


def dockerfile_command() -> list[str]:
    """Return the image's command (the exec-form CMD of the final stage)."""
    commands = [arguments for keyword, arguments in final_stage() if keyword == "CMD"]
    assert commands, "the final stage has no CMD"
    command = json.loads(commands[-1])  # exec form only: a shell form would not parse
    assert isinstance(command, list) and all(isinstance(part, str) for part in command)
    return command
