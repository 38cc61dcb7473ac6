"""Small tools every layer may use: log lines that carry no personal data (``logs``) and
Telegram's size limits with the text fitting that keeps every message within them
(``limits``).

The lowest layer beside ``bot.clock`` and ``bot.settings``: imports nothing of Sprintback.
"""
