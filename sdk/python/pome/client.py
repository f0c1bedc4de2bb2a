"""The client of a customer's API key."""

from __future__ import annotations

from typing import cast

from ._base import DEFAULT_TIMEOUT, Base
from .types import Me


class Client(Base):
    """Calls Pome's public API with a customer's API key (sent as ``Authorization: Bearer``).

    >>> me = pome.Client(api_key=os.environ["POME_API_KEY"], base_url="https://keys.example.com").whoami()
    """

    def __init__(self, api_key: str, base_url: str, *, timeout: float = DEFAULT_TIMEOUT, max_retries: int = 2) -> None:
        super().__init__(api_key, base_url, timeout=timeout, max_retries=max_retries)

    def whoami(self) -> Me:
        """The key's user, team and key (GET /v1/me). A success counts one use of the key."""
        return cast(Me, self._http.call("GET", "/v1/me", idempotent=True))
