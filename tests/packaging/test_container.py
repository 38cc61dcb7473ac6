"""The image's command under signals and against an unreachable database, and the shape of
the Dockerfile a deployer relies on.

No Docker engine runs here: the image's command (the CMD of the Dockerfile) runs from the
installed wheel as a subprocess, and as PID 1 of a new PID namespace (``unshare``), where the
kernel gives SIGTERM no default action, as in a container.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml

from bot.store.db import CONNECT_TIMEOUT_SECONDS
from tests.packaging.conftest import (
    ROOT,
    InstalledWheel,
    dockerfile_command,
    dockerfile_instructions,
    final_stage,
)


def test_the_final_image_holds_the_installed_venv_only_read_only_for_a_non_root_user() -> None:
    stage = final_stage()
    copies = [arguments for keyword, arguments in stage if keyword in ("COPY", "ADD")]
    assert copies and all(c.startswith("--from=") for c in copies), (
        f"the final stage must copy only the built venv from the build stage, not {copies}"
    )
    assert not any("--chown" in c for c in copies), "the code must stay owned by root"
    runs = " ".join(arguments for keyword, arguments in stage if keyword == "RUN")
    assert "chown -R" not in runs and "chown --recursive" not in runs
    users = [arguments for keyword, arguments in stage if keyword == "USER"]
    assert users and users[-1].split(":")[0] == "10001"
    health = [arguments for keyword, arguments in stage if keyword == "HEALTHCHECK"]
    assert health and health[-1].endswith('CMD ["sprintback", "health"]')
    assert not [a for k, a in stage if k == "ENTRYPOINT"], "no entrypoint (shell) before the CMD"
    assert dockerfile_command()[0] == "sprintback"


def test_the_build_context_leaves_out_secrets_and_local_state() -> None:
    rules = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    # An allow-list: everything is ignored, then only what the build stage copies is let in.
    assert rules[0] == "*"
    allowed = {rule.removeprefix("!").rstrip("/") for rule in rules if rule.startswith("!")}
    assert allowed == {
        "pyproject.toml",
        "setup.py",
        "README.md",
        "LICENSE",
        "bot",
        "engine",
        "protocols",
        "examples",
    }
    copied = {
        part.rstrip("/")
        for keyword, arguments in dockerfile_instructions()
        if keyword == "COPY" and not arguments.startswith("--from=")
        for part in arguments.split()[:-1]
    }
    assert copied == allowed, "the build stage copies what .dockerignore lets in, no more"


@contextmanager
def silent_database() -> Iterator[tuple[int, threading.Event]]:
    """A TCP server on 127.0.0.1 that accepts connections and never answers (a database that
    hangs); yields its port and an event set once a client has connected."""
    server = socket.create_server(("127.0.0.1", 0))
    connected = threading.Event()
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                client, _ = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            held.append(client)
            connected.set()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1], connected
    finally:
        stop.set()
        thread.join()
        for client in held:
            client.close()
        server.close()


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _container_env(
    installed_wheel: InstalledWheel, database_url: str, folder: Path
) -> dict[str, str]:
    return installed_wheel.env(
        TELEGRAM_TOKEN="123456789:unused-token",
        TELEGRAM_API_BASE_URL=f"http://127.0.0.1:{_closed_port()}/bot",
        DATABASE_URL=database_url,
        RUNTIME_DIR=str(folder / "run"),
        # These tests are about an unreachable database at start: no waiting for it first.
        DATABASE_WAIT_SECONDS="0",
    )


def _stop_after_connect(
    process: subprocess.Popen[str], connected: threading.Event, signal_pid: int
) -> float:
    """Wait until the process is connecting to the database, send SIGTERM to ``signal_pid``
    and return how many seconds the process took to exit."""
    assert connected.wait(60), "the command never connected to the database"
    time.sleep(0.5)  # well inside the connection attempt (the timeout is far away)
    assert process.poll() is None, process.communicate()
    os.kill(signal_pid, signal.SIGTERM)
    sent = time.monotonic()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        pytest.fail("SIGTERM did not stop the command within 10 s")
    return time.monotonic() - sent


def test_sigterm_during_the_database_upgrade_stops_the_command_at_once(
    installed_wheel: InstalledWheel, outside: Path
) -> None:
    with silent_database() as (port, connected):
        # A long connect timeout: only SIGTERM can end this in time.
        url = f"postgresql+psycopg://sprintback@127.0.0.1:{port}/sprintback?connect_timeout=60"
        process = subprocess.Popen(
            dockerfile_command(),
            cwd=outside,
            env=_container_env(installed_wheel, url, outside),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        took = _stop_after_connect(process, connected, process.pid)
    out, err = process.communicate()
    # At once, not after the 60 s connect timeout (room left for a loaded machine).
    assert took < 15, f"stopping took {took:.1f} s"
    assert process.returncode == 128 + signal.SIGTERM
    assert err.strip() == "sprintback: stopped by SIGTERM", err
    assert "Traceback" not in out + err


def _unshare_available() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(
        ["unshare", "--pid", "--fork", "--mount-proc", "true"], capture_output=True, check=False
    )
    return probe.returncode == 0


def _pid_one_of(unshare: subprocess.Popen[str]) -> int:
    """Return the host pid of the process that is PID 1 inside ``unshare``'s namespace."""
    for _ in range(200):
        children = Path(f"/proc/{unshare.pid}/task/{unshare.pid}/children").read_text().split()
        if children:
            return int(children[0])
        time.sleep(0.05)
    raise AssertionError("unshare started no child")


