# syntax=docker/dockerfile:1
#
# The ringmaster-worker image: the training runtime inside each worker Pod,
# the default image of a TrainingJob (the operator's --worker-image).
#
# NOT BUILT IN THIS REPOSITORY'S CI: the development machine has no container
# engine. What can be checked without one is checked by
# Tests/IntegrationTests/ChartImageTests.swift: the product copied below is an
# executable product of Package.swift, and the runtime packages installed
# below provide every shared library `ldd` names for the built binary.
#
# Build from the package root:
#   docker build -f config/images/worker.Dockerfile -t ringmaster-worker .

ARG SWIFT_IMAGE=swift:6.3-bookworm
ARG RUNTIME_IMAGE=debian:bookworm-slim

FROM ${SWIFT_IMAGE} AS build
WORKDIR /src
# Resolve dependencies first, so a source change does not refetch them.
COPY Package.swift Package.resolved ./
RUN swift package resolve
COPY Sources ./Sources
COPY Tests ./Tests
# Headers and pkg-config files of the system-library targets (COpenBLAS, CZlib).
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends libopenblas-dev zlib1g-dev pkg-config \
 && rm -rf /var/lib/apt/lists/*
# --static-swift-stdlib links the Swift runtime, Foundation and Dispatch into
# the binary, so the runtime image needs no Swift toolchain.
RUN swift build -c release --product ringmaster-worker --static-swift-stdlib \
 && install -D -m 0755 "$(swift build -c release --show-bin-path)/ringmaster-worker" /out/ringmaster-worker

FROM ${RUNTIME_IMAGE}
# libopenblas0: the BLAS the layers and the all-reduce reductions call (it
# brings libgfortran5); zlib1g: gzip-compressed IDX data sets; ca-certificates:
# TLS roots for the API server when outside the cluster. libstdc++6 and zlib1g
# are already in bookworm-slim (apt depends on them) and are named for clarity.
# dataset-fashion-mnist: the built-in data set (`dataset.source: builtin`,
# name `fashion-mnist`), read from /usr/share/datasets/fashion-mnist.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ca-certificates libopenblas0 libstdc++6 zlib1g dataset-fashion-mnist \
 && rm -rf /var/lib/apt/lists/*
# A numeric non-root user, so runAsNonRoot can be verified by the kubelet.
RUN groupadd --system --gid 65532 ringmaster \
 && useradd --system --uid 65532 --gid 65532 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin ringmaster
COPY --from=build /out/ringmaster-worker /usr/local/bin/ringmaster-worker
USER 65532:65532
# Checkpoints and artifacts go to the job's volume; /tmp is for scratch.
WORKDIR /tmp
ENTRYPOINT ["/usr/local/bin/ringmaster-worker"]
