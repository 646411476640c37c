"""The admin's forms that push packages, deploy services and configure slots.

Each form calls the same ``faas.services`` function as the API does, once its own fields
are clean (in ``_post_clean``, after the model's checks): the service stays the one home of
every rule, and a refused form stores nothing, because each service call is atomic and
raises before anything is kept. The service's errors, keyed by the API's field names, are
shown on the form field they are about.
"""

from __future__ import annotations

import json

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from faas.declarations import normalise_slots
from faas.enums import SlotDisplayScopeResource, SlotPostActionType, UiBindingPanel
from faas.models import Package, Service, SlotActivation
from faas.services import packages as package_services
from faas.services import services as service_services

# The API's names in the services' errors -> the admin form's field names.
ERROR_FIELDS = {
    "executionTimeout": "execution_timeout",
    "onReset": "on_reset",
    "maxAttempts": "max_attempts",
    "runtime.concurrency": "concurrency",
    "runtime.numReplicas": "num_replicas",
    "drainTime": "drain_time",
    "initParams": "init_input",
    "packageRevision": "package_revision",
    "moduleName": "module_name",
    "packageId": "package",
}
RUNTIME_FIELDS = (
    "init_input",
    "concurrency",
    "num_replicas",
    "execution_timeout",
    "drain_time",
    "on_reset",
    "max_attempts",
)
JSON_WIDGET = forms.Textarea(attrs={"rows": 8, "cols": 90, "style": "font-family:monospace"})


def add_service_errors(form: forms.BaseForm, exc: ValidationError) -> None:
    """Put a service's ValidationError on the fields it names (the rest on the form)."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for key, messages in exc.message_dict.items():
        field = ERROR_FIELDS.get(key, key)
        form.add_error(field if field in form.fields else None, messages)


class PrettyJSONField(forms.JSONField):
    def prepare_value(self, value):
        if isinstance(value, str):  # the text as typed, re-shown with its error
            return value
        return json.dumps(value, indent=2, ensure_ascii=False)


def _archive_bytes(upload) -> bytes | None:
    return upload.read() if upload else None


class ServiceCallForm(forms.ModelForm):
    """A ModelForm whose save is a ``faas.services`` call made while validating.

    ``saved`` is what the service returned; the admin shows it (``save_form``).
    """

    user = None  # set by the admin per request

    def _post_clean(self):
        super()._post_clean()
        if self.errors:
            return
        try:
            self.saved = self.call_service()
        except ValidationError as exc:
            add_service_errors(self, exc)

    def call_service(self):
        raise NotImplementedError


class ServiceCallAdmin(admin.ModelAdmin):
    """Its forms save through ``faas.services`` while validating (below); the
    object shown afterwards is the one the service returned."""

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        return type(form.__name__, (form,), {"user": request.user})

    def save_form(self, request, form, change):
        return form.saved

    def save_model(self, request, obj, form, change):
        pass  # saved by the service already

    def save_related(self, request, form, formsets, change):
        pass


# --- packages -------------------------------------------------------------------------


class PackagePushForm(ServiceCallForm):
    """Adding a package: its first revision, validated like a push through the API."""

    archive = forms.FileField(help_text="A zip or tar.gz of the package's code (entry point main.py by default).")
    modules = PrettyJSONField(
        widget=JSON_WIDGET,
        help_text='JSON list of modules: [{"name": "default_module", "functions": [{"name": "run", '
        '"inputs": [{"name": "item", "type": "Item"}]}]}].',
    )
    slots = PrettyJSONField(
        widget=JSON_WIDGET,
        required=False,
        help_text="JSON list of slots (optional); they are edited per project under Slot activations.",
    )

    class Meta:
        model = Package
        fields = ("project", "name")

    def call_service(self) -> Package:
        data = self.cleaned_data
        return package_services.package_push(
            project=data["project"],
            name=data["name"],
            archive=_archive_bytes(data["archive"]),
            modules=data["modules"],
            slots=data.get("slots"),
            user=self.user,
        )


class PackageRevisionForm(ServiceCallForm):
    """A package's change page uploads a new revision; the older ones stay as they were."""

    archive = forms.FileField(required=False, help_text="The new code; empty to reuse the newest revision's archive.")
    modules = PrettyJSONField(widget=JSON_WIDGET, help_text="The new revision's modules (the newest's, as shown).")
    slots = PrettyJSONField(widget=JSON_WIDGET, required=False, help_text="The new revision's slots.")

    class Meta:
        model = Package
        fields = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and self.instance.version:
            latest = self.instance.latest
            self.fields["modules"].initial = latest.modules
            self.fields["slots"].initial = latest.slots

    def call_service(self) -> Package:
        data = self.cleaned_data
        latest = self.instance.latest
        if not data.get("archive") and data["modules"] == latest.modules and (data.get("slots") or []) == latest.slots:
            return self.instance  # nothing new: no revision
        return package_services.package_update(
            package=self.instance,
            archive=_archive_bytes(data.get("archive")),
            modules=data["modules"],
            slots=data.get("slots") if data.get("slots") is not None else [],
            user=self.user,
        )


