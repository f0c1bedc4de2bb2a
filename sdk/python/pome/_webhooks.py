"""Webhook endpoints of the platform API (scope webhooks:write)."""

from __future__ import annotations

from typing import Iterator, List, Optional, cast

from ._base import Base, given, pages, segment
from .types import DeletedWebhook, Webhook, WebhookDelivery, WebhookDeliveryPage, WebhookList


def _webhook_path(webhook_id: str) -> str:
    return "/v1/webhooks/" + segment("webhook_id", webhook_id)


class WebhookCalls(Base):
    def create_webhook(self, url: str, events: List[str], *, team: Optional[str] = None) -> Webhook:
        """Registers an endpoint for ``events`` of one team (its id or external id) or of every team (POST /v1/webhooks).

        The answer's ``secret`` (whsec_...) signs every delivery; it is shown
        this once: keep it for verify_webhook.
        """
        body = given(url=url, events=events, team=team)
        return cast(Webhook, self._http.call("POST", "/v1/webhooks", body=body, idempotent=False))

    def list_webhooks(self) -> WebhookList:
        """Every endpoint, oldest first, without secrets (GET /v1/webhooks)."""
        return cast(WebhookList, self._http.call("GET", "/v1/webhooks", idempotent=True))

    def delete_webhook(self, webhook_id: str) -> DeletedWebhook:
        """Deletes an endpoint with its queue and deliveries log (DELETE /v1/webhooks/{id})."""
        return cast(DeletedWebhook, self._http.call("DELETE", _webhook_path(webhook_id), idempotent=True))

    def list_webhook_deliveries(self, webhook_id: str, *, cursor: Optional[str] = None) -> WebhookDeliveryPage:
        """One page (50) of an endpoint's delivery attempts, newest first (GET /v1/webhooks/{id}/deliveries)."""
        path = _webhook_path(webhook_id) + "/deliveries"
        return cast(WebhookDeliveryPage, self._http.call("GET", path, query={"cursor": cursor}, idempotent=True))

    def iter_webhook_deliveries(self, webhook_id: str) -> Iterator[WebhookDelivery]:
        """Every delivery attempt of an endpoint, newest first, fetching pages as needed."""
        return pages(lambda cursor: self.list_webhook_deliveries(webhook_id, cursor=cursor), "deliveries")
