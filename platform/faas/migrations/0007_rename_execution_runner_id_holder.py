from django.db import migrations


class Migration(migrations.Migration):
    """``runner_id`` named the dispatcher's boot holding the execution: "runner" is also an app."""

    dependencies = [
        ("faas", "0006_execution_post_action"),
    ]

    operations = [
        migrations.RenameField(model_name="execution", old_name="runner_id", new_name="holder"),
    ]
