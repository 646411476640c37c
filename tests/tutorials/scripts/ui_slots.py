"""UI slots: a function bound to a button in the studio's Applications menu."""

import os

import dataslot as dl  # Dataloop: import dtlpy as dl

if dl.token_expired():
    dl.login("you", "your-password")  # Dataloop: dl.login()

project = dl.projects.get(project_name="Tutorials")
package = project.packages.push(
    package_name="image-processing",
    src_path=os.path.join(os.path.dirname(__file__), "..", "packages", "slots"),
    modules=[
        dl.PackageModule(
            name="image-processing",
            functions=dl.PackageFunction(
                name="rgb2gray",
                inputs=dl.FunctionIO(type=dl.PackageInputType.ITEM, name="item"),
                outputs=dl.FunctionIO(type=dl.PackageInputType.ITEM, name="item"),
            ),
        )
    ],
)
service = package.services.deploy(service_name="image-processing", module_name="image-processing")

slots = [
    dl.PackageSlot(
        module_name="image-processing",
        function_name="rgb2gray",
        display_name="RGB2GRAY",
        post_action=dl.SlotPostAction(type=dl.SlotPostActionType.DOWNLOAD),
        display_scopes=[
            dl.SlotDisplayScope(
                resource=dl.SlotDisplayScopeResource.ITEM,
                panel=dl.UiBindingPanel.ALL,
                filters=dl.Filters(field="metadata.system.mimetype", values="image/*"),
            )
        ],
    )
]
# Update package with the slot
package.slots = slots
package = package.update()
# Update service with the new package version
service.package_revision = package.version
service.update()

package.services.activate_slots(service=service, project_id=project.id, slots=slots)
print(package.version, [slot.display_name for slot in package.slots])

service.pause()
