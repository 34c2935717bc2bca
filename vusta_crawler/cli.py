"""The ``vusta-crawler`` command: parse saved pages, maintain fixtures (crawl/export follow)."""

from __future__ import annotations

import argparse
import difflib
import json
import sys
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from parsel import Selector

from vusta_crawler.dates import parse_rfc3339
from vusta_crawler.page import ArticlePage, NotAnArticle
from vusta_crawler.replay import FIXTURES_DIR, dump_json, file_response, iter_cases, replay


def page_url(body: bytes) -> str | None:
    """The URL a saved page names for itself: ``<link rel=canonical>``, else ``og:url``."""
    selector = Selector(body=body, type="html")
    for query in ("//link[@rel='canonical']/@href", "//meta[@property='og:url']/@content"):
        found = selector.xpath(query).get()
        if found and found.strip().startswith("http"):
            return found.strip()
    return None


def parse_file(path: Path, url: str | None, fetched_at: datetime) -> dict[str, object]:
    """One saved page as an item dict, or ``{"file", "error", "reason"}``."""
    try:
        body = path.read_bytes()
    except OSError as error:
        return {"file": str(path), "error": "unreadable", "reason": error.strerror or str(error)}
    url = url or page_url(body)
    if not url:
        return {"file": str(path), "error": "no_url", "reason": "give --url: the page names none"}
    try:
        extraction = ArticlePage(file_response(body, url), fetched_at).extract()
    except NotAnArticle as error:
        return {"file": str(path), "error": "not_article", "reason": error.reason}
    for _key, message in extraction.warnings:
        print(f"warning: {path}: {message}", file=sys.stderr)
    return asdict(extraction.item)


def cmd_parse(args: argparse.Namespace) -> int:
    fetched_at = parse_rfc3339(args.fetched_at) if args.fetched_at else datetime.now(UTC)
    failed = 0
    for name in args.files:
        result = parse_file(Path(name), args.url, fetched_at)
        failed += "error" in result
        sys.stdout.write(json.dumps(result, ensure_ascii=False) + "\n")
    return 1 if failed else 0


def cmd_fixture_update(args: argparse.Namespace) -> int:
    changed = 0
    for case in iter_cases(Path(args.root)):
        if args.cases and case.name not in args.cases and case.path.name not in args.cases:
            continue
        new = dump_json(replay(case))
        old = case.expected_path.read_text(encoding="utf-8") if case.expected_path.exists() else ""
        if new == old:
            continue
        changed += 1
        case.expected_path.write_text(new, encoding="utf-8")
        diff = difflib.unified_diff(
            old.splitlines(), new.splitlines(), f"a/{case.name}", f"b/{case.name}", lineterm=""
        )
        print("\n".join(diff))
    print(f"{changed} expected.json file(s) rewritten: review the diff before committing.")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vusta-crawler", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    parse = commands.add_parser("parse", help="print one JSON item per saved page (JSON Lines)")
    parse.add_argument("files", nargs="+", metavar="FILE")
    parse.add_argument("--url", help="the pages' URL (default: their canonical link or og:url)")
    parse.add_argument("--fetched-at", help="RFC 3339 fetch time (default: now)")
    parse.set_defaults(func=cmd_parse)

    fixture = commands.add_parser("fixture", help="maintain the saved-page fixtures")
    fixture_commands = fixture.add_subparsers(dest="fixture_command", required=True)
    update = fixture_commands.add_parser(
        "update", help="rewrite expected.json from the current output (then review the diff)"
    )
    update.add_argument("cases", nargs="*", help="kind/case or case names (default: all)")
    update.add_argument("--root", default=str(FIXTURES_DIR), help="the fixtures folder")
    update.set_defaults(func=cmd_fixture_update)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``vusta-crawler`` console script."""
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
