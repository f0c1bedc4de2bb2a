"""When and how long to wait before calling Pome again."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Optional

# Statuses after which Pome did nothing: a rate limit refuses before the
# call is served, and 503 means the store could not be reached.
RETRY_STATUSES = frozenset({429, 503})


@dataclass(frozen=True)
class RetryPolicy:
    """How many times to retry an idempotent call, and how long to wait.

    Without Retry-After the n-th wait is a random time in
    ``[base_delay * 2**n / 2, base_delay * 2**n]`` ("equal jitter"), at most
    ``max_delay``: clients refused together do not come back together.
    A Retry-After longer than ``max_delay`` is not waited for: the error is
    raised at once, so that no call hangs for minutes.
    """

    max_retries: int = 2
    base_delay: float = 0.5
    max_delay: float = 10.0

    def delay(self, attempt: int, retry_after: Optional[float]) -> Optional[float]:
        """Seconds to wait before retry number ``attempt`` (0 for the first), or None to give up."""
        if attempt >= self.max_retries:
            return None
        if retry_after is not None:
            return retry_after if retry_after <= self.max_delay else None
        ceiling = min(self.max_delay, self.base_delay * (2 ** attempt))
        return random.uniform(ceiling / 2, ceiling)
