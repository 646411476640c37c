"""Repositories: the ``get`` / ``list`` / ``create`` verbs of each kind of entity,
scoped to a parent (``project.datasets``, ``dataset.items``, ``package.services``...)."""
