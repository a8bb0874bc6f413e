# vigie: multi-stage build. The runtime image holds the binary and nothing else;
# config and data are volumes. It is not built in CI here (no container registry is
# reachable from the build machines, so the base images cannot be pulled, and no Docker
# engine runs there): tests/containers.rs checks what it can without building it (the
# build stage copies every file the crate compiles in, config/docker.toml is valid,
# `vigie health` works). See "Containers" in README.md.
#
#   docker build -t vigie .
#   docker run -v $PWD/config:/etc/vigie:ro -v vigie-data:/var/lib/vigie vigie
#   docker compose up -d      (vigie and PostgreSQL: compose.yaml)
#
# For the bert backend, build with --build-arg FEATURES=bert on a machine that can
# reach a libtorch download (torch-sys fetches it), or mount a system libtorch.

FROM rust:1-bookworm AS build
ARG FEATURES=""
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src ./src
COPY migrations ./migrations
COPY benches ./benches
# The lexicons and the language identifier's word lists are compiled into the binary
# (include_str!).
COPY models ./models
RUN cargo build --release --locked ${FEATURES:+--features $FEATURES} \
 && strip target/release/vigie

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates tzdata \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /var/lib/vigie --create-home vigie
COPY --from=build /src/target/release/vigie /usr/local/bin/vigie
COPY models /usr/share/vigie/models
USER vigie
WORKDIR /var/lib/vigie
VOLUME ["/etc/vigie", "/var/lib/vigie"]
# The escalation page (and POST /ingest, /metrics): set [web] listen = "0.0.0.0:8080" in
# the config and put a TLS proxy in front (base_url = "https://...").
EXPOSE 8080
# The slim image has no curl: `vigie health` asks /healthz at the config's [web] listen
# (0.0.0.0 is asked on 127.0.0.1) and exits 0 on "ok", 1 otherwise. The start period
# covers the migrations run at start.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["vigie", "health", "--config", "/etc/vigie/vigie.toml"]
# The config should use absolute paths, e.g. storage url = "sqlite:///var/lib/vigie/vigie.db".
ENTRYPOINT ["/usr/local/bin/vigie"]
CMD ["run", "--config", "/etc/vigie/vigie.toml", "--log-format", "json"]
