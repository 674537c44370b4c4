"""One spider per site; the shared crawl flow lives in :mod:`crawlers.spiders.base`."""
