"""`sprintback demo --lang xx` ends in that language too: "Finished in N s." is translated and
its number written the language's way (a decimal comma in es, pt, fr and de)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bot import cli

ROOT = Path(__file__).resolve().parents[2]

LAST_LINES = {
    "en": r"Finished in \d+\.\d s\.",
    "es": r"Terminado en \d+,\d s\.",
    "pt": r"Concluído em \d+,\d s\.",
    "fr": r"Terminé en \d+,\d s\.",
    "de": r"Fertig nach \d+,\d s\.",
}


def test_the_german_demo_ends_in_german(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "demo", "--lang", "de", "--output", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    last = done.stdout.strip().splitlines()[-1]
    assert re.fullmatch(LAST_LINES["de"], last), last


@pytest.mark.parametrize("lang", sorted(LAST_LINES))
def test_the_last_line_is_in_the_demos_language(
    lang: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # The story itself is played end to end above; here only its last line is looked at.
    async def no_story(*_args: Any, **_kwargs: Any) -> None:
        return None

    monkeypatch.setattr("bot.demo.run.run_scripted", no_story)
    monkeypatch.setattr("bot.demo.run.log_to_file", lambda _path: None)
    assert cli.main(["demo", "--lang", lang, "--output", str(tmp_path)]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert re.fullmatch(LAST_LINES[lang], last), last
