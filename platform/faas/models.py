"""Packages, services, slot activations, executions and integrations (docs/design.md "Semantics").

A package's revisions are immutable: every push or update adds a ``PackageRevision``
holding the archive, its modules and its slots. A service points at one revision of
one module. Executions are the unit of work; the database is their source of truth.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from faas.enums import (
    FINISHED_STATUSES,
    ExecutionStatus,
    OnResetAction,
    SlotPostActionType,
    TriggerExecutionMode,
    TriggerType,
)
from workspace.models import Project


def validate_execution_timeout(value):
    # bool is an int in Python; a timeout of True seconds is a mistake, not a number.
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValidationError("execution_timeout must be a natural number of seconds (an integer of at least 1).")


# What a replica's environment needs for itself; a secret of that name would be shadowed.
RESERVED_ENV_NAMES = {"PATH", "HOME", "LANG", "PYTHONPATH", "PYTHONUNBUFFERED"}
RESERVED_ENV_PREFIXES = ("DATASLOT_", "PYTHON", "LD_")


def validate_env_name(value: str):
    # Hyphens too, as Dataloop users name integrations ("my-api-key"): os.environ['my-api-key']
    # reads such a variable; '=' or NUL could not be in one, and ASCII keeps it portable.
    if (
        not value
        or not value.isascii()
        or not (value[0].isalpha() or value[0] == "_")
        or not all(c.isalnum() or c in "_-" for c in value)
    ):
        raise ValidationError(
            "An integration name becomes an environment variable: letters, digits, '_' and '-', "
            "starting with a letter or '_'."
        )
    if value in RESERVED_ENV_NAMES or value.startswith(RESERVED_ENV_PREFIXES):
        raise ValidationError(f"'{value}' is reserved for the runtime; choose another name.")


class Integration(models.Model):
    """A named key-value secret of a project; the value is encrypted and write-only."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="integrations")
    name = models.CharField(max_length=128, validators=[validate_env_name])
    encrypted_value = models.BinaryField(editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["project", "name"], name="integration_name_unique_in_project")]

    def __str__(self):
        return self.name


class Package(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="packages")
    name = models.CharField(max_length=200)
    # The newest revision number; revisions count from 1.
    version = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["project", "name"], name="package_name_unique_in_project")]

    def __str__(self):
        return self.name

    @property
    def latest(self) -> "PackageRevision":
        return self.revisions.get(version=self.version)


def archive_upload_to(revision, filename):
    return f"packages/{revision.package_id}/{revision.version}/{filename}"


class PackageRevision(models.Model):
    package = models.ForeignKey(Package, on_delete=models.CASCADE, related_name="revisions")
    version = models.PositiveIntegerField()
    archive = models.FileField(upload_to=archive_upload_to, max_length=500)
    archive_sha256 = models.CharField(max_length=64)
    # [{name, entryPoint, className, initInputs, functions: [{name, inputs, outputs, ...}]}]
    modules = models.JSONField(default=list)
    # [{moduleName, functionName, displayName, postAction, displayScopes, displayIcon}]
    slots = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["package", "version"]
        constraints = [models.UniqueConstraint(fields=["package", "version"], name="revision_unique")]

    def __str__(self):
        return f"{self.package.name}@{self.version}"

    def module(self, name: str) -> dict | None:
        return next((m for m in self.modules if m["name"] == name), None)

    def function(self, module_name: str, function_name: str) -> dict | None:
        module = self.module(module_name)
        if module is None:
            return None
        return next((f for f in module["functions"] if f["name"] == function_name), None)


class Service(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="services")
    package = models.ForeignKey(Package, on_delete=models.PROTECT, related_name="services")
    name = models.CharField(max_length=200)
    package_revision = models.PositiveIntegerField()
    module_name = models.CharField(max_length=200)
    init_input = models.JSONField(default=dict, blank=True)
    concurrency = models.PositiveIntegerField(default=10)
    num_replicas = models.PositiveIntegerField(default=1)
    execution_timeout = models.IntegerField(default=3600, validators=[validate_execution_timeout])
    drain_time = models.PositiveIntegerField(default=600)
    on_reset = models.CharField(max_length=10, choices=OnResetAction.choices, default=OnResetAction.FAILED)
    max_attempts = models.PositiveIntegerField(default=3)
    secrets = models.ManyToManyField(Integration, blank=True, related_name="services")
    active = models.BooleanField(default=True)
    bot = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="bot_service")
    # Bumped on every update that changes what a replica runs, so replicas of an
    # older config drain and are replaced.
    config_version = models.PositiveIntegerField(default=1)
    # Why this service cannot run (its archive is unreadable, its replica cannot start...);
    # empty while it can. Only this service stops; an update clears it.
    broken_reason = models.TextField(blank=True)
    # The replica sandbox's protections that the host could not apply, as last reported
    # by a replica of this service (e.g. "signal scoping: Landlock ABI 5 < 6").
    sandbox_gaps = models.JSONField(default=list, blank=True)
    # dtlpy's runtime beyond concurrency and replicas (podType, runnerImage, autoscaler, ...),
    # kept as sent; faas/runtime.py says which are applied.
    runtime_settings = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["project", "name"], name="service_name_unique_in_project")]

    def __str__(self):
        return self.name

    def clean(self):
        if self.concurrency < 1:
            raise ValidationError({"concurrency": "Must be at least 1."})
        if self.num_replicas < 1:
            raise ValidationError({"num_replicas": "Must be at least 1."})
        if self.max_attempts < 1:
            raise ValidationError({"max_attempts": "Must be at least 1."})


