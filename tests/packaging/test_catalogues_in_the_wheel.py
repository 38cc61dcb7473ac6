"""The wheel carries the message catalogues compiled at build time (never committed), so the
Docker image, which installs the wheel, speaks every language."""

from __future__ import annotations

import subprocess
import tarfile
import zipfile
from pathlib import Path

from babel.messages.mofile import read_mo

from bot.support.i18n import DOMAIN, LANGUAGES
from tests.packaging.conftest import InstalledWheel


def _mo(lang: str) -> str:
    return f"bot/locale/{lang}/LC_MESSAGES/{DOMAIN}.mo"


def test_the_wheel_holds_a_compiled_catalogue_for_every_language(
    installed_wheel: InstalledWheel, tmp_path: Path
) -> None:
    with zipfile.ZipFile(installed_wheel.wheel) as wheel:
        names = set(wheel.namelist())
        assert {_mo(lang) for lang in LANGUAGES} <= names
        german = tmp_path / "de.mo"
        german.write_bytes(wheel.read(_mo("de")))
    with german.open("rb") as mo_file:
        catalogue = read_mo(mo_file)
    assert catalogue.get("Morning check-in").string == "Morgenabfrage"  # type: ignore[union-attr]


def test_the_sdist_ships_the_sources_not_the_compiled_files(
    installed_wheel: InstalledWheel,
) -> None:
    with tarfile.open(installed_wheel.sdist) as sdist:
        names = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
    assert {f"bot/locale/{lang}/LC_MESSAGES/{DOMAIN}.po" for lang in LANGUAGES} <= names
    assert not {_mo(lang) for lang in LANGUAGES} & names


def test_the_installed_bot_speaks_every_language(
    installed_wheel: InstalledWheel, outside: Path
) -> None:
    script = (
        "from bot.support.i18n import LANGUAGES, _, missing_catalogues, use_language\n"
        "assert missing_catalogues() == [], missing_catalogues()\n"
        "for lang in LANGUAGES:\n"
        "    with use_language(lang):\n"
        "        print(_('Morning check-in'))\n"
    )
    printed = subprocess.run(
        [installed_wheel.command("python"), "-c", script],
        cwd=outside,
        env=installed_wheel.env(),
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    assert printed == [
        "Morning check-in",
        "Cuestionario de la mañana",
        "Questionário da manhã",
        "Bilan du matin",
        "Morgenabfrage",
    ]
