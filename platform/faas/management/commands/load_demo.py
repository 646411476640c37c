from django.core.management.base import BaseCommand

from faas.demo import load_demo_functions
from workspace import demo


class Command(BaseCommand):
    # Here rather than in the workspace: the demo is the workspace's data and this app's
    # functions, and this app sits above the workspace.
    help = "Load the demo (user demo/demo when there are no users, project Demo, dataset Samples, its functions). Idempotent."

    def handle(self, *args, **options):
        user = demo.ensure_demo_user()
        hint = demo.login_hint(user)
        if hint:
            self.stdout.write(self.style.SUCCESS(hint))
        result = demo.load_demo(demo_user=user)
        if result.skipped:
            self.stdout.write(self.style.WARNING(f"Demo not loaded: {result.skipped}."))
            return
        self.stdout.write(
            f"Demo project '{result.project.name}', dataset '{result.dataset.name}': "
            f"{result.items_created} item(s) and {result.annotations_created} annotation(s) added"
            f"{', task created' if result.task_created else ''}."
        )
        load_demo_functions(project=result.project, user=result.owner)
        self.stdout.write("Demo functions loaded.")
