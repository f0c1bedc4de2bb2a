"""Every call of Client and Platform against a real Pome."""

from __future__ import annotations

import unittest
from datetime import datetime, timedelta, timezone

import pome
from tests.server import PUBLIC_URL, PomeServer, unique

server: PomeServer
platform: pome.Platform


def setUpModule() -> None:
    global server, platform
    server = PomeServer()
    platform = pome.Platform(service_token=server.service_token("platform"), base_url=server.base_url)


def tearDownModule() -> None:
    server.stop()


class TeamsTest(unittest.TestCase):
    def test_create_get_find_update(self) -> None:
        ext = unique("cus")
        team = platform.create_team("Acme Inc", external_id=ext, plan_tier="pro")
        self.assertTrue(team["id"].startswith("tm_"))
        self.assertEqual((team["name"], team["plan_tier"], team["status"], team["external_id"]), ("Acme Inc", "pro", "active", ext))
        self.assertEqual(platform.get_team(team["id"]), team)
        self.assertEqual(platform.find_team(ext), team)
        self.assertIsNone(platform.find_team(unique("nobody")))
        banned = platform.update_team(team["id"], status="banned", name="Acme")
        self.assertEqual((banned["status"], banned["name"], banned["plan_tier"]), ("banned", "Acme", "pro"))

    def test_empty_ids_are_refused_before_any_call(self) -> None:
        with self.assertRaises(ValueError):
            platform.get_team("")
        with self.assertRaises(ValueError):
            platform.find_team("")


