# The studio's "next unfinished" item of a task (studio/tasks/task_work.py): a partial
# index of the task items not done yet, so the lookup stays one index probe at any size.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("workspace", "0002_item_metadata_index"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="taskitem",
            index=models.Index(
                condition=models.Q(("done", False)), fields=["task", "item"], name="task_item_unfinished"
            ),
        ),
    ]
