"""Declarative questionnaires (onboarding, morning, session and its pain follow-up, settings,
delete, baseline, /problem, /pause, /unlink).

Look one up by name with ``QUESTIONNAIRES[name]``; drive it with
``bot.services.questionnaires.steps``.
"""

from __future__ import annotations

from bot.services.questionnaires.model import Questionnaire
from bot.services.questionnaires.morning import MORNING
from bot.services.questionnaires.onboarding import BASELINE, DELETE, ONBOARDING, SETTINGS
from bot.services.questionnaires.problem import PAUSE, PROBLEM
from bot.services.questionnaires.session import FOLLOWUP, SESSION
from bot.services.questionnaires.unlink import UNLINK

QUESTIONNAIRES: dict[str, Questionnaire] = {
    q.name: q
    for q in (
        ONBOARDING,
        MORNING,
        SESSION,
        FOLLOWUP,
        SETTINGS,
        DELETE,
        BASELINE,
        PROBLEM,
        PAUSE,
        UNLINK,
    )
}

__all__ = [
    "BASELINE",
    "DELETE",
    "FOLLOWUP",
    "MORNING",
    "ONBOARDING",
    "PAUSE",
    "PROBLEM",
    "QUESTIONNAIRES",
    "SESSION",
    "SETTINGS",
    "UNLINK",
]
