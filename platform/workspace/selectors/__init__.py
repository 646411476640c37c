"""Reads of the workspace: keyword-only functions returning models or querysets."""
