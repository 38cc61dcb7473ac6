"""The protocols Sprintback ships, installed as the package ``sprintback_protocols``.

The YAML files here are the seed: at first use each is stored as version 1 in the database,
where admins publish later versions. Read them through ``bot.services.protocol_files``.
"""
