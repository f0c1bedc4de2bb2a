"""A WSGI middleware that lets through only requests with a key Pome accepts."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any, Callable, Dict, Iterable, List, Optional

from ._gate import DEFAULT_TIMEOUT, Decision, Gate, credential

Environ = Dict[str, Any]
StartResponse = Callable[..., Any]
WSGIApp = Callable[[Environ, StartResponse], Iterable[bytes]]


class PomeMiddleware:
    """Wraps a WSGI app: each request's key (X-API-KEY or Authorization: Bearer) is verified by Pome first.

    An accepted request reaches the app with the verification (key, team,
    user) in ``environ["pome"]``; a refused one is answered 400/401/403/429
    with Pome's JSON error body, and every request is answered 503 while
    Pome cannot be reached (fail closed). GET and HEAD ask for the read
    permission, other methods for write. The client's address is
    REMOTE_ADDR: behind a proxy, fix it up first (e.g. werkzeug's ProxyFix).
    """

    def __init__(
        self,
        app: WSGIApp,
        *,
        service_token: str,
        base_url: str,
        cache_ttl: float = 5.0,
        scopes: Optional[List[str]] = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self._app = app
        self._gate = Gate(service_token, base_url, cache_ttl=cache_ttl, scopes=scopes, timeout=timeout)

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        key, refused = credential(_values(environ, "HTTP_X_API_KEY"), _values(environ, "HTTP_AUTHORIZATION"))
        decision = refused or self._gate.check(key or "", environ.get("REQUEST_METHOD", "GET"), environ.get("REMOTE_ADDR"))
        if decision.verification is None:
            return _answer(decision, start_response)
        environ["pome"] = decision.verification
        return self._app(environ, start_response)


def _values(environ: Environ, name: str) -> List[str]:
    # WSGI folds a repeated header into one value; a folded key is no
    # valid key, so Pome refuses it as invalid.
    value = environ.get(name)
    return [value] if value is not None else []


def _answer(decision: Decision, start_response: StartResponse) -> Iterable[bytes]:
    status = f"{decision.status} {HTTPStatus(decision.status).phrase}"
    start_response(status, decision.headers + [("Content-Length", str(len(decision.body)))])
    return [decision.body]
