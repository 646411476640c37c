"""Admin for packages, services, slot activations, executions, triggers and integrations.

Packages can be pushed (a new revision per upload), services deployed or updated from a
revision, and a project's slots activated, deactivated and edited here. Every write goes
through ``faas.services``, the same functions as the API (the forms in
``faas.admin.forms`` call them), so the admin keeps the API's rules and its errors; the
controls for running work (pause/resume, terminate/rerun) call them too.
"""

# Django imports this package to find the admin pages; each module registers its own.
from faas.admin import executions, integrations, packages, services, triggers  # noqa: F401
