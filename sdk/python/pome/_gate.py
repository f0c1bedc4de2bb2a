"""What the WSGI and ASGI middlewares share: read the key, verify it, decide.

The decision is made once, here, so both middlewares answer alike; they
only differ in how they read headers and write the answer.
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import secrets
import string
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple

from ._cache import TTLCache
from .errors import PomeConnectionError, PomeError
from .platform import Platform
from .types import Verification

log = logging.getLogger("pome")

# A verification on the request path waits at most this long for Pome:
# a slow Pome must not hold every worker.
DEFAULT_TIMEOUT = 5.0

_ALPHABET = string.ascii_letters + string.digits

# (status, type, code, message) of each refusal code of verify: the answers
# GET /v1/me gives for the same key, so that a protected app answers as Pome does.
_REFUSALS: Dict[str, Tuple[int, str, str, str]] = {
    "INVALID": (401, "authentication_error", "invalid_api_key", "Invalid API key"),
    "REVOKED": (403, "permission_error", "key_revoked", "API key has been revoked"),
    "EXPIRED": (403, "permission_error", "key_expired", "API key has expired"),
    "TEAM_BANNED": (403, "permission_error", "team_banned", "The team of this API key is banned"),
    "DISABLED": (403, "permission_error", "key_disabled", "API key is disabled"),
    "IP_NOT_ALLOWED": (403, "permission_error", "ip_not_allowed", "The client address is not in this API key's allowed_cidrs"),
    "INSUFFICIENT_PERMISSIONS": (403, "permission_error", "insufficient_permissions", "The role of this credential may not do this"),
    "INSUFFICIENT_SCOPE": (403, "permission_error", "insufficient_scope", "API key lacks a scope this needs"),
    "RATE_LIMITED": (429, "rate_limit_error", "rate_limit_exceeded", "Rate limit exceeded"),
    "QUOTA_EXCEEDED": (429, "rate_limit_error", "quota_exceeded", "The API key has no credits left"),
}
_MISSING = (401, "authentication_error", "missing_api_key", "No API key provided")
_CONFLICT = (400, "invalid_request_error", "conflicting_credentials",
             "Conflicting credentials: give the API key once, in X-API-KEY or Authorization")
_UNAVAILABLE = (503, "unavailable_error", "service_unavailable", "Service temporarily unavailable")


@dataclass
class Decision:
    """Either ``verification`` (the key may be used) or a refusal: ``status``, ``headers`` and JSON ``body``."""

    verification: Optional[Verification] = None
    status: int = 200
    headers: List[Tuple[str, str]] = field(default_factory=list)
    body: bytes = b""


def credential(api_keys: Sequence[str], authorizations: Sequence[str]) -> Tuple[Optional[str], Optional[Decision]]:
    """The key of a request from its X-API-KEY and Authorization values, as Pome reads it; or a refusal.

    Either header given twice, two different keys, or another Authorization
    scheme beside an X-API-KEY is 400 conflicting_credentials; no key is 401
    missing_api_key.
    """
    if len(api_keys) > 1 or len(authorizations) > 1:
        return None, refusal(_CONFLICT, _request_id())
    bearer: Optional[str] = None
    if authorizations:
        scheme, _, rest = authorizations[0].partition(" ")
        if scheme.lower() == "bearer" and rest.strip(" "):
            bearer = rest.strip(" ")
        elif api_keys:
            return None, refusal(_CONFLICT, _request_id())
    header = api_keys[0].strip() if api_keys else None
    if header and bearer and header != bearer:
        return None, refusal(_CONFLICT, _request_id())
    key = header or bearer
    if not key:
        return None, refusal(_MISSING, _request_id())
    return key, None


class Gate:
    """Verifies keys through POST /v1/keys/verify, remembering valid ones for ``cache_ttl`` seconds.

    Only VALID answers are cached, under the SHA-256 of the key (with the
    permission, address and scopes asked): a refusal is asked again, so a
    key that becomes valid works at once, and a plaintext key is never held.
    A cached key is not counted or rate-limited by Pome again until it
    expires from the cache: keep ``cache_ttl`` short. Pome unreachable, or
    refusing the call itself (a bad service token), fails closed: 503.
    """

    def __init__(
        self,
        service_token: str,
        base_url: str,
        *,
        cache_ttl: float = 5.0,
        scopes: Optional[List[str]] = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        # No retries on the request path: the client is waiting, and its own retry is as good.
        self._platform = Platform(service_token, base_url, timeout=timeout, max_retries=0)
        self._cache: TTLCache[Verification] = TTLCache(cache_ttl)
        self._scopes = list(scopes) if scopes else None

    def check(self, key: str, method: str, ip: Optional[str]) -> Decision:
        """The decision on ``key`` for a request of ``method`` from ``ip``. Blocks on the network: run it in a thread under asyncio."""
        permission = "read" if method in ("GET", "HEAD") else "write"
        digest = hashlib.sha256(key.encode()).hexdigest()
        cache_key = json.dumps([digest, permission, ip, self._scopes])
        cached = self._cache.get(cache_key)
        if cached is not None:
            # A copy: what one request's app does to it must not reach the next request.
            return Decision(verification=copy.deepcopy(cached))
        request_id = _request_id()
        try:
            verdict = self._platform.verify(key, permission=permission, scopes=self._scopes, ip=ip, request_id=request_id)
        except PomeConnectionError as e:
            log.warning("pome: cannot verify API keys, refusing requests (503): %s", e)
            return refusal(_UNAVAILABLE, request_id)
        except PomeError as e:
            log.error("pome: the verify call was refused, refusing requests (503): %s", e)
            return refusal(_UNAVAILABLE, request_id)
        if verdict["valid"]:
            self._cache.put(cache_key, verdict)
            return Decision(verification=verdict)
        return refusal(_REFUSALS.get(verdict["code"], _REFUSALS["INVALID"]), request_id, _retry_after(verdict))


def refusal(error: Tuple[int, str, str, str], request_id: str, retry_after: Optional[int] = None) -> Decision:
    """A refusal with Pome's error envelope, and the headers Pome would send with it."""
    status, type_, code, message = error
    body = {"error": {"message": message, "type": type_, "code": code, "request_id": request_id}}
    headers = [("Content-Type", "application/json"), ("Cache-Control", "no-store"), ("X-Request-Id", request_id)]
    if status == 401:
        headers.append(("WWW-Authenticate", 'Bearer realm="pome"'))
    if retry_after is not None:
        headers.append(("Retry-After", str(retry_after)))
    return Decision(status=status, headers=headers, body=json.dumps(body).encode())


def _retry_after(verdict: Verification) -> Optional[int]:
    """When a rate-limited or out-of-credits key may retry, in seconds, if Pome said."""
    source: Any = verdict.get("ratelimit") if verdict["code"] == "RATE_LIMITED" else verdict.get("credits")
    return source.get("retry_after") if isinstance(source, dict) else None


def _request_id() -> str:
    """A request id shaped as Pome's: the verify call is logged under it, and the refusal quotes it."""
    return "req_" + "".join(secrets.choice(_ALPHABET) for _ in range(20))
