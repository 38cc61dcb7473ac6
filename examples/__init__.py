"""Example scenarios, installed as the package ``sprintback_examples``.

``sprintback simulate`` replays them, and an admin's ``/protocol dryrun`` replays them on a draft.
Read them through ``bot.services.protocol_files``.
"""
