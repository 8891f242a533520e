"""Turning errors into the one-line messages a management command prints before exiting."""

from __future__ import annotations

from django.core.exceptions import ValidationError


def validation_message(error: ValidationError) -> str:
    """`field: message; field: message` for a model validation error, or its plain messages."""
    if hasattr(error, "error_dict"):
        return "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in error.message_dict.items())
    return " ".join(error.messages)
