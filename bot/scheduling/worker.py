"""The name this process claims rows under (scheduled prompts, outbox rows, digests)."""

from __future__ import annotations

import os
import socket


def worker_name() -> str:
    """Return a name for this process that is unique across hosts (host:pid)."""
    return f"{socket.gethostname()}:{os.getpid()}"[:64]
