"""What every client of Pome holds: a transport to one server, and the helpers its calls share."""

from __future__ import annotations

import urllib.parse
from datetime import datetime, timezone
from typing import Any, Callable, Dict, Iterator, Mapping, Optional

from ._http import Transport
from ._retry import RetryPolicy

DEFAULT_TIMEOUT = 10.0


class _Unset:
    """The default of a field a PATCH leaves alone; None there means JSON null, which clears it."""

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()


class Base:
    """A client of one Pome server, authenticated with one bearer credential."""

    def __init__(self, token: str, base_url: str, *, timeout: float, max_retries: int) -> None:
        if not token or not token.strip():
            raise ValueError(f"{type(self).__name__} needs a credential: got an empty one")
        self._http = Transport(base_url, token, timeout=timeout, retry=RetryPolicy(max_retries=max_retries))

    @property
    def base_url(self) -> str:
        return self._http.base_url

    def __repr__(self) -> str:
        # The credential is left out: a repr ends up in logs.
        return f"{type(self).__name__}(base_url={self.base_url!r})"


def segment(name: str, value: str) -> str:
    """``value`` as one path segment; an empty id would silently name another route."""
    if not value:
        raise ValueError(f"{name} must not be empty")
    return urllib.parse.quote(value, safe="")


def given(**fields: Any) -> Dict[str, Any]:
    """The fields of a creation that were given: None leaves one out, for the server's default."""
    return {k: _json(v) for k, v in fields.items() if v is not None}


def changed(**fields: Any) -> Dict[str, Any]:
    """The fields of a change that were given, None included (JSON null clears a field)."""
    return {k: _json(v) for k, v in fields.items() if v is not UNSET}


def _json(value: Any) -> Any:
    return rfc3339(value) if isinstance(value, datetime) else value


def rfc3339(value: datetime) -> str:
    """A time as Pome reads it: RFC 3339 in UTC. A naive datetime is taken to be UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def pages(fetch: Callable[[Optional[str]], Mapping[str, Any]], items: str) -> Iterator[Any]:
    """The ``items`` of every page ``fetch(cursor)`` returns, following next_cursor until it is None."""
    cursor: Optional[str] = None
    while True:
        page = fetch(cursor)
        yield from page[items]
        cursor = page["next_cursor"]
        if cursor is None:
            return
