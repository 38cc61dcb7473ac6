"""Stage names, alert lines and protocol titles as a person reads them, whatever is stored.

The wording layer (``bot.wording``) names what a protocol names: a stage by its code and its
name, an alert from its rule and the stage's sign-off note. Protocols are uploaded by admins,
and stored rows outlive the protocol version they were written under, so a screen may meet a
stage whose name is only its code or a key ("H8", "club_strength"), a stage that a newer
version no longer has, a sign-off stage without a note, a protocol without a title, a rule
the wording does not know, or an alert whose stored sentence is empty. Here those are said in
plain words, so that no stage id on its own, rule id, internal key or stored protocol name
reaches the clinician's card, the chart, the PDF or the digest (voice.md: codes are fine for
clinicians next to a stage's name, never alone).

Used by the report builders (``bot.reports.from_store``, ``stage_history``, ``record``,
``criteria``, ``digest``) and the clinician's cards (``bot.services.clinician``).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from bot.support.i18n import L_, _
from bot.wording import Audience, protocol_text, stage_label
from bot.wording.alerts import alert_line
from bot.wording.injury import injury_name

# The alerts that put a stage's sign-off to the clinicians (engine.programme), one definition
# for the reports and the clinician's decisions: the request ("Stage H3 criteria met: sign-off
# needed to move on (<the stage's sign-off note, or 'clearance'>)."), and the engine's word
# that an earlier sign-off came too early or no longer holds ("Sign-off for H3 …: you will be
# asked again"). A sign-off of that stage, or its refusal, answers each of them.
SIGNOFF_REQUEST_RULE = "gate.8"
SIGNOFF_ALERT_RULES: tuple[str, ...] = (SIGNOFF_REQUEST_RULE, "gate.8.early", "gate.8.lapsed")
_SIGNOFF = re.compile(r"^Stage (?P<stage>\S+) criteria met: sign-off needed to move on")
# Alerts whose sentence names the protocol by its stored name (engine.programme): the grade
# and mechanism alerts quote it ("the default 'hamstring' protocol"; the injury is named in
# the same sentence, so only the quoted name is replaced), a clinician's unknown stage names
# it bare.
_DEFAULT_PROTOCOL = re.compile(r"(?P<lead>the default ')(?P<name>[^']+)(?=' protocol)")
_DEFAULT_INJURY = re.compile(r"^(?:Grade \S+|Stretching-type) (?P<injury>\S+) injury:")
_QUOTED_NAME_RULES = ("protocol.grade", "protocol.mechanism")
_BARE_NAME = re.compile(r"does not exist in protocol (?P<name>\S+):")
_BARE_NAME_RULE = "clinician.set_stage"

STAGE_NOT_IN_PROTOCOL = L_("a stage no longer in the protocol")
STAGE_PROTOCOL_UNREADABLE = L_("a stage of a protocol that cannot be read")
ALERT_WITHOUT_WORDS = L_("An alert without details was recorded: please check the athlete.")
# Said where a stage's exit criteria would be (the PDF, /athlete) when they cannot be the
# athlete's: the engine's replay of a version without the athlete's stage starts at its
# first stage, whose criteria (and sign-off) are not theirs.
CRITERIA_STAGE_NOT_IN_VERSION = L_(
    "The athlete's stage is not in the protocol version the programme runs on, so its exit "
    "criteria cannot be shown. Please set the athlete's stage with /stage."
)
CRITERIA_PROTOCOL_UNREADABLE = L_(
    "The protocol version the programme runs on cannot be read, so the stage's exit criteria "
    "cannot be shown."
)


def _stages(protocol: Any) -> list[Any]:
    return list(getattr(protocol, "stages", ()) or ())


def stage_words(protocol: Any | None, stage_id: str, audience: Audience = "clinician") -> str:
    """Return a stage as ``audience`` reads it (``stage_label``: "H2 · Return to running",
    "H8 · Stage 3" for a stage without a display name), or in words for a stage the protocol
    does not hold (a newer version removed it) or when the protocol cannot be read. Never the
    id alone."""
    if protocol is None:
        return str(STAGE_PROTOCOL_UNREADABLE)
    if stage_id not in {s.id for s in _stages(protocol)}:
        return str(STAGE_NOT_IN_PROTOCOL)
    return stage_label(protocol, stage_id, audience)


def protocol_title(protocol: Any | None, injury: str | None = None) -> str:
    """The protocol's title in the reader's language, else (no title, or the protocol cannot
    be read) what it is for in words ("hamstring return-to-sprint protocol"): never the name
    it is stored under."""
    title = protocol_text(str(getattr(protocol, "title", "") or "")).strip()
    if title:
        return title
    injury = injury or getattr(protocol, "injury", None)
    if not injury:
        return _("return-to-sprint protocol")
    return _("{injury} return-to-sprint protocol").format(injury=injury_name(str(injury)))


def _signoff_line(text: str, protocol: Any | None) -> str | None:
    """The sign-off request of a stage without a sign-off note (the engine writes
    "(clearance)" then, which tells the clinician nothing), or of a stage the protocol no
    longer holds, in words."""
    m = _SIGNOFF.match(text.strip())
    if m is None:
        return None
    stage = next((s for s in _stages(protocol) if s.id == m["stage"]), None)
    if stage is not None and getattr(stage, "signoff_note", None):
        return None  # the wording names the note
    if stage is None and protocol is not None:
        # A newer version removed the stage: its gate is gone, no sign-off can be given.
        return _(
            "A sign-off was asked for a stage that is no longer in the protocol: it cannot "
            "be given now."
        )
    # "H8 · Stage 3 · Sign-off: the criteria are met, your sign-off is needed."
    needed = _("Sign-off: the criteria are met, your sign-off is needed.")
    return f"{stage_words(protocol, m['stage'])} · {needed}"


def _called(protocol: Any | None, injury: str | None = None) -> str:
    """The protocol as a sentence names it: a packaged protocol (stored under its injury's
    name) by its injury in the reader's words ("the default “isquiotibiales” protocol"), an
    admin's by its title (:func:`protocol_title`)."""
    name, injury = getattr(protocol, "name", None), getattr(protocol, "injury", None) or injury
    if injury and (protocol is None or name == injury):
        return injury_name(str(injury))
    return protocol_title(protocol, injury)


