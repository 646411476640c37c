"""``{% service_triggers service %}``: a service's triggers with how their runs went."""

from django import template

from faas.selectors.triggers import trigger_summaries

register = template.Library()


@register.inclusion_tag("studio/services/_triggers.html")
def service_triggers(service):
    return {"service": service, "summaries": trigger_summaries(service=service)}
