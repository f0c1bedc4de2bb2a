"""verify_webhook against a delivery signed by a real Pome, and against forgeries."""

from __future__ import annotations

import base64
import queue
import threading
import time
import unittest
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, List, Tuple

import pome
from tests.server import PomeServer

server: PomeServer
platform: pome.Platform


def setUpModule() -> None:
    global server, platform
    server = PomeServer()
    platform = pome.Platform(service_token=server.service_token("hooks"), base_url=server.base_url)


def tearDownModule() -> None:
    server.stop()


class Receiver:
    """The platform's webhook endpoint: it answers 204 and keeps each delivery's headers and body."""

    def __init__(self) -> None:
        self.deliveries: "queue.Queue[Tuple[List[Tuple[str, str]], bytes]]" = queue.Queue()
        received = self.deliveries

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                received.put((list(self.headers.items()), body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/pome-events"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class WebhookTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        receiver = Receiver()
        cls.addClassCleanup(receiver.close)
        team = platform.create_team("Hooked Inc")
        cls.hook = platform.create_webhook(receiver.url, ["key.created"], team=team["id"])
        cls.key = platform.create_key(team["id"], "announced")
        cls.headers, cls.body = receiver.deliveries.get(timeout=10)

    def test_a_delivery_signed_by_pome_verifies(self) -> None:
        event = pome.verify_webhook(self.hook["secret"], self.headers, self.body)
        self.assertEqual(event["type"], "key.created")
        self.assertEqual(event["data"]["target_id"], self.key["id"])
        self.assertNotIn(self.key["key"], self.body.decode())  # no plaintext in events
        # As a dict too, and with the body as text.
        self.assertEqual(pome.verify_webhook(self.hook["secret"], dict(self.headers), self.body.decode()), event)

    def test_the_deliveries_log_shows_it(self) -> None:
        for _ in range(50):
            deliveries = list(platform.iter_webhook_deliveries(self.hook["id"]))
            if deliveries:
                break
            time.sleep(0.1)  # the attempt is logged just after the receiver answered
        self.assertEqual((deliveries[0]["type"], deliveries[0]["outcome"], deliveries[0]["status_code"]), ("key.created", "delivered", 204))

    def test_forgeries_are_refused(self) -> None:
        secret = self.hook["secret"]
        other = "whsec_" + base64.b64encode(b"not the secret, not at all").decode()
        stamp = int(dict(self.headers)["Webhook-Timestamp"])
        without_signature = [(k, v) for k, v in self.headers if k.lower() != "webhook-signature"]
        cases = {
            "another secret": (other, self.headers, self.body, None),
            "a changed body": (secret, self.headers, self.body.replace(b"key.created", b"key.revoked"), None),
            "a replay": (secret, self.headers, self.body, stamp + 301),
            "no signature": (secret, without_signature, self.body, None),
            "only another version": (secret, without_signature + [("webhook-signature", "v2,AAAA")], self.body, None),
            "a secret without whsec_": (secret[len("whsec_"):], self.headers, self.body, None),
        }
        for name, (key, headers, body, now) in cases.items():
            with self.subTest(name), self.assertRaises(pome.WebhookVerificationError):
                pome.verify_webhook(key, headers, body, now=now)


if __name__ == "__main__":
    unittest.main()
