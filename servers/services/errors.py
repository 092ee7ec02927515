"""The panel's own refusals: an action it will not take, with words for the person who asked.

Imports nothing from the panel, so every services module (and its callers) may raise them.
"""

from __future__ import annotations


class ServiceError(Exception):
    """An action refused by the panel itself, with words for the person who asked."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class AlreadyInProgress(ServiceError):
    pass
