"""The update inbox: an update is acknowledged only once it is stored, and each chat's
updates are handled in order, whichever replica received them.

- ``store``: :class:`~bot.inbox.store.Inbox`, this process's side of the ``inbox_update``
  table (store, wait for the chat's turn, mark done, renew leases, take over the updates of
  a replica that died) and :class:`~bot.inbox.store.InboxQueue`, the Application's update
  queue that stores each update before python-telegram-bot's polling or webhook confirms it;
- ``processor``: :class:`~bot.inbox.processor.ChatOrderedProcessor`, the
  ``BaseUpdateProcessor`` that runs different chats concurrently and one chat's updates one
  after the other.

Infrastructure, beside ``bot.scheduling`` and ``bot.delivery``: may import ``bot.store``,
``bot.clock``, ``bot.settings`` and python-telegram-bot; the wiring (``bot.app``) installs it
and the handlers ask it to try an update again (:meth:`Inbox.request_retry`).
"""