class KeysTest(unittest.TestCase):
    team_id: str

    @classmethod
    def setUpClass(cls) -> None:
        cls.team_id = platform.create_team("Keys Inc")["id"]

    def test_create_get_update_roll_revoke(self) -> None:
        expires = datetime.now(timezone.utc) + timedelta(days=30)
        created = platform.create_key(
            self.team_id, "acme-prod", environment="test", meta={"customer": "cus_1"}, scopes=["docs:read"],
            rate_limit={"limit": 100, "window_seconds": 60}, allowed_cidrs=["10.0.0.0/8"], expires_at=expires,
        )
        self.assertTrue(created["key"].startswith("pme_test_"))
        self.assertEqual((created["role"], created["team_id"], created["meta"]), ("developer", self.team_id, {"customer": "cus_1"}))
        self.assertEqual(created["expires_at"], expires.strftime("%Y-%m-%dT%H:%M:%SZ"))

        got = platform.get_key(created["id"])
        self.assertNotIn("key", got)  # the plaintext is never shown again
        self.assertTrue(got["created_by"].startswith("stk_"))

        changed = platform.update_key(created["id"], name="acme-renamed", meta=None, allowed_cidrs=None, expires_at=None, enabled=False)
        self.assertEqual((changed["name"], changed["meta"], changed["allowed_cidrs"], changed["expires_at"], changed["enabled"]),
                         ("acme-renamed", {}, [], None, False))
        self.assertEqual(changed["scopes"], ["docs:read"])  # left out: unchanged
        with self.assertRaises(ValueError):
            platform.update_key(created["id"])

        rolled = platform.roll_key(created["id"], expire_old_in_hours=1)
        self.assertEqual((rolled["rolled_from"], rolled["old_key"]["id"], rolled["name"]), (created["id"], created["id"], "acme-renamed"))
        self.assertNotEqual(rolled["key"], created["key"])
        self.assertEqual(platform.get_key(created["id"])["replaced_by"], rolled["id"])

        revoked = platform.revoke_key(rolled["id"])
        self.assertEqual(revoked, {"success": True, "message": "API key revoked successfully", "id": rolled["id"]})
        self.assertEqual(platform.get_key(rolled["id"])["status"], "revoked")

    def test_report_leak_revokes_and_answers_alike(self) -> None:
        created = platform.create_key(self.team_id, "pasted")
        self.assertEqual(platform.report_leak(created["key"]), {"status": "received"})
        self.assertEqual(platform.get_key(created["id"])["status"], "revoked")
        self.assertEqual(platform.report_leak("pme_not_a_key"), {"status": "received"})

    def test_pages_and_iterator(self) -> None:
        team_id = platform.create_team("Many Keys")["id"]
        ids = [platform.create_key(team_id, f"k{i}")["id"] for i in range(5)]
        first = platform.list_keys(team_id, limit=2)
        self.assertEqual([k["id"] for k in first["keys"]], ids[::-1][:2])
        self.assertIsNotNone(first["next_cursor"])
        seen = []
        cursor = None
        while True:
            page = platform.list_keys(team_id, limit=2, cursor=cursor)
            seen += [k["id"] for k in page["keys"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        self.assertEqual(seen, ids[::-1])
        self.assertEqual([k["id"] for k in platform.iter_keys(team_id)], ids[::-1])
        platform.revoke_key(ids[0])
        self.assertEqual([k["id"] for k in platform.iter_keys(team_id, status="revoked")], [ids[0]])
        self.assertEqual([k["id"] for k in platform.iter_keys(team_id, q="k3")], [ids[3]])

    def test_iterator_follows_pages_of_a_hundred(self) -> None:
        team_id = platform.create_team("Hundred Keys")["id"]
        ids = [platform.create_key(team_id, f"k{i}")["id"] for i in range(101)]
        self.assertEqual([k["id"] for k in platform.iter_keys(team_id)], ids[::-1])

    def test_usage_and_verify(self) -> None:
        created = platform.create_key(self.team_id, "verified", scopes=["orders:*"])
        verdict = platform.verify(created["key"], permission="write", scopes=["orders:read"], ip="203.0.113.7", cost=1)
        self.assertTrue(verdict["valid"])
        self.assertEqual(verdict["code"], "VALID")
        self.assertEqual(verdict["key"]["id"], created["id"])
        self.assertEqual(verdict["team"]["id"], self.team_id)
        self.assertEqual(platform.verify(created["key"], scopes=["billing:read"])["code"], "INSUFFICIENT_SCOPE")
        self.assertEqual(platform.verify("pme_nonsense")["code"], "INVALID")

        usage = platform.key_usage(created["id"], days=3)
        self.assertEqual(usage["key_id"], created["id"])
        self.assertEqual(len(usage["days"]), 3)
        self.assertEqual(len(platform.team_usage(self.team_id, days=2)["days"]), 2)
        self.assertEqual(len(platform.team_usage(self.team_id)["days"]), 30)

    def test_credits(self) -> None:
        created = platform.create_key(self.team_id, "metered", credits={"remaining": 5})
        self.assertEqual(created["credits"], {"remaining": 5, "refill": None})
        self.assertEqual(platform.verify(created["key"], cost=2)["credits"], {"remaining": 3})
        self.assertEqual(platform.verify(created["key"], cost=4)["code"], "QUOTA_EXCEEDED")
        self.assertEqual(platform.update_key(created["id"], credits={"remaining": 100})["credits"]["remaining"], 100)
        self.assertIsNone(platform.update_key(created["id"], credits=None)["credits"])

    def test_whoami(self) -> None:
        created = platform.create_key(self.team_id, "me", meta={"customer": "cus_9"})
        me = pome.Client(api_key=created["key"], base_url=server.base_url).whoami()
        self.assertIsNone(me["user"])  # a key a service token made
        self.assertEqual(me["team"]["id"], self.team_id)
        self.assertEqual((me["api_key"]["id"], me["api_key"]["meta"]), (created["id"], {"customer": "cus_9"}))


class PortalTest(unittest.TestCase):
    def test_create_portal_session(self) -> None:
        team = platform.create_team("Portal Inc")
        session = platform.create_portal_session(team["id"], "alice@example.com", role="admin")
        self.assertTrue(session["url"].startswith(PUBLIC_URL + "/portal/"))
        self.assertTrue(session["expires_at"].endswith("Z"))


class WebhookCallsTest(unittest.TestCase):
    def test_create_list_deliveries_delete(self) -> None:
        team = platform.create_team("Hooks Inc")
        # Port 9 (discard): nothing answers, so the deliveries log fills with failures.
        hook = platform.create_webhook("http://127.0.0.1:9/hook", ["key.created"], team=team["id"])
        self.assertTrue(hook["secret"].startswith("whsec_"))
        self.assertEqual((hook["team"], hook["events"]), (team["id"], ["key.created"]))
        listed = platform.list_webhooks()["webhooks"]
        self.assertIn(hook["id"], [w["id"] for w in listed])
        self.assertNotIn("secret", next(w for w in listed if w["id"] == hook["id"]))
        self.assertEqual(platform.list_webhook_deliveries(hook["id"]), {"deliveries": [], "next_cursor": None})
        self.assertEqual(list(platform.iter_webhook_deliveries(hook["id"])), [])
        deleted = platform.delete_webhook(hook["id"])
        self.assertEqual((deleted["success"], deleted["id"]), (True, hook["id"]))
        self.assertNotIn(hook["id"], [w["id"] for w in platform.list_webhooks()["webhooks"]])


if __name__ == "__main__":
    unittest.main()
