#!/usr/bin/env bash
# Synced appends and reads over HTTP (`ftl serve`, loaded by wrk on loopback) beside the same
# engine operations in-process (ftl-ops-bench) at the same concurrency, in one run on one
# machine. Prints one JSON line per figure.
# usage: [WARMUP=S] bench/http.sh BUILD_DIR WORK_DIR [SECONDS]   (WORK_DIR must not exist)
set -euo pipefail
BUILD=$(realpath "$1") WORK=$2 SECS=${3:-10} WARMUP=${WARMUP:-2}
FTL=$BUILD/cli/ftl OPS=$BUILD/bench/ftl-ops-bench
SRC=$(cd "$(dirname "$0")/.." && pwd)
command -v wrk >/dev/null || { echo "wrk is missing (apt-get install wrk)" >&2; exit 1; }
mkdir "$WORK"
WORK=$(realpath "$WORK")
export FTL_DB=$WORK/db FTL_ACTOR=bench FTL_SNAPSHOT_KEY=$WORK/snapshot.key NO_COLOR=1
E=256
"$FTL" --quiet playbook import "$SRC/examples/playbooks/enable-services.md"
for i in $(seq 0 $((E - 1))); do
  "$FTL" --quiet engagement open "e$i" --customer "Customer $i" --seats 25000 --services "Exchange, Teams, SharePoint" >/dev/null
done
TOKEN=$("$FTL" --quiet token add bench --role writer)

# wrk's threads each keep their own engagements and counter (as ftl-ops-bench's threads do).
cat > "$WORK/note.lua" <<LUA
local n, base = 0, 0
function setup(thread) thread:set("base", (thread.id or 0)) end
init = function(args) base = tonumber(wrk.thread:get("base") or 0) end
request = function()
  n = n + 1
  local e = "e" .. ((base * 128 + n % 128) % $E)
  return wrk.format("POST", "/v1/engagements/" .. e .. "/notes",
    {["Authorization"] = "Bearer $TOKEN", ["Content-Type"] = "application/json"},
    '{"kind":"environment","text":"n' .. n .. '"}')
end
LUA
cat > "$WORK/task.lua" <<LUA
local n, base = 0, 0
local id = 0
function setup(thread) thread:set("base", id); id = id + 1 end
init = function(args) base = tonumber(wrk.thread:get("base") or 0) end
request = function()
  n = n + 1
  local e = "e" .. ((base * 128 + n % 128) % $E)
  local op = (math.floor(n / 128) % 2 == 0) and "done" or "reopen"
  return wrk.format("POST", "/v1/engagements/" .. e .. "/tasks/1126/" .. op,
    {["Authorization"] = "Bearer $TOKEN", ["Content-Type"] = "application/json"}, "{}")
end
LUA
sed -i 's/function setup(thread) thread:set("base", (thread.id or 0)) end/local id = 0\nfunction setup(thread) thread:set("base", id); id = id + 1 end/' "$WORK/note.lua"
cat > "$WORK/show.lua" <<LUA
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", "/v1/engagements/e" .. (n % $E), {["Authorization"] = "Bearer $TOKEN"})
end
LUA

serve() {
  "$FTL" --quiet serve --listen 127.0.0.1:0 > "$WORK/serve.out" 2> "$WORK/serve.err" &
  SERVER=$!
  for _ in $(seq 200); do grep -q "^listening on " "$WORK/serve.out" && break; sleep 0.05; done
  URL=$(sed -n 's/^listening on //p' "$WORK/serve.out")
}
unserve() { kill -TERM "$SERVER"; wait "$SERVER"; }

# wrk's summary as JSON: requests/s, p50 and p99 (ms), non-2xx answers. After WARMUP seconds
# of the same load, not counted (ftl-ops-bench warms up as long): a server is a long-lived
# process, and its first requests on each engagement after a start load it from the disk.
wrk_json() {  # wrk_json WHAT CONNECTIONS LUA
  local threads=$(( $2 < 2 ? 1 : 2 ))
  wrk -t"$threads" -c"$2" -d"${WARMUP}s" --timeout 10s -s "$3" "$URL" > /dev/null
  wrk -t"$threads" -c"$2" -d"${SECS}s" --timeout 10s --latency -s "$3" "$URL" | python3 -c '
import re, sys, json
what, c, out = sys.argv[1], int(sys.argv[2]), sys.stdin.read()
def ms(v):
    m = re.match(r"([\d.]+)(us|ms|s)", v)
    return float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[m.group(2)]
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
p50, p99 = (ms(re.search(r"^\s*" + p + r"\s+(\S+)", out, re.M).group(1)) for p in ("50%", "99%"))
bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
print(json.dumps({"via": "http", "op": what, "connections": c, "requests_per_s": rps, "p50_ms": p50, "p99_ms": p99,
                  "non_2xx": int(bad.group(1)) if bad else 0}))' "$1" "$2"
}

# Reads first, on engagements that hold a handful of events each; again at the end, once each
# holds about a thousand (the notes the appends below record).
show() {
  "$OPS" --db "$FTL_DB" --snapshot-key "$FTL_SNAPSHOT_KEY" --op show --threads 64 --seconds "$SECS" --warmup "$WARMUP" --engagements $E | sed "s/^{/{\"via\":\"in-process\",\"events\":$("$FTL" --format json digest | sed -E 's/.*"sequence":([0-9]+).*/\1/'),/"
  serve
  wrk_json show 64 "$WORK/show.lua"
  unserve
}
show
for op in note task; do
  for c in 1 16 64; do
    "$OPS" --db "$FTL_DB" --snapshot-key "$FTL_SNAPSHOT_KEY" --op "$op" --threads "$c" --seconds "$SECS" --warmup "$WARMUP" --engagements $E | sed 's/^{/{"via":"in-process",/'
    serve
    wrk_json "$op" "$c" "$WORK/$op.lua"
    unserve
  done
done
show
"$FTL" verify | head -1
