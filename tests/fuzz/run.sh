#!/usr/bin/env bash
# Run every libFuzzer target for SECONDS each (default 20) with its seed
# corpus: the project's own fixtures, plus the shared datasets when present
# (only ever copied into the build folder, never into the repository).
# Crashes are written to BUILD/fuzz-artifacts/ and make the script fail.
#   tests/fuzz/run.sh build-fuzz 20          time-boxed, random (exploring)
#   FUZZ_RUNS=20000 tests/fuzz/run.sh build-fuzz
#                                            fixed seed and run count: the same
#                                            inputs every time (what CI runs, so
#                                            a CI failure always reproduces)
set -euo pipefail
BUILD=${1:-build-fuzz}
SECONDS_EACH=${2:-20}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SHARED=${NW_SHARED_DIR:-$ROOT/../shared}
D="$SHARED/datasets"
F="$ROOT/tests/fixtures"
# the ninjs 3.1 schema fuzz_jsonschema validates its inputs against (when present)
export NW_NINJS_SCHEMA="${NW_NINJS_SCHEMA:-$D/ninjs/iptc-newsinjson/schemas/ninjs-schema_3.1.json}"
ART="$BUILD/fuzz-artifacts"
mkdir -p "$ART"

# Seed sources per target: files and folders (folders are taken recursively,
# small files only: libFuzzer works best with seeds under its -max_len).
seeds_for() {
  case "$1" in
    fuzz_parse_webcopy) echo "$F/webcopy $ROOT/deploy/samples $SHARED/examples" ;;
    fuzz_parse_headline_text) echo "$F/producer/bbc $D/corpora/bbc-fulltext/bbc/tech" ;;
    fuzz_parse_nitf) echo "$F/nitf $D/nitf" ;;
    fuzz_parse_newsml_12) echo "$F/newsml12 $D/newsml-1.2" ;;
    fuzz_parse_newsml_g2) echo "$F/newsmlg2 $D/newsml-g2/iptc-newsml-g2/examples $D/newsml-g2/superdesk-core" ;;
    fuzz_parse_rss | fuzz_parse_atom) echo "$F/feeds $F/xml $D/feeds" ;;
    fuzz_parse_jsonfeed) echo "$F/feeds/notes.json $D/feeds/feed-rs" ;;
    fuzz_parse_ninjs | fuzz_ninjs) echo "$ROOT/tests/fuzz/seeds/ninjs $F/ninjs $D/ninjs/iptc-newsinjson/examples $D/ninjs/superdesk-core" ;;
    fuzz_parse_dpa_digitalwires) echo "$F/ninjs/digitalwires.json $D/newsml-g2/dpa-digitalwires-to-newsmlg2/digitalwires-json" ;;
    fuzz_parse_iptc7901) echo "$F/iptc7901 $D/other-wire/anpa-iptc7901" ;;
    fuzz_parse_reuters_sgml) echo "$F/reuters" ;;
    fuzz_parse_auto) echo "$F $ROOT/deploy/samples" ;;
    fuzz_html) echo "$ROOT/tests/fuzz/seeds/html" ;;
    fuzz_budget) echo "$ROOT/tests/fuzz/seeds/html $ROOT/tests/fuzz/seeds/json $F/nitf $F/xml $F/ninjs" ;;
    fuzz_config) echo "$ROOT/deploy" ;;
    fuzz_enrich) echo "$SHARED/examples $D/corpora/bbc-fulltext/bbc/politics" ;;
    fuzz_jsonschema) echo "$ROOT/tests/fuzz/seeds/jsonschema $ROOT/tests/fuzz/seeds/json $F/ninjs $D/ninjs/iptc-newsinjson/test_suite/3.1" ;;
    fuzz_fts_query) echo "$ROOT/tests/fuzz/seeds/fts_query" ;;
    fuzz_dedup) echo "$F/producer/bbc $D/corpora/bbc-fulltext/bbc/entertainment" ;;
  esac
}

status=0
for bin in "$BUILD"/tests/fuzz/fuzz_*; do
  [[ -x "$bin" && -f "$bin" ]] || continue
  name=$(basename "$bin")
  corpus="$BUILD/fuzz-corpus/$name"
  mkdir -p "$corpus"
  for src in $(seeds_for "$name"); do
    [[ -e "$src" ]] || continue
    find "$src" -type f -size -64k ! -name '*.md' -exec cp -t "$corpus" {} + 2>/dev/null || true
  done
  if [[ -n "${FUZZ_RUNS:-}" ]]; then
    budget=(-runs="$FUZZ_RUNS" -seed=1)
    printf '== %-30s %6s runs, %4d seeds\n' "$name" "$FUZZ_RUNS" "$(ls "$corpus" | wc -l)"
  else
    budget=(-max_total_time="$SECONDS_EACH")
    printf '== %-30s %3ss, %4d seeds\n' "$name" "$SECONDS_EACH" "$(ls "$corpus" | wc -l)"
  fi
  if ! "$bin" "${budget[@]}" -max_len=65536 -rss_limit_mb=2048 -timeout=10 \
       -artifact_prefix="$ART/$name-" -print_final_stats=1 "$corpus" 2>"$BUILD/$name.log"; then
    echo "!! $name found a crash; see $BUILD/$name.log and $ART/" >&2
    tail -n 40 "$BUILD/$name.log" >&2
    status=1
  fi
  grep -E 'stat::number_of_executed_units|stat::peak_rss_mb' "$BUILD/$name.log" | sed 's/^/   /'
done
exit $status