class SlotActivation(models.Model):
    """The slots of one service made visible in one project (the "Applications")."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="slot_activations")
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="slot_activations")
    slots = models.JSONField(default=list)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["project", "service"], name="one_activation_per_service")]

    def __str__(self):
        return f"Applications of {self.service.name} in {self.project.name}"


class Execution(models.Model):
    # No index of their own: the composite indexes below lead with them (each index is
    # written on every state change of every execution).
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="executions", db_index=False)
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="executions", db_index=False)
    package_revision = models.PositiveIntegerField()
    function_name = models.CharField(max_length=200)
    input = models.JSONField(default=dict, blank=True)
    output = models.JSONField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=ExecutionStatus.choices, default=ExecutionStatus.CREATED)
    status_log = models.JSONField(default=list, blank=True)
    percent_complete = models.PositiveSmallIntegerField(default=0)
    message = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    max_attempts = models.PositiveIntegerField(default=1)
    to_terminate = models.BooleanField(default=False)
    # What the page that ran it does on success: the clicked slot's post-action type
    # (SlotPostActionType), recorded when the slot runs; "" when no slot ran it.
    post_action = models.CharField(max_length=32, blank=True, default="", choices=SlotPostActionType.choices)
    # Which worker (runner.Worker, a dispatcher's boot) holds it while in progress; when that
    # worker's lease expires, any dispatcher resets it (runner/workers.py).
    holder = models.CharField(max_length=64, blank=True)
    # The worker that ran it last (kept when it ends, for the API and pages).
    worker = models.ForeignKey(
        "runner.Worker", null=True, blank=True, on_delete=models.SET_NULL, related_name="executions", db_index=False
    )
    # When its message was last put on the broker, or held by a worker (scale-out): a
    # `created` execution untouched for DATASLOT_REQUEUE_AFTER seconds is published again.
    enqueued_at = models.DateTimeField(null=True, blank=True)
    # When its message was last put on the broker (scale-out; a worker holding it does not
    # change it): how the sweep tells a lost message from one waiting behind a backlog.
    published_at = models.DateTimeField(null=True, blank=True)
    creator = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    # The trigger that queued it (null: a slot click, the API or a batch).
    trigger = models.ForeignKey(
        "faas.Trigger", null=True, blank=True, on_delete=models.SET_NULL, related_name="executions"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["status", "id"], name="execution_queue"),
            models.Index(fields=["project", "id"], name="execution_project"),
            models.Index(fields=["service", "status"], name="execution_service_status"),
            # A service's page: its recent executions and its activity over the last hour or day.
            models.Index(fields=["service", "created_at"], name="execution_service_created"),
            # A plain index: the one Django makes for a text key adds a second, for LIKE.
            models.Index(fields=["worker"], name="execution_worker"),
            # The lost-message sweep: queued executions untouched for a while (runner/workers.py).
            models.Index(
                fields=["enqueued_at"], condition=Q(status=ExecutionStatus.CREATED), name="execution_queued_since"
            ),
        ]

    def __str__(self):
        return f"execution {self.pk} ({self.status})"

    @property
    def finished(self) -> bool:
        return self.status in FINISHED_STATUSES

    @property
    def duration(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None


class ExecutionLog(models.Model):
    """Captured standard output and logging of one execution, one row per chunk."""

    execution = models.ForeignKey(Execution, on_delete=models.CASCADE, related_name="log_lines")
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]


# --- triggers (faas/services/triggers.py) --------------------------------------------


class Trigger(models.Model):
    """Runs a function of a service on events of a resource (``Event``) or on a schedule (``Cron``)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="triggers")
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="triggers")
    name = models.CharField(max_length=200)
    type = models.CharField(max_length=10, choices=TriggerType.choices, default=TriggerType.EVENT)
    active = models.BooleanField(default=True)
    function_name = models.CharField(max_length=200)
    # Event triggers: which changes of which resource, filtered by a DQL query.
    resource = models.CharField(max_length=20, blank=True)
    actions = models.JSONField(default=list, blank=True)
    filters = models.JSONField(default=dict, blank=True)
    execution_mode = models.CharField(
        max_length=10, choices=TriggerExecutionMode.choices, default=TriggerExecutionMode.ONCE
    )
    # Cron triggers: a schedule (UTC) between start_at and end_at, run with ``inputs``.
    cron = models.CharField(max_length=200, blank=True)
    start_at = models.DateTimeField(null=True, blank=True)
    end_at = models.DateTimeField(null=True, blank=True)
    inputs = models.JSONField(default=dict, blank=True)
    # The schedule's last fire time that ran; moved forward only by a conditional update.
    last_fired_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["service", "name"], name="trigger_name_unique_in_service")]
        indexes = [models.Index(fields=["project", "type", "active"], name="trigger_lookup")]

    def __str__(self):
        return self.name


class TriggerEvent(models.Model):
    """An outbox row: entities of one project changed, written in the transaction that changed
    them, so it exists exactly when the change committed. The trigger pump turns it into
    executions and deletes it in one transaction (exactly once per event)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    resource = models.CharField(max_length=20)
    action = models.CharField(max_length=20)
    entity_ids = models.JSONField(default=list)
    # Deleted entities: their JSON as it was (filters are matched on it, in memory).
    records = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]


class TriggerFire(models.Model):
    """One fire time of a cron trigger that ran: the unique pair makes firing idempotent
    whichever dispatcher (embedded or one of many workers) fires it."""

    trigger = models.ForeignKey(Trigger, on_delete=models.CASCADE, related_name="fires")
    fire_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["trigger", "fire_at"], name="trigger_fire_once")]


class TriggerOnce(models.Model):
    """An entity an ``Once`` trigger already ran on."""

    trigger = models.ForeignKey(Trigger, on_delete=models.CASCADE, related_name="+")
    entity_id = models.BigIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["trigger", "entity_id"], name="trigger_once_per_entity")]
