"""pome.asgi.PomeMiddleware called as an ASGI server calls it, in front of a real Pome."""

from __future__ import annotations

import asyncio
import json
import time
import unittest
from typing import Any, Dict, List, Optional, Tuple

import pome
from pome.asgi import PomeMiddleware, Scope
from tests.server import PomeServer
from tests.stub import Stub

server: PomeServer
platform: pome.Platform
token: str
team_id: str


def setUpModule() -> None:
    global server, platform, token, team_id
    server = PomeServer()
    token = server.service_token("asgi")
    platform = pome.Platform(service_token=token, base_url=server.base_url)
    team_id = platform.create_team("ASGI Inc")["id"]


def tearDownModule() -> None:
    server.stop()


class App:
    """The protected app: it records the scopes it gets and answers 200."""

    def __init__(self) -> None:
        self.scopes: List[Scope] = []

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        self.scopes.append(scope)
        if scope["type"] == "http":
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b"ok"})


async def call(middleware: PomeMiddleware, headers: List[Tuple[bytes, bytes]], kind: str = "http",
               method: str = "GET") -> List[Dict[str, Any]]:
    """One request through the middleware, as a server makes it: returns the messages sent."""
    sent: List[Dict[str, Any]] = []

    async def receive() -> Dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": kind, "method": method, "path": "/orders", "headers": headers, "client": ("127.0.0.1", 50000)}
    await middleware(scope, receive, send)
    return sent


def refusal(sent: List[Dict[str, Any]]) -> Tuple[int, Dict[bytes, bytes], Dict[str, Any]]:
    return sent[0]["status"], dict(sent[0]["headers"]), json.loads(sent[1]["body"])["error"]


def doomed_pome() -> Tuple[PomeServer, str, Dict[str, Any]]:
    """A server of its own, to be killed, with a token and a key of it."""
    doomed = PomeServer()
    doomed_token = doomed.service_token("doomed")
    doomed_platform = pome.Platform(service_token=doomed_token, base_url=doomed.base_url)
    created = doomed_platform.create_key(doomed_platform.create_team("Doomed")["id"], "k")
    return doomed, doomed_token, dict(created)


class ASGIMiddlewareTest(unittest.IsolatedAsyncioTestCase):
    def protect(self, base_url: Optional[str] = None, service_token: Optional[str] = None) -> Tuple[App, PomeMiddleware]:
        app = App()
        return app, PomeMiddleware(app, service_token=service_token or token, base_url=base_url or server.base_url, cache_ttl=0)

    async def test_allows_a_valid_key(self) -> None:
        app, middleware = self.protect()
        created = platform.create_key(team_id, "ok")
        sent = await call(middleware, [(b"authorization", b"Bearer " + created["key"].encode())])
        self.assertEqual(sent[0]["status"], 200)
        self.assertEqual(app.scopes[0]["pome"]["key"]["id"], created["id"])

    async def test_refuses_as_pome_does(self) -> None:
        app, middleware = self.protect()
        status, headers, error = refusal(await call(middleware, []))
        self.assertEqual((status, error["code"], headers[b"www-authenticate"]), (401, "missing_api_key", b'Bearer realm="pome"'))
        self.assertEqual(headers[b"x-request-id"].decode(), error["request_id"])
        status, _, error = refusal(await call(middleware, [(b"x-api-key", b"pme_forged")]))
        self.assertEqual((status, error["type"], error["code"]), (401, "authentication_error", "invalid_api_key"))
        status, _, error = refusal(await call(middleware, [(b"x-api-key", b"a"), (b"x-api-key", b"a")]))
        self.assertEqual((status, error["code"]), (400, "conflicting_credentials"))

        viewer = platform.create_key(team_id, "viewer", role="viewer")
        status, _, error = refusal(await call(middleware, [(b"x-api-key", viewer["key"].encode())], method="DELETE"))
        self.assertEqual((status, error["code"]), (403, "insufficient_permissions"))

        limited = platform.create_key(team_id, "limited", rate_limit={"limit": 1, "window_seconds": 60})
        await call(middleware, [(b"x-api-key", limited["key"].encode())])
        status, headers, error = refusal(await call(middleware, [(b"x-api-key", limited["key"].encode())]))
        self.assertEqual((status, error["code"]), (429, "rate_limit_exceeded"))
        self.assertGreater(int(headers[b"retry-after"]), 0)
        self.assertEqual(len(app.scopes), 1)  # only the first of the limited key's requests

    async def test_websocket_refused_and_lifespan_passed(self) -> None:
        app, middleware = self.protect()
        self.assertEqual(await call(middleware, [], kind="websocket"), [{"type": "websocket.close", "code": 1008}])
        await call(middleware, [], kind="lifespan")
        self.assertEqual([s["type"] for s in app.scopes], ["lifespan"])

    async def test_does_not_block_the_event_loop(self) -> None:
        slow = Stub(200, {"Content-Type": "application/json"}, b'{"valid": false, "code": "INVALID"}', delay=0.5)
        self.addCleanup(slow.close)
        _, middleware = self.protect(base_url=slow.base_url)
        ticks = 0

        async def tick() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        ticker = asyncio.ensure_future(tick())
        started = time.monotonic()
        status, _, _ = refusal(await call(middleware, [(b"x-api-key", b"pme_x")]))
        ticker.cancel()
        self.assertEqual(status, 401)
        self.assertGreaterEqual(time.monotonic() - started, 0.5)
        self.assertGreater(ticks, 10)  # the loop ran while the verify call waited

    async def test_fails_closed_when_pome_is_gone(self) -> None:
        # Starting a server blocks: off the loop, which runs in debug mode here.
        doomed, doomed_token, created = await asyncio.to_thread(doomed_pome)
        self.addCleanup(doomed.stop)
        _, middleware = self.protect(base_url=doomed.base_url, service_token=doomed_token)
        self.assertEqual((await call(middleware, [(b"x-api-key", created["key"].encode())]))[0]["status"], 200)
        doomed.stop()
        with self.assertLogs("pome", "WARNING"):
            status, _, error = refusal(await call(middleware, [(b"x-api-key", created["key"].encode())]))
        self.assertEqual((status, error["type"], error["code"]), (503, "unavailable_error", "service_unavailable"))


if __name__ == "__main__":
    unittest.main()
