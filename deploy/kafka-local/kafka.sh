#!/usr/bin/env bash
# Local single-node Apache Kafka (KRaft: broker + controller) on 127.0.0.1, without Docker.
# The jars come from Maven Central through Maven (see pom.xml); data, logs and jars live in a cache dir.
#
# Usage: kafka.sh fetch|up|down|status|reset
#
# Env: KAFKA_LOCAL_DIR        cache dir               (default: <repo>/.cache/kafka)
#      KAFKA_PORT             client (PLAINTEXT) port (default: 9092)
#      KAFKA_CONTROLLER_PORT  KRaft controller port   (default: 9093)
#      KAFKA_VERSION          Kafka version           (default: 3.9.1, falls back to 3.9.0)
#      KAFKA_HEAP_OPTS        JVM heap                (default: -Xms256m -Xmx768m)
#      KAFKA_START_TIMEOUT    seconds to wait for up  (default: 90)
#      KAFKA_LOCAL_PYTHON     python with kafka-python for the readiness check
#                             (default: <repo>/.venv/bin/python if present, else a Java check)
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"

CACHE_DIR="${KAFKA_LOCAL_DIR:-$REPO_ROOT/.cache/kafka}"
PORT="${KAFKA_PORT:-9092}"
CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
DEFAULT_VERSION="3.9.1"
FALLBACK_VERSION="3.9.0"
VERSION="${KAFKA_VERSION:-$DEFAULT_VERSION}"
HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms256m -Xmx768m}"
START_TIMEOUT="${KAFKA_START_TIMEOUT:-90}"
STOP_TIMEOUT=30

LIB_DIR="$CACHE_DIR/lib"
DATA_DIR="$CACHE_DIR/data"
LOG_DIR="$CACHE_DIR/logs"
SERVER_LOG="$LOG_DIR/server.log"
PID_FILE="$CACHE_DIR/kafka.pid"
PROPS_FILE="$CACHE_DIR/server.properties"
CLUSTER_ID_FILE="$CACHE_DIR/cluster.id"
LOCK_FILE="$CACHE_DIR/.lock"

