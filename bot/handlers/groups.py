"""The handler groups, in the order python-telegram-bot runs them (lowest first).

Within a group the handlers registered first are tried first (see ``bot.handlers.HANDLERS``
for the order of the modules); a handler that answers an update stops it
(``ApplicationHandlerStop``), so later groups never see it.
"""

# First of all: the update's language, from the sender's Telegram app (languages).
LANGUAGE_GROUP = -5
# Updates from groups and channels are stopped before anything else (dispatch); a button
# pressed there is answered first, so it does not spin (membership).
PRIVATE_ONLY_GROUP = -4
# A redelivered update (same update id) is dropped before any handler sees it (dispatch).
DEDUPE_GROUP = -3
# The athlete's conversations and commands, /progress and /report; the athlete catch-all last.
ATHLETE_GROUP = -2
# Clinician, admin and invite commands and buttons (updates from athletes pass through).
STAFF_GROUP = -1
# Default group (0): membership changes. Then, last of all, whatever no handler answered: a
# button press nobody took is still answered, so the client's spinner stops (dispatch), and a
# message from someone whose admin access was removed is told so (admin).
FALLBACK_GROUP = 1
