#!/usr/bin/env bash
# One Redis 7 node's ceiling for the commands the app sends per shard: PUBLISH, SPUBLISH (realtime
# fan-out), XADD (task streams), EVALSHA of a small script (rate limits, claims), GET/SET for scale.
# Starts Debian's redis-server 7 on a free port (no persistence), runs redis-benchmark (Debian's
# redis-tools) with pipelining off and CLIENTS connections, prints requests/s per command as CSV.
#   ops/bench/redis_node_bench.sh [CLIENTS=50] [REQUESTS=200000]
set -euo pipefail
CLIENTS=${CLIENTS:-50}
REQUESTS=${REQUESTS:-200000}
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
DIR=$(mktemp -d)
/usr/bin/redis-server --port "$PORT" --bind 127.0.0.1 --save "" --appendonly no --dir "$DIR" --daemonize no >"$DIR/log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null; rm -rf "$DIR"' EXIT
for _ in $(seq 50); do redis-cli -p "$PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
redis-server --version | head -1
SHA=$(redis-cli -p "$PORT" script load "local n = redis.call('INCR', KEYS[1]) if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end return n")
label() { awk -F, -v name="$1" '{ printf "\"%s\"", name; for (i = NF - 6; i <= NF; i++) printf ",%s", $i; print "" }'; }
B=(redis-benchmark -p "$PORT" -c "$CLIENTS" -n "$REQUESTS" -P 1 --csv)
echo "command,rps,avg_ms,min_ms,p50_ms,p95_ms,p99_ms,max_ms (clients=$CLIENTS, pipeline 1, $(nproc) cores)"
"${B[@]}" -t get,set | tail -n +2
"${B[@]}" publish events:user:1 '{"type":"application.updated","id":"0f8c2a"}' | tail -n +2 | label PUBLISH
"${B[@]}" spublish events:user:1 '{"type":"application.updated","id":"0f8c2a"}' | tail -n +2 | label SPUBLISH
"${B[@]}" xadd tasks:stream MAXLEN '~' 100000 '*' data '{"task":"email.send","args":["x"]}' | tail -n +2 | label XADD
"${B[@]}" -r 100000 evalsha "$SHA" 1 'rate:__rand_int__' 60000 | tail -n +2 | label "EVALSHA (INCR+PEXPIRE)"
