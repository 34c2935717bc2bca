"""Article URLs waiting for the scheduler: what the crawl's bulk sources name.

A sitemap names every article of a site at once (20,000 and more), and so can the list of URLs
earlier runs lost. As Requests in Scrapy's scheduler each costs ~3 KB (headers, meta, its
fingerprint); kept here as a URL and its referrer (~150 B), and turned into Requests only when
the scheduler runs dry (Scrapy's ``scheduler_empty`` signal), memory stays flat whatever the
size of the site. Which URLs wait here is decided when they are found, so what a run fetches
does not depend on when the frontier is drained, only the order does.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Waiting:
    """An article URL to request, and the page that named it (its ``Referer``)."""

    url: str
    referer: str | None = None


@dataclass
class Frontier:
    """First found, first requested."""

    waiting: deque[Waiting] = field(default_factory=deque)
    peak: int = 0
    """The most URLs that waited at once."""

    def add(self, urls: Iterable[str], referer: str | None = None) -> None:
        self.waiting.extend(Waiting(url, referer) for url in urls)
        self.peak = max(self.peak, len(self.waiting))

    def take(self, count: int) -> list[Waiting]:
        """Up to ``count`` URLs, the longest-waiting first."""
        return [self.waiting.popleft() for _ in range(min(count, len(self.waiting)))]

    def __len__(self) -> int:
        return len(self.waiting)
