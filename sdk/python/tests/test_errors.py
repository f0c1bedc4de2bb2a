"""PomeError's fields for each kind of refusal, the connection errors, and the retries."""

from __future__ import annotations

import json
import socket
import time
import unittest

import pome
from tests.server import PomeServer
from tests.stub import Stub

server: PomeServer
platform: pome.Platform


def setUpModule() -> None:
    global server, platform
    server = PomeServer()
    platform = pome.Platform(service_token=server.service_token("errors"), base_url=server.base_url)


def tearDownModule() -> None:
    server.stop()


class PomeErrorTest(unittest.TestCase):
    def assertPomeError(self, err: pome.PomeError, status: int, type_: str, code: str) -> None:
        self.assertEqual((err.status, err.type, err.code), (status, type_, code))
        self.assertRegex(err.request_id or "", r"^req_[0-9A-Za-z]{20}$")
        self.assertTrue(err.message)
        self.assertIn(code, str(err))
        self.assertIn(err.request_id or "", str(err))

    def test_400(self) -> None:
        with self.assertRaises(pome.PomeError) as cm:
            platform.create_team("Bad", plan_tier="platinum")
        self.assertPomeError(cm.exception, 400, "invalid_request_error", "invalid_parameter")
        self.assertIn("plan_tier", cm.exception.message)
        self.assertIsNone(cm.exception.retry_after)

    def test_401(self) -> None:
        bogus = pome.Platform(service_token="pst_not-a-token", base_url=server.base_url)
        with self.assertRaises(pome.PomeError) as cm:
            bogus.get_team("tm_0000000000000000")
        self.assertPomeError(cm.exception, 401, "authentication_error", "invalid_service_token")

    def test_403_scope_and_revoked_key(self) -> None:
        verifier = pome.Platform(service_token=server.service_token("verifier", "keys:verify"), base_url=server.base_url)
        with self.assertRaises(pome.PomeError) as cm:
            verifier.create_team("Nope")
        self.assertPomeError(cm.exception, 403, "permission_error", "insufficient_scope")

        team = platform.create_team("Revoked Inc")
        created = platform.create_key(team["id"], "gone")
        platform.revoke_key(created["id"])
        with self.assertRaises(pome.PomeError) as cm:
            pome.Client(api_key=created["key"], base_url=server.base_url).whoami()
        self.assertPomeError(cm.exception, 403, "permission_error", "key_revoked")

    def test_404(self) -> None:
        with self.assertRaises(pome.PomeError) as cm:
            platform.get_team("tm_0000000000000000")
        self.assertPomeError(cm.exception, 404, "not_found_error", "team_not_found")
        with self.assertRaises(pome.PomeError) as cm:
            platform.get_key("key_0000000000000000")
        self.assertPomeError(cm.exception, 404, "not_found_error", "key_not_found")

    def test_429_with_retry_after_too_long_to_wait(self) -> None:
        team = platform.create_team("Limited Inc")
        created = platform.create_key(team["id"], "slow", rate_limit={"limit": 1, "window_seconds": 60})
        client = pome.Client(api_key=created["key"], base_url=server.base_url)
        client.whoami()
        started = time.monotonic()
        with self.assertRaises(pome.PomeError) as cm:
            client.whoami()  # Retry-After is far over the longest wait: raised at once
        self.assertLess(time.monotonic() - started, 1)
        self.assertPomeError(cm.exception, 429, "rate_limit_error", "rate_limit_exceeded")
        self.assertIsNotNone(cm.exception.retry_after)
        self.assertGreater(cm.exception.retry_after or 0, 1)


class RetryTest(unittest.TestCase):
    def test_a_get_waits_for_retry_after_and_succeeds(self) -> None:
        team = platform.create_team("Retry Inc")
        created = platform.create_key(team["id"], "burst", rate_limit={"limit": 1, "window_seconds": 1})
        client = pome.Client(api_key=created["key"], base_url=server.base_url)
        client.whoami()
        started = time.monotonic()
        self.assertEqual(client.whoami()["api_key"]["id"], created["id"])
        self.assertGreaterEqual(time.monotonic() - started, 0.5)

    def test_without_retries_the_429_is_raised(self) -> None:
        team = platform.create_team("No Retry Inc")
        created = platform.create_key(team["id"], "burst", rate_limit={"limit": 1, "window_seconds": 1})
        client = pome.Client(api_key=created["key"], base_url=server.base_url, max_retries=0)
        client.whoami()
        with self.assertRaises(pome.PomeError) as cm:
            client.whoami()
        self.assertEqual((cm.exception.status, cm.exception.retry_after), (429, 1.0))

    def test_which_calls_are_retried(self) -> None:
        # Pome does not answer 503 on demand: a stub does, counting the attempts.
        envelope = {"error": {"message": "Service temporarily unavailable", "type": "unavailable_error",
                              "code": "service_unavailable", "request_id": "req_AAAAAAAAAAAAAAAAAAAA"}}
        stub = Stub(503, {"Content-Type": "application/json", "Retry-After": "0"}, json.dumps(envelope).encode())
        self.addCleanup(stub.close)
        unavailable = pome.Platform(service_token="pst_x", base_url=stub.base_url, max_retries=2)
        calls = {
            "GET": lambda: unavailable.get_team("tm_x"),
            "DELETE": lambda: unavailable.revoke_key("key_x"),
            "verify": lambda: unavailable.verify("pme_x"),
            "create": lambda: unavailable.create_key("tm_x", "k"),
            "PATCH": lambda: unavailable.update_team("tm_x", name="n"),
        }
        attempts = {}
        for name, call in calls.items():
            before = len(stub.requests)
            with self.assertRaises(pome.PomeError) as cm:
                call()
            self.assertEqual((cm.exception.status, cm.exception.code), (503, "service_unavailable"))
            attempts[name] = len(stub.requests) - before
        self.assertEqual(attempts, {"GET": 3, "DELETE": 3, "verify": 3, "create": 1, "PATCH": 1})


class ConnectionErrorTest(unittest.TestCase):
    def test_nothing_listens(self) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]  # free once closed: nothing listens there
        with self.assertRaises(pome.PomeConnectionError) as cm:
            pome.Platform(service_token="pst_x", base_url=f"http://127.0.0.1:{port}").get_team("tm_x")
        self.assertNotIsInstance(cm.exception, pome.PomeError)
        self.assertIn(f"127.0.0.1:{port}", str(cm.exception))

    def test_something_else_answers(self) -> None:
        stub = Stub(502, {"Content-Type": "text/html"}, b"<h1>Bad Gateway</h1>")
        self.addCleanup(stub.close)
        with self.assertRaises(pome.UnexpectedResponseError) as cm:
            pome.Client(api_key="pme_x", base_url=stub.base_url, max_retries=0).whoami()
        self.assertEqual(cm.exception.status, 502)
        self.assertIsInstance(cm.exception, pome.PomeConnectionError)

    def test_bad_configuration(self) -> None:
        with self.assertRaises(ValueError):
            pome.Client(api_key="pme_x", base_url="keys.example.com")
        with self.assertRaises(ValueError):
            pome.Platform(service_token=" ", base_url="http://127.0.0.1")

    def test_repr_hides_the_credential(self) -> None:
        self.assertNotIn("pst_secret", repr(pome.Platform(service_token="pst_secret", base_url="http://127.0.0.1")))


if __name__ == "__main__":
    unittest.main()
