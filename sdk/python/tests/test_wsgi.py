"""pome.wsgi.PomeMiddleware served by wsgiref, in front of a real Pome."""

from __future__ import annotations

import json
import threading
import unittest
import urllib.error
import urllib.request
from typing import Any, Dict, Iterable, Optional, Tuple
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pome
from pome.wsgi import PomeMiddleware
from tests.server import PomeServer

server: PomeServer
platform: pome.Platform
token: str
team_id: str


def setUpModule() -> None:
    global server, platform, token, team_id
    server = PomeServer()
    token = server.service_token("wsgi", "all")
    platform = pome.Platform(service_token=token, base_url=server.base_url)
    team_id = platform.create_team("WSGI Inc")["id"]


def tearDownModule() -> None:
    server.stop()


def app(environ: Dict[str, Any], start_response: Any) -> Iterable[bytes]:
    """The protected app: it answers the verification it was given."""
    start_response("200 OK", [("Content-Type", "application/json")])
    return [json.dumps(environ["pome"]).encode()]


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


def serve(middleware: PomeMiddleware) -> Tuple[str, WSGIServer]:
    """Serves the middleware over HTTP in a thread, for the test's life; returns its URL."""
    httpd = make_server("127.0.0.1", 0, middleware, handler_class=_Quiet)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{httpd.server_port}", httpd


def get(url: str, headers: Dict[str, str], method: str = "GET") -> Tuple[int, Dict[str, str], Any]:
    req = urllib.request.Request(url + "/orders", headers=headers, method=method)
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, dict(resp.headers), json.loads(resp.read())
    except urllib.error.HTTPError as e:
        with e:
            return e.code, dict(e.headers), json.loads(e.read())


class WSGIMiddlewareTest(unittest.TestCase):
    def protect(self, cache_ttl: float = 5.0, pome_server: Optional[PomeServer] = None, service_token: Optional[str] = None) -> str:
        behind = pome_server or server
        middleware = PomeMiddleware(app, service_token=service_token or token, base_url=behind.base_url, cache_ttl=cache_ttl)
        url, httpd = serve(middleware)
        self.addCleanup(httpd.server_close)
        self.addCleanup(httpd.shutdown)
        return url

    def assertRefused(self, answer: Tuple[int, Dict[str, str], Any], status: int, code: str) -> None:
        got_status, headers, body = answer
        self.assertEqual((got_status, body["error"]["code"]), (status, code))
        self.assertRegex(body["error"]["request_id"], r"^req_[0-9A-Za-z]{20}$")
        self.assertEqual(headers["X-Request-Id"], body["error"]["request_id"])
        self.assertTrue(body["error"]["message"] and body["error"]["type"])
        self.assertEqual(headers["Content-Type"], "application/json")

    def test_allows_a_valid_key_in_either_header(self) -> None:
        url = self.protect()
        created = platform.create_key(team_id, "ok")
        for headers in ({"X-API-KEY": created["key"]}, {"Authorization": "Bearer " + created["key"]}):
            status, _, body = get(url, headers)
            self.assertEqual((status, body["valid"], body["key"]["id"], body["team"]["id"]), (200, True, created["id"], team_id))

    def test_refuses_as_pome_does(self) -> None:
        url = self.protect(cache_ttl=0)
        answer = get(url, {})
        self.assertRefused(answer, 401, "missing_api_key")
        self.assertEqual(answer[1]["WWW-Authenticate"], 'Bearer realm="pome"')
        self.assertRefused(get(url, {"X-API-KEY": "pme_forged"}), 401, "invalid_api_key")
        self.assertRefused(get(url, {"Authorization": "Basic eDp5"}), 401, "missing_api_key")

        created = platform.create_key(team_id, "two")
        self.assertRefused(get(url, {"X-API-KEY": created["key"], "Authorization": "Bearer pme_other"}), 400, "conflicting_credentials")

        viewer = platform.create_key(team_id, "viewer", role="viewer")
        self.assertEqual(get(url, {"X-API-KEY": viewer["key"]})[0], 200)
        self.assertRefused(get(url, {"X-API-KEY": viewer["key"]}, method="POST"), 403, "insufficient_permissions")

        platform.revoke_key(created["id"])
        self.assertRefused(get(url, {"X-API-KEY": created["key"]}), 403, "key_revoked")

        limited = platform.create_key(team_id, "limited", rate_limit={"limit": 1, "window_seconds": 60})
        self.assertEqual(get(url, {"X-API-KEY": limited["key"]})[0], 200)
        answer = get(url, {"X-API-KEY": limited["key"]})
        self.assertRefused(answer, 429, "rate_limit_exceeded")
        self.assertGreater(int(answer[1]["Retry-After"]), 0)

    def test_caches_valid_answers_by_digest(self) -> None:
        middleware = PomeMiddleware(app, service_token=token, base_url=server.base_url, cache_ttl=60)
        url, httpd = serve(middleware)
        self.addCleanup(httpd.server_close)
        self.addCleanup(httpd.shutdown)
        created = platform.create_key(team_id, "cached")
        self.assertEqual(get(url, {"X-API-KEY": created["key"]})[0], 200)
        platform.revoke_key(created["id"])
        # Still served from the cache, as documented: keep cache_ttl short.
        self.assertEqual(get(url, {"X-API-KEY": created["key"]})[0], 200)
        held = repr(vars(middleware._gate._cache))
        self.assertNotIn(created["key"], held)

        invalid = "pme_" + "A" * 36
        self.assertRefused(get(url, {"X-API-KEY": invalid}), 401, "invalid_api_key")
        self.assertEqual(len(middleware._gate._cache._items), 1)  # refusals are not cached

    def test_fails_closed_when_pome_is_gone(self) -> None:
        doomed = PomeServer()
        self.addCleanup(doomed.stop)
        doomed_token = doomed.service_token("doomed")
        doomed_platform = pome.Platform(service_token=doomed_token, base_url=doomed.base_url)
        created = doomed_platform.create_key(doomed_platform.create_team("Doomed")["id"], "k")
        url = self.protect(cache_ttl=0, pome_server=doomed, service_token=doomed_token)
        self.assertEqual(get(url, {"X-API-KEY": created["key"]})[0], 200)
        doomed.stop()
        with self.assertLogs("pome", "WARNING") as logs:
            self.assertRefused(get(url, {"X-API-KEY": created["key"]}), 503, "service_unavailable")
        self.assertIn("cannot reach Pome", logs.output[0])
        self.assertNotIn(created["key"], "".join(logs.output))


if __name__ == "__main__":
    unittest.main()
