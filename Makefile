PYTHON ?= python3
PIP ?= $(PYTHON) -m pip

.PHONY: demo test lint format install-test bench docs

## make demo: install skae with its plotting extra and run the digits demo.
demo:
	$(PIP) install --quiet ".[plots]"
	$(PYTHON) examples/demo_digits.py --output demo_output

install-test:
	$(PIP) install --quiet -e ".[test]"

## make test: install the test extras, check lint and format, run the whole suite.
test: install-test
	$(PYTHON) -m ruff check .
	$(PYTHON) -m ruff format --check .
	$(PYTHON) -m pytest -n 2 -p no:cacheprovider -p no:benchmark

## make format: apply ruff's fixes and formatting.
format:
	$(PYTHON) -m ruff check --fix .
	$(PYTHON) -m ruff format .

bench:
	$(PYTHON) benchmarks/bench_reconstruction.py

## make docs: install the docs extras and build the HTML site in docs/_build/html.
## Warnings are errors; SKAE_FAST_EXAMPLES=1 make docs runs the gallery quickly.
docs:
	$(PIP) install --quiet -e ".[docs]"
	$(PYTHON) -m sphinx -W --keep-going -b html docs docs/_build/html
