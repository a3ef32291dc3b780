#!/usr/bin/env bash
# Run every libFuzzer target for SECONDS each (default 20) with its seed
# corpus: the project's own fixtures, plus the shared datasets when present.
# Crashes are written to BUILD/fuzz-artifacts/ and make the script fail.
#   tests/fuzz/run.sh build-fuzz 20
set -euo pipefail
BUILD=${1:-build-fuzz}
SECONDS_EACH=${2:-20}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SHARED=${NW_SHARED_DIR:-$ROOT/../shared}
ART="$BUILD/fuzz-artifacts"
mkdir -p "$ART"

seed_dir() { # target -> a fresh corpus dir with seeds copied in (corpus dirs get written to)
  local target=$1 dir="$BUILD/fuzz-corpus/$1"
  mkdir -p "$dir"
  case "$target" in
    fuzz_parse)
      # first byte selects the format; 0xff % (n+1) is fine, any value is valid
      for f in "$ROOT"/tests/fixtures/webcopy/*.txt "$ROOT"/deploy/samples/*.txt \
               "$SHARED"/examples/*.txt; do
        [[ -f "$f" ]] && { printf '\xff'; cat "$f"; } >"$dir/$(basename "$f")"
      done ;;
    fuzz_ninjs)
      for f in "$SHARED"/datasets/ninjs/iptc-newsinjson/examples/*/*.json; do
        [[ -f "$f" ]] && cp "$f" "$dir/"
      done ;;
    fuzz_config)
      for f in "$ROOT"/deploy/*.yaml; do
        [[ -f "$f" ]] && cp "$f" "$dir/"
      done ;;
  esac
  echo "$dir"
}

status=0
for bin in "$BUILD"/tests/fuzz/fuzz_*; do
  [[ -x "$bin" ]] || continue
  name=$(basename "$bin")
  corpus=$(seed_dir "$name")
  echo "== $name for ${SECONDS_EACH}s ($(ls "$corpus" | wc -l) seeds)"
  if ! "$bin" -max_total_time="$SECONDS_EACH" -max_len=65536 -rss_limit_mb=2048 \
       -artifact_prefix="$ART/$name-" -print_final_stats=1 "$corpus" 2>"$BUILD/$name.log"; then
    echo "!! $name found a crash; see $BUILD/$name.log and $ART/" >&2
    tail -n 40 "$BUILD/$name.log" >&2
    status=1
  fi
  grep -E 'stat::number_of_executed_units|stat::peak_rss_mb' "$BUILD/$name.log" | sed 's/^/   /'
done
exit $status
