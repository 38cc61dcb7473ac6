"""`sprintback protocol`: placeholder until its issue lands."""

from __future__ import annotations

import argparse
from typing import Any


def register(subparsers: Any) -> None:
    """Add the `protocol` sub-command."""
    parser: argparse.ArgumentParser = subparsers.add_parser("protocol", help="(not yet available)")
    parser.set_defaults(func=lambda args: 1)
