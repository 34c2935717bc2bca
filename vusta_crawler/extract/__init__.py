"""Extraction: one fetched page in, one loaded article item out (or a named reason why not).

The flow, one module a step: :mod:`.text` and :mod:`.urls` (pure text and URL helpers) →
:mod:`.layout` (one pass over the page) → :mod:`.anchors` (what the page is anchored on: title,
date line, lead, main block, links) → the field readers (:mod:`.body`, :mod:`.linklists`,
:mod:`.fields`) → :mod:`.loader` (the normalizers of :mod:`.normalize` and :mod:`.dates`, named
per field) → :class:`~vusta_crawler.items.ArticleItem`. Navigation is the crawl's business.
"""
