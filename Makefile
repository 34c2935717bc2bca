# vusta-crawler — the commands of the README's quick start.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install test lint bench crawl demo site lock clean

install: $(STAMP)

# Exactly the versions CI tested (requirements.lock, hashes checked), then the project itself.
$(STAMP): pyproject.toml requirements.lock
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "needs $(PYTHON) (or: make PYTHON=python3)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@# An editable install leaves our modules uncompiled, and with PYTHONDONTWRITEBYTECODE set
	@# (as here) every run would compile them again: compile once, as pip does for the rest.
	$(BIN)/python -m compileall -q vusta_crawler
	@touch $(STAMP)

# Re-resolve the newest versions pyproject.toml allows into requirements.lock (then run make test).
lock:
	@test -x $(VENV)/tools/bin/uv || $(PYTHON) -m venv $(VENV)/tools
	@test -x $(VENV)/tools/bin/uv || $(VENV)/tools/bin/pip install --quiet uv
	$(VENV)/tools/bin/uv pip compile pyproject.toml --extra test --extra bench --extra dev \
		--python-version 3.11 --python-platform x86_64-unknown-linux-gnu --generate-hashes \
		-o requirements.lock

test: install
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check vusta_crawler tests benchmarks
	$(BIN)/ruff format --check vusta_crawler tests benchmarks
	$(BIN)/mypy

crawl: install
	$(BIN)/vusta-crawler crawl --db data/vusta.sqlite3 --feed data/feed.json

demo: install
	$(BIN)/vusta-crawler demo --db data/demo.sqlite3 --feed data/demo-feed.json --items data/demo-items.jsonl

# Rebuild the bundled demo site after changing fixtures or vusta_crawler/sitegen.py.
site: install
	$(BIN)/python -c "from vusta_crawler.devtools.sitegen import build_demo_site; build_demo_site()"

bench: install
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis build *.egg-info
