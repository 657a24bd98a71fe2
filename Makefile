# auditkit: two commands on a fresh machine.
#   make demo  - set up .venv, create an installation in .demo/, import the demo data, verify it
#   make test  - set up .venv, lint (ruff, mypy --strict), layering check, the whole test suite,
#                and an installed-wheel check

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

DEMO_HOME := $(CURDIR)/.demo
DEMO_ENV := AUDITKIT_HOME=$(DEMO_HOME) AUDITKIT_KEY_PASSPHRASE_FILE=$(DEMO_HOME)/passphrase AUDITKIT_ACTOR=demo
DEMO_DATA := tests/data/demo/conversations.jsonl tests/data/abcd/abcd_sample.json tests/data/sgd/dialogues_039.json

# mypy cannot follow setuptools' package-dir mapping (web/ -> auditkit.web, reports/ ->
# auditkit.reports, ...), so it checks a tree of symlinks laid out like the installed package.
MYPY_TREE := build/mypy

.PHONY: install demo test lint mypy-tree wheel-check bench clean

install: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

$(DEMO_HOME)/passphrase:
	mkdir -p -m 0700 $(DEMO_HOME)
	umask 077 && $(BIN)/python -c "import secrets; print(secrets.token_urlsafe(32))" > $@

$(DEMO_HOME)/admin-password:
	mkdir -p -m 0700 $(DEMO_HOME)
	umask 077 && $(BIN)/python -c "import secrets; print(secrets.token_urlsafe(12))" > $@

demo: install $(DEMO_HOME)/passphrase $(DEMO_HOME)/admin-password
	$(DEMO_ENV) $(BIN)/auditkit init
	$(DEMO_ENV) $(BIN)/auditkit import $(DEMO_DATA)
	$(DEMO_ENV) $(BIN)/auditkit verify
	$(DEMO_ENV) $(BIN)/auditkit scan
	$(DEMO_ENV) $(BIN)/auditkit check
	$(DEMO_ENV) $(BIN)/auditkit users list | grep -q '^admin ' || \
		$(DEMO_ENV) AUDITKIT_NEW_USER_PASSWORD=$$(cat $(DEMO_HOME)/admin-password) \
		$(BIN)/auditkit users add admin --role admin --name "Demo admin"
	@echo
	@echo "Demo installation in $(DEMO_HOME). Sign in at http://127.0.0.1:8080/ as admin,"
	@echo "password: $$(cat $(DEMO_HOME)/admin-password)   (Ctrl-C stops the server)"
	$(DEMO_ENV) $(BIN)/auditkit serve --port 8080

lint: install mypy-tree
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

mypy-tree:
	rm -rf $(MYPY_TREE) && mkdir -p $(MYPY_TREE)/auditkit
	ln -s $(CURDIR)/auditkit/* $(MYPY_TREE)/auditkit/
	for d in web reports migrations rubrics; do ln -s $(CURDIR)/$$d $(MYPY_TREE)/auditkit/$$d; done

test: lint
	$(BIN)/pytest -q
	$(MAKE) wheel-check

# The installed wheel (not the checkout) must carry migrations and schemas and work from any directory.
wheel-check: install
	rm -rf build/wheel build/wheel-venv && mkdir -p build/wheel
	$(BIN)/python -m pip wheel --quiet --no-deps -w build/wheel .
	$(PYTHON) -m venv build/wheel-venv
	build/wheel-venv/bin/python -m pip install --quiet --upgrade "pip>=24"
	build/wheel-venv/bin/python -m pip install --quiet --require-hashes -r requirements.lock
	build/wheel-venv/bin/python -m pip install --quiet --no-deps build/wheel/auditkit-*.whl
	cd / && tmp=$$(mktemp -d) && \
		AUDITKIT_HOME=$$tmp AUDITKIT_KEY_PASSPHRASE=wheel-check-passphrase $(CURDIR)/build/wheel-venv/bin/auditkit init >/dev/null && \
		AUDITKIT_HOME=$$tmp AUDITKIT_KEY_PASSPHRASE=wheel-check-passphrase $(CURDIR)/build/wheel-venv/bin/auditkit import $(CURDIR)/tests/data/demo/conversations.jsonl >/dev/null && \
		AUDITKIT_HOME=$$tmp AUDITKIT_KEY_PASSPHRASE=wheel-check-passphrase $(CURDIR)/build/wheel-venv/bin/auditkit verify && \
		rm -rf $$tmp
	@echo "wheel-check: installed wheel works outside the checkout"

bench: install
	$(BIN)/python bench/ingest.py

clean:
	rm -rf $(VENV) build .demo
