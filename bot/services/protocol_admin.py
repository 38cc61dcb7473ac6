"""Protocol editing for admins: drafts, differences, dry-runs, publishing and rollback.

A draft is the full YAML text of a protocol that has passed the engine's schema but is not yet
published. Publishing stores it as a new :class:`ProtocolVersion` and makes it the active one;
athletes move to it at their next decision (every decision records the version it used).
Rollback never rewrites history: it publishes the text of the chosen old version again, as a
new version number, so the history reads as what was actually in force and when.

The dry-run replays every scenario in ``examples/`` and the last 60 days of every athlete on
the protocol through both the active protocol and the draft, and lists the days whose decision
(or resulting stage) would change. It opens with a warning when publishing would be refused for
stranding athletes (a stage they are in is missing from the draft) or for dropping a sign-off
athletes are waiting for (:func:`ungated_stages`), and names the stages whose
prescription (top % Vmax or session) the draft changes, which no decision may show.

What an admin sends is bounded before anything is built from it: a protocol name matches
:data:`PROTOCOL_NAME` (and only ``protocols/<name>.yaml`` inside the shipped directory is ever
read), an uploaded or typed YAML text nests at most :data:`MAX_DEPTH` levels and holds at most
:data:`MAX_NODES` values once aliases are expanded, writes no key twice in one mapping
(YAML would silently keep the last) and no whole number of more than 15 characters, and a
draft whose difference to the active version exceeds :data:`MAX_DIFF_LINES` lines is refused.
These checks run where the caller runs them: the admin handlers run them off the event loop.

A text is stored only under its own name, and a protocol named after an injury (the one its
athletes are started on) is for that injury (:func:`check_binding`). Publishing and rollback
take the protocol's lock first (``lock_protocol``), so two admins on two replicas never both
publish from the same active version: the second finds their draft stale. A rollback reads,
under that lock, every version it takes out of force (say one another admin published a
minute ago), names each to the admin rolling back, and tells the other admins whose version it
undoes (:func:`rollback_telling`): nothing is undone silently. Before that, the admin is shown
what the rollback would do (:func:`rollback_offer`) and confirms it; a rollback confirmed after
another version was published is refused as stale.

A problem an admin reads names each place by the stage's position and id and each list item's
position (counted from 1) and id, keeping the field names: "stage 4 (H3), exit_criteria 2
(H3b), threshold" for the schema's ``stages[H3].exit_criteria[1].threshold``
(:func:`readable_problem`, applied to /protocol set, uploads, rollbacks, publishing and diffs).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import difflib
import logging
import re
from collections.abc import Callable, Sequence
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, get_args

import yaml
from pydantic import BaseModel, ConfigDict
from sqlmodel import Session, col, select

from bot.clock import local_date
from bot.services.protocol_files import (
    EXAMPLES_DIR,
    PROTOCOL_DIR,
    available,
    check_keys_and_numbers,
    yaml_files,
)
from bot.store.models import Person, Programme, ProtocolVersion
from bot.store.repo.audit import audit
from bot.store.repo.messaging import enqueue_message
from bot.store.repo.programme import latest_injury
from bot.store.repo.protocols import (
    get_active_protocol,
    get_protocol_version,
    lock_protocol,
    mark_texts_for_review,
    protocol_history,
    protocol_names,
    publish_protocol_version,
    texts_for_review,
)
from bot.store.standing import (
    athlete_timeline,
    clearances_in_this_stay,
    parse_text,
    parsed_version,
)
from bot.support.formats import format_and_list, format_decimal
from bot.support.i18n import L_, LANGUAGES, SOURCE_LANGUAGE, _, ngettext, use_language
from bot.support.limits import quoted, yaml_shape_problem
from bot.support.protocol_texts import display_texts
from bot.wording import protocol_text
from engine.models import Injury, InjuryType
from engine.programme import Timeline, gate_items, initial_state, replay
from engine.scenario import Scenario, ScenarioError, parse_scenario
from engine.schema import Protocol, ProtocolError, parse_protocol, protocol_to_data, set_value

_LOGGER = logging.getLogger(__name__)
DRYRUN_DAYS = 60
MAX_REPORTED_CHANGES = 25
# A protocol's name: what /protocol commands, file names and button data may carry.
PROTOCOL_NAME = re.compile(r"[a-z][a-z0-9_]{0,31}", re.ASCII)
NAME_RULE = L_("a protocol name is 1-32 lowercase letters, digits or _, starting with a letter")
# Bounds on an admin's YAML (the shipped protocols: depth 6, about 1,900 values, 300 lines).
MAX_DEPTH = 20
MAX_NODES = 20_000
MAX_DIFF_LINES = 2_000


def valid_name(name: str) -> bool:
    """Tell whether ``name`` is a well-formed protocol name (:data:`PROTOCOL_NAME`)."""
    return PROTOCOL_NAME.fullmatch(name) is not None


def require_name(name: str) -> str:
    """Return ``name`` if it is a well-formed protocol name, else raise ProtocolError."""
    if not valid_name(name):
        raise ProtocolError([f"{name[:40]!r}: {NAME_RULE}"])
    return name


def binding_problems(name: str, data: object) -> list[str]:
    """Return what is wrong with storing protocol ``data`` (loaded, not yet validated) as
    protocol ``name``: it names another protocol, or is for another injury than the one
    ``name`` serves. Athletes are started on the protocol named after their injury, so a
    hamstring text stored as ``calf`` would take calf athletes through hamstring stages, past
    every calf floor. Said before the schema's problems: a text for the wrong injury fails
    that injury's floors on every line, and those lines would not say why."""
    if not isinstance(data, dict):
        return []  # the schema says what a protocol is
    other, injury = data.get("name"), data.get("injury")
    if other != name:
        return [
            _(
                "{name}: this text names the protocol “{other}”; a protocol cannot be "
                "renamed: expected name: {name} (send a file to start a new protocol)"
            ).format(name=name, other=quoted(str(other)))
        ]
    if name in get_args(InjuryType) and injury != name:
        return [
            _(
                "{name}: athletes with a {name} injury are started on the protocol named "
                "{name}, but this text is for a {injury} injury: expected injury: {name} "
                "(or give the text a name of its own)"
            ).format(name=name, injury=quoted(str(injury)))
        ]
    return []


def check_binding(name: str, protocol: Protocol) -> None:
    """Raise ProtocolError if the valid ``protocol`` may not be stored as protocol ``name``
    (see :func:`binding_problems`)."""
    problems = binding_problems(name, {"name": protocol.name, "injury": protocol.injury})
    if problems:
        raise ProtocolError(problems)


def check_shape(text: str, source: str) -> None:
    """Raise ProtocolError if YAML ``text`` nests too deep, expands to too many values, or
    writes a key twice in one mapping (YAML keeps only the last: a value nobody saw), or
    writes a whole number too long to be meant (one of thousands of digits cannot be read)."""
    problem = yaml_shape_problem(text, max_depth=MAX_DEPTH, max_nodes=MAX_NODES)
    if problem is not None:
        raise ProtocolError([f"{source}: {problem}"])  # the schema's own words (English)
    with contextlib.suppress(yaml.YAMLError):  # not YAML: the parse reports it with its line
        check_keys_and_numbers(text, source=source)


# --- Where a problem is, in the words of the protocol --------------------------------------

