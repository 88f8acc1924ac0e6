#!/usr/bin/env bash
# Local Apache Kafka (KRaft, one node) assembled from Maven Central — no Docker needed.
#   deploy/kafka/kafka.sh fetch|start|stop|status|reset
# Environment: KAFKA_PORT (9092), KAFKA_CONTROLLER_PORT (9093), KAFKA_HEAP (1g),
#              TIDEOVER_CACHE (<repo>/.cache), KAFKA_INSTANCE_DIR (the cache's kafka dir: a
#              second broker keeps its data, config, log and pid there, sharing the jars).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cache="${TIDEOVER_CACHE:-$repo/.cache}/kafka"
libs="$cache/libs"
instance="${KAFKA_INSTANCE_DIR:-$cache}"
data="$instance/data"
log="$instance/broker.log"
pidfile="$instance/broker.pid"
port="${KAFKA_PORT:-9092}"
controller_port="${KAFKA_CONTROLLER_PORT:-9093}"
heap="${KAFKA_HEAP:-1g}"  # 512m ran out under the simulator beside a test run

java_bin() {
  if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ]; then echo "$JAVA_HOME/bin/java"; else command -v java || true; fi
}

install_tools() {  # a fresh Debian machine may lack a JRE or Maven: take them from Debian's packages
  local missing=()
  [ -n "$(java_bin)" ] || missing+=(openjdk-17-jre-headless)
  command -v mvn >/dev/null || missing+=(maven)
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "kafka.sh: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null
}

fetch() {
  if [ -f "$libs/.complete" ] && [ "$libs/.complete" -nt "$here/pom.xml" ]; then return 0; fi
  install_tools
  echo "kafka.sh: resolving Apache Kafka from Maven Central into $libs"
  rm -rf "$libs"
  mvn -q -B -f "$here/pom.xml" dependency:copy-dependencies \
    -DoutputDirectory="$libs" -DincludeScope=runtime
  touch "$libs/.complete"
}

running() { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

run_java() {
  "$(java_bin)" -Xms"$heap" -Xmx"$heap" -XX:+UseG1GC -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$here/log4j2.properties" -cp "$libs/*" "$@"
}

configure() {
  mkdir -p "$instance"
  sed -e "s|@PORT@|$port|g" -e "s|@CONTROLLER_PORT@|$controller_port|g" -e "s|@DATA_DIR@|$data|g" \
    "$here/server.properties.template" > "$instance/server.properties"
  if [ ! -f "$data/meta.properties" ]; then
    local cluster_id
    cluster_id="$(run_java kafka.tools.StorageTool random-uuid | tail -n 1)"
    run_java kafka.tools.StorageTool format -t "$cluster_id" -c "$instance/server.properties" >/dev/null
  fi
}

start() {
  if running; then echo "kafka.sh: broker already running (pid $(cat "$pidfile"))"; return 0; fi
  if port_open "$port"; then echo "kafka.sh: something already listens on 127.0.0.1:$port; using it"; return 0; fi
  fetch
  configure
  echo "kafka.sh: starting broker on 127.0.0.1:$port (log: $log)"
  [ -f "$log" ] && mv "$log" "$log.1"  # why the last broker stopped stays readable
  nohup "$(java_bin)" -Xms"$heap" -Xmx"$heap" -XX:+UseG1GC -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$here/log4j2.properties" -cp "$libs/*" \
    -XX:+ExitOnOutOfMemoryError kafka.Kafka "$instance/server.properties" >"$log" 2>&1 &
  echo $! > "$pidfile"
  for _ in $(seq 1 120); do
    if grep -q "Kafka Server started" "$log" 2>/dev/null && port_open "$port"; then
      echo "kafka.sh: broker is up"; return 0
    fi
    running || { echo "kafka.sh: broker exited; last lines of $log:" >&2; tail -n 30 "$log" >&2; exit 1; }
    sleep 0.5
  done
  echo "kafka.sh: broker did not start within 60 s; see $log" >&2; exit 1
}

stop() {
  if ! running; then rm -f "$pidfile"; echo "kafka.sh: broker not running"; return 0; fi
  local pid; pid="$(cat "$pidfile")"
  kill "$pid"
  for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || { rm -f "$pidfile"; echo "kafka.sh: stopped"; return 0; }; sleep 0.5; done
  kill -9 "$pid" 2>/dev/null || true; rm -f "$pidfile"; echo "kafka.sh: killed after 30 s"
}

case "${1:-}" in
  fetch) fetch ;;
  start) start ;;
  stop) stop ;;
  status) if running; then echo "running (pid $(cat "$pidfile"))"; else echo "stopped"; exit 1; fi ;;
  reset) stop; rm -rf "$data" ;;
  *) echo "usage: $0 fetch|start|stop|status|reset" >&2; exit 2 ;;
esac
