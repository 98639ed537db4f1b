"""Failures every layer may raise or catch."""

from __future__ import annotations


class DatabaseUnavailable(Exception):
    """Neo4j did not answer; the message says how to start it or where it was looked for."""
