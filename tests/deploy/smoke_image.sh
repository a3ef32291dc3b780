#!/usr/bin/env bash
# smoke_image — run the container image end to end: the embedded broker, the
# producer and the archive consumer of the image's own configs, as the
# image's user (10001); a story dropped in the spool must reach the archive,
# the HEALTHCHECK command must pass, and SIGTERM must drain and exit 0.
#
#   tests/deploy/smoke_image.sh [IMAGE]      (default localhost/newswire:dev)
#
# The broker is started with news.general, the topic the story goes to: a
# consumer subscribed by pattern sees a topic created later only at its next
# metadata refresh. Where containers can run, each process is a
# `podman run --network host`.
# Where they cannot (this script found crun refusing setrlimit and cgroups
# in some sandboxes), it says so and runs the same binaries in the image's
# file system with chroot --userspec=10001:10001 instead: the libraries,
# user, paths and configs of the image, without the container isolation.
# Needs root (podman mount, chroot). Not run by ctest: it needs a built image.
set -euo pipefail
image=${1:-localhost/newswire:dev}
work=$(mktemp -d)
pids=()
cid=""
root=""
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [[ -n $root ]]; then
    umount "$root/proc" "$root/dev" 2>/dev/null || true
    podman umount "$cid" >/dev/null 2>&1 || true
  fi
  [[ -n $cid ]] && podman rm -f "$cid" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

mode=podman
if ! out=$(podman run --rm --network host --entrypoint /bin/true "$image" 2>&1); then
  echo "podman run fails here: $out"
  echo "falling back to chroot into the image's file system"
  mode=chroot
  cid=$(podman create "$image")
  root=$(podman mount "$cid")
  mount --bind /proc "$root/proc"
  mount --bind /dev "$root/dev"
fi

# run NAME ENV... -- ARGS...: one service in the background, stderr to a log
run() {
  local name=$1 envs=()
  shift
  while [[ $1 != -- ]]; do envs+=("$1"); shift; done
  shift
  if [[ $mode == podman ]]; then
    local e=()
    for v in "${envs[@]}"; do e+=(-e "$v"); done
    podman run --rm --network host --name "smoke-$name" "${e[@]}" \
      -v "$work/spool:/var/spool/newswire" -v "$work/lib:/var/lib/newswire" \
      --entrypoint "$1" "$image" "${@:2}" >"$work/$name.out" 2>"$work/$name.log" &
  else
    env -i PATH=/usr/local/bin:/usr/bin:/bin "${envs[@]}" \
      "$(command -v chroot)" --userspec=10001:10001 "$root" "$@" >"$work/$name.out" 2>"$work/$name.log" &
  fi
  pids+=($!)
}
spool=$work/spool
lib=$work/lib
if [[ $mode == chroot ]]; then
  spool=$root/var/spool/newswire
  lib=$root/var/lib/newswire
fi
mkdir -p "$spool/wire/incoming" "$lib"
chown -R 10001:10001 "$spool" "$lib"

run broker -- /usr/local/bin/newswire broker --partitions 2 --topic news.general
for _ in $(seq 100); do grep -q bootstrap= "$work/broker.out" 2>/dev/null && break; sleep 0.1; done
bootstrap=$(sed -n 's/^bootstrap=//p' "$work/broker.out")
[[ -n $bootstrap ]] || { echo "FAIL: broker did not start"; cat "$work/broker.log"; exit 1; }
echo "broker at $bootstrap"

run producer NEWSWIRE_KAFKA__BOOTSTRAP__SERVERS="$bootstrap" NEWSWIRE_HTTP__LISTEN=127.0.0.1:19464 \
  -- /usr/local/bin/newswire-producer --config /etc/newswire/producer.yaml
run consumer NEWSWIRE_KAFKA__BOOTSTRAP__SERVERS="$bootstrap" NEWSWIRE_HTTP__LISTEN=127.0.0.1:19465 \
  NEWSWIRE_LOG_FORMAT=json -- /usr/local/bin/newswire-consumer --config /etc/newswire/consumer.yaml
consumer_pid=${pids[-1]}

printf 'Smoke test headline\n\nThe image publishes and archives this story.\n' >"$spool/wire/.story.txt"
chown 10001:10001 "$spool/wire/.story.txt"
mv "$spool/wire/.story.txt" "$spool/wire/incoming/story.txt"

for _ in $(seq 300); do
  grep -rqs "The image publishes and archives" "$lib/archive" && break
  sleep 0.2
done
if ! grep -rqs "The image publishes and archives" "$lib/archive"; then
  echo "FAIL: the story never reached the archive"
  tail -n 20 "$work/producer.log" "$work/consumer.log"
  exit 1
fi
echo "archived: $(grep -rls "The image publishes" "$lib/archive")"

# the image's HEALTHCHECK command, inside the image
hc=(curl -fsS -o /dev/null "http://127.0.0.1:19465/healthz")
if [[ $mode == podman ]]; then
  podman run --rm --network host --entrypoint "${hc[0]}" "$image" "${hc[@]:1}"
else
  chroot --userspec=10001:10001 "$root" "${hc[@]}"
fi
echo "healthcheck: ok"

# SIGTERM drains, commits, leaves and exits 0
if [[ $mode == podman ]]; then
  podman stop -t 60 smoke-consumer >/dev/null
else
  kill -TERM "$consumer_pid"
fi
set +e
wait "$consumer_pid"
rc=$?
set -e
grep -q '"consumer stopped"\|msg="consumer stopped"\|consumer stopped' "$work/consumer.log" ||
  { echo "FAIL: no drain log"; tail "$work/consumer.log"; exit 1; }
[[ $rc == 0 ]] || { echo "FAIL: consumer exit status $rc after SIGTERM"; exit 1; }
echo "SIGTERM: drained, exit 0 ($mode)"
echo "smoke_image: ok"
