"""The package's shape: data flows one way, and no module imports itself back in a circle.

Every import of every module is read from its source (function-level and ``TYPE_CHECKING``
imports included), so an import circle cannot hide behind a late import.
"""

from __future__ import annotations

import ast
from pathlib import Path

import vusta_crawler

PACKAGE = Path(vusta_crawler.__file__).parent

LAYERS = {
    "vusta_crawler.patterns": 0,
    "vusta_crawler.stats": 0,
    "vusta_crawler.items": 0,
    "vusta_crawler.extract": 1,
    "vusta_crawler.store": 2,
    "vusta_crawler.capture": 2,
    "vusta_crawler.export": 3,
    "vusta_crawler.crawl": 4,
    "vusta_crawler.settings": 4,
    "vusta_crawler.devtools": 5,
    "vusta_crawler.cli": 6,
}
"""Each part may import only from parts of a lower or equal layer: declared data and the item,
then extraction, storing, exports, the crawl, development tools, the command line."""


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """The ``vusta_crawler`` modules that ``path`` imports (``from x import y`` counts ``x.y``
    when ``x.y`` is a module)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in found if name in MODULES}


MODULES = {module_name(path): path for path in PACKAGE.rglob("*.py")}
GRAPH = {name: imports_of(path) - {name} for name, path in MODULES.items()}


def layer_of(module: str) -> int:
    for prefix, layer in sorted(LAYERS.items(), key=lambda entry: -len(entry[0])):
        if module == prefix or module.startswith(prefix + "."):
            return layer
    raise AssertionError(f"{module}: not in any layer of LAYERS")


def test_every_module_has_a_layer() -> None:
    for module in MODULES:
        if module != "vusta_crawler":
            layer_of(module)


def test_imports_flow_one_way() -> None:
    wrong = [
        f"{module} (layer {layer_of(module)}) imports {target} (layer {layer_of(target)})"
        for module, targets in GRAPH.items()
        if module != "vusta_crawler"
        for target in targets
        if target != "vusta_crawler" and layer_of(target) > layer_of(module)
    ]
    assert not wrong, "\n".join(wrong)


def test_no_import_circles() -> None:
    def circle_from(start: str) -> list[str] | None:
        stack = [(start, [start])]
        seen: set[str] = set()
        while stack:
            node, path = stack.pop()
            for target in GRAPH[node]:
                if target == start:
                    return [*path, start]
                if target not in seen:
                    seen.add(target)
                    stack.append((target, [*path, target]))
        return None

    circles = [circle for module in GRAPH if (circle := circle_from(module))]
    assert not circles, " → ".join(circles[0])


def test_the_graph_is_read() -> None:
    # the checks above are only as good as the reading: a known edge must be seen
    assert "vusta_crawler.extract.anchors" in GRAPH["vusta_crawler.extract.body"]
    assert "vusta_crawler.store.archive" in GRAPH["vusta_crawler.export.feeds"]
