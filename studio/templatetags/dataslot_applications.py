"""``{% applications_menu project resource panel as menu %}`` for the Applications
component (studio/templates/studio/partials/applications.html); the logic is in
``studio.browse.applications``."""

from django import template

from studio.browse.applications import menu_groups

register = template.Library()


@register.simple_tag
def applications_menu(project, resource: str, panel: str) -> dict:
    return menu_groups(project=project, resources=resource or "item", panel=panel or "all")
