"""Writes of the workspace: keyword-only functions, each one validated change."""
