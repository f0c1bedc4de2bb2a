"""The shapes of Pome's answers, as openapi/openapi.yaml defines them.

Every call returns the JSON the server sent, as plain dicts and lists:
these TypedDicts only describe them for type checkers (and cost nothing at
run time). Times are RFC 3339 strings in UTC, as sent; a field the
server sends as null is None.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, TypedDict

# A field the server sends only sometimes is declared in a total=False
# subclass: NotRequired is Python 3.11's, and this SDK supports 3.9.


class RateLimit(TypedDict):
    limit: int
    window_seconds: int


class CreditRefill(TypedDict):
    interval: str
    amount: int


class Credits(TypedDict):
    remaining: int
    refill: Optional[CreditRefill]


class Team(TypedDict):
    id: str
    slug: str
    name: str
    plan_tier: str
    status: str
    external_id: Optional[str]
    created_at: str


class Key(TypedDict):
    id: str
    name: str
    description: str
    prefix: str
    role: str
    created_by: str
    created_at: str
    last_used: Optional[str]
    last_used_ip: Optional[str]
    expires_at: Optional[str]
    usage_count: int
    status: str
    replaced_by: Optional[str]
    team_id: str
    environment: str
    meta: Dict[str, Any]
    scopes: List[str]
    rate_limit: Optional[RateLimit]
    allowed_cidrs: List[str]
    enabled: bool
    credits: Optional[Credits]


class CreatedKey(TypedDict):
    """A new key: ``key`` is its plaintext, in this answer only. Never log it."""

    id: str
    name: str
    description: str
    key: str
    prefix: str
    role: str
    created_at: str
    expires_at: Optional[str]
    status: str
    team_id: str
    environment: str
    meta: Dict[str, Any]
    scopes: List[str]
    rate_limit: Optional[RateLimit]
    allowed_cidrs: List[str]
    enabled: bool
    credits: Optional[Credits]


class OldKey(TypedDict):
    id: str
    expires_at: Optional[str]
    status: str


class RolledKey(CreatedKey):
    rolled_from: str
    old_key: OldKey


class RevokedKey(TypedDict):
    success: bool
    message: str
    id: str


class KeyPage(TypedDict):
    keys: List[Key]
    next_cursor: Optional[str]


class UsageDay(TypedDict):
    date: str
    count: int
    valid: int
    revoked: int
    expired: int
    team_banned: int
    disabled: int
    ip_not_allowed: int
    insufficient_permissions: int
    insufficient_scope: int
    rate_limited: int
    quota_exceeded: int
    total: int


class KeyUsage(TypedDict):
    key_id: str
    days: List[UsageDay]


class TeamUsage(TypedDict):
    days: List[UsageDay]


class VerifiedKey(TypedDict):
    id: str
    name: str
    prefix: str
    role: str
    expires_at: Optional[str]
    environment: str
    scopes: List[str]
    meta: Dict[str, Any]


class VerifiedTeam(TypedDict):
    id: str
    slug: str
    plan_tier: str
    external_id: Optional[str]


class User(TypedDict):
    id: str
    email: str


class _VerificationRateLimit(TypedDict):
    limit: int
    remaining: int
    reset: int


class VerificationRateLimit(_VerificationRateLimit, total=False):
    retry_after: int  # with RATE_LIMITED


class _VerificationCredits(TypedDict):
    remaining: int


class VerificationCredits(_VerificationCredits, total=False):
    retry_after: int  # with QUOTA_EXCEEDED, when a refill comes


class Verification(TypedDict):
    """The verdict of POST /v1/keys/verify: ``valid`` is True only with code ``VALID``."""

    valid: bool
    code: str
    key: Optional[VerifiedKey]
    team: Optional[VerifiedTeam]
    user: Optional[User]
    ratelimit: Optional[VerificationRateLimit]
    credits: Optional[VerificationCredits]


class MeTeam(TypedDict):
    id: str
    slug: str
    plan_tier: str


class MeKey(TypedDict):
    id: str
    name: str
    prefix: str
    role: str
    environment: str
    scopes: List[str]
    meta: Dict[str, Any]


class Me(TypedDict):
    user: Optional[User]
    team: MeTeam
    api_key: MeKey


class PortalSession(TypedDict):
    url: str
    expires_at: str


class _Webhook(TypedDict):
    id: str
    url: str
    events: List[str]
    team: Optional[str]
    status: str
    failing_since: Optional[str]
    created_at: str


class Webhook(_Webhook, total=False):
    """An endpoint; ``secret`` is in the answer of its creation only."""

    secret: str


class WebhookList(TypedDict):
    webhooks: List[Webhook]


class DeletedWebhook(TypedDict):
    success: bool
    message: str
    id: str


class WebhookDelivery(TypedDict):
    event_id: str
    type: str
    attempt: int
    at: str
    status_code: Optional[int]
    latency_ms: float
    error: str
    outcome: str


class WebhookDeliveryPage(TypedDict):
    deliveries: List[WebhookDelivery]
    next_cursor: Optional[str]
