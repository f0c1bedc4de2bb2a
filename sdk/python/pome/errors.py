"""The errors of every call: what Pome answered, or why nothing did."""

from __future__ import annotations

from typing import Optional


class PomeError(Exception):
    """An error answered by Pome: its error envelope with the HTTP status.

    ``code`` is for programs (``key_revoked``), ``message`` for people;
    ``request_id`` is what the server logged the request under, to quote
    to its operator. ``retry_after`` is the Retry-After header in seconds
    (a 429's), or None when absent.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int,
        type: str,
        code: str,
        request_id: Optional[str],
        retry_after: Optional[float] = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.type = type
        self.code = code
        self.request_id = request_id
        self.retry_after = retry_after

    def __str__(self) -> str:
        return f"{self.message} (status {self.status}, code {self.code}, request_id {self.request_id})"


class PomeConnectionError(Exception):
    """Pome could not be reached: refused, unresolvable, cut off or timed out.

    Nothing is known of what the server did with the call; ``__cause__``
    holds the underlying error.
    """

    def __init__(self, base_url: str, reason: str) -> None:
        super().__init__(f"cannot reach Pome at {base_url}: {reason}")
        self.base_url = base_url
        self.reason = reason


class UnexpectedResponseError(PomeConnectionError):
    """Something that is not Pome answered (a proxy's error page, another service).

    It is a PomeConnectionError because Pome itself gave no answer: code
    that fails closed on an unreachable Pome fails closed on this too.
    """

    def __init__(self, base_url: str, status: int, reason: str) -> None:
        super().__init__(base_url, f"HTTP {status}: {reason} (is the base URL a Pome server?)")
        self.status = status
