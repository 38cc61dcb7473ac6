"""`sprintback db`: placeholder until its issue lands."""

from __future__ import annotations

import argparse
from typing import Any


def register(subparsers: Any) -> None:
    """Add the `db` sub-command."""
    parser: argparse.ArgumentParser = subparsers.add_parser("db", help="(not yet available)")
    parser.set_defaults(func=lambda args: 1)
