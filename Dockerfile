# vigie: multi-stage build. The runtime image holds the binary and nothing else;
# config and data are volumes. (No Docker engine runs on the build machines here:
# this file is kept simple and reviewed, not built in CI.)
#
#   docker build -t vigie .
#   docker run -v $PWD/config:/etc/vigie:ro -v vigie-data:/var/lib/vigie vigie
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
# The lexicons are compiled into the binary (include_str!).
COPY models/lexicon ./models/lexicon
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
# The config should use absolute paths, e.g. storage url = "sqlite:///var/lib/vigie/vigie.db".
ENTRYPOINT ["/usr/local/bin/vigie"]
CMD ["run", "--config", "/etc/vigie/vigie.toml", "--log-format", "json"]
