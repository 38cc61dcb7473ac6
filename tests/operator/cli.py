"""Running the real `sprintback` command as an operator would, from a fresh folder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def operator_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The environment of a fresh shell: no Telegram or database settings unless ``extra``
    gives them, no database wait, a runtime folder of its own."""
    env = {**os.environ, "RUNTIME_DIR": str(tmp_path / "run"), "DATABASE_WAIT_SECONDS": "0"}
    env.update(extra)
    for name in ("WEBHOOK_URL", "TELEGRAM_API_BASE_URL", "DATABASE_URL", "TELEGRAM_TOKEN"):
        if name not in extra:
            env.pop(name, None)
    return env


def sprintback(tmp_path: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """Run `sprintback ARGS` in ``tmp_path`` and return what it printed and its exit code."""
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )


def files_in(folder: Path) -> list[str]:
    """Every file and folder under ``folder``, as paths relative to it."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))
