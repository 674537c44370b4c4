"""Retries with backoff: each retry of a request doubles its site's download delay.

Scrapy's RetryMiddleware re-queues a failed request (5xx, 429, timeouts) up to
``RETRY_TIMES``; on its own it retries as fast as the crawl runs. Here every retry also
raises the delay of the request's download slot (its site) to twice what it was, at least
``FAPAI_BACKOFF_START`` and at most ``FAPAI_BACKOFF_MAX`` seconds, so a struggling server gets
room. Healthy responses bring it back down: AutoThrottle does when it is on, else each
successful response halves the raised delay back towards ``DOWNLOAD_DELAY``.
"""

from __future__ import annotations

from scrapy import Request
from scrapy.core.downloader import Slot
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.http import Response


class BackoffRetryMiddleware(RetryMiddleware):
    def _retry(self, request: Request, reason: str | Exception | type[Exception]) -> Request | None:
        retry = super()._retry(request, reason)
        if retry is not None:
            self.back_off(request)
        return retry

    def _slot(self, request: Request) -> Slot | None:
        downloader = self.crawler.engine.downloader
        return downloader.slots.get(downloader.get_slot_key(request))

    def back_off(self, request: Request) -> None:
        settings = self.crawler.settings
        slot = self._slot(request)
        if slot is None:
            return
        start = settings.getfloat("FAPAI_BACKOFF_START", 1.0)
        slot.delay = min(settings.getfloat("FAPAI_BACKOFF_MAX", 60.0), max(slot.delay * 2, start))
        self.crawler.stats.inc_value("backoff/count")
        self.crawler.stats.max_value("backoff/max_delay", slot.delay)

    def process_response(self, request: Request, response: Response) -> Request | Response:
        result = super().process_response(request, response)
        settings = self.crawler.settings
        if (
            result is response
            and response.status < 400
            and not settings.getbool("AUTOTHROTTLE_ENABLED")
        ):
            slot = self._slot(request)
            base = settings.getfloat("DOWNLOAD_DELAY")
            if slot is not None and slot.delay > base:
                slot.delay = max(base, slot.delay / 2)
        return result
