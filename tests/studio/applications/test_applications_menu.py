"""The Applications menu's first render on the dataset browser: the page's scopes, each
slot disabled until something is selected, or with the reason it cannot run."""

import pytest

from faas.services.services import service_pause

pytestmark = pytest.mark.django_db


def browser(project, dataset, query=""):
    return f"/projects/{project.pk}/datasets/{dataset.pk}/{query}"


def test_applications_list_the_browser_scopes_disabled_until_something_is_selected(
    client, alice, project, dataset, service
):
    client.force_login(alice)
    body = client.get(browser(project, dataset)).content.decode()
    assert 'id="applications-button"' in body and 'aria-haspopup="menu"' in body
    assert 'id="applications-menu" class="applications__menu" role="menu"' in body
    assert f'data-slot="{service.pk}:gray"' in body and f'data-slot="{service.pk}:everywhere"' in body
    assert f'data-slot="{service.pk}:detect"' not in body  # studio only
    assert f'data-slot="{service.pk}:on_task"' not in body  # task scope
    assert 'data-icon="🌓"' in body  # the post-action is the execution's, not the menu's
    assert body.count("Select something first.") == 2
    table = client.get(browser(project, dataset, "?view=table")).content.decode()
    assert 'data-panel="table"' in table and f'data-slot="{service.pk}:gray"' not in table


def test_a_paused_services_slots_show_the_reason(client, alice, project, dataset, service):
    service_pause(service=service)
    client.force_login(alice)
    body = client.get(browser(project, dataset)).content.decode()
    assert body.count("Service paused.") == 2 and "Select something first." not in body
