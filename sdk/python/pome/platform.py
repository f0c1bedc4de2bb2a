"""The client of a platform's backend, authenticated by a service token."""

from __future__ import annotations

from typing import Dict, List, Optional, cast

from ._base import DEFAULT_TIMEOUT, given
from ._keys import KeyCalls
from ._teams import TeamCalls
from ._webhooks import WebhookCalls
from .types import PortalSession, Verification


class Platform(TeamCalls, KeyCalls, WebhookCalls):
    """Drives Pome with a service token (``pst_...``): teams, keys, verification, portal sessions, webhooks.

    Each call needs its scope on the token (``pome admin service-token create
    NAME --scope ...``). GETs and DELETEs, and verify, are retried on 429 and
    503 (``max_retries`` times, with backoff); creations and PATCHes never.
    Thread-safe.
    """

    def __init__(self, service_token: str, base_url: str, *, timeout: float = DEFAULT_TIMEOUT, max_retries: int = 2) -> None:
        super().__init__(service_token, base_url, timeout=timeout, max_retries=max_retries)

    def verify(
        self,
        key: str,
        *,
        permission: Optional[str] = None,
        scopes: Optional[List[str]] = None,
        ip: Optional[str] = None,
        cost: Optional[int] = None,
        request_id: Optional[str] = None,
    ) -> Verification:
        """Whether a customer's key may be used (POST /v1/keys/verify; scope keys:verify).

        The answer is a verdict whatever the key: read ``valid`` and ``code``;
        only the call itself raises. ``permission`` is read (default) or write;
        ``ip`` is the customer's address, which a key with allowed_cidrs needs.
        Retried on 429/503: those answers come before the key is looked at,
        so nothing was counted or spent. ``request_id`` (1-64 of
        [A-Za-z0-9._-]) is sent as X-Request-Id, for Pome's log.
        """
        body = given(key=key, permission=permission, scopes=scopes, ip=ip, cost=cost)
        return cast(Verification, self._http.call("POST", "/v1/keys/verify", body=body, idempotent=True, request_id=request_id))

    def report_leak(self, key: str) -> Dict[str, str]:
        """Report a key found published (POST /v1/keys/report-leak; no scope needed).

        An active key is revoked (key.leaked). The answer is the same
        ``{"status": "received"}`` whatever the key was.
        """
        return cast(Dict[str, str], self._http.call("POST", "/v1/keys/report-leak", body={"key": key}, idempotent=False))

    def create_portal_session(
        self,
        team: str,
        email: str,
        *,
        role: Optional[str] = None,
        return_url: Optional[str] = None,
    ) -> PortalSession:
        """A one-time, 5-minute link signing a user in to a team's dashboard (POST /v1/portal/sessions).

        Redirect the user's browser to its ``url`` at once. ``role`` defaults to developer.
        """
        body = given(team=team, email=email, role=role, return_url=return_url)
        return cast(PortalSession, self._http.call("POST", "/v1/portal/sessions", body=body, idempotent=False))
