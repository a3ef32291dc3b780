#!/usr/bin/env bash
# Install the Debian 12 packages newswire needs to build, test and run, when
# they are missing. Idempotent: a second run installs nothing. Uses apt-get
# only (no other network). Needs root, or sudo for a regular user.
#
#   deploy/deps.sh           build + run dependencies
#   deploy/deps.sh --test    also what the tests need
set -euo pipefail

BUILD_PKGS=(
  build-essential cmake pkg-config
  librdkafka-dev libjansson-dev libxml2-dev libyaml-dev libxxhash-dev libutf8proc-dev libmicrohttpd-dev zlib1g-dev
  libcurl4-openssl-dev libicu-dev
  # enrich plugin: language fingerprints, and the gazetteer's sources (generated at build time)
  libexttextcat-data iso-codes libgeonames0 libglib2.0-bin python3-gi wamerican
  libpq-dev libsqlite3-dev
)
# prometheus: promtool (metrics and rules checks); docker-compose: compose
# config check; nodejs + npm: the offline Kubernetes schema check
# (tests/deploy); npm and kubernetes-client (kubectl kustomize) are skipped
# when another npm or kubectl is installed already (nodesource's nodejs
# ships npm and conflicts with Debian's)
TEST_PKGS=(
  libcriterion-dev libxml2-utils python3 clang libclang-rt-14-dev
  kafkacat
  postgresql-15
  prometheus docker-compose nodejs
)

want=("${BUILD_PKGS[@]}")
if [[ "${1:-}" == "--test" ]]; then
  want+=("${TEST_PKGS[@]}")
  command -v kubectl >/dev/null || want+=(kubernetes-client)
  command -v npm >/dev/null || want+=(npm)
fi

# the Kubernetes and KEDA API schemas of tests/deploy (npm registry)
npm_test_modules() {
  local dir
  dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/tests/deploy"
  if [[ "${1:-}" == "--test" && ! -d "$dir/node_modules/kubernetes-models" ]]; then
    echo "deps: npm install in $dir" >&2
    npm install --prefix "$dir" --no-audit --no-fund --silent >/dev/null
  fi
}

missing=()
for pkg in "${want[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done

if ((${#missing[@]} == 0)); then
  npm_test_modules "${1:-}"
  exit 0
fi

echo "deps: installing ${missing[*]}" >&2
SUDO=""
if [[ $(id -u) -ne 0 ]]; then
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
npm_test_modules "${1:-}"
echo "deps: done" >&2
