# ecmova in a container, for cohort shards on Kubernetes (docs/scale-out.md) or anywhere else.
#   docker build --build-arg ECMOVA_GIT_REVISION=$(git rev-parse HEAD) -t ecmova:latest .
# For a cluster whose nodes all have AVX2 and FMA, add
#   --build-arg ECMOVA_RUSTFLAGS="-C target-cpu=x86-64-v3"
# (same results, faster: docs/scale-out.md, docs/performance.md).
# The image holds the `ecmova` binary and the examples; it runs as an unprivileged user.
FROM rust:1-slim-bookworm AS build
ARG ECMOVA_GIT_REVISION=unknown
ENV ECMOVA_GIT_REVISION=${ECMOVA_GIT_REVISION}
# Extra compiler flags, e.g. "-C target-cpu=x86-64-v3"; empty: a portable x86-64 binary.
ARG ECMOVA_RUSTFLAGS=""
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY crates crates
# The server embeds the example patient files.
COPY examples examples
RUN RUSTFLAGS="${ECMOVA_RUSTFLAGS}" cargo build --release --locked -p ecmova

FROM debian:bookworm-slim
RUN useradd --create-home --uid 10001 ecmova
COPY --from=build /src/target/release/ecmova /usr/local/bin/ecmova
COPY examples /opt/ecmova/examples
USER ecmova
WORKDIR /home/ecmova
ENTRYPOINT ["ecmova"]
CMD ["--help"]
