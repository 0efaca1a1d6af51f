# ecmova in a container, for cohort shards on Kubernetes (docs/scale-out.md) or anywhere else.
#   docker build --build-arg ECMOVA_GIT_REVISION=$(git rev-parse HEAD) -t ecmova:latest .
# The image holds the `ecmova` binary and the examples; it runs as an unprivileged user.
FROM rust:1-slim-bookworm AS build
ARG ECMOVA_GIT_REVISION=unknown
ENV ECMOVA_GIT_REVISION=${ECMOVA_GIT_REVISION}
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY crates crates
# The server embeds the example patient files.
COPY examples examples
RUN cargo build --release --locked -p ecmova

FROM debian:bookworm-slim
RUN useradd --create-home --uid 10001 ecmova
COPY --from=build /src/target/release/ecmova /usr/local/bin/ecmova
COPY examples /opt/ecmova/examples
USER ecmova
WORKDIR /home/ecmova
ENTRYPOINT ["ecmova"]
CMD ["--help"]
