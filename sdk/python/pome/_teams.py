"""Teams of the platform API (scopes teams:read, teams:write)."""

from __future__ import annotations

from typing import Optional, cast

from ._base import UNSET, Base, changed, given, segment
from .types import Team


class TeamCalls(Base):
    def create_team(
        self,
        name: str,
        *,
        slug: Optional[str] = None,
        external_id: Optional[str] = None,
        plan_tier: Optional[str] = None,
    ) -> Team:
        """Makes a team with no member (POST /v1/teams). A taken slug or external_id is 409 team_exists."""
        body = given(name=name, slug=slug, external_id=external_id, plan_tier=plan_tier)
        return cast(Team, self._http.call("POST", "/v1/teams", body=body, idempotent=False))

    def get_team(self, team_id: str) -> Team:
        """Any team, by its id (GET /v1/teams/{id})."""
        return cast(Team, self._http.call("GET", "/v1/teams/" + segment("team_id", team_id), idempotent=True))

    def find_team(self, external_id: str) -> Optional[Team]:
        """The team the platform knows by ``external_id``, or None (GET /v1/teams?external_id=)."""
        if not external_id:
            raise ValueError("external_id must not be empty")
        answer = self._http.call("GET", "/v1/teams", query={"external_id": external_id}, idempotent=True)
        teams = answer["teams"]
        return cast(Team, teams[0]) if teams else None

    def update_team(
        self,
        team_id: str,
        *,
        name: str = UNSET,
        plan_tier: str = UNSET,
        status: str = UNSET,
    ) -> Team:
        """Renames, re-plans, bans (status="banned") or unbans a team (PATCH /v1/teams/{id}).

        Fields left out stay as they are. A ban reaches every node within a second.
        """
        body = changed(name=name, plan_tier=plan_tier, status=status)
        return cast(Team, self._http.call("PATCH", "/v1/teams/" + segment("team_id", team_id), body=body, idempotent=False))
