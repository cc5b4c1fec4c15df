# mmwsss: `make demo` runs the demo pipeline, `make test` the test suite,
# `make compare` the seed methods side by side.
# Each installs everything into $(VENV) first when it is missing.
VENV ?= .venv
PYTHON := $(VENV)/bin/python
DEMO_DATA ?= data/demo
DEMO_WORK_DIR ?= work_dirs/demo
STAMP := $(VENV)/.mmwsss-installed

.PHONY: install demo compare test clean

install: $(STAMP)

$(STAMP): tools/install.sh setup.py requirements/build.txt requirements/runtime.txt requirements/tests.txt
	bash tools/install.sh $(VENV)
	touch $@

demo: install
	$(PYTHON) tools/make_demo_data.py $(DEMO_DATA)
	$(PYTHON) tools/run_pipeline.py --preset demo --method recam --full-supervision --data-root $(DEMO_DATA) --work-dir $(DEMO_WORK_DIR)

compare: install
	$(PYTHON) tools/make_demo_data.py $(DEMO_DATA)
	$(PYTHON) tools/compare_methods.py --data-root $(DEMO_DATA) --work-dir work_dirs/compare

test: install
	$(PYTHON) -m pytest tests

clean:
	rm -rf $(DEMO_WORK_DIR) $(DEMO_DATA)
