"""One HTTP call to Pome: encoding, authentication, retries, errors."""

from __future__ import annotations

import http.client
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from email.message import Message
from typing import Any, Dict, Mapping, Optional

from ._retry import RETRY_STATUSES, RetryPolicy
from .errors import PomeConnectionError, PomeError, UnexpectedResponseError

VERSION = "1.0.0"
USER_AGENT = f"pome-python/{VERSION}"

# Pome's largest answers are far smaller; a bigger body is not Pome's.
MAX_BODY = 8 << 20


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Pome never redirects its API: following one would send the bearer token elsewhere."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirect)


class Transport:
    """Sends calls to one Pome server with one bearer credential. Safe across threads."""

    def __init__(self, base_url: str, token: str, *, timeout: float, retry: RetryPolicy) -> None:
        parsed = urllib.parse.urlsplit(base_url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise ValueError(f"base_url {base_url!r} is not an absolute http(s) URL")
        self.base_url = base_url.rstrip("/")
        self._token = token.strip()
        self._timeout = timeout
        self._retry = retry

    def __repr__(self) -> str:
        # Never show the token: reprs end up in logs and tracebacks.
        return f"Transport({self.base_url!r})"

    def call(
        self,
        method: str,
        path: str,
        *,
        query: Optional[Mapping[str, Any]] = None,
        body: Optional[Dict[str, Any]] = None,
        idempotent: bool,
        request_id: Optional[str] = None,
    ) -> Any:
        """Sends the call and returns its decoded JSON answer, retrying an idempotent one on 429/503.

        ``request_id``, when given, is sent as X-Request-Id: Pome logs the call under it.
        """
        attempt = 0
        while True:
            try:
                return self._once(method, path, query, body, request_id)
            except PomeError as e:
                if not idempotent or e.status not in RETRY_STATUSES:
                    raise
                wait = self._retry.delay(attempt, e.retry_after)
                if wait is None:
                    raise
                time.sleep(wait)
                attempt += 1

    def _once(
        self,
        method: str,
        path: str,
        query: Optional[Mapping[str, Any]],
        body: Optional[Dict[str, Any]],
        request_id: Optional[str],
    ) -> Any:
        url = self.base_url + path
        pairs = {k: str(v) for k, v in (query or {}).items() if v is not None}
        if pairs:
            url += "?" + urllib.parse.urlencode(pairs)
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(url, data=data, method=method)
        req.add_header("Accept", "application/json")
        req.add_header("User-Agent", USER_AGENT)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        req.add_header("Authorization", "Bearer " + self._token)
        if request_id:
            req.add_header("X-Request-Id", request_id)
        try:
            with _opener.open(req, timeout=self._timeout) as resp:
                return self._decode(resp.status, resp.headers, resp.read(MAX_BODY + 1), method, path)
        except urllib.error.HTTPError as e:
            with e:
                raw = e.read(MAX_BODY + 1)
            raise self._error(e.code, e.headers, raw) from None
        except (OSError, http.client.HTTPException) as e:
            # URLError, refused connections and timeouts are all OSErrors;
            # HTTPException is a connection cut in the middle of an answer.
            reason = getattr(e, "reason", None) or e
            raise PomeConnectionError(self.base_url, str(reason)) from e

    def _decode(self, status: int, headers: Message, raw: bytes, method: str, path: str) -> Any:
        if not _is_json(headers) or len(raw) > MAX_BODY:
            raise UnexpectedResponseError(self.base_url, status, f"{method} {path} answered {headers.get('Content-Type')!r}")
        try:
            return json.loads(raw)
        except ValueError as e:
            raise UnexpectedResponseError(self.base_url, status, f"{method} {path}: undecodable JSON: {e}") from None

    def _error(self, status: int, headers: Message, raw: bytes) -> Exception:
        """The PomeError of an error answer, or UnexpectedResponseError if it is not Pome's envelope."""
        envelope = None
        if _is_json(headers) and len(raw) <= MAX_BODY:
            try:
                envelope = json.loads(raw).get("error")
            except (ValueError, AttributeError):
                envelope = None
        if not isinstance(envelope, dict) or not isinstance(envelope.get("code"), str):
            return UnexpectedResponseError(self.base_url, status, "the body is not Pome's error envelope")
        return PomeError(
            str(envelope.get("message", "")),
            status=status,
            type=str(envelope.get("type", "")),
            code=envelope["code"],
            request_id=envelope.get("request_id") or headers.get("X-Request-Id"),
            retry_after=_retry_after(headers),
        )


def _is_json(headers: Message) -> bool:
    return headers.get_content_type() == "application/json"


def _retry_after(headers: Message) -> Optional[float]:
    """Retry-After in seconds; Pome sends whole seconds (an HTTP date is not Pome's and is ignored)."""
    value = headers.get("Retry-After")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None
