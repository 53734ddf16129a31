#!/usr/bin/env bash
# ftl through `ftl serve`: what cli_test.sh runs as "$FTL" the second time. Each call runs the
# real binary with --server and the token of its actor (--as, else FTL_ACTOR), through a server
# on its ledger (--db, else FTL_DB) that this script starts on a free loopback port the first
# time it is needed and keeps running. What cannot go through a server runs locally: a ledger
# that does not exist yet, recover, serve, token, help; and, when no server can open the
# ledger (another writer holds it), the local binary says why.
# Each call is counted in $VIA_STATE/calls as "server" or "local".
#   via_server.sh ARGS...          run ftl
#   via_server.sh --stop DB        stop the server on DB (SIGTERM), if any
#   via_server.sh --stop-all       stop every server this script started
# env: FTL_REAL (the ftl binary), VIA_STATE (a directory for pids, urls and tokens)
set -u
REAL=${FTL_REAL:?} STATE=${VIA_STATE:?}
ACTORS="tester ana bo ryan rosie admin"
mkdir -p "$STATE"

key_of() { realpath -m "$1" | sha1sum | cut -c1-16; }

stop() {  # stop DB
  local k; k=$(key_of "$1")
  [[ -f $STATE/$k.pid ]] || return 0
  local pid; pid=$(cat "$STATE/$k.pid")
  kill -TERM "$pid" 2>/dev/null
  for _ in $(seq 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
  rm -f "$STATE/$k.pid" "$STATE/$k.url"
}

if [[ ${1:-} == --stop ]]; then stop "$2"; exit 0; fi
if [[ ${1:-} == --stop-all ]]; then
  for p in "$STATE"/*.pid; do [[ -f $p ]] && kill -TERM "$(cat "$p")" 2>/dev/null; done
  for p in "$STATE"/*.pid; do [[ -f $p ]] || continue; for _ in $(seq 200); do kill -0 "$(cat "$p")" 2>/dev/null || break; sleep 0.05; done; rm -f "$p"; done
  exit 0
fi

# What the call names: its ledger, its actor, its command; the rest is passed on.
db=${FTL_DB:-./ftl-data} actor=${FTL_ACTOR:-$(id -un)} command= pass=() i=0 args=("$@")
while ((i < ${#args[@]})); do
  a=${args[i]}
  case $a in
    --db) db=${args[i+1]:-}; i=$((i+2)); continue ;;
    --db=*) db=${a#--db=} ;;
    --as) actor=${args[i+1]:-}; i=$((i+2)); continue ;;
    --as=*) actor=${a#--as=} ;;
    --format|--wait) pass+=("$a" "${args[i+1]:-}"); i=$((i+2)); continue ;;
    -*) pass+=("$a") ;;
    *) [[ -z $command ]] && command=$a; pass+=("$a") ;;
  esac
  i=$((i+1))
done

local_run() { echo local >> "$STATE/calls"; exec "$REAL" "$@"; }

case $command in ""|serve|recover|token) [[ $command == recover || $command == token ]] && stop "$db"; local_run "$@" ;; esac
for a in "$@"; do [[ $a == --help || $a == -h ]] && local_run "$@"; done
[[ -e $db/CURRENT ]] || local_run "$@"

k=$(key_of "$db")
url=
{
  flock 9
  if [[ -f $STATE/$k.pid ]] && kill -0 "$(cat "$STATE/$k.pid")" 2>/dev/null; then
    url=$(cat "$STATE/$k.url")
  else
    if [[ ! -f $STATE/$k.tokens ]]; then
      # The tokens each actor of the tests writes with, granted once per ledger (with no server on it).
      ok=1
      for name in $ACTORS; do
        t=$(FTL_DB="$db" "$REAL" --quiet --wait 0.2 token add "$name" --role admin 2>/dev/null) || { ok=0; break; }
        echo "$name $t" >> "$STATE/$k.tokens.new"
      done
      if ((ok)); then mv "$STATE/$k.tokens.new" "$STATE/$k.tokens"; else rm -f "$STATE/$k.tokens.new"; fi
    fi
    if [[ -f $STATE/$k.tokens ]]; then
      FTL_DB="$db" setsid "$REAL" --quiet --wait 0.2 serve --listen 127.0.0.1:0 --checkpoint-seconds 0.5 > "$STATE/$k.out" 2> "$STATE/$k.err" < /dev/null 9>&- &
      pid=$!
      for _ in $(seq 200); do
        grep -q "^listening on " "$STATE/$k.out" 2>/dev/null && break
        kill -0 $pid 2>/dev/null || break
        sleep 0.05
      done
      if grep -q "^listening on " "$STATE/$k.out" 2>/dev/null; then
        url=$(sed -n 's/^listening on //p' "$STATE/$k.out")
        echo "$pid" > "$STATE/$k.pid"
        echo "$url" > "$STATE/$k.url"
      else
        kill $pid 2>/dev/null
      fi
    fi
  fi
} 9> "$STATE/$k.lock"

token=$(awk -v n="$actor" '$1 == n { print $2 }' "$STATE/$k.tokens" 2>/dev/null)
[[ -n $url && -n $token ]] || local_run "$@"
echo server >> "$STATE/calls"
exec env -u FTL_DB -u FTL_ACTOR "$REAL" --server "$url" --token "$token" "${pass[@]}"
