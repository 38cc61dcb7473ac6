"""`sprintback simulate`: placeholder until its issue lands."""

from __future__ import annotations

import argparse
from typing import Any


def register(subparsers: Any) -> None:
    """Add the `simulate` sub-command."""
    parser: argparse.ArgumentParser = subparsers.add_parser("simulate", help="(not yet available)")
    parser.set_defaults(func=lambda args: 1)
