#!/usr/bin/env bash
# test_deploy — the deployment files check out offline (docs/operations.md):
#   1. deploy/prometheus/*.rules.yml pass `promtool check rules`;
#   2. deploy/compose.yaml passes `docker-compose config` (or podman-compose);
#   3. deploy/k8s: the base and the example overlay, built by `kubectl
#      kustomize`, validate against the Kubernetes and KEDA API schemas and
#      the policy of validate-k8s.mjs (when kubectl's kustomize is too old to
#      build them, the base manifests are validated file by file);
#   4. the Grafana dashboard is JSON, and every newswire_* metric the rules
#      and the dashboard use is one the code exports;
#   5. every chain config of compose and Kubernetes loads: the built
#      newswire-consumer (NW_BIN_DIR) runs it over an empty replay input, so a
#      plugin name or setting the code does not know fails here.
# deploy/deps.sh --test installs what it needs (prometheus, docker-compose,
# kubernetes-client, nodejs + npm and this folder's node_modules).
set -euo pipefail
src=${NW_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
here=$src/tests/deploy
deploy=$src/deploy
fail=0
step() { printf '== %s\n' "$*"; }
bad() { printf 'FAIL: %s\n' "$*"; fail=1; }
need() { command -v "$1" >/dev/null || { bad "$1 not installed (deploy/deps.sh --test)"; return 1; }; }

step "promtool check rules"
if need promtool; then
  promtool check rules "$deploy"/prometheus/*.rules.yml || bad "promtool check rules"
fi

step "compose config"
if command -v docker-compose >/dev/null; then
  docker-compose -f "$deploy/compose.yaml" config -q || bad "docker-compose config"
elif command -v podman-compose >/dev/null; then
  podman-compose -f "$deploy/compose.yaml" config >/dev/null || bad "podman-compose config"
else
  bad "neither docker-compose nor podman-compose installed (deploy/deps.sh --test)"
fi

step "kubernetes manifests"
if need node && need kubectl; then
  if [[ ! -d $here/node_modules/kubernetes-models ]]; then
    bad "tests/deploy/node_modules missing (deploy/deps.sh --test runs npm install there)"
  elif kubectl kustomize "$deploy/k8s/base" >/dev/null 2>&1; then
    for k in base overlays/example; do
      echo "$k:"
      kubectl kustomize "$deploy/k8s/$k" | node "$here/validate-k8s.mjs" || bad "deploy/k8s/$k"
    done
  else
    echo "kubectl kustomize cannot build the base (kubectl $(kubectl version --client 2>&1 | head -1)); validating the base files one by one"
    for f in "$deploy"/k8s/base/*.yaml; do
      [[ $(basename "$f") == kustomization.yaml ]] && continue
      echo "$(basename "$f"):"
      node "$here/validate-k8s.mjs" <"$f" || bad "$f"
    done
  fi
fi

step "dashboard and metric names"
python3 -m json.tool "$deploy/grafana/dashboards/newswire.json" >/dev/null || bad "dashboard is not JSON"
exported=$(grep -rhoE '"newswire_[a-z_]+"' "$src/common" "$src/producers" "$src/consumers" | tr -d '"' | sort -u)
used=$(grep -hoE 'newswire_[a-z_]+' "$deploy/grafana/dashboards/newswire.json" "$deploy"/prometheus/*.rules.yml |
  sed -E 's/_(bucket|count|sum)$//' | sort -u)
for m in $used; do
  grep -qx "$m" <<<"$exported" || bad "$m is used by a rule or the dashboard but no code exports it"
done

step "chain configs load"
consumer=${NW_BIN_DIR:-$src/build}/consumers/newswire-consumer
if [[ -x $consumer ]]; then
  scratch=$(mktemp -d)
  : >"$scratch/empty.jsonl"
  for f in "$deploy"/k8s/base/config/consumer-*.yaml; do
    envs=()
    # the archive's root, writable here
    [[ $(basename "$f") == consumer-archive.yaml ]] && envs=(NEWSWIRE_CHAIN__0__ROOT="$scratch/archive")
    out=$(env ${envs[@]+"${envs[@]}"} "$consumer" --config "$f" --from-file "$scratch/empty.jsonl" \
      --to-file /dev/null 2>&1) || bad "$(basename "$f") does not load: $(tail -n 1 <<<"$out")"
  done
  rm -rf "$scratch"
else
  bad "no newswire-consumer at $consumer (set NW_BIN_DIR to the build directory)"
fi

if ((fail)); then
  echo "test_deploy: FAILED"
  exit 1
fi
echo "test_deploy: ok"