@pytest.mark.skipif(not _unshare_available(), reason="needs unshare --pid (root, Linux)")
def test_as_pid_1_sigterm_during_the_database_upgrade_still_stops_at_once(
    installed_wheel: InstalledWheel, outside: Path
) -> None:
    prefix = ["unshare", "--pid", "--fork", "--mount-proc", "--kill-child"]
    # The check can fail: a PID 1 without its own handler ignores SIGTERM.
    sleeper = subprocess.Popen(
        [*prefix, installed_wheel.command("python"), "-c", "import time; time.sleep(30)"],
        text=True,
    )
    try:
        pid_one = _pid_one_of(sleeper)
        time.sleep(0.5)
        os.kill(pid_one, signal.SIGTERM)
        with pytest.raises(subprocess.TimeoutExpired):
            sleeper.wait(2)
    finally:
        sleeper.kill()
        sleeper.wait()

    with silent_database() as (port, connected):
        url = f"postgresql+psycopg://sprintback@127.0.0.1:{port}/sprintback?connect_timeout=60"
        process = subprocess.Popen(
            [*prefix, *dockerfile_command()],
            cwd=outside,
            env=_container_env(installed_wheel, url, outside),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        pid_one = _pid_one_of(process)
        ns_pids = next(
            line.split()[1:]
            for line in Path(f"/proc/{pid_one}/status").read_text().splitlines()
            if line.startswith("NSpid:")
        )
        assert ns_pids[-1] == "1", f"not PID 1 in its namespace: {ns_pids}"
        took = _stop_after_connect(process, connected, pid_one)
    _, err = process.communicate()
    assert took < 15, f"stopping PID 1 took {took:.1f} s"
    assert "sprintback: stopped by SIGTERM" in err, err
    assert "Traceback" not in err


def _start_up(
    installed_wheel: InstalledWheel, folder: Path, url: str, *args: str
) -> tuple[subprocess.CompletedProcess[str], float]:
    began = time.monotonic()
    result = subprocess.run(
        [installed_wheel.command("sprintback"), "run", *args],
        cwd=folder,
        env=_container_env(installed_wheel, url, folder),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return result, time.monotonic() - began


@pytest.mark.parametrize("args", [("--db-upgrade",), ()], ids=["with-upgrade", "without"])
def test_an_unreachable_database_stops_start_up_in_seconds_with_one_line(
    installed_wheel: InstalledWheel, outside: Path, args: tuple[str, ...]
) -> None:
    closed = f"postgresql+psycopg://sprintback:s3cret@127.0.0.1:{_closed_port()}/sprintback"
    result, took = _start_up(installed_wheel, outside, closed, *args)
    assert result.returncode == 2
    assert took < 30, f"start-up took {took:.1f} s to give up"
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Connection refused" in lines[0], result.stderr
    assert "s3cret" not in result.stderr + result.stdout
    assert "Traceback" not in result.stderr + result.stdout


def test_a_database_that_never_answers_times_out_after_the_connect_timeout(
    installed_wheel: InstalledWheel, outside: Path
) -> None:
    with silent_database() as (port, _connected):
        url = f"postgresql+psycopg://sprintback@127.0.0.1:{port}/sprintback"
        result, took = _start_up(installed_wheel, outside, url, "--db-upgrade")
    assert result.returncode == 2
    assert CONNECT_TIMEOUT_SECONDS - 0.5 < took < CONNECT_TIMEOUT_SECONDS + 25, took
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "timeout" in lines[0], result.stderr


def test_compose_publishes_no_port_unless_webhook_mode_is_set_up() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    bot = compose["services"]["bot"]
    assert "ports" not in bot, "polling mode needs no published port"
    assert "WEBHOOK_URL" not in bot.get("environment", {})
    text = (ROOT / "compose.yaml").read_text(encoding="utf-8")
    assert '#   - "127.0.0.1:8080:8080"' in text, "the webhook example publishes loopback only"
