# ramal — two stages: build with the Debian -dev packages, run on slim with
# only the shared libraries.  Railway builds it (railway.toml); locally:
#   docker build -t ramal . && docker run --env-file .env -p 8080:8080 ramal

FROM debian:bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      build-essential pkg-config \
      libmicrohttpd-dev libpq-dev libcurl4-openssl-dev libjansson-dev \
      libjwt-dev libssl-dev libxml2-dev nodejs npm \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# The version string: `git describe` when .git is in the context (git is not
# installed here), else RAMAL_VERSION or Railway's commit SHA, else "unknown".
# The softphone first (Debian's node 18 / npm 9 are enough for web/'s
# lockfile): ramal is made with web/dist inside it.
RUN cd web && npm ci --no-audit --no-fund && npm run build
ARG RAMAL_VERSION=
ARG RAILWAY_GIT_COMMIT_SHA=
RUN v="${RAMAL_VERSION:-$RAILWAY_GIT_COMMIT_SHA}"; \
    make ramal ${v:+VERSION="$v"} \
 && ./ramal version

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libmicrohttpd12 libpq5 libcurl4 libjansson4 libjwt0 libssl3 libxml2 \
      ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --user-group --home-dir /app --shell /usr/sbin/nologin ramal \
 && mkdir -p /app/var/spool && chown -R ramal:ramal /app/var
# One file: the migrations and the softphone are built into it.
COPY --from=build /src/ramal /usr/local/bin/ramal
# SPOOL_DIR (var/spool) keeps Twilio callbacks that arrive while the
# database is down; mount a volume at /app/var to keep them across deploys.
WORKDIR /app
USER ramal
ENV PORT=8080
EXPOSE 8080
CMD ["ramal", "serve"]
