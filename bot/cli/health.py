"""`sprintback health`: placeholder until its issue lands."""

from __future__ import annotations

import argparse
from typing import Any


def register(subparsers: Any) -> None:
    """Add the `health` sub-command."""
    parser: argparse.ArgumentParser = subparsers.add_parser("health", help="(not yet available)")
    parser.set_defaults(func=lambda args: 1)