log() { printf 'kafka-local: %s\n' "$*" >&2; }
die() { printf 'kafka-local: error: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------------------------------------
# helpers

java_bin() {
    if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then
        printf '%s\n' "$JAVA_HOME/bin/java"
    else
        command -v java || true
    fi
}

# Serialise fetch/up/down/reset of one cache dir (parallel CI jobs, two shells...).
LOCKED=0
take_lock() {
    ((LOCKED)) && return 0
    LOCKED=1
    mkdir -p "$CACHE_DIR"
    if command -v flock >/dev/null 2>&1; then
        exec 9>"$LOCK_FILE"
        flock -w 180 9 || die "another kafka.sh holds $LOCK_FILE for more than 180 s"
    fi
}

alive() {  # alive PID -> 0 when the process exists and is not a zombie
    kill -0 "$1" 2>/dev/null || return 1
    local state
    state="$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null || true)"
    [[ "$state" != Z ]]
}

port_open() {  # port_open PORT -> 0 when something accepts TCP connections on 127.0.0.1:PORT
    timeout 2 bash -c ">/dev/tcp/127.0.0.1/$1" 2>/dev/null
}

# PID of the broker this script started, if it is alive (clears a stale PID file).
running_pid() {
    [[ -f "$PID_FILE" ]] || return 1
    local pid
    pid="$(tr -dc '0-9' <"$PID_FILE")"
    if [[ -n "$pid" ]] && alive "$pid" \
        && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'kafka\.Kafka'; then
        printf '%s\n' "$pid"
        return 0
    fi
    rm -f "$PID_FILE"
    return 1
}

# A real Kafka-protocol round trip (not just an open port).
kafka_ready() {
    local py="${KAFKA_LOCAL_PYTHON:-}"
    if [[ -z "$py" && -x "$REPO_ROOT/.venv/bin/python" ]]; then py="$REPO_ROOT/.venv/bin/python"; fi
    if [[ -n "$py" ]] && "$py" -c 'import kafka' 2>/dev/null; then
        timeout 20 "$py" - "127.0.0.1:$PORT" <<'PY' >/dev/null 2>&1
import logging, sys
logging.disable(logging.CRITICAL)
from kafka import KafkaAdminClient
admin = KafkaAdminClient(bootstrap_servers=sys.argv[1], client_id="kafka-local-check",
                         request_timeout_ms=5000, api_version_auto_timeout_ms=5000)
try:
    admin.list_topics()
    assert admin.describe_cluster()["brokers"], "no brokers registered yet"
finally:
    admin.close()
PY
    else
        # kafka.admin.BrokerApiVersionsCommand ships in kafka_2.13 3.x: ApiVersions against the broker.
        timeout 30 "$(java_bin)" -Xmx128m -cp "$LIB_DIR/*" \
            -Dlog4j.configuration="file:$SCRIPT_DIR/log4j.properties" \
            kafka.admin.BrokerApiVersionsCommand --bootstrap-server "127.0.0.1:$PORT" >/dev/null 2>&1
    fi
}

tail_log() {
    if [[ -f "$SERVER_LOG" ]]; then
        log "last lines of $SERVER_LOG:"
        tail -n 40 "$SERVER_LOG" >&2 || true
    fi
}

# ---------------------------------------------------------------------------------------------
# fetch

ensure_tools() {
    local missing=()
    [[ -n "$(java_bin)" ]] || missing+=(java)
    command -v mvn >/dev/null 2>&1 || missing+=(mvn)
    if ((${#missing[@]})); then
        if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1; then
            log "installing ${missing[*]} (openjdk-17-jre-headless, maven) with apt-get"
            DEBIAN_FRONTEND=noninteractive apt-get update -qq
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless maven >/dev/null
        else
            die "missing ${missing[*]}: install Java 17 and Maven 3 (Debian/Ubuntu: sudo apt-get install -y openjdk-17-jre-headless maven) and retry"
        fi
    fi
    local major
    major="$("$(java_bin)" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = \([0-9.]*\).*/\1/p')"
    major="${major#1.}"; major="${major%%.*}"
    if [[ -n "$major" ]] && ((major < 11)); then
        die "Java $major found; Kafka $VERSION needs Java 11+ (17 recommended)"
    fi
}

fetched_version() {  # prints the version whose jars are complete in $LIB_DIR, if acceptable
    local v candidates=("$VERSION")
    [[ -n "${KAFKA_VERSION:-}" ]] || candidates+=("$FALLBACK_VERSION")
    for v in "${candidates[@]}"; do
        if [[ -f "$LIB_DIR/.complete-$v" ]]; then printf '%s\n' "$v"; return 0; fi
    done
    return 1
}

mvn_copy() {  # mvn_copy VERSION -> jars of that version in $LIB_DIR.tmp
    local v="$1" work="$CACHE_DIR/mvn"
    rm -rf "$LIB_DIR.tmp" "$work"
    mkdir -p "$work"
    # Run Maven on a copy of the pom so that nothing (target/, ...) is written into the source tree.
    cp "$SCRIPT_DIR/pom.xml" "$work/pom.xml"
    mkdir -p "$LOG_DIR"
    if ! (cd "$work" && mvn -B -q -ntp -Dstyle.color=never -Dkafka.version="$v" \
        dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$LIB_DIR.tmp") \
        >"$LOG_DIR/fetch.log" 2>&1; then
        sed 's/\x1b\[[0-9;]*m//g' "$LOG_DIR/fetch.log" | tail -n 30 >&2
        return 1
    fi
}

cmd_fetch() {
    take_lock
    ensure_tools
    local v
    if v="$(fetched_version)"; then
        log "Kafka $v jars present in $LIB_DIR"
        return 0
    fi
    local t0=$SECONDS
    log "fetching Apache Kafka $VERSION jars from Maven Central into $LIB_DIR ..."
    v="$VERSION"
    if ! mvn_copy "$v"; then
        if [[ -z "${KAFKA_VERSION:-}" ]]; then
            log "Kafka $v failed; trying $FALLBACK_VERSION"
            v="$FALLBACK_VERSION"
            mvn_copy "$v" || die "Maven could not fetch org.apache.kafka:kafka_2.13 $VERSION nor $v"
        else
            die "Maven could not fetch org.apache.kafka:kafka_2.13:$v"
        fi
    fi
    ls "$LIB_DIR.tmp"/kafka_2.13-"$v".jar >/dev/null 2>&1 || die "kafka_2.13-$v.jar missing after Maven run"
    rm -rf "$LIB_DIR" "$CACHE_DIR/mvn"
    mv "$LIB_DIR.tmp" "$LIB_DIR"
    touch "$LIB_DIR/.complete-$v"
    log "fetched Kafka $v ($(ls "$LIB_DIR"/*.jar | wc -l) jars) in $((SECONDS - t0)) s"
}

# ---------------------------------------------------------------------------------------------
# up

render_props() {
    local tmp="$PROPS_FILE.tmp"
    sed -e "s#@@PORT@@#$PORT#g" \
        -e "s#@@CONTROLLER_PORT@@#$CONTROLLER_PORT#g" \
        -e "s#@@DATA_DIR@@#$DATA_DIR#g" \
        "$SCRIPT_DIR/server.properties.in" >"$tmp"
    mv "$tmp" "$PROPS_FILE"
}

format_storage() {
    if [[ -f "$DATA_DIR/meta.properties" ]]; then
        return 0
    fi
    local java cid
    java="$(java_bin)"
    if [[ ! -s "$CLUSTER_ID_FILE" ]]; then
        "$java" -cp "$LIB_DIR/*" -Dlog4j.configuration="file:$SCRIPT_DIR/log4j.properties" \
            kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n 1 | tr -d '[:space:]' >"$CLUSTER_ID_FILE"
        [[ -s "$CLUSTER_ID_FILE" ]] || die "StorageTool random-uuid printed nothing"
    fi
    cid="$(cat "$CLUSTER_ID_FILE")"
    log "formatting storage in $DATA_DIR (cluster id $cid)"
    mkdir -p "$DATA_DIR"
    "$java" -cp "$LIB_DIR/*" -Dlog4j.configuration="file:$SCRIPT_DIR/log4j.properties" \
        kafka.tools.StorageTool format -t "$cid" -c "$PROPS_FILE" --ignore-formatted >"$LOG_DIR/format.log" 2>&1 \
        || { cat "$LOG_DIR/format.log" >&2; die "formatting storage failed"; }
}

wait_ready() {  # wait_ready PID
    local pid="$1" deadline=$((SECONDS + START_TIMEOUT)) said_port=0
    while ((SECONDS < deadline)); do
        if ! alive "$pid"; then
            rm -f "$PID_FILE"
            tail_log
            die "the broker (pid $pid) exited during start-up; see $SERVER_LOG"
        fi
        if port_open "$PORT"; then
            if ((!said_port)); then log "port $PORT open, checking the Kafka protocol ..."; said_port=1; fi
            if kafka_ready; then return 0; fi
        fi
        sleep 0.5
    done
    tail_log
    log "the broker (pid $pid) did not accept clients within ${START_TIMEOUT} s; stopping it"
    stop_pid "$pid"
    die "the broker did not accept clients on 127.0.0.1:$PORT within ${START_TIMEOUT} s; see $SERVER_LOG"
}

cmd_up() {
    cmd_fetch
    take_lock
    local pid
    if pid="$(running_pid)"; then
        if port_open "$PORT" && kafka_ready; then
            log "already running (pid $pid) on 127.0.0.1:$PORT"
            return 0
        fi
        log "broker (pid $pid) is running but not ready yet; waiting ..."
        wait_ready "$pid"
        log "ready on 127.0.0.1:$PORT (pid $pid)"
        return 0
    fi
    local p
    for p in "$PORT" "$CONTROLLER_PORT"; do
        if port_open "$p"; then
            die "127.0.0.1:$p is already in use by another process (not a broker started by this script); stop it or set KAFKA_PORT / KAFKA_CONTROLLER_PORT"
        fi
    done

    local t0=$SECONDS java
    java="$(java_bin)"
    mkdir -p "$DATA_DIR" "$LOG_DIR"
    render_props
    format_storage
    if [[ -f "$SERVER_LOG" ]]; then mv -f "$SERVER_LOG" "$SERVER_LOG.1"; fi

    log "starting Kafka $(fetched_version) on 127.0.0.1:$PORT (controller $CONTROLLER_PORT), log $SERVER_LOG"
    rm -f "$PID_FILE"
    local launcher=()
    command -v setsid >/dev/null 2>&1 && launcher=(setsid)
    # shellcheck disable=SC2086 # HEAP_OPTS is a list of JVM flags
    nohup "${launcher[@]}" bash -c 'echo $$ >"$1"; shift; exec "$@"' kafka-local "$PID_FILE" \
        "$java" $HEAP_OPTS -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true \
        -Dlog4j.configuration="file:$SCRIPT_DIR/log4j.properties" \
        -Dkafka.logs.dir="$LOG_DIR" -Dkafka.local.dir="$CACHE_DIR" \
        -cp "$LIB_DIR/*" kafka.Kafka "$PROPS_FILE" \
        </dev/null >"$SERVER_LOG" 2>&1 9>&- &
    local i
    for i in $(seq 1 50); do [[ -s "$PID_FILE" ]] && break; sleep 0.1; done
    pid="$(running_pid)" || { tail_log; die "the broker did not start; see $SERVER_LOG"; }
    wait_ready "$pid"
    log "ready on 127.0.0.1:$PORT (pid $pid) in $((SECONDS - t0)) s"
}

# ---------------------------------------------------------------------------------------------
# down / status / reset

stop_pid() {  # stop_pid PID: TERM, wait up to $STOP_TIMEOUT s, then KILL
    local pid="$1"
    kill -TERM "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + STOP_TIMEOUT))
    while alive "$pid" && ((SECONDS < deadline)); do sleep 0.3; done
    if alive "$pid"; then
        log "still running after ${STOP_TIMEOUT} s; sending KILL"
        kill -KILL "$pid" 2>/dev/null || true
        while alive "$pid"; do sleep 0.2; done
    fi
    rm -f "$PID_FILE"
}

cmd_down() {
    take_lock
    local pid
    if ! pid="$(running_pid)"; then
        log "not running"
        return 0
    fi
    log "stopping broker (pid $pid) ..."
    stop_pid "$pid"
    log "stopped"
}

cmd_status() {
    local pid
    if pid="$(running_pid)"; then
        if port_open "$PORT"; then
            echo "running (pid $pid, 127.0.0.1:$PORT)"
        else
            echo "running (pid $pid, starting: 127.0.0.1:$PORT not open yet)"
        fi
        return 0
    fi
    echo "stopped"
    return 1
}

cmd_reset() {
    cmd_down
    log "deleting $DATA_DIR (all topics and offsets)"
    rm -rf "$DATA_DIR" "$CLUSTER_ID_FILE"
}

usage() {
    sed -n '2,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
}

case "${1:-}" in
    fetch) cmd_fetch ;;
    up | start) cmd_up ;;
    down | stop) cmd_down ;;
    status) cmd_status ;;
    reset) cmd_reset ;;
    -h | --help | help) usage ;;
    *) usage; exit 2 ;;
esac
