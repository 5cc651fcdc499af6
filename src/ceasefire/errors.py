"""One hierarchy of errors, so edges (CLI, HTTP) can map them to exit codes and statuses.

Every error that concerns a piece of input names the *field* (or key path) and the *rule* it
broke, because an analyst fixing a file needs both, and a quarantine row stores both.
"""

from __future__ import annotations


class CeasefireError(Exception):
    """Root of every error the domain raises on purpose."""


class InputError(CeasefireError):
    """Input that breaks a rule of a format: names the field (or key path) and the rule.

    >>> str(InputError("lat", "range", "lat 91 is outside -90..90"))
    'lat: lat 91 is outside -90..90 [range]'
    """

    def __init__(self, field: str, rule: str, message: str) -> None:
        super().__init__(f"{field}: {message} [{rule}]")
        self.field = field
        self.rule = rule
        self.message = message


class AgreementError(InputError):
    """An agreement file that cannot be loaded; ``field`` is the key path (``zones[2].id``)."""


class UnknownFormatError(CeasefireError):
    """An input file whose format is neither given nor recognisable."""


class NotFoundError(CeasefireError):
    """A record asked for by id does not exist."""


class StoreError(CeasefireError):
    """The store cannot do what was asked (no agreement loaded, schema too old, ...)."""


class WriteConflictError(StoreError):
    """Another writer committed first what this transaction also wrote (the same report key),
    or the two waited on each other: nothing of this transaction is stored, and the same
    work decided again against the store (the duplicates now known) will succeed."""


class BusUnavailableError(CeasefireError):
    """The bus (NATS JetStream) did not take a submission in time: nothing was accepted,
    and the sender keeps its input and tries again."""


class AuthError(CeasefireError):
    """No valid credentials: a missing, unknown or expired token, or a wrong password."""


class ForbiddenError(CeasefireError):
    """Valid credentials, but the user's roles do not allow the action."""


class ThrottledError(CeasefireError):
    """Too many failed logins for a name: refused until ``retry_after_s`` has passed."""

    def __init__(self, message: str, *, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s
