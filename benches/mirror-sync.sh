#!/usr/bin/env sh
# Wall time and peak memory of `pinscope sync` on a generated tracker, and the emulator's
# memory while it answers that export, against `pinscope serve` on a free loopback port.
#
#   benches/mirror-sync.sh [COUNT]      (default 100000 customizations, ~300000 pins)
#
# Targets (issue 11): sync at most 4 s wall and 80 MB peak RSS; the emulator's peak RSS
# grows by at most 10% while it answers the export.
# Needs a POSIX shell, awk and /usr/bin/time (GNU time, for -v); Linux /proc for the
# emulator's VmRSS / VmHWM.
set -eu
COUNT=${1:-100000}
cd "$(dirname "$0")/.."
cargo build --release --quiet --bin pinscope --example gen_tracker
BIN=$(pwd)/target/release/pinscope
GEN=$(pwd)/target/release/examples/gen_tracker
WORK=$(mktemp -d)
SERVE_PID=
cleanup() {
    if [ -n "$SERVE_PID" ]; then kill "$SERVE_PID" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

"$GEN" "$COUNT" 1 > "$WORK/tracker.ndjson"
echo "tracker: $COUNT customizations, $(wc -c < "$WORK/tracker.ndjson") bytes of NDJSON"

"$BIN" serve --addr 127.0.0.1:0 --tracker 1111-2222:k --load "$WORK/tracker.ndjson" -q \
    > "$WORK/serve.out" 2> "$WORK/serve.err" &
SERVE_PID=$!
URL=
for _ in $(seq 1 1200); do
    URL=$(sed -n 's/^listening on //p' "$WORK/serve.out" | head -n 1)
    [ -n "$URL" ] && break
    sleep 0.1
done
[ -n "$URL" ] || { echo "pinscope serve did not start" >&2; cat "$WORK/serve.err" >&2; exit 1; }

status_kb() { sed -n "s/^$1:[[:space:]]*\([0-9]*\) kB/\1/p" "/proc/$SERVE_PID/status"; }
before_rss=$(status_kb VmRSS)
before_hwm=$(status_kb VmHWM)
echo "emulator loaded: VmRSS $((before_rss / 1024)) MiB, VmHWM $((before_hwm / 1024)) MiB"

export PINSCOPE_CONFIG="$WORK/none.toml" PINSCOPE_DATA_DIR="$WORK/data" PINSCOPE_PRIVATE_KEY=k

run_sync() {
    label=$1
    /usr/bin/time -v "$BIN" --host "$URL" --tracker-id 1111-2222 sync 2> "$WORK/time.txt" || {
        cat "$WORK/time.txt" >&2
        exit 1
    }
    rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$WORK/time.txt")
    wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$WORK/time.txt")
    cpu=$(awk -F': ' '/User time|System time/ { t += $2 } END { print t }' "$WORK/time.txt")
    grep '^synced' "$WORK/time.txt" || true
    echo "$label: peak RSS $((rss / 1024)) MiB ($rss KiB), wall $wall, CPU ${cpu}s" \
        "(load average $(cut -d' ' -f1 /proc/loadavg))"
}

run_sync "sync into an empty mirror"
run_sync "sync over a full mirror"
after_hwm=$(status_kb VmHWM)
echo "emulator while answering: VmHWM $((before_hwm / 1024)) -> $((after_hwm / 1024)) MiB" \
    "(+$(awk -v a="$before_hwm" -v b="$after_hwm" 'BEGIN { printf "%.1f", (b - a) * 100 / a }')%)"
echo "mirror file: $(du -k "$WORK/data/mirror.sqlite3" | cut -f1) KiB"
