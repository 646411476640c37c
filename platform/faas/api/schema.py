"""The functions API's JSON for the OpenAPI schema (docs/api.md, "Functions").

The JSON itself is built by faas.representations (shared with live events and the SDK's
wire); these serializers only describe it, field for field, so the schema states what a
client really receives. Request bodies are described here too.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

from faas.enums import ExecutionStatus, OnResetAction, SlotDisplayScopeResource, SlotPostActionType, UiBindingPanel
from workspace.ids import IdField

SELECTION_HELP = 'A selection: {"ids": [...]} or {"all": true, "excluded": [...], "filter": DQL, "datasetId": N}.'

# ----- answers ------------------------------------------------------------------------


class FunctionIOSerializer(serializers.Serializer):
    type = serializers.CharField(
        help_text="Item, Annotation, Task, Dataset, Json, String, Number, … or a list form Item[]."
    )
    name = serializers.CharField()
    value = serializers.JSONField(required=False, allow_null=True)
    description = serializers.CharField(required=False, allow_blank=True)


class FunctionSerializer(serializers.Serializer):
    name = serializers.CharField()
    displayName = serializers.CharField(required=False, allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True)
    inputs = FunctionIOSerializer(many=True)
    outputs = FunctionIOSerializer(many=True, required=False)


class ModuleSerializer(serializers.Serializer):
    name = serializers.CharField()
    entryPoint = serializers.CharField()
    className = serializers.CharField()
    initInputs = FunctionIOSerializer(many=True)
    functions = FunctionSerializer(many=True)


class PostActionSerializer(serializers.Serializer):
    type = serializers.ChoiceField(SlotPostActionType.choices)


class DisplayScopeSerializer(serializers.Serializer):
    resource = serializers.ChoiceField(SlotDisplayScopeResource.choices)
    panel = serializers.ChoiceField(UiBindingPanel.choices)
    filter = serializers.JSONField(help_text="A DQL query; {} for every entity.")


class SlotSerializer(serializers.Serializer):
    moduleName = serializers.CharField()
    functionName = serializers.CharField()
    displayName = serializers.CharField()
    postAction = PostActionSerializer()
    displayScopes = DisplayScopeSerializer(many=True)
    displayIcon = serializers.CharField(allow_blank=True)


class ResolvedSlotSerializer(SlotSerializer):
    serviceId = serializers.IntegerField()
    serviceName = serializers.CharField()
    enabled = serializers.BooleanField()
    reason = serializers.CharField(allow_null=True, help_text="Why the slot is disabled; null when enabled.")


class PackageSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    projectId = serializers.IntegerField()
    name = serializers.CharField()
    version = serializers.IntegerField()
    modules = ModuleSerializer(many=True)
    slots = SlotSerializer(many=True)
    createdAt = serializers.DateTimeField()
    updatedAt = serializers.DateTimeField()


class PackageRevisionSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    modules = ModuleSerializer(many=True)
    slots = SlotSerializer(many=True)
    createdAt = serializers.DateTimeField()


class AutoscalerSerializer(serializers.Serializer):
    type = serializers.ChoiceField(["rabbitmq", "cpu", "rps"], required=False)
    minReplicas = serializers.IntegerField(required=False, help_text="At least 0; at most maxReplicas.")
    maxReplicas = serializers.IntegerField(required=False, help_text="At least 1.")
    queueLength = serializers.IntegerField(required=False, help_text="Queued executions per replica.")
    cooldownPeriod = serializers.IntegerField(required=False, allow_null=True)
    pollingInterval = serializers.IntegerField(required=False, allow_null=True)


class RuntimeSerializer(serializers.Serializer):
    concurrency = serializers.IntegerField()
    numReplicas = serializers.IntegerField()
    podType = serializers.CharField(required=False, help_text="dtlpy's pod size: kept, not applied.")
    runnerImage = serializers.CharField(required=False, allow_null=True, help_text="Kept, not applied.")
    autoscaler = AutoscalerSerializer(required=False, allow_null=True)


class NotAppliedSerializer(serializers.Serializer):
    field = serializers.CharField(help_text="e.g. runtime.podType")
    value = serializers.JSONField()
    reason = serializers.CharField()


class ServiceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    projectId = serializers.IntegerField()
    packageId = serializers.IntegerField()
    packageRevision = serializers.IntegerField()
    moduleName = serializers.CharField()
    initParams = serializers.JSONField()
    runtime = RuntimeSerializer()
    executionTimeout = serializers.IntegerField()
    drainTime = serializers.IntegerField()
    onReset = serializers.ChoiceField(OnResetAction.choices)
    maxAttempts = serializers.IntegerField()
    secrets = serializers.ListField(child=serializers.IntegerField(), help_text="Integration ids.")
    active = serializers.BooleanField()
    brokenReason = serializers.CharField(allow_null=True, help_text="Why the service cannot run; null while it can.")
    notApplied = NotAppliedSerializer(many=True, help_text="Settings kept as sent but not acted on here.")
    sandboxGaps = serializers.ListField(
        child=serializers.CharField(), help_text="Replica sandbox protections this host could not apply."
    )
    botUserId = serializers.IntegerField()
    createdAt = serializers.DateTimeField()
    updatedAt = serializers.DateTimeField()


class StatusLogEntrySerializer(serializers.Serializer):
    status = serializers.ChoiceField(ExecutionStatus.choices)
    timestamp = serializers.DateTimeField()
    message = serializers.CharField(allow_blank=True)


class LatestStatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(ExecutionStatus.choices)
    percentComplete = serializers.IntegerField(min_value=0, max_value=100)
    message = serializers.CharField(allow_blank=True)


class WorkerRefSerializer(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()
    host = serializers.CharField()


class ExecutionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    projectId = serializers.IntegerField()
    serviceId = serializers.IntegerField()
    serviceName = serializers.CharField()
    packageId = serializers.IntegerField()
    packageRevision = serializers.IntegerField()
    functionName = serializers.CharField()
    input = serializers.JSONField(help_text="Keyed by the function's input names; entities as references.")
    output = serializers.JSONField(allow_null=True)
    status = serializers.ChoiceField(ExecutionStatus.choices)
    statusLog = StatusLogEntrySerializer(many=True)
    latestStatus = LatestStatusSerializer()
    attempts = serializers.IntegerField()
    maxAttempts = serializers.IntegerField()
    toTerminate = serializers.BooleanField()
    postAction = serializers.ChoiceField(
        SlotPostActionType.choices,
        allow_null=True,
        help_text="The clicked slot's post-action; null when no slot ran it.",
    )
    createdAt = serializers.DateTimeField()
    updatedAt = serializers.DateTimeField()
    startedAt = serializers.DateTimeField(allow_null=True)
    finishedAt = serializers.DateTimeField(allow_null=True)
    duration = serializers.FloatField(allow_null=True, help_text="Seconds, once started.")
    creator = serializers.CharField(allow_null=True)
    triggerId = serializers.IntegerField(allow_null=True, help_text="The trigger that queued it; null otherwise.")
    worker = WorkerRefSerializer(allow_null=True, help_text="The worker that ran it (last); null before it ran.")


class ExecutionsSerializer(serializers.Serializer):
    executions = ExecutionSerializer(many=True)


class BatchSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    ids = serializers.ListField(child=serializers.IntegerField())


class LogLineSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    text = serializers.CharField(allow_blank=True)
    createdAt = serializers.DateTimeField()


class ExecutionLogsSerializer(serializers.Serializer):
    lines = LogLineSerializer(many=True)
    finished = serializers.BooleanField()


class IntegrationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    projectId = serializers.IntegerField()
    name = serializers.CharField()
    createdAt = serializers.DateTimeField()
    updatedAt = serializers.DateTimeField()


class SlotActivationSerializer(serializers.Serializer):
    projectId = serializers.IntegerField()
    serviceId = serializers.IntegerField()
    slots = SlotSerializer(many=True)


# ----- requests -----------------------------------------------------------------------


class PackagePushSerializer(serializers.Serializer):
    name = serializers.CharField()
    archive = serializers.FileField(help_text="A zip or tar.gz of the package's code.")
    modules = serializers.CharField(help_text="JSON list of modules.")
    slots = serializers.CharField(required=False, help_text="JSON list of slots.")


class PackageUpdateSerializer(serializers.Serializer):
    archive = serializers.FileField(required=False, help_text="Reused from the newest revision when not sent.")
    modules = serializers.CharField(required=False, help_text="JSON list of modules.")
    slots = serializers.CharField(required=False, help_text="JSON list of slots.")


class ServiceDeploySerializer(serializers.Serializer):
    name = serializers.CharField()
    packageId = IdField()
    packageRevision = serializers.IntegerField(required=False)
    moduleName = serializers.CharField(required=False)
    initParams = serializers.JSONField(required=False)
    runtime = RuntimeSerializer(required=False)
    executionTimeout = serializers.IntegerField(required=False)
    drainTime = serializers.IntegerField(required=False)
    onReset = serializers.ChoiceField(OnResetAction.choices, required=False)
    maxAttempts = serializers.IntegerField(required=False)
    secrets = serializers.ListField(child=IdField(), required=False, help_text="Integration ids.")
    integrations = serializers.ListField(
        child=serializers.JSONField(), required=False, help_text="dtlpy's form of secrets: ids or {value, env}."
    )
    active = serializers.BooleanField(required=False)


class ServiceUpdateSerializer(ServiceDeploySerializer):
    name = serializers.CharField(required=False, help_text="Only the service's own name: it cannot change.")
    packageId = IdField(required=False, help_text="Only the service's own package: it cannot change.")


class ExecuteSerializer(serializers.Serializer):
    functionName = serializers.CharField(required=False)
    input = serializers.JSONField(required=False, help_text="Keyed by the function's input names.")


class ExecuteBatchSerializer(serializers.Serializer):
    functionName = serializers.CharField(required=False)
    filter = serializers.JSONField(help_text="A DQL query; {} for every entity of the project.")
    resource = serializers.ChoiceField(SlotDisplayScopeResource.choices, required=False)
    args = serializers.JSONField(required=False, help_text="The function's other inputs, the same for each execution.")


class SlotResolveSerializer(serializers.Serializer):
    resource = serializers.ChoiceField(SlotDisplayScopeResource.choices, required=False)
    panel = serializers.ChoiceField(UiBindingPanel.choices, required=False)
    selection = serializers.JSONField(required=False, help_text=SELECTION_HELP)


class SlotRunSerializer(serializers.Serializer):
    serviceId = IdField()
    functionName = serializers.CharField()
    resource = serializers.ChoiceField(SlotDisplayScopeResource.choices)
    panel = serializers.ChoiceField(UiBindingPanel.choices, required=False)
    selection = serializers.JSONField(help_text=SELECTION_HELP)


class ActivateSlotsSerializer(serializers.Serializer):
    projectId = IdField(required=False, help_text="Defaults to the service's own project.")
    slots = SlotSerializer(many=True, required=False, allow_null=True, help_text="null: all the revision's slots.")


class IntegrationWriteSerializer(serializers.Serializer):
    name = serializers.CharField(required=False)
    value = serializers.CharField(write_only=True)


CONFLICT = OpenApiResponse(
    description="The state does not allow this: a paused or broken service, a deployed package, a finished execution."
)
UNAVAILABLE = OpenApiResponse(
    description="The database lost the execution before it was on disk (it restarted): nothing was created, or "
    "it could not confirm it: the message says which."
)