# A location in a problem line that names a list item: ``stages[H3].exit_criteria[1].threshold``
# (the schema's form, and the one /protocol set takes).
_LOCATION = re.compile(r"(?<![\w.\]])[a-z_][a-z0-9_]*(?:\.[A-Za-z_]\w*|\[[^\]\s]+\])+")
_LOCATION_PART = re.compile(r"([A-Za-z_]\w*)|\[([^\]\s]+)\]")


def readable_location(location: str, data: object) -> str:
    """Return ``location`` as an admin reads it, each list item by its position (counted
    from 1) and its id: ``stages[H3].exit_criteria[1].threshold`` in the hamstring protocol
    reads "stage 4 (H3), exit_criteria 2 (H3b), threshold". Field names stay as written in
    the YAML; a part ``data`` does not hold stays as it is."""
    chunks: list[str] = []
    field = ""
    node: Any = data
    for match in _LOCATION_PART.finditer(location):
        name, key = match.group(1), match.group(2)
        if name is not None:
            field = f"{field}.{name}" if field else name
            node = node.get(name) if isinstance(node, dict) else None
            continue
        places = _places(node, key)
        if not places:
            field += f"[{key}]"
            node = _key_of(node, key)
            continue
        item = node[places[0]]
        item_id = item.get("id") if isinstance(item, dict) else None
        shown = f" ({item_id})" if isinstance(item_id, str) and item_id else ""
        numbers = " and ".join(str(p + 1) for p in places)
        if field == "stages" and not chunks:
            chunks.append(f"{'stage' if len(places) == 1 else 'stages'} {numbers}{shown}")
        else:
            chunks.append(f"{field} {numbers}{shown}")
        field, node = "", item
    if field:
        chunks.append(field)
    return ", ".join(chunks)


def _places(node: object, key: str) -> list[int]:
    """The positions in list ``node`` of the items with id ``key`` (every one: a duplicate id
    is in two places), else of the item at index ``key``; none when ``node`` is no list."""
    if not isinstance(node, list):
        return []
    places = [i for i, item in enumerate(node) if isinstance(item, dict) and item.get("id") == key]
    if not places and key.isdigit() and int(key) < len(node):
        places = [int(key)]
    return places


def _key_of(node: object, key: str) -> Any:
    """What mapping ``node`` holds under ``key`` (a number also names an integer key)."""
    if not isinstance(node, dict):
        return None
    if key in node:
        return node[key]
    return node.get(int(key)) if re.fullmatch(r"-?[0-9]+", key) else None


def readable_problem(problem: str, data: object) -> str:
    """Return one problem line with each location in it that names a list item of protocol
    ``data`` (loaded YAML) told by :func:`readable_location`."""
    if not isinstance(data, dict):
        return problem

    def told(match: re.Match[str]) -> str:
        location = match.group(0)
        if "[" not in location or location.split(".")[0].split("[")[0] not in data:
            return location
        return readable_location(location, data)

    return _LOCATION.sub(told, problem)


def readable_error(exc: ProtocolError, data: object) -> ProtocolError:
    """Return ``exc`` (of the same kind) with its problems' locations told as an admin reads
    them (:func:`readable_problem`)."""
    return type(exc)([readable_problem(p, data) for p in exc.problems])


def _loaded(text: str) -> object:
    """Protocol YAML ``text`` loaded, to find where its problems are (None if not YAML)."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return None


def parse_for_admin(text: str, source: str) -> Protocol:
    """Parse protocol ``text`` (see ``parse_text``); a ProtocolError names each place by the
    stage's position and id (:func:`readable_problem`), as the admin reading it knows them."""
    try:
        return parse_text(text, source)
    except ProtocolError as exc:
        raise readable_error(exc, _loaded(text)) from None


class DayOutcome(BaseModel):
    """The part of one replayed day a dry-run compares."""

    model_config = ConfigDict(frozen=True)

    date: dt.date
    stage: str | None
    decision: str | None
    stage_after: str | None


class DecisionChange(BaseModel):
    """One day of one case whose outcome differs between the active protocol and the draft."""

    model_config = ConfigDict(frozen=True)

    case: str
    date: dt.date
    before: DayOutcome | None
    after: DayOutcome | None


class DryRunReport(BaseModel):
    """Which cases were replayed, which days changed, and which cases could not be replayed."""

    model_config = ConfigDict(frozen=True)

    cases: tuple[str, ...]
    changes: tuple[DecisionChange, ...]
    failures: tuple[tuple[str, str], ...] = ()
    # Publishing would be refused: stages the draft lacks that athletes are in, and how many.
    stranded: tuple[str, ...] = ()
    stranded_athletes: int = 0
    # Publishing would be refused: stages whose sign-off the draft drops while athletes in
    # them wait for it, and how many.
    ungated: tuple[str, ...] = ()
    ungated_athletes: int = 0
    # Stages the draft adds before the stage athletes are in (they will not go through them),
    # and how many athletes; how many athletes were replayed at all.
    skipped: tuple[str, ...] = ()
    skipped_athletes: int = 0
    athletes: int = 0
    # The version the draft was made from, and the one in force (publishing needs them equal).
    base_version: int = 0
    active_version: int = 0
    # What stages prescribe that the draft changes (top % Vmax or the session), one line each.
    prescriptions: tuple[str, ...] = ()

    @property
    def changed_cases(self) -> list[str]:
        """The cases with at least one changed day, in case order."""
        changed = {c.case for c in self.changes}
        return [c for c in self.cases if c in changed]


