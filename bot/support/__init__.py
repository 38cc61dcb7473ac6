"""Small tools every layer may use: log lines that carry no personal data (``logs``),
Telegram's size limits with the text fitting that keeps every message within them
(``limits``), the language of the text being built and its catalogues (``i18n``), numbers,
dates and typed words by locale (``formats``) and the protocols' display texts
(``protocol_texts``).

The lowest layer beside ``bot.clock`` and ``bot.settings``: imports nothing of Sprintback
outside this package.
"""
