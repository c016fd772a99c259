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


class PermissionDenied(ServiceError):
    """The caller's role or county scope does not allow this (e.g. a lifecycle step)."""

    status = 403
    code = "Forbidden"


class PayloadTooLarge(ServiceError):
    status = 413
    code = "PayloadTooLarge"