def yaml_diff(old_text: str, new_text: str, name: str, old_label: str, new_label: str) -> str:
    """Return a unified diff of two protocol texts, or '' when they are identical."""
    lines = difflib.unified_diff(
        old_text.splitlines(keepends=True),
        new_text.splitlines(keepends=True),
        fromfile=f"{name} ({old_label})",
        tofile=f"{name} ({new_label})",
        n=2,
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def compare_outcomes(
    case: str, before: Sequence[DayOutcome], after: Sequence[DayOutcome]
) -> list[DecisionChange]:
    """Return the days of ``case`` whose decision or resulting stage differs, by date."""
    before_by_date = {d.date: d for d in before}
    after_by_date = {d.date: d for d in after}
    changes: list[DecisionChange] = []
    for date in sorted(set(before_by_date) | set(after_by_date)):
        b = before_by_date.get(date)
        a = after_by_date.get(date)
        same = (
            b is not None
            and a is not None
            and (b.decision, b.stage_after, b.stage) == (a.decision, a.stage_after, a.stage)
        )
        if not same:
            changes.append(DecisionChange(case=case, date=date, before=b, after=a))
    return changes


Replay = Callable[[str], list[DayOutcome]]
"""Replays one case under one protocol and returns its days (raises on a case it cannot run)."""


def dry_run(
    case_names: Sequence[str],
    replay_active: Callable[[str], list[DayOutcome]],
    replay_draft: Callable[[str], list[DayOutcome]],
) -> DryRunReport:
    """Replay every case under the active protocol and the draft; report the changed days.

    A case that fails to replay under either protocol is listed under ``failures`` with the
    error text instead of aborting the whole dry-run.
    """
    changes: list[DecisionChange] = []
    failures: list[tuple[str, str]] = []
    for case in case_names:
        try:
            before = replay_active(case)
        except Exception as exc:
            failures.append((case, _("active protocol: {error}").format(error=exc)))
            continue
        try:
            after = replay_draft(case)
        except Exception as exc:
            failures.append((case, _("draft: {error}").format(error=exc)))
            continue
        changes.extend(compare_outcomes(case, before, after))
    return DryRunReport(cases=tuple(case_names), changes=tuple(changes), failures=tuple(failures))


def _describe(outcome: DayOutcome | None) -> str:
    if outcome is None:
        return _("(no day)")
    stage = outcome.stage or "?"
    after = outcome.stage_after or "?"
    move = stage if stage == after else f"{stage}→{after}"
    # The engine's decision words (progress, hold...) are the protocol's vocabulary, which
    # admins read as written in the YAML.
    return f"{outcome.decision or _('no decision')} ({move})"


def render_dry_run(report: DryRunReport, name: str) -> str:
    """Return the dry-run summary an admin reads before publishing, in the current language:
    first a warning when publishing would strand athletes, then the changed decisions, then
    what stages would prescribe differently (which no decision may show)."""
    cases = len(report.cases)
    lines = []
    if report.base_version != report.active_version:
        lines.append("⚠️ " + stale_text(name, report.active_version, report.base_version))
    if report.stranded:
        lines.append("⚠️ " + stranded_text(name, report.stranded, report.stranded_athletes))
    if report.ungated:
        lines.append("⚠️ " + ungated_text(name, report.ungated, report.ungated_athletes))
    if report.skipped:
        lines.append("⚠️ " + skipped_text(name, report.skipped, report.skipped_athletes))
    lines += [
        ngettext(
            "Dry-run of the draft of {name}: {n} case replayed.",
            "Dry-run of the draft of {name}: {n} cases replayed.",
            cases,
        ).format(name=name, n=cases)
    ]
    if not report.changes:
        lines.append(_("No decision would change."))
    else:
        days = ngettext("{n} day", "{n} days", len(report.changes)).format(n=len(report.changes))
        changed = len(report.changed_cases)
        lines.append(
            ngettext(
                "{days} in {n} case would change:", "{days} in {n} cases would change:", changed
            ).format(days=days, n=changed)
        )
        for change in report.changes[:MAX_REPORTED_CHANGES]:
            lines.append(
                f"• {change.case} {change.date.isoformat()}: "
                f"{_describe(change.before)} → {_describe(change.after)}"
            )
        hidden = len(report.changes) - MAX_REPORTED_CHANGES
        if hidden > 0:
            lines.append(ngettext("… and {n} more.", "… and {n} more.", hidden).format(n=hidden))
    lines += prescription_lines(report.prescriptions)
    for case, error in report.failures:
        lines.append(_("⚠️ {case} could not be replayed: {error}").format(case=case, error=error))
    if report.athletes:
        # The replays are what the draft would have decided; publishing re-decides nothing.
        lines.append(
            _(
                "Past decisions stand: each athlete moves to the new version at their next "
                "decision, in the stage they are in now; a criterion the draft changes starts "
                "counting again at that decision."
            )
        )
    return "\n".join(lines)


def skipped_text(
    name: str, stages: Sequence[str], athletes: int, rollback_to: int | None = None
) -> str:
    """Say that a new text of ``name`` adds ``stages`` before the stage ``athletes`` athletes
    are in (each stays in their stage, so they will not go through them); for a rollback to
    v``rollback_to``, that version is what adds them."""
    if rollback_to is not None:
        return ngettext(
            "{name}: {n} athlete is already past where v{version} adds {stages}, so will not "
            "go through what is added unless their clinician moves them back",
            "{name}: {n} athletes are already past where v{version} adds {stages}, so will "
            "not go through what is added unless their clinicians move them back",
            athletes,
        ).format(name=name, stages=", ".join(stages), n=athletes, version=rollback_to)
    return ngettext(
        "{name}: {n} athlete is already past where the draft adds {stages}, so will "
        "not go through what is added unless their clinician moves them back",
        "{name}: {n} athletes are already past where the draft adds {stages}, so will "
        "not go through what is added unless their clinicians move them back",
        athletes,
    ).format(name=name, stages=", ".join(stages), n=athletes)


def prescription_lines(prescriptions: Sequence[str], rollback: bool = False) -> list[str]:
    """Lines naming the stages whose prescription a draft (or a rollback) changes, one each
    (:func:`prescription_changes`); none when it changes none."""
    if not prescriptions:
        return []
    n = len(prescriptions)
    heading = (
        ngettext(
            "The rollback changes what {n} stage prescribes:",
            "The rollback changes what {n} stages prescribe:",
            n,
        )
        if rollback
        else ngettext(
            "The draft changes what {n} stage prescribes:",
            "The draft changes what {n} stages prescribe:",
            n,
        )
    )
    return [heading.format(n=n), *(f"• {line}" for line in prescriptions)]


def stranded_text(
    name: str, stages: Sequence[str], athletes: int, rollback_to: int | None = None
) -> str:
    """Say that ``stages`` are missing from a new text of ``name`` while athletes are in them,
    and the way out: keep them in the text, or (for a rollback to v``rollback_to``, whose text
    cannot be edited) pick a version that has them; either way their clinicians may first
    move those athletes with /stage. Said the same for one stage or several."""
    listed = format_and_list(list(stages))
    if rollback_to is not None:
        return ngettext(
            "{name}: {n} athlete is in {stages}, which v{version} does not have: have the "
            "athlete's clinician move them with /stage first, or roll back to a version that "
            "has {stages} (/protocol history {name})",
            "{name}: {n} athletes are in {stages}, which v{version} does not have: have their "
            "clinicians move them with /stage first, or roll back to a version that has "
            "{stages} (/protocol history {name})",
            athletes,
        ).format(name=name, stages=listed, n=athletes, version=rollback_to)
    return ngettext(
        "{name}: {n} athlete is in {stages}, which the new text does not have: keep {stages} "
        "in the text, or have the athlete's clinician move them with /stage first",
        "{name}: {n} athletes are in {stages}, which the new text does not have: keep "
        "{stages} in the text, or have their clinicians move them with /stage first",
        athletes,
    ).format(name=name, stages=listed, n=athletes)


def stale_text(name: str, current: int, base: int) -> str:
    """Say that a draft of ``name`` made from v``base`` cannot be published now that
    v``current`` is in force, and what the admin does next."""
    return _(
        "{name} is now at v{current}, the draft was made from v{base}: another version was "
        "published meanwhile (/protocol diff {name} {base} shows what it changed); make your "
        "change again on v{current}"
    ).format(name=name, current=current, base=base)


def ungated_text(
    name: str, stages: Sequence[str], athletes: int, rollback_to: int | None = None
) -> str:
    """Say that a new text of ``name`` drops the sign-off to leave ``stages`` while athletes
    in them have not been signed off, and the way out: keep the sign-off in the text, or (for
    a rollback to v``rollback_to``, whose text cannot be edited) wait for their clinicians'
    sign-off or pick a version that asks for it."""
    if rollback_to is not None:
        return ngettext(
            "{name}: v{version} does not ask for a clinician's sign-off to leave {stages}, but "
            "{n} athlete in {stages} is waiting for one: roll back once their clinician has "
            "signed them off or moved them, or to a version that asks for it (/protocol "
            "history {name})",
            "{name}: v{version} does not ask for a clinician's sign-off to leave {stages}, but "
            "{n} athletes in {stages} are waiting for one: roll back once their clinicians have "
            "signed them off or moved them, or to a version that asks for it (/protocol "
            "history {name})",
            athletes,
        ).format(name=name, stages=", ".join(stages), n=athletes, version=rollback_to)
    return ngettext(
        "{name}: the new text no longer asks for a clinician's sign-off to leave {stages}, "
        "but {n} athlete in {stages} has not been signed off yet: keep the sign-off until "
        "their clinician has signed them off or moved them",
        "{name}: the new text no longer asks for a clinician's sign-off to leave {stages}, "
        "but {n} athletes in {stages} have not been signed off yet: keep the sign-off until "
        "their clinicians have signed them off or moved them",
        athletes,
    ).format(name=name, stages=", ".join(stages), n=athletes)


def prescription_changes(active: Protocol, draft: Protocol) -> list[str]:
    """Return one line per stage of the draft whose top % Vmax or session differs from the
    active protocol's same stage ("H2 · Return to running: top 65 → 70 % Vmax, session").
    A stage new in the draft is not listed: the difference shows it."""
    lines: list[str] = []
    for stage in draft.stages:
        try:
            before = active.stage(stage.id)
        except KeyError:
            continue
        parts: list[str] = []
        if before.top_pct_vmax != stage.top_pct_vmax:
            parts.append(
                _("top {before} → {after} % Vmax").format(
                    before=f"{before.top_pct_vmax:g}", after=f"{stage.top_pct_vmax:g}"
                )
            )
        if before.session != stage.session:
            parts.append(_("session changed"))
        if parts:
            lines.append(f"{stage.id} · {protocol_text(stage.name)}: {', '.join(parts)}")
    return lines


def next_version(existing_versions: Sequence[int]) -> int:
    """Return the version number a new publication gets: one above the highest so far."""
    return max(existing_versions, default=0) + 1


# --- Stored versions, drafts, publishing -------------------------------------------------------


class StaleDraftError(Exception):
    """The active version changed after the draft was made; the draft must be redone."""


class Draft(BaseModel):
    """A validated, unpublished protocol text and what it was made from."""

    model_config = ConfigDict(frozen=True)

    name: str
    base_version: int
    text: str
    summary: str


def _data(protocol: Protocol) -> dict[str, Any]:
    """Return plain data for ``protocol`` that parses back to it.

    JSON-mode dumping turns the integer red-flag tier keys into strings, which the schema's
    ``Literal[1, 2, 3]`` keys refuse; they are turned back into integers here.
    """
    data = protocol_to_data(protocol)
    tiers = data.get("rules", {}).get("red_flags", {}).get("tiers")
    if isinstance(tiers, dict):
        data["rules"]["red_flags"]["tiers"] = {int(k): v for k, v in tiers.items()}
    return data


def normalized_text(protocol: Protocol) -> str:
    """Return the protocol as canonical YAML (key order kept), used for readable diffs."""
    dumped: str = yaml.safe_dump(_data(protocol), sort_keys=False, allow_unicode=True, width=100)
    return dumped


def shipped_file(name: str, directory: Traversable = PROTOCOL_DIR) -> Traversable | None:
    """Return ``<directory>/<name>.yaml`` if ``name`` is well formed and the file is really
    inside ``directory`` (no path, and on disk no link leading out of it); else None."""
    if not valid_name(name):
        return None
    path = directory / f"{name}.yaml"
    on_disk = isinstance(directory, Path) and isinstance(path, Path)
    if on_disk and Path(str(path)).resolve().parent != Path(str(directory)).resolve():
        return None
    return path if path.is_file() else None


def ensure_seeded(session: Session, name: str, now: dt.datetime) -> None:
    """Store ``protocols/<name>.yaml`` as version 1 if the protocol has no stored version yet
    (by the system: it is the shipped text). Only a well-formed name inside the shipped
    directory is ever read."""
    stored = select(ProtocolVersion.id).where(ProtocolVersion.name == name)
    if session.exec(stored).first():
        return
    path = shipped_file(name)
    if path is None:
        return
    # Two replicas using a protocol for the first time at once: the second waits for the
    # first's seed and finds it, instead of failing on the unique version number.
    lock_protocol(session, name=name)
    if session.exec(stored).first():
        return
    text = path.read_text(encoding="utf-8")
    parse_text(text, str(path.name))
    session.add(
        ProtocolVersion(
            name=name,
            version=1,
            text=text,
            note=SEEDED_NOTE,
            created_at=now,
            active=True,
        )
    )
    session.flush()


SEEDED_NOTE = "seeded from protocols/"
PACKAGED_NOTE = "updated from the packaged protocols/ (Sprintback upgrade)"
PACKAGED_OVER_INVALID_NOTE = (
    "packaged protocols/ text put in force: the admin's version no longer passes the checks "
    "(Sprintback upgrade)"
)


def _no_longer_valid(row: ProtocolVersion) -> str | None:
    """Return why a stored version no longer parses under this version's rules, or None."""
    try:
        parse_text(row.text, f"{row.name} v{row.version}")
    except ProtocolError as exc:
        return str(exc)[:300]
    return None


def refresh_packaged(session: Session, now: dt.datetime) -> list[str]:
    """Bring each shipped protocol's packaged text into force where no admin has taken over.

    A Sprintback upgrade may ship a corrected protocol (a safety fix, say). Where the active
    version is still the system's own (seeded or an earlier packaged update, no admin has
    published or rolled back since) and the shipped file differs, the shipped text is
    published as the next version and running programmes move onto it, audited like any
    publish. Where an admin's version is in force it is left alone: admins decide, and the
    returned line says a newer packaged text exists. Returns one line per protocol acted on.
    """
    lines: list[str] = []
    for name in (n for n in available() if valid_name(n)):
        path = shipped_file(name)
        if path is None:
            continue
        text = path.read_text(encoding="utf-8")
        lock_protocol(session, name=name)  # an admin's publish under way commits first
        active = get_active_protocol(session, name=name)
        if active is None:
            continue  # seeded on first use (ensure_seeded)
        if active.text == text:
            continue
        note = PACKAGED_NOTE
        system = (SEEDED_NOTE, PACKAGED_NOTE, PACKAGED_OVER_INVALID_NOTE)
        if active.author_id is not None or active.note not in system:
            broken = _no_longer_valid(active)
            if broken is None:
                lines.append(
                    f"{name}: the packaged protocols/{name}.yaml differs from v{active.version}, "
                    "which an admin published: left in force (compare with /protocol diff)"
                )
                continue
            # This version of Sprintback refuses it (a safety floor it did not have before):
            # the engine could not run it, and no athlete may stay on a protocol looser than
            # the reference. The packaged text takes over; the admin's stays in the history.
            lines.append(
                f"{name}: v{active.version}, which an admin published, no longer passes this "
                f"version's checks ({broken}): replaced by the packaged text"
            )
            note = PACKAGED_OVER_INVALID_NOTE
        try:
            row = _publish_text(session, name, text, None, note, now)
        except ProtocolError as exc:
            lines.append(f"{name}: the packaged text was not published: {exc}")
            continue
        lines.append(f"{name}: the packaged text is now in force as v{row.version}")
    return lines


def known_names(session: Session, now: dt.datetime) -> list[str]:
    """Return every protocol name (stored or shipped in protocols/), seeding shipped ones."""
    shipped = [name for name in available() if valid_name(name)]
    for name in shipped:
        try:
            ensure_seeded(session, name, now)
        except ProtocolError as exc:
            # A broken shipped file must not hide the other protocols; it is simply not seeded.
            _LOGGER.error("protocols/%s.yaml is not valid, not seeded: %s", name, exc)
    return sorted(set(protocol_names(session)) | set(shipped))


def active_version(session: Session, name: str, now: dt.datetime) -> ProtocolVersion | None:
    """Return the active stored version of ``name`` (seeding it from protocols/ if needed)."""
    ensure_seeded(session, name, now)
    return get_active_protocol(session, name=name)


def history(session: Session, name: str) -> list[ProtocolVersion]:
    """Return every stored version of ``name``, newest first."""
    return protocol_history(session, name=name)


def author_names(session: Session, rows: Sequence[ProtocolVersion]) -> dict[int, str]:
    """Return the name of each admin who wrote one of ``rows``, by person id (a name never
    stored is left out: the history then says "by an admin", never a row number)."""
    ids = {row.author_id for row in rows if row.author_id is not None}
    if not ids:
        return {}
    people = session.exec(select(Person).where(col(Person.id).in_(ids))).all()
    return {p.id: p.display_name for p in people if p.id is not None and p.display_name}


class VersionDiff(BaseModel):
    """What ``/protocol diff`` shows: the active version against another text."""

    model_config = ConfigDict(frozen=True)

    name: str
    active_version: int
    other: str  # "packaged" or "vN"
    diff: str  # unified diff of the canonical YAML; '' when the texts are the same


class NothingToCompare(LookupError):
    """``/protocol diff`` has nothing to compare: ``reason`` is "no protocol" (no version
    stored or shipped), "no packaged file" (only stored versions, e.g. an upload), or
    "no version" (the version asked for is not stored)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def version_diff(
    session: Session, name: str, now: dt.datetime, other_version: int | None = None
) -> VersionDiff:
    """Compare the active version of ``name`` with stored version ``other_version``, or with
    the packaged ``protocols/<name>.yaml`` when none is given (what an upgrade ships; the
    start-up log says when it differs from a version an admin published). Raise
    NothingToCompare when one side is missing, ProtocolError (naming the version) when a text
    does not parse."""
    active = active_version(session, name, now)
    if active is None:
        raise NothingToCompare("no protocol")
    if other_version is None:
        path = shipped_file(name)
        if path is None:
            raise NothingToCompare("no packaged file")
        other_text, label = path.read_text(encoding="utf-8"), "packaged"
    else:
        row = get_protocol_version(session, name=name, version=other_version)
        if row is None:
            raise NothingToCompare("no version")
        other_text, label = row.text, f"v{other_version}"
    old = normalized_text(parse_for_admin(active.text, f"{name} v{active.version}"))
    new = normalized_text(parse_for_admin(other_text, f"{name} {label}"))
    diff = yaml_diff(old, new, name, f"v{active.version}, active", label)
    return VersionDiff(name=name, active_version=active.version, other=label, diff=diff)


def athletes_on(session: Session, name: str) -> int:
    """Return how many active or paused programmes use protocol ``name``."""
    rows = session.exec(
        select(Programme.id).where(
            Programme.protocol_name == name, col(Programme.status).in_(("active", "paused"))
        )
    ).all()
    return len(rows)


def draft_from_set(
    session: Session, name: str, stage: str, field: str, value: str, now: dt.datetime
) -> Draft:
    """Return a draft of ``name`` with one value changed; raise ProtocolError if invalid."""
    require_name(name)
    check_shape(value, "the value")
    active = active_version(session, name, now)
    if active is None:
        raise ProtocolError([_("{name}: no such protocol").format(name=name)])
    protocol = parse_for_admin(active.text, f"{name} v{active.version}")
    before = _data(protocol)
    try:
        data = set_value(before, stage, field, value)
    except ProtocolError as exc:
        raise readable_error(exc, before) from None
    wrong = binding_problems(name, data)
    if wrong:
        raise ProtocolError(wrong)
    try:
        draft_protocol = parse_protocol(data, source=f"{name} draft")
    except ProtocolError as exc:
        raise readable_error(exc, data) from None
    return Draft(
        name=name,
        base_version=active.version,
        text=normalized_text(draft_protocol),
        summary=f"set {stage} {field} = {value}",
    )


def draft_from_upload(session: Session, text: str, filename: str, now: dt.datetime) -> Draft:
    """Return a draft from an uploaded YAML file; raise ProtocolError if it is too deep or too
    large once expanded, does not validate, or names the protocol outside :data:`NAME_RULE`."""
    check_shape(text, filename)
    try:
        protocol = parse_for_admin(text, filename)
    except ProtocolError as exc:
        raise ProtocolError(_upload_binding_problems(text) + exc.problems) from None
    require_name(protocol.name)
    check_binding(protocol.name, protocol)
    active = active_version(session, protocol.name, now)
    return Draft(
        name=protocol.name,
        base_version=active.version if active is not None else 0,
        text=text,
        summary=f"upload of {filename}",
    )


def _upload_binding_problems(text: str) -> list[str]:
    """What :func:`binding_problems` says of an uploaded text that does not validate, under
    the name it gives itself (none when it gives none, or is not YAML)."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return []
    name = data.get("name") if isinstance(data, dict) else None
    return binding_problems(name, data) if isinstance(name, str) and valid_name(name) else []


def draft_diff(session: Session, draft: Draft, now: dt.datetime) -> str:
    """Return the difference between the active version and the draft (canonical YAML); raise
    ProtocolError if it is longer than :data:`MAX_DIFF_LINES` lines."""
    active = active_version(session, draft.name, now)
    old = normalized_text(parse_text(active.text, draft.name)) if active is not None else ""
    new = normalized_text(parse_text(draft.text, draft.name))
    label = f"v{active.version}" if active is not None else "none"
    diff = yaml_diff(old, new, draft.name, label, "draft")
    lines = diff.count("\n")
    if lines > MAX_DIFF_LINES:
        raise ProtocolError(
            [
                _(
                    "{name}: the difference to {label} is {lines} lines; at most {most} are "
                    "accepted, so make the change in smaller steps"
                ).format(
                    name=draft.name,
                    label=label,
                    lines=format_decimal(lines),
                    most=format_decimal(MAX_DIFF_LINES),
                )
            ]
        )
    return diff


class StageInUseError(ProtocolError):
    """The new text drops a stage that athletes are in (publishing it would strand them), or
    the sign-off to leave a stage that athletes in it still wait for."""


def stranded_stages(programmes: Sequence[Programme], protocol: Protocol) -> tuple[list[str], int]:
    """Return the stages athletes of ``programmes`` are in that ``protocol`` lacks, and how
    many athletes are in them (publishing such a text would strand them)."""
    stage_ids = {s.id for s in protocol.stages}
    stranded = sorted({p.current_stage for p in programmes} - stage_ids)
    return stranded, sum(p.current_stage in stranded for p in programmes)


def ungated_stages(
    session: Session, programmes: Sequence[Programme], protocol: Protocol, now: dt.datetime
) -> tuple[list[str], int]:
    """Return the stages whose sign-off ``protocol`` drops while athletes of ``programmes``
    in them have not been signed off, and how many such athletes there are.

    A sign-off is the stage's own (``signoff: required``) or the early one (the next stage is
    ``early_signoff_stage`` and the athlete is before the share of the expected time). The
    engine reads both from the version in force at each decision: publishing such a text
    would let those athletes move on at their next decision without the clearance their
    clinician was to give. A programme on a version that no longer parses (an upgrade's
    stricter checks) is not counted: its gate cannot be read, and the text replacing it must
    not be held up. A stage the text lacks is a stranded stage instead.
    """
    waiting: list[Programme] = []
    for programme in programmes:
        stage = programme.current_stage
        if stage not in {s.id for s in protocol.stages}:
            continue
        current = programme_protocol(session, programme, now)
        if current is None or stage not in {s.id for s in current.stages}:
            continue
        early = current.next_stage(stage) == current.early_signoff_stage
        if current.stage(stage).signoff != "required" and not early:
            continue  # no gate to leave this stage now: nothing to take away
        injury = latest_injury(session, athlete_id=programme.athlete_id)
        person = session.get(Person, programme.athlete_id)
        today = local_date(person, now) if person is not None else now.date()
        if not _gated(current, stage, injury, today) or _gated(protocol, stage, injury, today):
            continue
        if not clearances_in_this_stay(session, programme, declined=False):
            waiting.append(programme)
    return sorted({p.current_stage for p in waiting}), len(waiting)


def _gated(protocol: Protocol, stage: str, injury: Injury | None, on: dt.date) -> bool:
    """Tell whether leaving ``stage`` of ``protocol`` on ``on`` needs a clinician's sign-off
    (the engine's gate item "gate.8": the stage's own, or the early one for ``injury``)."""
    if protocol.stage(stage).signoff == "required":
        return True
    if injury is None:
        return False  # the engine decides nothing without an injury
    state = initial_state(protocol, on).model_copy(update={"stage": stage})
    return any(item.rule == "gate.8" for item in gate_items(protocol, injury, state, on, "go"))


def skipped_stages(
    programmes: Sequence[Programme], active: Protocol, protocol: Protocol
) -> tuple[list[str], int]:
    """Return the stages ``protocol`` adds (``active`` lacks them) before the stage athletes
    of ``programmes`` are in, and how many athletes are past them: publishing leaves each
    athlete in their stage, so they never go through the new one."""
    order = [s.id for s in protocol.stages]
    added = [sid for sid in order if sid not in {s.id for s in active.stages}]
    behind: set[str] = set()
    athletes = 0
    for programme in programmes:
        if programme.current_stage not in order:
            continue  # a stranded stage, said on its own
        here = order.index(programme.current_stage)
        passed = [sid for sid in added if order.index(sid) < here]
        behind.update(passed)
        athletes += bool(passed)
    return [sid for sid in order if sid in behind], athletes


def _programmes_on(session: Session, name: str) -> list[Programme]:
    """The running programmes on protocol ``name``, locked until the transaction ends (as a
    decision locks its athlete's, ``lock_programme``): a decision under way on another
    replica commits first, so a stage it just moved an athlete into is seen by the check for
    stranded athletes, and a later decision reads the new version."""
    return list(
        session.exec(
            select(Programme)
            .where(
                Programme.protocol_name == name,
                col(Programme.status).in_(("active", "paused")),
            )
            .order_by(col(Programme.id))
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    )


def _in_use_problems(
    session: Session,
    name: str,
    programmes: Sequence[Programme],
    protocol: Protocol,
    now: dt.datetime,
    rollback_to: int | None = None,
) -> list[str]:
    """Why publishing ``protocol`` as ``name`` would be refused for the athletes of
    ``programmes``: a stage one is in that it lacks, a sign-off one waits for that it drops
    (none: it may be published)."""
    stranded, users = stranded_stages(programmes, protocol)
    ungated, waiting = ungated_stages(session, programmes, protocol, now)
    problems = [stranded_text(name, stranded, users, rollback_to)] if stranded else []
    problems += [ungated_text(name, ungated, waiting, rollback_to)] if ungated else []
    return problems


def _publish_text(
    session: Session,
    name: str,
    text: str,
    author_id: int | None,
    note: str,
    now: dt.datetime,
    rollback_to: int | None = None,
) -> ProtocolVersion:
    """Publish ``text`` as the active version and move every running programme onto it.

    The programmes' next decision then runs on (and records) the new version. Refused with
    StageInUseError if the text no longer has a stage some athlete is in, or no longer asks
    for the sign-off some athlete is waiting for (:func:`ungated_stages`); ``rollback_to``
    names the old version a rollback publishes again (the refusal then says so).
    """
    protocol = parse_text(text, name)
    check_binding(name, protocol)  # whatever the text's origin (a draft, an old version)
    previous = active_version(session, name, now)
    programmes = _programmes_on(session, name)
    problems = _in_use_problems(session, name, programmes, protocol, now, rollback_to)
    if problems:
        raise StageInUseError(problems)
    row = publish_protocol_version(
        session, name=name, text=text, author_id=author_id, now=now, note=note
    )
    shipped = shipped_display_texts(name)
    for location, source in changed_display_texts(previous.text if previous else None, text):
        if source in shipped:
            continue  # extracted from protocols/ into the catalogues: translated with the rest
        mark_texts_for_review(
            session,
            name=name,
            version=row.version,
            texts=[(location, source)],
            languages=untranslated_languages(source),
            now=now,
        )
    for programme in programmes:
        programme.protocol_version = row.version
        programme.updated_at = now
        session.add(programme)
    if programmes:
        audit(
            session,
            actor_id=author_id,
            action="protocol_migrate",
            now=now,
            detail={"name": name, "version": row.version, "programmes": len(programmes)},
        )
    session.flush()
    return row


# --- Display texts whose translations need review ----------------------------------------------


class TextToReview(BaseModel):
    """A display text of the active version that some languages do not translate yet."""

    model_config = ConfigDict(frozen=True)

    location: str
    text: str
    languages: tuple[str, ...]


def _display_texts(yaml_text: str) -> list[tuple[str, str]]:
    """Return (where, English text) of every display text of a protocol YAML text."""
    document = yaml.compose(yaml_text)
    if document is None:
        return []
    return [(where, text) for _line, where, text in display_texts(document)]


def changed_display_texts(old_text: str | None, new_text: str) -> list[tuple[str, str]]:
    """Return (where, text) of each display text of ``new_text`` that ``old_text`` lacks
    (a text an admin wrote or changed), once each, in the order of the protocol."""
    old = {text for _, text in _display_texts(old_text)} if old_text else set()
    seen: set[str] = set()
    changed: list[tuple[str, str]] = []
    for where, text in _display_texts(new_text):
        if text not in old and text not in seen:
            seen.add(text)
            changed.append((where, text))
    return changed


def shipped_display_texts(name: str) -> frozenset[str]:
    """Return the display texts of the protocol file shipped as ``protocols/<name>.yaml``
    (extracted into the catalogues by ``make catalogues``); empty when there is none."""
    path = shipped_file(name)
    if path is None:
        return frozenset()
    return frozenset(text for _, text in _display_texts(path.read_text(encoding="utf-8")))


def untranslated_languages(text: str) -> list[str]:
    """Return the languages other than English whose catalogue has no translation of the
    protocol display text ``text`` (they read it in English)."""
    missing = []
    for lang in LANGUAGES:
        if lang == SOURCE_LANGUAGE:
            continue
        with use_language(lang):
            if protocol_text(text) == text:
                missing.append(lang)
    return missing


def texts_to_review(session: Session, name: str, now: dt.datetime) -> list[TextToReview]:
    """Return the display texts of the active version of ``name`` that an admin changed and
    that some language still does not translate, with those languages (oldest change first)."""
    rows = texts_for_review(session, name=name)
    if not rows:
        return []
    active = active_version(session, name, now)
    current = {text for _, text in _display_texts(active.text)} if active else set()
    current -= shipped_display_texts(name)
    found: dict[str, TextToReview] = {}
    for row in rows:
        if row.text not in current or row.text in found:
            continue
        still = tuple(
            lang for lang in row.languages.split(",") if lang in untranslated_languages(row.text)
        )
        if still:
            found[row.text] = TextToReview(location=row.location, text=row.text, languages=still)
    return list(found.values())


def publish(
    session: Session, draft: Draft, author_id: int | None, now: dt.datetime
) -> ProtocolVersion:
    """Publish ``draft`` as the new active version; raise StaleDraftError if the base moved
    (another admin, maybe on another replica, published first: the draft would undo it)."""
    parse_for_admin(draft.text, draft.name)  # never publish an invalid text, whatever its origin
    lock_protocol(session, name=draft.name)  # a publish under way elsewhere commits first
    active = active_version(session, draft.name, now)
    current = active.version if active is not None else 0
    if current != draft.base_version:
        raise StaleDraftError(stale_text(draft.name, current, draft.base_version))
    return _publish_text(session, draft.name, draft.text, author_id, draft.summary, now)


class Undone(BaseModel):
    """A version a rollback takes out of force: its number, who published it, and when."""

    model_config = ConfigDict(frozen=True)

    version: int
    author_id: int | None
    author: str | None  # their stored name (None: the system, or a name never stored)
    created_at: dt.datetime


def undone_versions(session: Session, name: str, version: int, below: int) -> list[Undone]:
    """Return the versions of ``name`` after ``version`` and before ``below`` whose text is
    not ``version``'s (an earlier rollback to it undid nothing), newest first: what publishing
    ``version``'s text again as ``below`` takes out of force. Read under the protocol's lock,
    this is exactly what was published meanwhile, by anyone, on any replica."""
    rows = history(session, name)
    target = next((r for r in rows if r.version == version), None)
    kept = [
        r for r in rows if version < r.version < below and (target is None or r.text != target.text)
    ]
    names = author_names(session, kept)
    return [
        Undone(
            version=r.version,
            author_id=r.author_id,
            author=names.get(r.author_id) if r.author_id is not None else None,
            created_at=r.created_at,
        )
        for r in kept
    ]


# How recent an undone version must be for its author to be told of the rollback (an older
# one was seen in force long enough; its author is not waiting on it).
ROLLBACK_NOTICE_WITHIN = dt.timedelta(days=1)
ROLLBACK_NOTICE_KIND = "protocol_rollback_notice"


def rollback(
    session: Session, name: str, version: int, author_id: int | None, now: dt.datetime
) -> ProtocolVersion:
    """Publish the text of old ``version`` again as a new version; history stays intact."""
    return rollback_telling(session, name, version, author_id, now).row


@dataclasses.dataclass(frozen=True)
class RolledBack:
    """A rollback done: the version it published, the versions it undoes (newest first), and
    the names of the other admins told that theirs are undone."""

    row: ProtocolVersion
    undone: tuple[Undone, ...]
    told: tuple[str, ...]


def _admins_to_tell(undone: Sequence[Undone], author_id: int | None, now: dt.datetime) -> list[int]:
    """The other admins a rollback by ``author_id`` tells: who published one of the
    ``undone`` versions within :data:`ROLLBACK_NOTICE_WITHIN`."""
    return sorted(
        {
            u.author_id
            for u in undone
            if u.author_id is not None
            and u.author_id != author_id
            and now - u.created_at <= ROLLBACK_NOTICE_WITHIN
        }
    )


@dataclasses.dataclass(frozen=True)
class RollbackOffer:
    """What a rollback of ``name`` to v``version`` would do, shown before the admin confirms
    it: the version it would publish, the versions it would undo (newest first) and the
    admins who would be told, the difference to the version in force (v``base_version``),
    and what changes for the athletes on the protocol."""

    name: str
    version: int
    base_version: int
    new_version: int
    undone: tuple[Undone, ...]
    to_tell: tuple[str, ...]
    diff: str
    athletes: int
    skipped: tuple[str, ...]
    skipped_athletes: int
    prescriptions: tuple[str, ...]


def rollback_offer(
    session: Session, name: str, version: int, author_id: int | None, now: dt.datetime
) -> RollbackOffer:
    """Say what rolling ``name`` back to ``version`` would do now, changing nothing.

    Raise ProtocolError when it would be refused: no such version, its text already in force
    or no longer valid, or it would strand an athlete or take away a sign-off one waits for
    (:class:`StageInUseError`, said as the rollback itself says it). The rollback, once
    confirmed, checks all this again under the protocol's lock, and is refused as stale if
    another version was published since (:func:`rollback_telling` with ``expected_active``).
    """
    old, active = _rollback_source(session, name, version, now)
    protocol = parse_for_admin(old.text, f"{name} v{version}")
    check_binding(name, protocol)
    programmes = list(
        session.exec(
            select(Programme)
            .where(
                Programme.protocol_name == name,
                col(Programme.status).in_(("active", "paused")),
            )
            .order_by(col(Programme.id))
        )
    )
    problems = _in_use_problems(session, name, programmes, protocol, now, rollback_to=version)
    if problems:
        raise StageInUseError(problems)
    current = parse_for_admin(active.text, f"{name} v{active.version}") if active else protocol
    below = next_version([r.version for r in history(session, name)])
    undone = undone_versions(session, name, version, below)
    people = [session.get(Person, i) for i in _admins_to_tell(undone, author_id, now)]
    skipped, past = skipped_stages(programmes, current, protocol)
    label = f"v{active.version}, active" if active is not None else "none"
    return RollbackOffer(
        name=name,
        version=version,
        base_version=active.version if active is not None else 0,
        new_version=below,
        undone=tuple(undone),
        to_tell=tuple(p.display_name for p in people if p is not None and p.display_name),
        diff=yaml_diff(
            normalized_text(current), normalized_text(protocol), name, label, f"v{version}"
        ),
        athletes=len(programmes),
        skipped=tuple(skipped),
        skipped_athletes=past,
        prescriptions=tuple(prescription_changes(current, protocol)),
    )


def stale_rollback_text(name: str, version: int, current: int, base: int) -> str:
    """Say that a rollback of ``name`` to v``version``, offered while v``base`` was in force,
    is not done now that v``current`` is, and what the admin does next."""
    return _(
        "{name} is now at v{current}, the rollback to v{version} was offered at v{base}: "
        "another version was published meanwhile (/protocol history {name}); send "
        "/protocol rollback {name} {version} again to see what it would undo now"
    ).format(name=name, version=version, current=current, base=base)


def rollback_telling(
    session: Session,
    name: str,
    version: int,
    author_id: int | None,
    now: dt.datetime,
    expected_active: int | None = None,
) -> RolledBack:
    """Publish the text of old ``version`` again as a new version, and say what it undoes.

    Under the protocol's lock (so a version another admin published a moment ago, on any
    replica, is seen): the versions published after ``version`` that it takes out of force
    are returned, and each other admin who published one of them within
    :data:`ROLLBACK_NOTICE_WITHIN` is told, in the same transaction, in their language.
    With ``expected_active`` (the version in force when the rollback was offered), raise
    StaleDraftError if another version is in force now: the admin confirmed what the offer
    showed, not what the rollback would undo now."""
    row = _rollback(session, name, version, author_id, now, expected_active)
    undone = undone_versions(session, name, version, row.version)
    roller = session.get(Person, author_id) if author_id is not None else None
    who = roller.display_name if roller is not None and roller.display_name else None
    told: list[str] = []
    for other_id in _admins_to_tell(undone, author_id, now):
        person = session.get(Person, other_id)
        if person is None:
            continue
        theirs = [u.version for u in undone if u.author_id == other_id]
        with use_language(person.language):
            text = rollback_notice(name, version, row.version, who, theirs)
        enqueue_message(
            session,
            chat_id=person.reply_chat,
            text=text,
            kind=ROLLBACK_NOTICE_KIND,
            now=now,
            person_id=person.id,
        )
        told.append(person.display_name or "")
    return RolledBack(row=row, undone=tuple(undone), told=tuple(t for t in told if t))


def rollback_notice(
    name: str, version: int, new_version: int, who: str | None, theirs: Sequence[int]
) -> str:
    """Tell an admin that a rollback of ``name`` to v``version`` (in force as
    v``new_version``) took their versions ``theirs`` out of force, and how to bring the latest
    back."""
    latest = max(theirs)
    versions = format_and_list([f"v{v}" for v in sorted(theirs)])
    return _(
        "{who} rolled {name} back to v{version} (in force now as v{new_version}), which undoes "
        "your {versions}. /protocol diff {name} {latest} shows what was undone; "
        "/protocol rollback {name} {latest} brings it back."
    ).format(
        who=quoted(who, 40) if who else _("Another admin"),
        name=name,
        version=version,
        new_version=new_version,
        versions=versions,
        latest=latest,
    )


def _rollback(
    session: Session,
    name: str,
    version: int,
    author_id: int | None,
    now: dt.datetime,
    expected_active: int | None = None,
) -> ProtocolVersion:
    """Publish the text of old ``version`` again as a new version; history stays intact.
    Raise StaleDraftError if ``expected_active`` is given and another version is in force."""
    lock_protocol(session, name=name)  # a publish under way elsewhere commits first
    if expected_active is not None:
        active = active_version(session, name, now)
        current = active.version if active is not None else 0
        if current != expected_active:
            raise StaleDraftError(stale_rollback_text(name, version, current, expected_active))
    _rollback_source(session, name, version, now)
    note = f"rollback to v{version}"
    old = get_protocol_version(session, name=name, version=version)
    assert old is not None  # _rollback_source found it
    return _publish_text(session, name, old.text, author_id, note, now, rollback_to=version)


def _rollback_source(
    session: Session, name: str, version: int, now: dt.datetime
) -> tuple[ProtocolVersion, ProtocolVersion | None]:
    """Return stored ``version`` of ``name`` and the version in force; raise ProtocolError if
    there is no such version, its text does not validate or is already in force."""
    old = get_protocol_version(session, name=name, version=version)
    if old is None:
        raise ProtocolError(
            [
                _("{name} has no version {version}. See /protocol history {name}.").format(
                    name=name, version=version
                )
            ]
        )
    parse_for_admin(old.text, f"{name} v{version}")
    active = active_version(session, name, now)
    if active is not None and active.text == old.text:
        # Nothing to undo (say a second admin rolled back to it a moment ago): a new version
        # with the same text would only say that something changed.
        raise ProtocolError(
            [
                _("{name}: the text of v{version} is already in force, as v{active}").format(
                    name=name, version=version, active=active.version
                )
            ]
        )
    return old, active


def programme_protocol(session: Session, programme: Programme, now: dt.datetime) -> Protocol | None:
    """Return the protocol version a programme is on (else the active one), or None."""
    row = get_protocol_version(
        session, name=programme.protocol_name, version=programme.protocol_version
    ) or active_version(session, programme.protocol_name, now)
    if row is None:
        return None
    try:
        return parsed_version(row.name, row.version, row.text)
    except ProtocolError:
        return None


# --- Replays: dry-run cases and an athlete's current stage status ----------------------------


def _outcomes(timeline: Timeline, since: dt.date | None = None) -> list[DayOutcome]:
    return [
        DayOutcome(date=d.date, stage=d.stage, decision=d.decision, stage_after=d.stage_after)
        for d in timeline.days
        if since is None or d.date >= since
    ]


def example_cases(
    protocol_name: str, injury: str, directory: Traversable = EXAMPLES_DIR
) -> dict[str, Scenario]:
    """Return the scenarios in ``directory`` that run on ``protocol_name``, by file name.

    A scenario names its protocol, or defaults to the one for its injury.
    """
    cases: dict[str, Scenario] = {}
    for path in yaml_files(directory):
        try:
            scenario = parse_scenario(
                yaml.safe_load(path.read_text(encoding="utf-8")), source=path.name
            )
        except (ScenarioError, yaml.YAMLError, OSError):
            continue
        name = scenario.protocol or scenario.athlete.injury
        if name == protocol_name or (
            scenario.protocol is None and injury == scenario.athlete.injury
        ):
            cases[f"examples/{path.name}"] = scenario
    return cases


def replay_scenario(protocol: Protocol, scenario: Scenario) -> list[DayOutcome]:
    """Replay one scenario file under ``protocol``."""
    timeline = replay(
        protocol,
        scenario.injury(),
        scenario.athlete.baseline,
        scenario.days,
        start=scenario.start,
        until=scenario.until,
    )
    return _outcomes(timeline)


def dry_run_draft(
    session: Session,
    draft: Draft,
    today: dt.date,
    now: dt.datetime,
    examples_dir: Traversable = EXAMPLES_DIR,
) -> DryRunReport:
    """Replay examples/ and the last 60 days of every athlete on the protocol: active vs draft."""
    active_row = active_version(session, draft.name, now)
    draft_protocol = parse_text(draft.text, f"{draft.name} draft")
    active = (
        parse_text(active_row.text, f"{draft.name} v{active_row.version}")
        if active_row is not None
        else draft_protocol
    )
    scenarios = example_cases(draft.name, draft_protocol.injury, examples_dir)
    programmes = list(
        session.exec(
            select(Programme)
            .where(
                Programme.protocol_name == draft.name,
                col(Programme.status).in_(("active", "paused")),
            )
            .order_by(col(Programme.athlete_id))
        )
    )
    since = today - dt.timedelta(days=DRYRUN_DAYS - 1)

    def run(protocol: Protocol) -> Callable[[str], list[DayOutcome]]:
        def one(case: str) -> list[DayOutcome]:
            if case in scenarios:
                return replay_scenario(protocol, scenarios[case])
            programme = next(p for p in programmes if f"athlete #{p.athlete_id}" == case)
            timeline = athlete_timeline(session, programme, protocol, today)
            if timeline is None:
                raise ValueError(_("no injury recorded"))
            return _outcomes(timeline, since)

        return one

    cases = [*scenarios, *(f"athlete #{p.athlete_id}" for p in programmes)]
    report = dry_run(cases, run(active), run(draft_protocol))
    stranded, users = stranded_stages(programmes, draft_protocol)
    ungated, waiting = ungated_stages(session, programmes, draft_protocol, now)
    skipped, past = skipped_stages(programmes, active, draft_protocol)
    return report.model_copy(
        update={
            "base_version": draft.base_version,
            "active_version": active_row.version if active_row is not None else 0,
            "skipped": tuple(skipped),
            "skipped_athletes": past,
            "athletes": len(programmes),
            "stranded": tuple(stranded),
            "stranded_athletes": users,
            "ungated": tuple(ungated),
            "ungated_athletes": waiting,
            "prescriptions": tuple(prescription_changes(active, draft_protocol)),
        }
    )
