# Everything a fresh clone needs: `make demo` and `make test` build their own venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-fast test-matrix lint unit e2e bench clean ecosystem warehouse warehouse-demo postgresql

# Meltano and the real targets each pin their own singer-python/jsonschema, which clash with the tap's,
# so each lives in a venv of its own under .venvs/. The stamp names the pinned version: bumping a pin
# reinstalls that venv and no other.
VENVS := .venvs
MELTANO_VERSION := 4.4.1
TARGET_JSONL_VERSION := 0.1.4
TARGET_STITCH_VERSION := 4.0.3
SINGER_TOOLS_VERSION := 0.4.1
TARGET_POSTGRES_VERSION := 0.8.1
TARGET_POSTGRES := $(VENVS)/target-postgres/.installed-$(TARGET_POSTGRES_VERSION)
SINGER_TOOLS := $(VENVS)/singer-tools/.installed-$(SINGER_TOOLS_VERSION)
ECOSYSTEM := $(VENVS)/meltano/.installed-$(MELTANO_VERSION) \
	$(VENVS)/target-jsonl/.installed-$(TARGET_JSONL_VERSION) \
	$(VENVS)/target-stitch/.installed-$(TARGET_STITCH_VERSION) \
	$(SINGER_TOOLS) \
	$(TARGET_POSTGRES)

# -qq: this machine's pip index config prints a warning per package; errors still show.
$(STAMP): setup.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -qq --upgrade pip
	$(BIN)/pip install -qq -e '.[test]'
	$(BIN)/pip check
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m tests.demo

lint: $(STAMP)
	$(BIN)/pylint --rcfile=.pylintrc tap_kustomer tests bench

test: lint $(ECOSYSTEM) postgresql
	$(BIN)/python -m pytest -q -m "not matrix or fast_cell" tests

# Every cell of the UNCERTAIN-behaviour matrix (make test runs the fast_cell ones).
test-matrix: $(STAMP)
	$(BIN)/python -m pytest -q -m matrix tests/e2e/test_unknowns.py

# Lint, the unit tests and the fast end-to-end ones: under a minute, for every change. `make test` runs all.
# Lint runs beside the tests, so the loop stays under a minute on two cores.
test-fast: $(STAMP)
	@$(BIN)/pylint --rcfile=.pylintrc --jobs=2 --score=n tap_kustomer tests bench & lint=$$!; \
	$(BIN)/python -m pytest -q -m "not slow and not matrix" tests/unit tests/e2e; tests=$$?; \
	wait $$lint && exit $$tests

unit: $(STAMP)
	$(BIN)/python -m pytest -q tests/unit

e2e: $(STAMP) $(SINGER_TOOLS)
	$(BIN)/python -m pytest -q tests/e2e

bench: $(STAMP)
	$(BIN)/python -m bench.run

# $(1) venv name, $(2) pip requirement, $(3) stamp. -qq: pip's warnings about this machine's index
# config would otherwise fill the log on every fresh clone; errors still show, and `pip check` must pass.
define ecosystem_venv
	@echo "building $(VENVS)/$(1) with $(2) (once per clone)"
	@$(PYTHON) -m venv $(VENVS)/$(1)
	@$(VENVS)/$(1)/bin/pip install -qq --upgrade pip
	@$(VENVS)/$(1)/bin/pip install -qq '$(2)'
	@$(VENVS)/$(1)/bin/pip check > $(VENVS)/$(1)/pip-check.log || { cat $(VENVS)/$(1)/pip-check.log; exit 1; }
	@rm -f $(VENVS)/$(1)/.installed-*
	@touch $(3)
endef

$(VENVS)/meltano/.installed-$(MELTANO_VERSION):
	$(call ecosystem_venv,meltano,meltano==$(MELTANO_VERSION),$@)

$(VENVS)/target-jsonl/.installed-$(TARGET_JSONL_VERSION):
	$(call ecosystem_venv,target-jsonl,target-jsonl==$(TARGET_JSONL_VERSION),$@)

$(VENVS)/target-stitch/.installed-$(TARGET_STITCH_VERSION):
	$(call ecosystem_venv,target-stitch,target-stitch==$(TARGET_STITCH_VERSION),$@)

$(SINGER_TOOLS):
	$(call ecosystem_venv,singer-tools,singer-tools==$(SINGER_TOOLS_VERSION),$@)

$(TARGET_POSTGRES):
	$(call ecosystem_venv,target-postgres,meltanolabs-target-postgres==$(TARGET_POSTGRES_VERSION),$@)

# The warehouse tests start a throwaway cluster of their own with these binaries; no system cluster is used.
postgresql:
	@ls /usr/lib/postgresql/*/bin/initdb > /dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq postgresql; }

# Meltano too: tests/warehouse runs `meltano run tap-kustomer target-postgres`.
warehouse: $(STAMP) $(TARGET_POSTGRES) $(VENVS)/meltano/.installed-$(MELTANO_VERSION) postgresql
	$(BIN)/python -m pytest -q tests/warehouse

warehouse-demo: $(STAMP) $(TARGET_POSTGRES) postgresql
	$(BIN)/python -m tests.warehouse_demo

ecosystem: $(ECOSYSTEM)

clean:
	rm -rf $(VENV) .venvs demo-output bench/work *.egg-info

# The published tap-kustomer 1.1.0, which `make bench` runs beside ours; its old pins stay out of .venv.
PEER_VENV := .venvs/peer
PEER_STAMP := $(PEER_VENV)/.installed

.PHONY: peer-venv
peer-venv: $(PEER_STAMP)

$(PEER_STAMP):
	$(PYTHON) -m venv $(PEER_VENV)
	$(PEER_VENV)/bin/pip install -qq --upgrade pip
	$(PEER_VENV)/bin/pip install -qq tap-kustomer==1.1.0
	$(PEER_VENV)/bin/pip check
	touch $(PEER_STAMP)

bench: peer-venv
