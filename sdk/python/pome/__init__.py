"""Pome's Python SDK: the public and platform APIs, WSGI/ASGI middlewares, webhook verification.

    import pome
    platform = pome.Platform(service_token=os.environ["POME_SERVICE_TOKEN"], base_url="https://keys.example.com")
    team = platform.create_team("Acme Inc", external_id="cus_42")
    created = platform.create_key(team["id"], "acme-prod")   # created["key"]: the plaintext, once

Every call returns the JSON Pome sent (dicts described by pome.types), and
raises PomeError for an error Pome answered, PomeConnectionError when Pome
cannot be reached. The middlewares are in pome.wsgi and pome.asgi.
"""

from ._http import VERSION as __version__
from .client import Client
from .errors import PomeConnectionError, PomeError, UnexpectedResponseError
from .platform import Platform
from .webhooks import WebhookVerificationError, verify_webhook

__all__ = [
    "Client",
    "Platform",
    "PomeConnectionError",
    "PomeError",
    "UnexpectedResponseError",
    "WebhookVerificationError",
    "__version__",
    "verify_webhook",
]
