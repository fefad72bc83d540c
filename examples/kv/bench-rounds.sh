#!/usr/bin/env bash
# Measures kv bench's four modes on fresh 3-member clusters (Chronicle logs, --durability fsync),
# interleaved: every round runs read-index, lease, follower and write in turn, each on a cluster
# started for it (lease: --lease-reads, follower: --follower-reads). Prints each run's RESULT line
# with the load average before it, then the medians per mode.
#   examples/kv/bench-rounds.sh [ROUNDS] [WARMUP_S] [SECONDS] [CONCURRENCY]
# Needs examples/kv/target/kv.jar (mvn -B -q package -pl examples/kv -am -DskipTests).
# Env: KV_BENCH_DIR (data and logs, default /tmp/kv-bench), KV_BENCH_PORT (first port, default 17001:
# members on PORT..PORT+2, client ports on PORT+100..PORT+102).
set -euo pipefail
ROUNDS=${1:-3}; WARMUP=${2:-10}; SECONDS_=${3:-20}; CONC=${4:-64}
JAR=$(cd "$(dirname "$0")" && pwd)/target/kv.jar
DIR=${KV_BENCH_DIR:-/tmp/kv-bench}
P=${KV_BENCH_PORT:-17001}
[ -f "$JAR" ] || { echo "no $JAR: build it first" >&2; exit 2; }
E="n1=127.0.0.1:$((P+100)),n2=127.0.0.1:$((P+101)),n3=127.0.0.1:$((P+102))"
PIDS=()

stop_members() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  PIDS=()
}
trap stop_members EXIT

start_members() { # $1: run name, rest: extra server flags
  local run=$1; shift
  rm -rf "$DIR/$run"; mkdir -p "$DIR/$run"
  for i in 1 2 3; do
    local peers=""
    for j in 1 2 3; do
      [ "$i" = "$j" ] || peers="${peers:+$peers,}n$j=127.0.0.1:$((P+j-1))"
    done
    java -jar "$JAR" server --id "n$i" --listen "127.0.0.1:$((P+i-1))" --client-listen "127.0.0.1:$((P+99+i))" \
      --peers "$peers" --data-dir "$DIR/$run/n$i" --durability fsync "$@" > "$DIR/$run/n$i.log" 2>&1 &
    PIDS+=($!)
  done
  for i in 1 2 3; do
    for _ in $(seq 1 600); do grep -q '^READY' "$DIR/$run/n$i.log" 2>/dev/null && break; sleep 0.1; done
    grep -q '^READY' "$DIR/$run/n$i.log" || { echo "n$i did not start: $DIR/$run/n$i.log" >&2; exit 1; }
  done
}

mkdir -p "$DIR"
: > "$DIR/results.txt"
for r in $(seq 1 "$ROUNDS"); do
  for mode in read-index lease follower write; do
    case $mode in
      lease) flags=(--lease-reads) ;;
      follower) flags=(--follower-reads) ;;
      *) flags=() ;;
    esac
    start_members "r$r-$mode" "${flags[@]}"
    load=$(uptime | sed 's/.*load average: //')
    line=$(java -jar "$JAR" --endpoints "$E" bench --mode "$mode" --concurrency "$CONC" \
      --warmup-s "$WARMUP" --seconds "$SECONDS_" | tee "$DIR/r$r-$mode/bench.out" | grep '^RESULT')
    echo "round=$r load=[$load] $line" | tee -a "$DIR/results.txt"
    stop_members
  done
done

echo "medians of $ROUNDS (ops/s, p50 ms, p99 ms):"
for mode in read-index lease follower write; do
  grep "mode=$mode " "$DIR/results.txt" | awk -v m="$mode" '
    { for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
      ops[NR] = v["ops_per_s"]; p50[NR] = v["p50_ms"]; p99[NR] = v["p99_ms"]; err += v["errors"] }
    function med(a, n,   i, j, t) { for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
      return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
    END { printf "%-10s %10.1f %8.2f %8.2f  errors=%d\n", m, med(ops, NR), med(p50, NR), med(p99, NR), err }'
done
