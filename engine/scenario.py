"""Scenario files for ``sprintback simulate`` (data-dictionary format), parsed purely.

A scenario holds the athlete (injury and baseline), an optional protocol name or path, the
programme start and the recorded days. Problems are reported as ``<source>: <path>: <what is
wrong>`` through ``ScenarioError``.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from engine.models import DayRecord, Injury, Metrics


class ScenarioError(Exception):
    """A scenario that does not validate; ``problems`` holds one line per problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class Athlete(Injury):
    """The athlete block: the injury fields plus the baseline metrics."""

    baseline: Metrics | None = None


class Scenario(BaseModel):
    """A scenario: athlete, protocol, start date and days."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    athlete: Athlete
    protocol: str | None = None
    start: dt.date
    until: dt.date | None = None
    days: Annotated[list[DayRecord], Field(default_factory=list)]

    @model_validator(mode="after")
    def _dates(self) -> Scenario:
        seen: set[dt.date] = set()
        for d in self.days:
            if d.date in seen:
                raise ValueError(f"day {d.date.isoformat()} appears twice: one entry per date")
            seen.add(d.date)
        if self.start < self.athlete.injury_date:
            raise ValueError(
                "start is before athlete.injury_date: the programme starts after the injury"
            )
        return self

    def injury(self) -> Injury:
        """Return the athlete's injury without the baseline."""
        return Injury.model_validate(self.athlete.model_dump(exclude={"baseline"}))


def _path(loc: tuple[int | str, ...], data: object) -> str:
    out = ""
    node: Any = data
    for part in loc:
        if isinstance(part, int):
            label = str(part)
            if isinstance(node, list) and 0 <= part < len(node):
                node = node[part]
                if out.endswith("days") and isinstance(node, dict) and "date" in node:
                    label = str(node["date"])
            else:
                node = None
            out += f"[{label}]"
        else:
            out += ("." if out else "") + part
            node = node.get(part) if isinstance(node, dict) else None
    return out or "(top level)"


def parse_scenario(data: object, *, source: str) -> Scenario:
    """Validate already-loaded scenario data; raise ``ScenarioError`` listing every problem."""
    if not isinstance(data, dict):
        raise ScenarioError(
            [f"{source}: (top level): expected a mapping with athlete, start, days"]
        )
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            msg = str(err.get("msg", "")).removeprefix("Value error, ")
            if err.get("type") == "extra_forbidden":
                msg = "unknown key: not part of the scenario format (see docs/protocols.md)"
            elif err.get("type") == "missing":
                msg = "missing: this field is required"
            problems.append(f"{source}: {_path(tuple(err['loc']), data)}: {msg}")
        raise ScenarioError(problems) from None
