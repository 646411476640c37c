from django.db import migrations, models


def backfill(apps, schema_editor):
    """Executions made before the field showed their function's slot's post-action (the
    first slot of the function): they keep showing it."""
    SlotActivation = apps.get_model("faas", "SlotActivation")
    Execution = apps.get_model("faas", "Execution")
    actions: dict[tuple[int, str], str] = {}
    for service_id, slots in SlotActivation.objects.values_list("service_id", "slots"):
        for slot in slots or []:
            if isinstance(slot, dict):
                kind = (slot.get("postAction") or {}).get("type") or "noAction"
                actions.setdefault((service_id, slot.get("functionName")), kind)
    for (service_id, function_name), kind in actions.items():
        Execution.objects.filter(service_id=service_id, function_name=function_name).update(post_action=kind)


class Migration(migrations.Migration):
    dependencies = [
        ("faas", "0005_service_runtime_settings"),
    ]

    operations = [
        migrations.AddField(
            model_name="execution",
            name="post_action",
            field=models.CharField(
                blank=True,
                choices=[("download", "Download"), ("drawAnnotation", "Draw Annotation"), ("noAction", "No Action")],
                default="",
                max_length=32,
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
