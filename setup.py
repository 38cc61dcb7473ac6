"""What pyproject.toml cannot say: which packages the distribution holds, and the compiled
message catalogues.

``bot`` and ``engine`` are found as usual. The repository keeps the shipped protocols and the
example scenarios in the top-level folders ``protocols/`` and ``examples/``; they are installed
as the packages ``sprintback_protocols`` and ``sprintback_examples`` (mapped in pyproject.toml's
``[tool.setuptools.package-dir]``), so a wheel, an sdist, a Docker image and an editable checkout
all read them with ``importlib.resources`` and no generic top-level name such as ``examples``
lands in site-packages. pyproject.toml cannot combine package discovery with an explicit list,
hence this file.

The translations (``bot/locale/<lang>/LC_MESSAGES/sprintback.po``) are compiled into their
``.mo`` files by ``build_py``: into the build for a wheel (so the Docker image, which installs
the wheel, has them), next to the ``.po`` files for an editable install. The ``.mo`` files are
never committed. Fuzzy entries are left out, as gettext's ``msgfmt`` does.
"""

from __future__ import annotations

from pathlib import Path

from setuptools import find_namespace_packages, setup
from setuptools.command.build_py import build_py

LOCALE = Path("bot") / "locale"


def compile_catalogues(source: Path, target: Path) -> list[str]:
    """Compile every ``<lang>/LC_MESSAGES/*.po`` under ``source`` into the same place under
    ``target``; return the files written."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    written: list[str] = []
    for po_path in sorted(source.glob("*/LC_MESSAGES/*.po")):
        mo_path = target / po_path.relative_to(source).with_suffix(".mo")
        mo_path.parent.mkdir(parents=True, exist_ok=True)
        with po_path.open("rb") as po_file:
            catalogue = read_po(po_file, locale=po_path.parts[-3])
        with mo_path.open("wb") as mo_file:
            write_mo(mo_file, catalogue, use_fuzzy=False)
        written.append(str(mo_path))
    return written


class BuildWithCatalogues(build_py):
    """build_py that also compiles the message catalogues."""

    def run(self) -> None:
        super().run()
        editable = getattr(self, "editable_mode", False)
        target = LOCALE if editable else Path(self.build_lib) / LOCALE
        self._catalogues = compile_catalogues(LOCALE, target)

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        return [*super().get_outputs(include_bytecode), *getattr(self, "_catalogues", [])]


setup(
    packages=[
        *find_namespace_packages(include=["bot", "bot.*", "engine", "engine.*"]),
        "sprintback_protocols",
        "sprintback_examples",
    ],
    cmdclass={"build_py": BuildWithCatalogues},
)
