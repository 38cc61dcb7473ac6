"""Who may see and do what: pure policy over the caller's role and links.

Handlers build a :class:`Caller` from the store (role, linked athletes) and the settings (admin
ids) and ask these functions before touching anything. A refusal carries a reason for the audit
log; the user is only ever shown :data:`REFUSAL_TEXT`, which does not reveal whether the athlete
exists.

Policy, in one place:
- An athlete sees their own record only.
- A clinician sees and acts on athletes linked to them (consented links only).
- An admin (a Telegram id in ADMIN_TELEGRAM_IDS) may see every athlete and acknowledge alerts
  (they receive unacknowledged emergencies), edits protocols and invites clinicians. Clinical
  decisions (clear or decline a gate, hold, step back, set the stage, pause) stay with a linked
  clinician: an admin who is also a clinician acts through their clinician links.
- Admin rights come from the current ADMIN_TELEGRAM_IDS setting only. A stored person with the
  role "admin" is a staff record (a name for the audit log, a time zone): it grants nothing,
  so an id removed from the setting loses every admin right at the next start.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from pydantic import BaseModel, ConfigDict

from bot.support.i18n import N_

Role = Literal["athlete", "clinician", "admin"]

# English id: show it as ``_(REFUSAL_TEXT)`` (in the caller's language).
REFUSAL_TEXT = N_("You don't have access to that.")

AthleteAction = Literal[
    "view",
    "acknowledge",
    "message",
    "note",
    "clear",
    "review",
    "decline",
    "hold",
    "step_back",
    "set_stage",
    "pause",
    "resume",
    "usual_tightness",
    "unlink",
]
CLINICAL_ACTIONS: frozenset[str] = frozenset(
    {
        "clear",
        "review",
        "decline",
        "hold",
        "step_back",
        "set_stage",
        "pause",
        "resume",
        "usual_tightness",
        "unlink",
    }
)
ADMIN_ATHLETE_ACTIONS: frozenset[str] = frozenset({"view", "acknowledge"})

Capability = Literal[
    "invite_clinician",
    "invite_athlete",
    "list_athletes",
    "edit_protocols",
    "view_protocols",
    "link_to_clinician",
]


class Caller(BaseModel):
    """The person behind an update, as far as access is concerned."""

    model_config = ConfigDict(frozen=True)

    telegram_id: int
    person_id: int | None = None
    roles: frozenset[Role] = frozenset()
    linked_athlete_ids: frozenset[int] = frozenset()

    @property
    def is_admin(self) -> bool:
        """True if the caller is a configured admin."""
        return "admin" in self.roles

    @property
    def is_clinician(self) -> bool:
        """True if the caller has a clinician account."""
        return "clinician" in self.roles

    @property
    def is_athlete(self) -> bool:
        """True if the caller has an athlete account."""
        return "athlete" in self.roles


class AccessDecision(BaseModel):
    """Allowed or not, and why (the why goes to the audit log, never to the user)."""

    model_config = ConfigDict(frozen=True)

    allowed: bool
    reason: str

    def __bool__(self) -> bool:
        return self.allowed


def make_caller(
    telegram_id: int,
    person_id: int | None,
    person_role: str | None,
    admin_telegram_ids: Iterable[int],
    linked_athlete_ids: Iterable[int] = (),
) -> Caller:
    """Return the Caller for a Telegram id, its stored person (if any) and the admin list.

    The admin role comes from ``admin_telegram_ids`` (the setting) alone, never from the
    stored role."""
    roles: set[Role] = set()
    if person_role == "athlete":
        roles.add("athlete")
    elif person_role == "clinician":
        roles.add("clinician")
    if telegram_id in set(admin_telegram_ids):
        roles.add("admin")
    return Caller(
        telegram_id=telegram_id,
        person_id=person_id,
        roles=frozenset(roles),
        linked_athlete_ids=frozenset(linked_athlete_ids) if "clinician" in roles else frozenset(),
    )


def _allow(reason: str) -> AccessDecision:
    return AccessDecision(allowed=True, reason=reason)


def _deny(reason: str) -> AccessDecision:
    return AccessDecision(allowed=False, reason=reason)


def may_act_on_athlete(caller: Caller, athlete_id: int, action: AthleteAction) -> AccessDecision:
    """Decide whether ``caller`` may do ``action`` on the record of athlete ``athlete_id``."""
    if caller.is_athlete and caller.person_id == athlete_id:
        if action == "view":
            return _allow("own record")
        return _deny(f"athlete may not {action} on their own record")
    if caller.is_clinician and athlete_id in caller.linked_athlete_ids:
        return _allow(f"linked clinician: {action}")
    if caller.is_admin and action in ADMIN_ATHLETE_ACTIONS:
        return _allow(f"admin: {action}")
    if caller.is_clinician:
        return _deny(f"clinician not linked to athlete {athlete_id}")
    if caller.is_admin:
        return _deny(f"admin may not {action}: a linked clinician's decision")
    return _deny(f"no role allows {action} on athlete {athlete_id}")


def may(caller: Caller, capability: Capability) -> AccessDecision:
    """Decide whether ``caller`` has a role-level capability (no athlete involved)."""
    if capability in ("invite_clinician", "edit_protocols", "view_protocols"):
        return _allow("admin") if caller.is_admin else _deny(f"{capability} needs admin")
    if capability in ("invite_athlete", "list_athletes"):
        if caller.is_clinician:
            return _allow("clinician")
        if capability == "list_athletes" and caller.is_admin:
            return _allow("admin")
        return _deny(f"{capability} needs a clinician account")
    if capability == "link_to_clinician":
        return _allow("athlete") if caller.is_athlete else _deny("only an athlete can link")
    return _deny(f"unknown capability {capability}")


def visible_athletes(caller: Caller, all_athlete_ids: Iterable[int]) -> list[int]:
    """Return the athlete ids from ``all_athlete_ids`` the caller may see, in the given order."""
    return [a for a in all_athlete_ids if may_act_on_athlete(caller, a, "view").allowed]
