"""An ASGI middleware that lets through only requests with a key Pome accepts."""

from __future__ import annotations

import asyncio
from typing import Any, Awaitable, Callable, Dict, List, MutableMapping, Optional

from ._gate import DEFAULT_TIMEOUT, Gate, credential

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Dict[str, Any]]]
Send = Callable[[Dict[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# The WebSocket close code of a refused connection: policy violation.
_WS_POLICY_VIOLATION = 1008


class PomeMiddleware:
    """Wraps an ASGI app as pome.wsgi.PomeMiddleware wraps a WSGI one, without blocking the event loop.

    The verify call runs in a worker thread (asyncio.to_thread). An accepted
    request reaches the app with ``scope["pome"]`` set (in a copy of the
    scope, as ASGI middlewares do). HTTP refusals are Pome's JSON errors;
    a refused WebSocket is closed with code 1008 before it is accepted.
    Lifespan events pass through. The client's address is ``scope["client"]``.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        service_token: str,
        base_url: str,
        cache_ttl: float = 5.0,
        scopes: Optional[List[str]] = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self._app = app
        self._gate = Gate(service_token, base_url, cache_ttl=cache_ttl, scopes=scopes, timeout=timeout)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self._app(scope, receive, send)
            return
        key, refused = credential(_values(scope, b"x-api-key"), _values(scope, b"authorization"))
        client = scope.get("client")
        method = scope.get("method", "GET")  # a WebSocket opens with a GET
        decision = refused or await asyncio.to_thread(self._gate.check, key or "", method, client[0] if client else None)
        if decision.verification is not None:
            await self._app({**scope, "pome": decision.verification}, receive, send)
        elif scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": _WS_POLICY_VIOLATION})
        else:
            headers = decision.headers + [("Content-Length", str(len(decision.body)))]
            await send({
                "type": "http.response.start",
                "status": decision.status,
                "headers": [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers],
            })
            await send({"type": "http.response.body", "body": decision.body})


def _values(scope: Scope, name: bytes) -> List[str]:
    return [v.decode("latin-1") for k, v in scope.get("headers", []) if k.lower() == name]
