"""Roles are checked where the object is fetched (``workspace.selectors``): a non-member
gets 404 and a member without the role 403. These names say which roles an action needs."""

from workspace.selectors.projects import MEMBERS, OWNERS, WRITERS

__all__ = ["MEMBERS", "OWNERS", "WRITERS"]
