"""Declarative questionnaires (onboarding, morning, session, settings, delete, baseline).

Look one up by name with ``QUESTIONNAIRES[name]``; drive it with ``bot.questionnaires.steps``.
"""

from __future__ import annotations

from bot.questionnaires.model import Questionnaire
from bot.questionnaires.morning import MORNING
from bot.questionnaires.onboarding import BASELINE, DELETE, ONBOARDING, SETTINGS
from bot.questionnaires.session import SESSION

QUESTIONNAIRES: dict[str, Questionnaire] = {
    q.name: q for q in (ONBOARDING, MORNING, SESSION, SETTINGS, DELETE, BASELINE)
}

__all__ = ["BASELINE", "DELETE", "MORNING", "ONBOARDING", "QUESTIONNAIRES", "SESSION", "SETTINGS"]
