#!/usr/bin/env bash
# Run every Tideover service in the background, each its own process (what `make up` does).
#   deploy/services.sh start [system|simulated] | stop | status | operator-key
# Logs: var/log/<service>.log, pids: var/run/<service>.pid, HTTP ports 8101..8106.
# Service keys (README, Service credentials): `start` keeps a working key for negotiation-intake
# and one for an operator in var/service-keys.env (tideover-service-keys provision; private to
# you), and gives intake its own; `operator-key` prints the operator's (the simulator's, make demo).
# Time: `start system` (the default, `make up`) runs as production would: the system clock
# (TIDEOVER_CLOCK=system) and the scheduler, which closes each day at the cut-off
# (TIDEOVER_SCHEDULER_*, default 18:00 Asia/Shanghai). `start simulated` (`make demo`, `make
# story`) runs no scheduler: time follows the business days the simulator closes on
# ops.clock.v1 (TIDEOVER_CLOCK=business). Services running in the other mode are restarted.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
python="$repo/.venv/bin/python"
logs="$repo/var/log"
pids="$repo/var/run"
keys="$repo/var/service-keys.env"
# package:port — the same ports docker-compose.yml publishes.
services=(overdue_detection:8101 notification:8102 negotiation_intake:8103 plan_calculation:8104 repayment_tracking:8105)
mode_file="$pids/mode"
mode="${2:-system}"
case "$mode" in
  system) clock=system; services+=(scheduler:8106) ;;
  # The simulator waits for each step of a day to settle: a message must not wait out another
  # partition's fetch (RuntimeSettings.fetch_max_wait_ms; its default otherwise).
  simulated) clock=business; export TIDEOVER_FETCH_MAX_WAIT_MS="${TIDEOVER_FETCH_MAX_WAIT_MS:-50}" ;;
  *) echo "usage: $0 start [system|simulated]" >&2; exit 2 ;;
esac
# Whatever runs, to stop it all: the scheduler too.
all_services=("${services[@]}")
[ "$mode" = system ] || all_services+=(scheduler:8106)

key_of() { sed -n "s/^$1=//p" "$keys"; }

start() {
  mkdir -p "$logs" "$pids"
  if [ -f "$mode_file" ] && [ "$(cat "$mode_file")" != "$mode" ]; then
    echo "services.sh: running with the $(cat "$mode_file") clock; restarting them with the $mode clock"
    [ "$mode" = system ] && echo "services.sh: the simulator's business days may run ahead of today's date, and the" \
      "scheduler closes no date before the last one closed: \`make reset\` first for a fresh book on the system clock"
    stop
  fi
  echo "$mode" > "$mode_file"
  "$repo/.venv/bin/tideover-service-keys" provision "$keys"
  for entry in "${services[@]}"; do
    local name="${entry%%:*}" port="${entry##*:}"
    if [ -f "$pids/$name.pid" ] && kill -0 "$(cat "$pids/$name.pid")" 2>/dev/null; then
      echo "services.sh: $name already running"; continue
    fi
    TIDEOVER_HTTP_PORT="$port" TIDEOVER_CLOCK="$clock" TIDEOVER_ENV="${TIDEOVER_ENV:-development}" \
      TIDEOVER_OVERDUE_URL=http://127.0.0.1:8101 TIDEOVER_NOTIFICATION_URL=http://127.0.0.1:8102 \
      TIDEOVER_TRACKING_URL=http://127.0.0.1:8105 \
      TIDEOVER_SERVICE_KEY="$([ "$name" = negotiation_intake ] && key_of TIDEOVER_INTAKE_SERVICE_KEY)" \
      nohup "$python" -m "$name" >>"$logs/$name.log" 2>&1 &
    echo $! > "$pids/$name.pid"
  done
  for entry in "${services[@]}"; do
    local name="${entry%%:*}" port="${entry##*:}"
    for _ in $(seq 1 120); do
      if curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; then echo "services.sh: $name ready on :$port"; continue 2; fi
      kill -0 "$(cat "$pids/$name.pid")" 2>/dev/null || { echo "services.sh: $name exited; see $logs/$name.log" >&2; tail -n 20 "$logs/$name.log" >&2; exit 1; }
      sleep 0.5
    done
    echo "services.sh: $name not ready after 60 s; see $logs/$name.log" >&2; exit 1
  done
}

stop() {
  for entry in "${all_services[@]}"; do
    local name="${entry%%:*}"
    [ -f "$pids/$name.pid" ] || continue
    local pid; pid="$(cat "$pids/$name.pid")"
    if kill "$pid" 2>/dev/null; then
      for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
      kill -9 "$pid" 2>/dev/null || true
      echo "services.sh: stopped $name"
    fi
    rm -f "$pids/$name.pid"
  done
  rm -f "$mode_file"
}

status() {
  for entry in "${all_services[@]}"; do
    local name="${entry%%:*}" port="${entry##*:}"
    if curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; then echo "$name: ready on :$port"; else echo "$name: not ready"; fi
  done
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  operator-key) key_of TIDEOVER_OPERATOR_SERVICE_KEY ;;
  *) echo "usage: $0 start|stop|status|operator-key" >&2; exit 2 ;;
esac
