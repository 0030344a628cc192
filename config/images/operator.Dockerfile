# syntax=docker/dockerfile:1
#
# The ringmaster-operator image: the controller manager the Helm chart deploys.
#
# NOT BUILT IN THIS REPOSITORY'S CI: the development machine has no container
# engine. What can be checked without one is checked by
# Tests/IntegrationTests/ChartImageTests.swift: the product copied below is an
# executable product of Package.swift, and the runtime packages installed
# below provide every shared library `ldd` names for the built binary.
#
# Build from the package root:
#   docker build -f config/images/operator.Dockerfile -t ringmaster-operator .

ARG SWIFT_IMAGE=swift:6.3-bookworm
ARG RUNTIME_IMAGE=debian:bookworm-slim

FROM ${SWIFT_IMAGE} AS build
WORKDIR /src
# Resolve dependencies first, so a source change does not refetch them.
COPY Package.swift Package.resolved ./
RUN swift package resolve
COPY Sources ./Sources
COPY Tests ./Tests
# The operator's targets do not link OpenBLAS, but SwiftPM checks every
# system-library target of the package (COpenBLAS, CZlib) through pkg-config.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends libopenblas-dev zlib1g-dev pkg-config \
 && rm -rf /var/lib/apt/lists/*
# --static-swift-stdlib links the Swift runtime, Foundation and Dispatch into
# the binary, so the runtime image needs no Swift toolchain.
RUN swift build -c release --product ringmaster-operator --static-swift-stdlib \
 && install -D -m 0755 "$(swift build -c release --show-bin-path)/ringmaster-operator" /out/ringmaster-operator

FROM ${RUNTIME_IMAGE}
# ca-certificates: TLS roots for API servers outside the cluster (--kubeconfig);
# in-cluster the ServiceAccount's CA bundle is used. libstdc++6 and zlib1g are
# already in bookworm-slim (apt depends on them) and are named for clarity.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ca-certificates libstdc++6 zlib1g \
 && rm -rf /var/lib/apt/lists/*
# A numeric non-root user, so runAsNonRoot can be verified by the kubelet.
RUN groupadd --system --gid 65532 ringmaster \
 && useradd --system --uid 65532 --gid 65532 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin ringmaster
COPY --from=build /out/ringmaster-operator /usr/local/bin/ringmaster-operator
USER 65532:65532
EXPOSE 8080 8081
ENTRYPOINT ["/usr/local/bin/ringmaster-operator"]
