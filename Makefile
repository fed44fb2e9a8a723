# Two commands: `make demo` (set up, then train the main job on built-in data) and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
PY := $(VENV)/bin/python
# torch/torchvision pinned to the builds this project is tested with; override for other platforms,
# e.g. make test TORCH="torch torchvision"
TORCH ?= torch==2.14.1 torchvision==0.29.1
DEMO_OUT ?= runs/demo-25gaussians

.PHONY: setup demo test test-slow bench clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q $(TORCH)
	$(PY) -m pip install -q -e ".[test]"
	touch $@

demo: setup
	rm -rf $(DEMO_OUT)
	$(VENV)/bin/wgangp train toy-25gaussians-fast --out $(DEMO_OUT) --set device=cpu
	$(VENV)/bin/wgangp eval $(DEMO_OUT)
	@echo "pictures: $(DEMO_OUT)/critic_surface.png $(DEMO_OUT)/training_curves.png"

test: setup
	$(PY) -m pytest -q

# The learning checks (pytest -m slow): seeded runs that must reach stated quality; image ones read real
# MNIST / CIFAR-10 from ../shared/data (or the folder in WGANGP_SHARED_DATA) and skip, saying so, without it.
# (make test-slow TESTS=tests/test_learning_images.py: one file of them, as CI runs)
test-slow: setup
	$(PY) -m pytest -q -rP -m slow -p no:cacheprovider $(TESTS)

bench: setup
	$(PY) benchmarks/run.py --preset toy-25gaussians --device cpu
	$(PY) benchmarks/run.py --preset toy-25gaussians-fast --device cpu

clean:
	rm -rf runs .pytest_cache
