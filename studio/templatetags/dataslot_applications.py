"""``{% applications_menu project resource panel as menu %}`` for the Applications
component (studio/templates/studio/applications/menu.html); the logic is in
``studio.applications.menu``. Here because Django finds tag libraries only in an app's
templatetags."""

from django import template

from studio.applications.menu import menu_groups

register = template.Library()


@register.simple_tag
def applications_menu(project, resource: str, panel: str) -> dict:
    return menu_groups(project=project, resources=resource or "item", panel=panel or "all")
