"""Redirects the crawl follows, and those it refuses: Scrapy's redirect middlewares, kept on the
two sites.

A ``Location`` (301/302/303/307/308) is followed only to an http(s) URL on vusta.vn or
en.vusta.vn on the default port, and never back to a URL of its own chain: anything else (another
host, another loopback port, 169.254.169.254, ``file://``, a loop, more than
``REDIRECT_MAX_TIMES`` hops) is refused — counted (``vusta/refused/redirect_offsite`` or
``redirect_loop``) and the request lost with that reason, so the run's report lists it and the
next run asks for it again. A ``<meta http-equiv="refresh">`` is followed only to an article URL
on the two hosts; otherwise the page is read as it is (``vusta/refused/meta_refresh``).
"""

from __future__ import annotations

from scrapy import Request, Spider
from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware, RedirectMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response

from vusta_crawler.crawl.middlewares import is_site_url, refuse
from vusta_crawler.extract.urls import canonical_url, is_article_url

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


def chain(request: Request) -> list[str]:
    """The URLs a request's redirects went through, the request's own last."""
    return [*request.meta.get("redirect_urls", []), request.url]


def first_url(request: Request) -> str:
    """The URL the crawl asked for, before any redirect."""
    return chain(request)[0]


def refusal(request: Request, target: str) -> str | None:
    """Why a redirect of ``request`` to ``target`` is not followed, or None."""
    if not is_site_url(target):
        return "redirect_offsite"
    if target in chain(request):
        return "redirect_loop"
    return None


def _answered_as_is(request: Request, response: Response) -> bool:
    """True when the request takes this status as an answer (Scrapy's own exemptions)."""
    return bool(
        request.meta.get("dont_redirect")
        or request.meta.get("handle_httpstatus_all")
        or response.status in request.meta.get("handle_httpstatus_list", ())
    )


class SiteRedirectMiddleware(RedirectMiddleware):
    """Scrapy's RedirectMiddleware, refusing redirects off the sites and loops."""

    def process_response(
        self, request: Request, response: Response, spider: Spider | None = None
    ) -> Request | Response:
        try:
            result = super().process_response(request, response)
        except IgnoreRequest as error:  # Scrapy's "max redirections reached"
            raise refuse(self.crawler, "redirect_loop", f"{first_url(request)}: {error}") from None
        if isinstance(result, Request):
            reason = refusal(request, result.url)
            if reason is not None:
                raise refuse(self.crawler, reason, f"{request.url} → {result.url}")
        elif (
            response.status in REDIRECT_STATUSES
            and b"Location" in response.headers
            and not _answered_as_is(request, response)
        ):  # a Location Scrapy will not follow (file:, data:, …): not the page either
            location = (response.headers[b"Location"] or b"").decode("latin-1")
            raise refuse(self.crawler, "redirect_offsite", f"{request.url} → {location}")
        return result


class SiteMetaRefreshMiddleware(MetaRefreshMiddleware):
    """Scrapy's MetaRefreshMiddleware, following a refresh to an article URL on the sites only."""

    def process_response(
        self, request: Request, response: Response, spider: Spider | None = None
    ) -> Request | Response:
        try:
            result = super().process_response(request, response)
        except IgnoreRequest:  # Scrapy's "max redirections reached"
            result = None
        if not isinstance(result, Request):
            if result is None:
                refuse(self.crawler, "meta_refresh", f"{request.url}: too many redirects")
            return response
        target = canonical_url(result.url)
        if target is None or refusal(request, result.url) is not None or not is_article_url(target):
            refuse(self.crawler, "meta_refresh", f"{request.url} → {result.url}")
            return response  # the page itself is read (an article, or counted as not one)
        return result
