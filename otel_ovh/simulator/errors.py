"""OVH error answers, with the exact bodies of docs/ovh-api.md §5.

Two families coexist at OVH: auth-layer errors carry `errorCode` + `httpCode` (python-ovh maps the
403 ones to exception classes by `errorCode`), service-layer errors carry `class`. Auth errors here
send both families at once (docs/ovh-api.md §5: a superset that exercises python-ovh's
mapping); IAM denials send `class` + `details` and no `errorCode`, so python-ovh raises a plain
`APIError`, as it does against the real API.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

# errorCode -> (HTTP status, message)
AUTH_ERRORS: dict[str, tuple[int, str]] = {
    "INVALID_KEY": (403, "This application key is invalid"),
    "NOT_CREDENTIAL": (403, "This credential does not exist"),
    "INVALID_CREDENTIAL": (403, "This credential is not valid"),
    "NOT_GRANTED_CALL": (403, "This call has not been granted"),
    "FORBIDDEN": (403, "You are not allowed"),
    "INVALID_SIGNATURE": (400, "Invalid signature"),
}

# status -> (class, message) of service-layer errors
SERVICE_ERRORS: dict[int, tuple[str, str]] = {
    400: ("Client::BadRequest", "Bad request"),
    401: ("Client::Unauthorized", "You must login first"),
    403: ("Client::Forbidden", "User not granted for this request"),
    404: ("Client::NotFound", "This service does not exist"),
    405: ("Client::MethodNotAllowed", "Method not allowed"),
    409: ("Client::Conflict", "Conflict"),
    429: ("Client::TooManyRequests", "Too many requests"),
    500: ("Server::InternalServerError", "Internal server error"),
    502: ("Server::BadGateway", "Bad gateway"),
    503: ("Server::ServiceUnavailable", "Service unavailable"),
    504: ("Server::GatewayTimeout", "Gateway timeout"),
}


class ApiError(Exception):
    """An error answer: status, JSON body, extra headers. Raised by the world and auth, sent by the server."""

    def __init__(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{status} {body.get('message')}")
        self.status = status
        self.body = body
        self.headers = headers or {}


def http_code(status: int) -> str:
    """`403 Forbidden`: the `httpCode` string of auth-layer errors."""
    return f"{status} {HTTPStatus(status).phrase}"


def auth_error(code: str, message: str | None = None) -> ApiError:
    status, default = AUTH_ERRORS.get(code, (403, "You are not allowed"))
    service_class = SERVICE_ERRORS[status][0]
    return ApiError(
        status,
        {
            "errorCode": code,
            "httpCode": http_code(status),
            "message": message or default,
            "class": service_class,
        },
    )


def service_error(status: int, message: str | None = None) -> ApiError:
    service_class, default = SERVICE_ERRORS.get(
        status, ("Server::InternalServerError", "Internal server error")
    )
    return ApiError(status, {"class": service_class, "message": message or default})


def iam_denial(action: str = "publicCloudProject:apiovh:get") -> ApiError:
    """403 from IAM policies: no errorCode, so python-ovh cannot tell it from any other 403."""
    return ApiError(
        403,
        {
            "class": "Client::Forbidden",
            "message": "User not granted for this request",
            "details": {"unauthorizedActionsByAuthentication": "", "unauthorizedActionsByIAM": action},
        },
    )


def not_found(message: str = "This service does not exist") -> ApiError:
    return service_error(404, message)


def invalid_url() -> ApiError:
    """What OVH answers for a path it does not serve."""
    return service_error(404, "Got an invalid (or empty) URL")
