"""One error hierarchy for the domain; the HTTP layer maps it to status codes in one place."""

from __future__ import annotations


class ServiceError(Exception):
    """Base of every error that is the caller's fault or a known condition."""

    status = 500
    code = "ServerError"

    def __init__(self, description: str, *, parameter: str | None = None):
        super().__init__(description)
        self.description = description
        self.parameter = parameter


class InvalidParameter(ServiceError):
    """A query parameter or body field has a bad value, or is not known."""

    status = 400
    code = "InvalidParameterValue"


class NotFound(ServiceError):
    status = 404
    code = "NotFound"


class InvalidInput(ServiceError):
    """The body is well-formed but its content breaks a rule (geometry, attributes)."""

    status = 422
    code = "InvalidInput"


class Conflict(ServiceError):
    status = 409
    code = "Conflict"


class DatabaseUnavailable(ServiceError):
    status = 503
    code = "DatabaseUnavailable"
    retry_after: int | None = None


class Overloaded(DatabaseUnavailable):
    """Every pooled connection stayed busy for the whole bounded wait: come back later."""

    code = "ServiceUnavailable"

    def __init__(self, description: str, *, retry_after: int):
        super().__init__(description)
        self.retry_after = retry_after


class Unauthorized(ServiceError):
    """No API key where one is needed, or a key that is unknown, revoked or expired."""

    status = 401
    code = "Unauthorized"


class PermissionDenied(ServiceError):
    """The one 403: the caller's role or county scope does not allow this (a write, a
    lifecycle step, a row the database's region-scope trigger refuses)."""

    status = 403
    code = "Forbidden"


class PayloadTooLarge(ServiceError):
    status = 413
    code = "PayloadTooLarge"


class UnsupportedMediaType(ServiceError):
    status = 415
    code = "UnsupportedMediaType"


class PreconditionFailed(ServiceError):
    """If-Match names a version that is no longer current (someone else wrote first)."""

    status = 412
    code = "PreconditionFailed"


class PreconditionRequired(ServiceError):
    """A replace, update or delete without If-Match (lost updates are not allowed)."""

    status = 428
    code = "PreconditionRequired"


class TimedOut(DatabaseUnavailable):
    """A statement ran past its route class's statement_timeout (geo.kernel.db)."""

    code = "Timeout"

    def __init__(self, description: str, *, retry_after: int):
        super().__init__(description)
        self.retry_after = retry_after


# SQLSTATE classes that mean "the request's values do not fit": 22 data exception (division
# by zero, numeric overflow, bad text encoding, NUL bytes), 54 program limit exceeded (a
# statement or an expression too complex or too deeply nested).
_CALLER_DATA_CLASSES = ("22", "54")


def from_database(exc: Exception) -> ServiceError | None:
    """The domain error a database error stands for, or None (then it is a server error).
    SQLSTATE RM403 comes from rm_enforce_region_scope (migration 0005_edits)."""
    orig = getattr(exc, "orig", exc)
    state = getattr(orig, "sqlstate", None)
    diag = getattr(orig, "diag", None)
    message = getattr(diag, "message_primary", None) or str(orig)
    if state == "RM403":
        return PermissionDenied(message)
    if state in ("40001", "40P01"):
        # A read cancelled by a hot standby's replay ("conflict with recovery"), a
        # serialization failure or a deadlock: nothing was written, a retry succeeds.
        busy = DatabaseUnavailable(f"the database cancelled this request ({message}); retry")
        busy.retry_after = 1
        return busy
    if state == "23505":
        detail = getattr(diag, "message_detail", None) or message
        return Conflict(f"duplicate: {detail}")
    if state == "57014":  # query_canceled: the statement timeout of its route class
        return TimedOut("the request took longer than its time budget; retry", retry_after=5)
    if (state or "")[:2] in _CALLER_DATA_CLASSES or (
        state is None and "NUL (0x00)" in message  # psycopg refuses NUL before sending
    ):
        return InvalidParameter(f"a value in the request cannot be processed: {message}")
    return None
