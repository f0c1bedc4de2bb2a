"""Checking that a webhook delivery comes from Pome (Standard Webhooks signatures)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from typing import Any, Iterable, Mapping, Optional, Tuple, Union

# How far a delivery's timestamp may be from now: a captured delivery
# replayed later is refused.
TOLERANCE_SECONDS = 5 * 60

Headers = Union[Mapping[str, str], Iterable[Tuple[str, str]]]


class WebhookVerificationError(Exception):
    """The delivery is not proven to come from Pome: treat it as forged (answer 400, do nothing)."""


def verify_webhook(secret: str, headers: Headers, body: Union[bytes, str], *, now: Optional[float] = None) -> Any:
    """Checks a delivery's signature and timestamp and returns its decoded JSON body.

    ``secret`` is the endpoint's ``whsec_...`` secret; ``headers`` the
    request's (a mapping or (name, value) pairs, any letter case); ``body``
    the raw body exactly as received: verify before parsing. Raises
    WebhookVerificationError on any failure.
    """
    key = _secret_bytes(secret)
    msg_id = _header(headers, "webhook-id")
    stamp = _header(headers, "webhook-timestamp")
    signatures = _header(headers, "webhook-signature")
    try:
        sent_at = int(stamp)
    except ValueError:
        raise WebhookVerificationError("webhook-timestamp is not a Unix time") from None
    if abs((time.time() if now is None else now) - sent_at) > TOLERANCE_SECONDS:
        raise WebhookVerificationError("webhook-timestamp is more than 5 minutes from now: a replay, or a wrong clock")
    raw = body.encode() if isinstance(body, str) else body
    expected = hmac.new(key, f"{msg_id}.{stamp}.".encode() + raw, hashlib.sha256).digest()
    if not any(_matches(expected, sig) for sig in signatures.split(" ")):
        raise WebhookVerificationError("no signature in webhook-signature matches the secret and the body")
    try:
        return json.loads(raw)
    except ValueError:
        raise WebhookVerificationError("the signed body is not JSON") from None


def _secret_bytes(secret: str) -> bytes:
    """The HMAC key: the base64 after ``whsec_``."""
    if not secret.startswith("whsec_"):
        raise WebhookVerificationError("the secret must start with whsec_ (the endpoint's secret, as Pome showed it)")
    try:
        return base64.b64decode(secret[len("whsec_"):], validate=True)
    except binascii.Error:
        raise WebhookVerificationError("the secret after whsec_ is not base64") from None


def _header(headers: Headers, name: str) -> str:
    items = headers.items() if isinstance(headers, Mapping) else headers
    for key, value in items:
        if key.lower() == name:
            return value
    raise WebhookVerificationError(f"the {name} header is missing")


def _matches(expected: bytes, signature: str) -> bool:
    """One ``v1,<base64>`` signature against the expected MAC; other versions never match."""
    version, _, value = signature.partition(",")
    if version != "v1":
        return False
    try:
        given = base64.b64decode(value, validate=True)
    except binascii.Error:
        return False
    return hmac.compare_digest(expected, given)
