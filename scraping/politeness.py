"""Politeness per host: a few requests at once and a small gap between them."""

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiolimiter import AsyncLimiter


class HostLimiter:
    """At most ``per_host`` requests in flight to one host, starting at least ``delay`` seconds apart."""

    def __init__(self, per_host: int = 2, delay: float = 0.25) -> None:
        self._in_flight: defaultdict[str, asyncio.Semaphore] = defaultdict(
            lambda: asyncio.Semaphore(per_host)
        )
        self._pace: defaultdict[str, AsyncLimiter | None] = defaultdict(
            lambda: AsyncLimiter(1, delay) if delay > 0 else None
        )

    @asynccontextmanager
    async def slot(self, host: str) -> AsyncIterator[None]:
        async with self._in_flight[host]:
            pace = self._pace[host]
            if pace is not None:
                await pace.acquire()
            yield
