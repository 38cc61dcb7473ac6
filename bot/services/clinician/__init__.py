"""What clinicians (and admins) see and decide, and how alerts reach them.

- ``actions``: what a clinician's decision does to the store (clearance, hold, step back,
  stage, pause, note, message), audited, the athlete's notice queued;
- ``decisions``: a decision taken from a command, a button or a typed note;
- ``overview`` (the /athletes data, read in a handful of queries) and ``view`` (the one-line
  overview and its traffic light, pure); ``card``: the /athlete card and its buttons;
- ``escalation``: the alert card, its buttons and the escalation policy applied to the store;
  ``alert_policy``: that policy (merge, re-send, hand over to an admin), pure;
- ``buttons``: the action names and the signed Report button the cards share.

May import ``bot.services.athlete`` (the alert notifier's type), ``callers`` and the shared
pieces of ``bot.services``, and the layers below; the athlete flows never import this package.
"""
