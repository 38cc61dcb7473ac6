"""Running the real `sprintback` command as an operator would, from a fresh folder."""

from __future__ import annotations

import atexit
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

_FORKSERVER = Path(__file__).with_name("_forkserver.py")


def operator_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The environment of a fresh shell: no Telegram or database settings unless ``extra``
    gives them, no database wait, a runtime folder of its own."""
    env = {**os.environ, "RUNTIME_DIR": str(tmp_path / "run"), "DATABASE_WAIT_SECONDS": "0"}
    env.update(extra)
    for name in ("WEBHOOK_URL", "TELEGRAM_API_BASE_URL", "DATABASE_URL", "TELEGRAM_TOKEN"):
        if name not in extra:
            env.pop(name, None)
    return env


class _Server:
    """One fork server (tests/operator/_forkserver.py) per test process, started on first use:
    each command is a process of its own, forked from one that imported Sprintback once."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.process: subprocess.Popen[str] | None = None
        self.outputs: Path | None = None  # the commands' standard output and error files
        self.count = 0

    def _started(self) -> subprocess.Popen[str]:
        if self.outputs is None:
            self.outputs = Path(tempfile.mkdtemp(prefix="sprintback-forkserver-"))
        if self.process is None or self.process.poll() is not None:
            self.process = subprocess.Popen(
                [sys.executable, str(_FORKSERVER)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                cwd=self.outputs,
                text=True,
                start_new_session=True,  # its own group: a timed-out command ends with it
            )
        return self.process

    def run(
        self,
        args: list[str],
        env: dict[str, str],
        cwd: Path,
        timeout: float,
        drop_capabilities: list[str],
    ) -> subprocess.CompletedProcess[str]:
        with self.lock:
            server = self._started()
            assert server.stdin is not None and server.stdout is not None and self.outputs
            self.count += 1
            out, err = (self.outputs / f"{self.count}.{name}" for name in ("out", "err"))
            request = {
                "argv": args,
                "env": env,
                "cwd": str(cwd),
                "out": str(out),
                "err": str(err),
                "drop_capabilities": drop_capabilities,
            }
            server.stdin.write(json.dumps(request) + "\n")
            server.stdin.flush()
            ready, _, _ = select.select([server.stdout], [], [], timeout)
            if not ready:
                self.stop(signal.SIGKILL)
                raise subprocess.TimeoutExpired(["sprintback", *args], timeout)
            answer = server.stdout.readline()
            assert answer, "the fork server stopped"
            code = int(json.loads(answer)["returncode"])
            stdout, stderr = (path.read_text(encoding="utf-8") for path in (out, err))
            out.unlink()
            err.unlink()
        return subprocess.CompletedProcess(["sprintback", *args], code, stdout, stderr)

    def stop(self, sig: signal.Signals | None = None) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        if sig is not None:
            os.killpg(process.pid, sig)
        elif process.stdin is not None:
            process.stdin.close()
        process.wait(30)

    def close(self) -> None:
        """At the end of the test process: stop the server, remove the output folder."""
        self.stop()
        if self.outputs is not None:
            shutil.rmtree(self.outputs, ignore_errors=True)


_SERVER = _Server()
atexit.register(_SERVER.close)


def run_sprintback(
    cwd: Path,
    env: dict[str, str],
    *args: str,
    timeout: float = 90,
    drop_capabilities: tuple[str, ...] = (),
) -> subprocess.CompletedProcess[str]:
    """Run `sprintback ARGS` (``python -m bot.cli ARGS``) in ``cwd`` with exactly ``env``, in a
    process of its own, and return its exit status, standard output and standard error.

    The process is forked from one that has imported Sprintback already (once per test
    process), instead of a new interpreter importing it again (~2 s each): it gets ``env``,
    ``cwd`` and its own standard streams, and ends as `python -m bot.cli` does. It runs
    without the capabilities named in ``drop_capabilities`` ("dac_override", "fowner"), as
    `setpriv --bounding-set -dac_override,-fowner` would start it. Tests that signal the
    process use subprocess themselves.
    """
    return _SERVER.run(list(args), env, cwd, timeout, list(drop_capabilities))


def sprintback(tmp_path: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """Run `sprintback ARGS` in ``tmp_path`` and return what it printed and its exit code."""
    return run_sprintback(tmp_path, env, *args)


def files_in(folder: Path) -> list[str]:
    """Every file and folder under ``folder``, as paths relative to it."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))