# --- services -------------------------------------------------------------------------


class ServiceDeployForm(ServiceCallForm):
    """Deploying a revision of a package as a service (a name that exists is updated)."""

    package_revision = forms.IntegerField(required=False, min_value=1, help_text="Empty: the package's newest.")
    module_name = forms.CharField(required=False, help_text="Empty: the revision's first module.")

    class Meta:
        model = Service
        fields = ("package", "name", *RUNTIME_FIELDS)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["package"].queryset = Package.objects.select_related("project").order_by("project__name", "name")
        self.fields["package"].label_from_instance = lambda p: f"{p.project.name} / {p.name} (newest: {p.version})"

    def call_service(self) -> Service:
        data = self.cleaned_data
        fields = {name: data[name] for name in RUNTIME_FIELDS}
        for name in ("package_revision", "module_name"):
            if data.get(name):
                fields[name] = data[name]
        package = data["package"]
        service, _ = service_services.service_deploy(
            project=package.project, package=package, name=data["name"], fields=fields, user=self.user
        )
        return service


class ServiceUpdateForm(ServiceCallForm):
    """A service's change page: its runtime, or another revision (replicas are replaced)."""

    package_revision = forms.TypedChoiceField(coerce=int, required=False, help_text="Deploys that revision.")
    module_name = forms.CharField(required=False, help_text="Empty: keep the current module.")

    class Meta:
        model = Service
        fields = ("package_revision", "module_name", *RUNTIME_FIELDS)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            versions = self.instance.package.revisions.order_by("-version").values_list("version", "created_at")
            self.fields["package_revision"].choices = [
                (v, f"{v} ({created:%Y-%m-%d %H:%M})") for v, created in versions
            ]

    def clean_package_revision(self):
        return self.cleaned_data.get("package_revision") or self.instance.package_revision

    def clean_module_name(self):
        return self.cleaned_data.get("module_name") or self.instance.module_name

    def call_service(self) -> Service:
        fields = {k: self.cleaned_data[k] for k in self.changed_data if k in service_services.EDITABLE}
        service = Service.objects.get(pk=self.instance.pk)
        if not fields:
            return service
        return service_services.service_update(service=service, fields=fields)


# --- slot activations -----------------------------------------------------------------


def slot_candidates(activation: SlotActivation) -> list[tuple[dict, bool]]:
    """The slots an activation's page offers: ``(slot, activated)``.

    Its activated slots first, then the package revision's other slots for the service's
    module, then a plain slot for each function that has none, so any function can be
    given a button here.
    """
    service = activation.service
    revision = service.package.revisions.get(version=service.package_revision)
    chosen = list(activation.slots or [])
    taken = {s["functionName"] for s in chosen}
    offered = [s for s in revision.slots if s["moduleName"] == service.module_name and s["functionName"] not in taken]
    taken |= {s["functionName"] for s in offered}
    module = revision.module(service.module_name) or {"functions": []}
    plain = [
        {
            "moduleName": service.module_name,
            "functionName": f["name"],
            "displayName": f.get("displayName") or f["name"],
            "postAction": {"type": SlotPostActionType.NO_ACTION},
            "displayScopes": [{"resource": "item", "panel": UiBindingPanel.ALL, "filter": {}}],
            "displayIcon": "",
        }
        for f in module["functions"]
        if f["name"] not in taken
    ]
    return [(s, True) for s in chosen] + [(s, False) for s in offered + plain]


def scope_field_names(i: int, j: int) -> tuple[str, str, str]:
    return f"slot{i}_scope{j}_resource", f"slot{i}_scope{j}_panel", f"slot{i}_scope{j}_filter"


