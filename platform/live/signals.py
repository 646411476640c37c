"""Access that ends, however it ends, closes the websockets it opened (4403).

The workspace's services announce what they take away (``membership_delete``,
``project_delete``); a membership, a person or a token also goes through the admin, a
cascade or a script, which call no service. These handlers announce those too, after
the commit, as the services do. A service's removal is then announced twice: closing a
closed socket does nothing. Saving with ``QuerySet.update()`` sends no signal, so a
deactivation made that way reaches open sockets only at their reconnect.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from rest_framework.authtoken.models import Token

from live.events import publish, revoke_access_on_commit, user_group
from workspace.models import Membership

User = get_user_model()


def _revoke_everywhere_on_commit(user_id: int, *, token_only: bool = False) -> None:
    """Close all this user's websockets, on every project (or only those a token opened)."""
    message = {"projectId": None, "token": token_only}
    transaction.on_commit(lambda: publish(user_group(user_id), message, kind="access.revoked"))


@receiver(post_delete, sender=Membership, dispatch_uid="live.membership_deleted")
def _membership_deleted(sender, instance: Membership, **kwargs) -> None:
    revoke_access_on_commit(user_ids=[instance.user_id], project_id=instance.project_id)


@receiver(post_save, sender=User, dispatch_uid="live.user_saved")
def _user_saved(sender, instance, created: bool, **kwargs) -> None:
    # A deactivated person's session and token open nothing any more (live/auth.py).
    if not created and not instance.is_active:
        _revoke_everywhere_on_commit(instance.pk)


@receiver(post_delete, sender=User, dispatch_uid="live.user_deleted")
def _user_deleted(sender, instance, **kwargs) -> None:
    _revoke_everywhere_on_commit(instance.pk)


@receiver(post_delete, sender=Token, dispatch_uid="live.token_deleted")
def _token_deleted(sender, instance: Token, **kwargs) -> None:
    # A user has one token (DRF's is one to one): the sockets a token opened are this one's.
    _revoke_everywhere_on_commit(instance.user_id, token_only=True)
