# bgremove: the project's interface. `make run` and `make test` set up .venv themselves.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SAMPLES := samples/photos
OUT ?= cutouts
# The CloudFormation stack (make synth / deploy); physical names derive from it.
STACK ?= BgRemoveStack
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 1

.PHONY: help venv run test test-fast lint format bench synth deploy clean

help:
	@echo "make run      process the sample photos on the local engine (writes ./$(OUT)/)"
	@echo "make test     run the whole test suite"
	@echo "make test-fast  the unit tests without the slow ones (integration, synth, browser, @slow)"
	@echo "make bench    engine overhead, quota throughput, local scale, local-model quality, edge refinement and nightly Plan benchmarks (print tables)"
	@echo "make lint     ruff and mypy"
	@echo "make synth    CDK template + cfn-lint + cdk-nag (no AWS account needed)"

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

# Node tools the tests use (velocityjs, asl-validator), exactly as package-lock.json pins them.
NODE_STAMP := node_modules/.package-lock.json
$(NODE_STAMP): package.json package-lock.json
	@if command -v npm >/dev/null; then npm ci --no-audit --no-fund --loglevel=error; \
	else echo "npm not found: the mapping-template and ASL tests will be skipped" >&2; fi

venv: $(STAMP) $(NODE_STAMP)

run: $(STAMP)
	$(BIN)/bgremove run $(SAMPLES) --out $(OUT)

test: $(STAMP) $(NODE_STAMP)
	$(BIN)/python -m pytest -n 2 --dist loadfile

# Slow tests: whole folders marked in tests/conftest.py (FOLDER_MARKERS), others @pytest.mark.slow.
test-fast: $(STAMP) $(NODE_STAMP)
	$(BIN)/python -m pytest -n 2 --dist worksteal -m "not slow"  # short tests: balance them

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(STAMP)
	$(BIN)/python -m benchmarks.engine_overhead
	$(BIN)/python -m benchmarks.quota_throughput
	$(BIN)/python -m benchmarks.local_scale
	$(BIN)/python -m benchmarks.quality
	$(BIN)/python -m benchmarks.edge_refine
	$(BIN)/python -m benchmarks.nightly_plan --photos 100000

CDK := npx --yes aws-cdk@2.1148.1

synth: $(STAMP)
	rm -rf cdk.out
	CDK_CONTEXT_JSON='{"stack_name": "$(STACK)"}' $(BIN)/python app.py
	$(BIN)/python -m workflow.cfn_lint cdk.out/$(STACK).template.json  # errors and warnings fail
	@echo "cdk-nag AwsSolutions: passed (see cdk.out/validation-report.json)"

deploy: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(CDK) deploy $(STACK) -c stack_name=$(STACK)

clean:
	rm -rf $(VENV) node_modules cdk.out .pytest_cache .ruff_cache $(OUT)
