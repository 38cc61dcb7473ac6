"""A process that has imported `sprintback` once and forks a fresh process per command.

Started by ``tests.operator.cli`` (one per test worker). Each line on standard input asks for
one command: ``{"argv": [...], "env": {...}, "cwd": "...", "out": FILE, "err": FILE}``. The
server forks; the child takes that environment (plus what importing ``bot`` sets, as a fresh
interpreter would), working folder, standard input /dev/null, standard output and error into
the files, and runs ``bot.cli`` as ``python -m bot.cli ARGV`` does, ending as that process
ends (SystemExit, exit handlers, threads joined). The server answers with the child's exit
status as ``subprocess`` gives it (negative for a signal). Only the ~2 s of imports are saved.
"""

from __future__ import annotations

import atexit
import ctypes
import json
import os
import runpy
import signal
import sys
import threading
import traceback

_before = dict(os.environ)
import bot.cli  # noqa: E402  (after taking the environment, to see what importing sets)

bot.cli.build_parser()  # imports every sub-command's module, as main() does
_SET_BY_IMPORT = {k: v for k, v in os.environ.items() if _before.get(k) != v}


def _serve() -> dict[str, object]:
    """Answer requests until standard input closes; in a forked child, return its request."""
    for line in sys.stdin:
        request: dict[str, object] = json.loads(line)
        pid = os.fork()
        if pid == 0:
            return request
        _, status = os.waitpid(pid, 0)
        sys.stdout.write(json.dumps({"returncode": os.waitstatus_to_exitcode(status)}) + "\n")
        sys.stdout.flush()
    sys.exit(0)


# <linux/capability.h>: the header and two data structs of capget(2) and capset(2).
_CAPABILITY_VERSION_3 = 0x20080522
_CAPABILITIES = {"dac_override": 1, "fowner": 3}


def _drop_capabilities(names: list[str]) -> None:
    """Drop the capabilities ``names`` from this process's effective, permitted and
    inheritable sets for good (as root: file permissions then bind it as any other user)."""
    libc = ctypes.CDLL(None, use_errno=True)
    header = (ctypes.c_uint32 * 2)(_CAPABILITY_VERSION_3, 0)
    data = (ctypes.c_uint32 * 6)()  # effective, permitted, inheritable; twice (bits 0-63)
    if libc.capget(header, data) != 0:
        raise OSError(ctypes.get_errno(), "capget")
    for name in names:
        bit = _CAPABILITIES[name]
        for field in range(3):
            data[field] &= ~(1 << bit)
    if libc.capset(header, data) != 0:
        raise OSError(ctypes.get_errno(), "capset")


def _become(request: dict[str, object]) -> None:
    """Make this forked child the process `python -m bot.cli ARGV` would be."""
    cwd = str(request["cwd"])
    os.chdir(cwd)
    os.environ.clear()
    os.environ.update(dict(request["env"]))  # type: ignore[call-overload]
    for name, value in _SET_BY_IMPORT.items():
        os.environ.setdefault(name, value)
    for fd, path, flags in (
        (0, os.devnull, os.O_RDONLY),
        (1, str(request["out"]), os.O_WRONLY | os.O_CREAT | os.O_TRUNC),
        (2, str(request["err"]), os.O_WRONLY | os.O_CREAT | os.O_TRUNC),
    ):
        opened = os.open(path, flags, 0o600)
        os.dup2(opened, fd)
        os.close(opened)
    _drop_capabilities(list(request.get("drop_capabilities", [])))  # type: ignore[call-overload]
    sys.path[0] = cwd  # `python -m` puts the working folder first
    sys.argv = ["-m", *request["argv"]]  # type: ignore[misc]


def _exit_status(code: object) -> int:
    """The exit status the interpreter gives ``SystemExit(code)``."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    print(code, file=sys.stderr)
    return 1


def _run_and_exit() -> None:
    """Run `python -m bot.cli` and end as the interpreter does: an uncaught exception's
    traceback on standard error (status 1), non-daemon threads joined, exit handlers run
    (logging flushed), the standard streams flushed. Then leave without tearing down the
    ~1,000 modules inherited from the server, which takes a forked child ~0.5 s (copying
    every page it touches) and is no part of the command's work."""
    try:
        runpy.run_module("bot.cli", run_name="__main__", alter_sys=True)
        status = 0
    except SystemExit as stop:
        status = _exit_status(stop.code)
    except KeyboardInterrupt:
        traceback.print_exc()
        status = -signal.SIGINT
    except BaseException:
        traceback.print_exc()
        status = 1
    threading._shutdown()  # type: ignore[attr-defined]  # as the interpreter does at exit
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    if status < 0:  # Ctrl-C not handled: the interpreter ends by the signal itself
        signal.signal(-status, signal.SIG_DFL)
        os.kill(os.getpid(), -status)
    os._exit(status)


if __name__ == "__main__":
    _become(_serve())
    _run_and_exit()
