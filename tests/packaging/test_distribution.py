"""What the wheel and the sdist hold, and that the installed wheel finds its protocols."""

from __future__ import annotations

import re
import subprocess
import tarfile
import zipfile
from pathlib import Path

from bot.services import protocol_files
from tests.packaging.conftest import ROOT, InstalledWheel


def _checkout_files(folder: str, pattern: str) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((ROOT / folder).glob(pattern))}


def test_the_wheel_ships_both_protocols_and_every_example(installed_wheel: InstalledWheel) -> None:
    protocols = _checkout_files("protocols", "*.yaml")
    examples = _checkout_files("examples", "*.yaml")
    assert {"hamstring.yaml", "calf.yaml"} <= set(protocols)
    assert examples, "the checkout has no examples to ship"
    with zipfile.ZipFile(installed_wheel.wheel) as wheel:
        names = set(wheel.namelist())
        shipped_protocols = {
            n.split("/", 1)[1]: wheel.read(n)
            for n in names
            if n.startswith("sprintback_protocols/") and n.endswith(".yaml")
        }
        shipped_examples = {
            n.split("/", 1)[1]: wheel.read(n)
            for n in names
            if n.startswith("sprintback_examples/") and n.endswith(".yaml")
        }
    assert shipped_protocols == protocols
    assert shipped_examples == examples
    top_level = {n.split("/", 1)[0] for n in names}
    assert top_level - {n for n in top_level if n.endswith(".dist-info")} == {
        "bot",
        "engine",
        "sprintback_protocols",
        "sprintback_examples",
    }, "nothing generic (protocols, examples, tests) may land at the top of site-packages"


def test_the_wheel_holds_every_module_and_migration_of_the_checkout(
    installed_wheel: InstalledWheel,
) -> None:
    wanted = {
        str(p.relative_to(ROOT))
        for folder in ("bot", "engine")
        for p in (ROOT / folder).rglob("*")
        if p.is_file()
        and p.suffix in (".py", ".mako", ".ini", ".yaml")
        and "__pycache__" not in p.parts
    }
    with zipfile.ZipFile(installed_wheel.wheel) as wheel:
        missing = wanted - set(wheel.namelist())
    assert not missing, f"files of the checkout missing from the wheel: {sorted(missing)}"


def test_the_sdist_keeps_the_data_folders_where_the_repository_has_them(
    installed_wheel: InstalledWheel,
) -> None:
    # The wheel the other tests install was built from this sdist, so both carry the data.
    assert "Building wheel from sdist" in installed_wheel.build_log.read_text(encoding="utf-8")
    with tarfile.open(installed_wheel.sdist) as sdist:
        names = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
    expected = {f"protocols/{n}" for n in _checkout_files("protocols", "*.yaml")}
    expected |= {f"examples/{n}" for n in _checkout_files("examples", "*.yaml")}
    assert expected | {"setup.py", "pyproject.toml"} <= names


def test_an_editable_checkout_reads_the_checkouts_own_files() -> None:
    # The suite runs on the editable install of `make`: an edit to protocols/hamstring.yaml
    # must be what the bot reads, without reinstalling.
    if not Path(protocol_files.__file__).resolve().is_relative_to(ROOT):
        return  # the suite runs against an installed copy; the wheel tests cover that case
    assert Path(str(protocol_files.PROTOCOL_DIR)).resolve() == ROOT / "protocols"
    assert Path(str(protocol_files.EXAMPLES_DIR)).resolve() == ROOT / "examples"


def _run(
    installed_wheel: InstalledWheel, cwd: Path, *args: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [installed_wheel.command("sprintback"), *args],
        cwd=cwd,
        env=installed_wheel.env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_installed_commands_find_the_shipped_files_from_any_folder(
    installed_wheel: InstalledWheel, outside: Path
) -> None:
    where = subprocess.run(
        [
            installed_wheel.command("python"),
            "-c",
            "import bot, sprintback_protocols as p; print(bot.__file__); print(p.__file__)",
        ],
        cwd=outside,
        env=installed_wheel.env(),
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert all(Path(p).is_relative_to(installed_wheel.venv) for p in where), where

    validate = _run(installed_wheel, outside, "protocol", "validate")
    assert validate.returncode == 0, validate.stdout + validate.stderr
    assert "OK calf:" in validate.stdout and "OK hamstring:" in validate.stdout

    show = _run(installed_wheel, outside, "protocol", "show", "hamstring")
    assert show.returncode == 0, show.stdout + show.stderr
    assert "H0" in show.stdout and "H7" in show.stdout

    unknown = _run(installed_wheel, outside, "protocol", "show", "quadriceps")
    assert unknown.returncode == 2
    assert "no protocol of that name (known: calf, hamstring)" in unknown.stdout + unknown.stderr

    simulate = _run(installed_wheel, outside, "simulate", "hamstring_grade1")
    assert simulate.returncode == 0, simulate.stdout + simulate.stderr
    assert "progressions" in simulate.stdout


def test_an_installed_bot_logs_where_in_its_own_code_a_failure_happened(
    installed_wheel: InstalledWheel, outside: Path
) -> None:
    # The error handler's log line names our innermost frame; installed, our code lives in
    # site-packages like the libraries, and must still be told apart from them.
    script = (
        "from bot.handlers.errors import describe_failure\n"
        "from bot.store.db import make_engine\n"
        "try:\n"
        "    make_engine('::not a database url::')\n"
        "except Exception as error:\n"
        "    print(describe_failure(None, error))\n"
    )
    line = subprocess.run(
        [installed_wheel.command("python"), "-c", script],
        cwd=outside,
        env=installed_wheel.env(),
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert re.search(r" at bot/\S+\.py:\d+ in make_engine \(raised in sqlalchemy/", line), line
