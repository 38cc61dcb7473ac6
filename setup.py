"""What pyproject.toml cannot say: which packages the distribution holds.

``bot`` and ``engine`` are found as usual. The repository keeps the shipped protocols and the
example scenarios in the top-level folders ``protocols/`` and ``examples/``; they are installed
as the packages ``sprintback_protocols`` and ``sprintback_examples`` (mapped in pyproject.toml's
``[tool.setuptools.package-dir]``), so a wheel, an sdist, a Docker image and an editable checkout
all read them with ``importlib.resources`` and no generic top-level name such as ``examples``
lands in site-packages. pyproject.toml cannot combine package discovery with an explicit list,
hence this file.
"""

from setuptools import find_namespace_packages, setup

setup(
    packages=[
        *find_namespace_packages(include=["bot", "bot.*", "engine", "engine.*"]),
        "sprintback_protocols",
        "sprintback_examples",
    ]
)
