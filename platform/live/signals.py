"""Access that ends, however it ends, closes the websockets it opened (4403).

The workspace's services announce what they take away (``membership_delete``,
``project_delete``); a membership, a person or a token also goes through the admin, a
cascade or a script, which call no service. These handlers announce those too, after
the commit, as the services do. A service's removal is then announced twice: closing a
closed socket does nothing. Logging out ends the sockets that session opened; a new
password, every session's (a token's stay: it is not the password). Saving with
``QuerySet.update()`` sends no signal, so a deactivation made that way reaches open
sockets only at their reconnect.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_out
from django.db import transaction
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver
from rest_framework.authtoken.models import Token

from live.events import publish, revoke_access_on_commit, user_group
from workspace.models import Membership

User = get_user_model()


def _revoke_everywhere_on_commit(user_id: int, *, token_only: bool = False, session=None) -> None:
    """Close this user's websockets on every project: all of them, those a token opened, or
    those a session opened (``session``: its key, or True for every session's)."""
    message = {"projectId": None, "token": token_only, "session": session}
    transaction.on_commit(lambda: publish(user_group(user_id), message, kind="access.revoked"))


@receiver(post_delete, sender=Membership, dispatch_uid="live.membership_deleted")
def _membership_deleted(sender, instance: Membership, **kwargs) -> None:
    revoke_access_on_commit(user_ids=[instance.user_id], project_id=instance.project_id)


@receiver(pre_save, sender=User, dispatch_uid="live.user_saving")
def _user_saving(sender, instance, update_fields=None, **kwargs) -> None:
    # Its password as stored, to tell a change after the save (not read for a save of
    # other fields only, such as the last login's).
    if instance.pk is not None and (update_fields is None or "password" in update_fields):
        instance._stored_password = User.objects.filter(pk=instance.pk).values_list("password", flat=True).first()


@receiver(post_save, sender=User, dispatch_uid="live.user_saved")
def _user_saved(sender, instance, created: bool, **kwargs) -> None:
    # A deactivated person's session and token open nothing any more (live/auth.py).
    if not created and not instance.is_active:
        _revoke_everywhere_on_commit(instance.pk)
    elif getattr(instance, "_stored_password", instance.password) != instance.password:
        # A new password ends the sessions opened with the old one (Django checks it at
        # their next request): their sockets end now. A page still logged in reconnects.
        _revoke_everywhere_on_commit(instance.pk, session=True)
    instance.__dict__.pop("_stored_password", None)


@receiver(user_logged_out, dispatch_uid="live.logged_out")
def _logged_out(sender, request, user, **kwargs) -> None:
    # Sent before the session is flushed: its key still names the sockets it opened.
    key = getattr(getattr(request, "session", None), "session_key", None)
    if user is not None and key:
        _revoke_everywhere_on_commit(user.pk, session=key)


@receiver(post_delete, sender=User, dispatch_uid="live.user_deleted")
def _user_deleted(sender, instance, **kwargs) -> None:
    _revoke_everywhere_on_commit(instance.pk)


@receiver(post_delete, sender=Token, dispatch_uid="live.token_deleted")
def _token_deleted(sender, instance: Token, **kwargs) -> None:
    # A user has one token (DRF's is one to one): the sockets a token opened are this one's.
    _revoke_everywhere_on_commit(instance.user_id, token_only=True)
