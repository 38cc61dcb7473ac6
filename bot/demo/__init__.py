"""``sprintback demo``: the real bot, wired by ``bot.runtime``, played end to end against the
local Bot API sandbox (``bot.sandbox``) with a temporary database and a fake clock.

Top layer, with ``bot.cli``: may import anything in ``bot``, and is the only part of the
product allowed to import ``bot.sandbox``.
"""