def _titled(text: str, rule: str, protocol: Any | None) -> str:
    """The engine's sentence of a grade or mechanism alert with the protocol's stored name
    replaced by how a person calls it, before it is worded ("the default 'hamstring'
    protocol")."""
    if rule not in _QUOTED_NAME_RULES:
        return text
    injury = _DEFAULT_INJURY.match(text)
    called = _called(protocol, injury["injury"] if injury else None).replace("'", "’")
    return _DEFAULT_PROTOCOL.sub(lambda m: m["lead"] + called, text)


def _bare_name(line: str, rule: str, text: str, protocol: Any | None) -> str:
    """``line`` with the protocol's stored name that a clinician's unknown stage names
    ("does not exist in protocol hamstring") replaced by its title."""
    m = _BARE_NAME.search(text) if rule == _BARE_NAME_RULE else None
    if m is None:
        return line
    name = re.escape(m["name"])
    return re.sub(rf"(?<![\w.]){name}(?![\w])", _called(protocol), line)


def _lone_ids(letters: set[str]) -> re.Pattern[str]:
    """A stage id of the protocol's families standing on its own in a sentence: not inside
    a range ("H0–H7") or a word, not already labelled ("H3 · Progressive running")."""
    family = "".join(sorted(letters)) or "HC"
    return re.compile(rf"(?<![\w–'\"‘“-])([{family}][0-9]{{1,2}})(?![\w–-])(?! ·)")


def _stage_names(line: str, protocol: Any | None) -> str:
    """``line`` with every stage id left on its own named: labelled when the protocol holds
    it, in words when it does not or cannot be read."""
    if protocol is None:
        return _lone_ids({"H", "C"}).sub(lambda _m: str(STAGE_PROTOCOL_UNREADABLE), line)
    ids = {s.id for s in _stages(protocol)}
    return _lone_ids({i[:1] for i in ids}).sub(
        lambda m: stage_words(protocol, m[1]) if m[1] in ids else str(STAGE_NOT_IN_PROTOCOL),
        line,
    )


def alert_text(
    rule: str,
    text: str,
    protocol: Any | None = None,
    on: dt.date | None = None,
    *,
    brief: bool = False,
) -> str:
    """Return an alert's line as a clinician reads it (``bot.wording.alerts.alert_line``),
    with what the wording leaves to stored data said in words: a sign-off stage without a
    note, a stage without a display name or no longer in the protocol, the protocol's stored
    name, an alert stored without a sentence. The rule id is never shown."""
    # Only the request's sentence can lack its words (the stage's note); the others of
    # SIGNOFF_ALERT_RULES name what is missing and are worded by alert_line.
    worded = _signoff_line(text, protocol) if rule == SIGNOFF_REQUEST_RULE else None
    if worded is None:
        worded = alert_line(rule, _titled(text, rule, protocol), protocol, on, brief=brief)
    worded = _bare_name(_stage_names(worded, protocol), rule, text, protocol).strip()
    if not worded or worded == rule:
        return str(ALERT_WITHOUT_WORDS)
    return worded
