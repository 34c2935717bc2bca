"""Speed, measured side by side in one run (``make bench``); writes benchmarks/results.json.

- ``extract``: parse-and-load time per fixture article page (``ArticlePage(...).extract()``,
  which includes HTML parsing and the item loader) against trafilatura's ``bare_extraction`` on
  the same pages: with its defaults (``ratio``, the issue's measure) and asked for what our item
  also holds, metadata, images, links and formatting (``ratio_full``). Rounds interleave them,
  so machine noise hits all alike; the figure is the median round.
- ``dates``: the date fast path (``dates.read_date_text``, no dateparser for known forms) against
  ``dateparser.parse(text, languages=["vi"])`` on the fixtures' printed date texts;
  ``fast_path_share`` is the share of those texts the fast path reads by itself.

Absolute times depend on the machine; the ratios are the claim.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from vusta_crawler.devtools.replay import iter_cases  # noqa: E402
from vusta_crawler.extract import dates  # noqa: E402
from vusta_crawler.extract.article import extract_article  # noqa: E402
from vusta_crawler.extract.dates import parse_rfc3339  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results.json"
TARGETS = {"extract.ratio": 15.0, "dates.ratio": 300.0, "dates.fast_path_share": 1.0}


def median_round(rounds: int, work: Callable[[], None]) -> float:
    """Seconds of the median of ``rounds`` runs of ``work``."""
    timings = []
    for _ in range(rounds):
        start = time.perf_counter()
        work()
        timings.append(time.perf_counter() - start)
    return statistics.median(timings)


def bench_extract(rounds: int) -> dict[str, Any]:
    import trafilatura

    cases = [c for c in iter_cases() if c.meta["kind"] == "article"]
    pages = [(c.response(), parse_rfc3339(c.meta["fetched_at"])) for c in cases]

    def ours() -> None:
        for response, fetched_at in pages:
            extract_article(response, fetched_at)

    def theirs() -> None:
        for response, _ in pages:
            trafilatura.bare_extraction(response.text, url=response.url)

    def theirs_in_full() -> None:
        # what our item holds too: metadata (title, date, author), images, links, formatting
        for response, _ in pages:
            trafilatura.bare_extraction(
                response.text,
                url=response.url,
                with_metadata=True,
                include_images=True,
                include_links=True,
                include_formatting=True,
            )

    ours(), theirs(), theirs_in_full()  # warm-up: imports, caches
    ours_times, theirs_times, full_times = [], [], []
    for _ in range(rounds):  # interleaved, so all see the same machine
        ours_times.append(median_round(1, ours))
        theirs_times.append(median_round(1, theirs))
        full_times.append(median_round(1, theirs_in_full))
    ms = statistics.median(ours_times) / len(pages) * 1000
    trafilatura_ms = statistics.median(theirs_times) / len(pages) * 1000
    full_ms = statistics.median(full_times) / len(pages) * 1000
    return {
        "pages": len(pages),
        "rounds": rounds,
        "ms_per_page": round(ms, 3),
        "trafilatura_ms_per_page": round(trafilatura_ms, 3),
        "ratio": round(trafilatura_ms / ms, 1),
        "trafilatura_full_ms_per_page": round(full_ms, 3),
        "ratio_full": round(full_ms / ms, 1),
    }


def fixture_date_texts() -> list[str]:
    texts = []
    for case in iter_cases():
        raw = case.expected().get("published_raw")
        if raw:
            texts.append(raw)
    return texts


def bench_dates(rounds: int) -> dict[str, Any]:
    import dateparser

    texts = fixture_date_texts()
    # in Vietnam time, as ArticlePage holds it (converted once per page, not per date)
    fetched_at = parse_rfc3339("2026-11-20T08:00:00Z").astimezone(dates.VN_TZ)

    def fast_reading(text: str) -> dates.DateResult | None:
        return (
            dates.match_date_line(text, fetched_at)
            or dates.match_relative(text, fetched_at)
            or dates.parse_machine_date(text, fetched_at)
        )

    fast_share = sum(fast_reading(t) is not None for t in texts) / len(texts)
    repeat = 20

    def fast() -> None:
        for _ in range(repeat):
            for text in texts:
                fast_reading(text)

    def slow() -> None:
        for text in texts:
            dateparser.parse(text, languages=["vi"])

    fast(), slow()
    fast_times, slow_times = [], []
    for _ in range(rounds):
        fast_times.append(median_round(1, fast) / repeat)
        slow_times.append(median_round(1, slow))
    fast_us = statistics.median(fast_times) / len(texts) * 1e6
    slow_us = statistics.median(slow_times) / len(texts) * 1e6
    return {
        "texts": len(texts),
        "rounds": rounds,
        "fast_us": round(fast_us, 2),
        "dateparser_us": round(slow_us, 1),
        "ratio": round(slow_us / fast_us, 1),
        "fast_path_share": round(fast_share, 3),
    }


def bench_export_memory() -> dict[str, Any]:
    """Peak memory (tracemalloc, which also sees SQLite's allocations) of a JSON Lines and a
    JSON Feed export of archives of 5,000 and 25,000 items: streaming means the larger archive
    needs no more memory than the smaller (SQLite's page cache fills up to its bound first)."""
    import os
    import tempfile
    import tracemalloc

    from vusta_crawler.export.feeds import write_jsonfeed, write_jsonl
    from vusta_crawler.extract.normalize import content_hash
    from vusta_crawler.store.archive import Archive

    items = [c.expected() for c in iter_cases() if c.meta["kind"] == "article"]
    peaks = {}
    with tempfile.TemporaryDirectory() as tmp:
        for size in (5000, 25000):
            path = Path(tmp) / f"a{size}.sqlite3"
            with Archive(path, batch_size=5000) as archive:
                for n in range(size):
                    item = dict(items[n % len(items)], url=f"https://vusta.vn/bench-{n}-p{n}.html")
                    item["article_id"] = n
                    item["body_text"] += f" ({n})"
                    item["content_hash"] = content_hash(item["title"], item["body_text"])
                    archive.store(item)
            with Archive(path) as archive, open(os.devnull, "w", encoding="utf-8") as sink:
                tracemalloc.start()
                write_jsonl(archive, sink)
                write_jsonfeed(archive, Path(tmp) / f"feed{size}.json")
                peaks[size] = tracemalloc.get_traced_memory()[1]
                tracemalloc.stop()
    return {
        "peak_kib_5000_items": round(peaks[5000] / 1024),
        "peak_kib_25000_items": round(peaks[25000] / 1024),
        "ratio_25000_to_5000": round(peaks[25000] / peaks[5000], 2),
    }


def main() -> int:
    warnings.simplefilter("ignore")
    results = {
        "extract": bench_extract(rounds=7),
        "dates": bench_dates(rounds=7),
        "export_memory": bench_export_memory(),
    }
    checks = {
        "extract.ratio": results["extract"]["ratio"],
        "dates.ratio": results["dates"]["ratio"],
        "dates.fast_path_share": results["dates"]["fast_path_share"],
    }
    results["targets"] = {
        key: {"target": TARGETS[key], "measured": value, "met": value >= TARGETS[key]}
        for key, value in checks.items()
    }
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(results, indent=2))
    return 0 if all(t["met"] for t in results["targets"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
