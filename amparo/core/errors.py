"""The error every service raises when a rule of the domain refuses a change.

`amparo.core.services.DomainError` is this class (re-exported there, where callers import it);
it lives apart so that modules services use (amparo.core.custody) can raise it too."""

from __future__ import annotations


class DomainError(Exception):
    """A rule of the domain refused the change; the message is for the person who asked."""
