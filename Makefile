# tenantops.entra — the two commands of the README, and their parts.
#   make demo   run the main job against the local sandbox (apply, show the diff, apply again)
#   make test   every test: sandbox, unit, integration (real ansible-playbook), sanity, lint
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
BENCH_STAMP := $(VENV)/.installed-bench
BENCH_TENANTS ?= 10 100 1000
BENCH_LARGE_GUESTS ?= 10000
BENCH_ASYNCIO_MAX ?= 100

.PHONY: demo test test-sandbox test-unit test-integration ansible-integration sanity lint release-check changelog matrix bench sandbox-schema clean

$(STAMP): requirements.txt requirements-test.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt -r requirements-test.txt
	touch $(STAMP)

$(BENCH_STAMP): $(STAMP) requirements-bench.txt
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-bench.txt
	touch $(BENCH_STAMP)

demo: $(STAMP)
	$(BIN)/python tools/demo.py

# Separate pytest runs: each suite has its own conftest helpers, imported by module name.
# The fleet benchmark runs at N=5 as a smoke test (well-formed output, end state reached; no timing).
test: $(STAMP) $(BENCH_STAMP)
	$(BIN)/python -m pytest sandbox/tests -q -p no:cacheprovider
	$(BIN)/python -m pytest tests/unit -q -p no:cacheprovider
	$(BIN)/python -m pytest tests/integration -q -p no:cacheprovider
	$(BIN)/python -m pytest tests/bench/test_fleet_bench_smoke.py -q -p no:cacheprovider
	$(MAKE) ansible-integration sanity lint release-check

test-sandbox: $(STAMP)
	$(BIN)/python -m pytest sandbox/tests -q

test-unit: $(STAMP)
	$(BIN)/python -m pytest tests/unit -q

test-integration: $(STAMP)
	$(BIN)/python -m pytest tests/integration -q

# The ansible-test integration targets (tests/integration/targets) against the sandbox; the same
# targets run against a real test tenant, see docs/testing.md.
ansible-integration: $(STAMP)
	$(BIN)/python tools/ansible_test_integration.py

sanity: $(STAMP)
	$(BIN)/python tools/ansible_test_sanity.py

lint: $(STAMP)
	$(BIN)/python -c "import sys; sys.path.insert(0, 'tests'); from collection_path import link_working_tree; link_working_tree()"
	ANSIBLE_COLLECTIONS_PATH=$(CURDIR)/.tenantops/tree $(BIN)/ansible-lint --offline -q playbooks roles examples

# What Automation Hub checks on upload (galaxy-importer on the built tarball, offline) and the
# changelog fragments (antsibull-changelog).
release-check: $(STAMP)
	$(BIN)/antsibull-changelog lint
	$(BIN)/python tools/galaxy_import.py

# Fold changelogs/fragments/ into changelogs/changelog.yaml and regenerate CHANGELOG.md, as the release
# CHANGELOG_VERSION (default: galaxy.yml's version).  antsibull-changelog asks ansible-doc for the plugin
# list, so it runs inside a collection path.
CHANGELOG_VERSION ?= $(shell sed -n 's/^version: //p' galaxy.yml)
changelog: $(STAMP)
	$(BIN)/python -c "import sys; sys.path.insert(0, 'tests'); from collection_path import link_working_tree; link_working_tree()"
	cd .tenantops/tree/ansible_collections/tenantops/entra && PATH=$(CURDIR)/$(BIN):$$PATH \
	  $(CURDIR)/$(BIN)/antsibull-changelog release --version $(CHANGELOG_VERSION) \
	  --update-existing --refresh-fragments without-archives --reload-plugins --refresh-plugins allow-removal

# The unit and integration suites on the oldest and newest supported ansible-core and Python (slow:
# not part of `make test`; README.md states the range it passes on).
matrix: $(STAMP)
	$(BIN)/python tools/version_matrix.py

# The fleet benchmark (issue 9) writes docs/performance/fleet.{json,md,png}; BENCH_TENANTS="10 100" for less,
# BENCH_LARGE_GUESTS=0 to leave out the one tenant with many guests; the asyncio script (one process)
# runs up to BENCH_ASYNCIO_MAX tenants (0: every size; at 1,000 it alone takes over half an hour here).
bench: $(BENCH_STAMP)
	$(BIN)/python tests/bench/fleet_bench.py --tenants $(BENCH_TENANTS) --profile --large-tenant $(BENCH_LARGE_GUESTS) \
		--asyncio-max $(BENCH_ASYNCIO_MAX)
	$(BIN)/python -m pytest tests/bench/test_fleet_cost.py -q -s

# Regenerate sandbox/data/graph_schema.json from Microsoft's CSDL (needs ../shared/reference, not shipped).
sandbox-schema: $(STAMP)
	$(BIN)/python -m sandbox.schema_gen

clean:
	rm -rf $(VENV) .tenantops tests/output