def slot_fieldsets(activation: SlotActivation) -> list[tuple[str, dict]]:
    """One fieldset per offered slot, a line per display scope (and one empty line to add one)."""
    fieldsets = []
    for i, (slot, _) in enumerate(slot_candidates(activation)):
        scopes = [scope_field_names(i, j) for j in range(len(slot["displayScopes"]) + 1)]
        fieldsets.append(
            (
                f"Function {slot['functionName']}",
                {
                    "fields": [
                        f"slot{i}_active",
                        (f"slot{i}_display_name", f"slot{i}_display_icon", f"slot{i}_post_action"),
                        *scopes,
                    ],
                    "description": "Display scopes: where the button shows (resource and panel) and which "
                    "entities it accepts (a DQL filter, {} for all). Set a line's resource to “—” to remove it.",
                },
            )
        )
    return fieldsets


class SlotActivationAddForm(ServiceCallForm):
    """Activating a service's slots in its project: all its revision's slots, to edit next."""

    class Meta:
        model = SlotActivation
        fields = ("service",)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = Service.objects.select_related("project").order_by("project__name", "name")
        self.fields["service"].label_from_instance = lambda s: f"{s.project.name} / {s.name}"

    def clean_service(self):
        service = self.cleaned_data["service"]
        if SlotActivation.objects.filter(project_id=service.project_id, service=service).exists():
            raise ValidationError("This service's slots are already activated in its project: edit that activation.")
        return service

    def call_service(self) -> SlotActivation:
        service = self.cleaned_data["service"]
        return service_services.slots_activate(service=service, project=service.project, slots=None)


class SlotActivationForm(ServiceCallForm):
    """Which of a service's slots show in its project, and how (display name, icon, post-action, scopes)."""

    class Meta:
        model = SlotActivation
        fields = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.candidates = slot_candidates(self.instance)
        resources = [("", "—"), *SlotDisplayScopeResource.choices]
        for i, (slot, activated) in enumerate(self.candidates):
            f = self.fields
            f[f"slot{i}_active"] = forms.BooleanField(
                required=False, initial=activated, label=f"Activated ({slot['functionName']})"
            )
            f[f"slot{i}_display_name"] = forms.CharField(
                initial=slot["displayName"], label="Display name", required=False
            )
            f[f"slot{i}_display_icon"] = forms.CharField(
                initial=slot.get("displayIcon", ""), required=False, label="Icon"
            )
            f[f"slot{i}_post_action"] = forms.ChoiceField(
                choices=SlotPostActionType.choices, initial=slot["postAction"]["type"], label="Post-action"
            )
            scopes = [*slot["displayScopes"], {"resource": "", "panel": UiBindingPanel.ALL, "filter": {}}]
            for j, scope in enumerate(scopes):
                resource, panel, query = scope_field_names(i, j)
                f[resource] = forms.ChoiceField(
                    choices=resources, initial=scope["resource"], required=False, label="Resource"
                )
                f[panel] = forms.ChoiceField(choices=UiBindingPanel.choices, initial=scope["panel"], label="Panel")
                f[query] = forms.CharField(
                    initial=json.dumps(scope["filter"]),
                    required=False,
                    label="DQL filter",
                    widget=forms.Textarea(attrs={"rows": 2, "cols": 60, "style": "font-family:monospace"}),
                )

    def _slot(self, i: int, slot: dict) -> tuple[dict, list[int]]:
        """The slot as the form describes it, and the form line of each of its scopes."""
        data = self.cleaned_data
        scopes, lines = [], []
        j = 0
        while scope_field_names(i, j)[0] in self.fields:
            resource, panel, query = scope_field_names(i, j)
            if data.get(resource):
                scopes.append({"resource": data[resource], "panel": data[panel], "filter": data.get(query) or "{}"})
                lines.append(j)
            j += 1
        slot = {
            "moduleName": slot["moduleName"],
            "functionName": slot["functionName"],
            "displayName": data.get(f"slot{i}_display_name") or slot["functionName"],
            "postAction": {"type": data[f"slot{i}_post_action"]},
            "displayScopes": scopes,
            "displayIcon": data.get(f"slot{i}_display_icon", ""),
        }
        return slot, lines

    def call_service(self) -> SlotActivation | None:
        service = self.instance.service
        modules = service.package.revisions.get(version=service.package_revision).modules
        slots = []
        for i, (candidate, _) in enumerate(self.candidates):
            if not self.cleaned_data.get(f"slot{i}_active"):
                continue
            slot, lines = self._slot(i, candidate)
            # Each scope checked alone by the package's own slot rule, so its error shows on its line.
            for j, scope in zip(lines, slot["displayScopes"], strict=True):
                try:
                    normalise_slots([{**slot, "displayScopes": [scope]}], modules)
                except ValidationError as exc:
                    self.add_error(scope_field_names(i, j)[2], exc.messages)
            slots.append(slot)
        if self.errors:
            return None
        return service_services.slots_activate(service=service, project=self.instance.project, slots=slots)
