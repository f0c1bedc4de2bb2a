"""Keys of any team, and their usage (scopes keys:read, keys:write)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Dict, Iterator, List, Optional, Union, cast

from ._base import UNSET, Base, changed, given, pages, segment
from .types import CreatedKey, Key, KeyPage, KeyUsage, RateLimit, RevokedKey, RolledKey, TeamUsage

# The most keys a page holds: iter_keys asks for it, to make the fewest calls.
MAX_PAGE = 100


def _key_path(key_id: str) -> str:
    return "/v1/keys/" + segment("key_id", key_id)


def _team_path(team_id: str) -> str:
    return "/v1/teams/" + segment("team_id", team_id)


class KeyCalls(Base):
    def create_key(
        self,
        team_id: str,
        name: str,
        *,
        role: Optional[str] = None,
        expires_in_days: Optional[int] = None,
        expires_at: Union[str, datetime, None] = None,
        environment: Optional[str] = None,
        meta: Optional[Dict[str, Any]] = None,
        scopes: Optional[List[str]] = None,
        rate_limit: Optional[RateLimit] = None,
        allowed_cidrs: Optional[List[str]] = None,
        enabled: Optional[bool] = None,
        credits: Optional[Dict[str, Any]] = None,
    ) -> CreatedKey:
        """Mints a key for a team (POST /v1/teams/{id}/keys); ``role`` defaults to developer.

        The answer's ``key`` is the plaintext, shown this once: hand it to the
        customer and never log or store it. Never retried: a retry could mint two keys.
        """
        body = given(
            name=name, role=role, expires_in_days=expires_in_days, expires_at=expires_at,
            environment=environment, meta=meta, scopes=scopes, rate_limit=rate_limit,
            allowed_cidrs=allowed_cidrs, enabled=enabled, credits=credits,
        )
        return cast(CreatedKey, self._http.call("POST", _team_path(team_id) + "/keys", body=body, idempotent=False))

    def get_key(self, key_id: str) -> Key:
        """Any team's key, whatever its status (GET /v1/keys/{id})."""
        return cast(Key, self._http.call("GET", _key_path(key_id), idempotent=True))

    def list_keys(
        self,
        team_id: str,
        *,
        status: Optional[str] = None,
        q: Optional[str] = None,
        limit: Optional[int] = None,
        cursor: Optional[str] = None,
    ) -> KeyPage:
        """One page of a team's keys, newest first (GET /v1/teams/{id}/keys).

        ``status`` is active (the default), revoked, expired or all; pass the
        answer's ``next_cursor`` as ``cursor`` (with the same status and q) for
        the next page: it is None on the last.
        """
        query = {"status": status, "q": q, "limit": limit, "cursor": cursor}
        return cast(KeyPage, self._http.call("GET", _team_path(team_id) + "/keys", query=query, idempotent=True))

    def iter_keys(self, team_id: str, *, status: Optional[str] = None, q: Optional[str] = None) -> Iterator[Key]:
        """Every key of a team, newest first, fetching pages as the iteration needs them."""
        return pages(lambda cursor: self.list_keys(team_id, status=status, q=q, limit=MAX_PAGE, cursor=cursor), "keys")

    def update_key(
        self,
        key_id: str,
        *,
        name: str = UNSET,
        meta: Optional[Dict[str, Any]] = UNSET,
        scopes: Optional[List[str]] = UNSET,
        rate_limit: Optional[RateLimit] = UNSET,
        allowed_cidrs: Optional[List[str]] = UNSET,
        expires_at: Union[str, datetime, None] = UNSET,
        enabled: bool = UNSET,
        credits: Optional[Dict[str, Any]] = UNSET,
    ) -> Key:
        """Changes the fields given and no other (PATCH /v1/keys/{id}).

        None clears a field: meta ({}), scopes ([]), rate_limit (the plan's
        applies), allowed_cidrs (any address), expires_at (never expires),
        credits (unlimited). A revoked key is 409 key_not_active. Not retried:
        a credits increment must not be applied twice.
        """
        body = changed(
            name=name, meta=meta, scopes=scopes, rate_limit=rate_limit, allowed_cidrs=allowed_cidrs,
            expires_at=expires_at, enabled=enabled, credits=credits,
        )
        if not body:
            raise ValueError("update_key needs at least one field to change")
        return cast(Key, self._http.call("PATCH", _key_path(key_id), body=body, idempotent=False))

    def revoke_key(self, key_id: str) -> RevokedKey:
        """Revokes a key (DELETE /v1/keys/{id}): its next use is refused. Revoking again succeeds."""
        return cast(RevokedKey, self._http.call("DELETE", _key_path(key_id), idempotent=True))

    def roll_key(
        self,
        key_id: str,
        *,
        expire_old_in_hours: Optional[int] = None,
        expires_in_days: Optional[int] = None,
        expires_at: Union[str, datetime, None] = None,
    ) -> RolledKey:
        """Mints a replacement with every field and policy of the key (POST /v1/keys/{id}/roll).

        The old key works for the grace (24 hours unless ``expire_old_in_hours``),
        then answers key_expired. The answer's ``key`` is the new plaintext, shown once.
        """
        body = given(expire_old_in_hours=expire_old_in_hours, expires_in_days=expires_in_days, expires_at=expires_at)
        return cast(RolledKey, self._http.call("POST", _key_path(key_id) + "/roll", body=body, idempotent=False))

    def key_usage(self, key_id: str, *, days: Optional[int] = None) -> KeyUsage:
        """A key's verifications per UTC day by outcome, oldest first (GET /v1/keys/{id}/usage; days 1-90, default 30)."""
        return cast(KeyUsage, self._http.call("GET", _key_path(key_id) + "/usage", query={"days": days}, idempotent=True))

    def team_usage(self, team_id: str, *, days: Optional[int] = None) -> TeamUsage:
        """The same summed over every key of a team, revoked and expired ones included (GET /v1/teams/{id}/usage)."""
        return cast(TeamUsage, self._http.call("GET", _team_path(team_id) + "/usage", query={"days": days}, idempotent=True))
