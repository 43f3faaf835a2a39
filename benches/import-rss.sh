#!/usr/bin/env sh
# Peak memory (VmHWM / maximum resident set size) and wall time of `pinscope import` on a
# large file of ~300-byte lines, against `pinscope serve` on a free loopback port.
#
#   benches/import-rss.sh [LINES]      (default 1000000; target: peak RSS <= 100 MB)
#
# Needs a POSIX shell and awk; uses /usr/bin/time -v when present, else samples
# /proc/PID/status (Linux) while the import runs.
set -eu
LINES=${1:-1000000}
cd "$(dirname "$0")/.."
cargo build --release --quiet
BIN=$(pwd)/target/release/pinscope
WORK=$(mktemp -d)
SERVE_PID=
cleanup() {
    if [ -n "$SERVE_PID" ]; then kill "$SERVE_PID" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

awk -v n="$LINES" 'BEGIN {
    for (i = 0; i < n; i++)
        printf "{\"model\":\"basket\",\"target_type\":\"item\",\"target_identity\":\"/p/%07d\",\"target_metadata\":{\"title\":\"Product %d\"},\"pin_definitions\":[{\"position\":1,\"pin_type\":\"item\",\"pin_identity\":\"/p/%07d\",\"active_to\":\"2030-01-01T00:00:00Z\"},{\"position\":0,\"pin_type\":\"item\",\"pin_identity\":\"/p/x%d\",\"is_block_pin\":true}]}\n", i, i, i + 1, i
}' > "$WORK/in.ndjson"
echo "input: $LINES lines, $(wc -c < "$WORK/in.ndjson") bytes"

"$BIN" serve --addr 127.0.0.1:0 --tracker 1111-2222:k -q > "$WORK/serve.out" 2> "$WORK/serve.err" &
SERVE_PID=$!
URL=
for _ in $(seq 1 600); do
    URL=$(sed -n 's/^listening on //p' "$WORK/serve.out" | head -n 1)
    [ -n "$URL" ] && break
    sleep 0.1
done
[ -n "$URL" ] || { echo "pinscope serve did not start" >&2; cat "$WORK/serve.err" >&2; exit 1; }

export PINSCOPE_CONFIG="$WORK/none.toml" PINSCOPE_DATA_DIR="$WORK/data" PINSCOPE_PRIVATE_KEY=k

measure() {
    label=$1
    shift
    if [ -x /usr/bin/time ]; then
        status=0
        /usr/bin/time -v "$@" 2> "$WORK/time.txt" || status=$?
        rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$WORK/time.txt")
        wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$WORK/time.txt")
        cpu=$(awk -F': ' '/User time|System time/ { t += $2 } END { print t }' "$WORK/time.txt")
        grep -E 'lines:|error' "$WORK/time.txt" || true
    else
        start=$(date +%s.%N)
        "$@" 2> "$WORK/err.txt" &
        pid=$!
        rss=0
        cpu=n/a
        while kill -0 "$pid" 2>/dev/null; do
            now=$(sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$pid/status" 2>/dev/null || true)
            [ -n "$now" ] && [ "$now" -gt "$rss" ] && rss=$now
            sleep 0.05
        done
        status=0
        wait "$pid" || status=$?
        wall=$(echo "$(date +%s.%N) - $start" | bc)
        grep -E 'lines:|error' "$WORK/err.txt" || true
    fi
    echo "$label: exit $status, peak RSS $((rss / 1024)) MiB ($rss KiB), wall $wall, CPU ${cpu}s"
    if [ "$cpu" != n/a ]; then
        awk -v n="$LINES" -v c="$cpu" 'BEGIN { if (c > 0) printf "  %.0f lines per CPU second\n", n / c }'
    fi
}

cd "$WORK"
measure "validate only (--dry-run)" "$BIN" import in.ndjson --dry-run
measure "import" "$BIN" --host "$URL" --tracker-id 1111-2222 import in.ndjson --report report.ndjson
echo "report: $(wc -l < report.ndjson) lines"
