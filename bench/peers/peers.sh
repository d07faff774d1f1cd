# shellcheck shell=bash
# The peers' scenarios of scripts/bench (sourced by it; it defines functions
# only): Mosquitto with MQTT QoS 1 (--only mqtt) and NATS JetStream
# (--only nats), driven by sealpost-bench-mqtt and sealpost-bench-nats
# (bench/peers/). They use scripts/bench's helpers and settings: free_port,
# track, wait_listen, stop_pid, record, flow_one, flow_runs, settle, memory_extra,
# sample_series, $BIN, $WORK, $RUNS, $LONG_RUNS, $DUR, $LAT_DUR, $HOLD, ...

# peer_idle name proc_pid run gen-cmd...: the private memory and idle CPU of a
# broker holding the generator's idle connections
peer_idle() {
  local name=$1 pid=$2 run=$3
  shift 3
  local brss bpriv
  sleep 0.5
  brss=$(rss_kb "$pid"); bpriv=$(private_kb "$pid")
  "$@" >"$WORK/$name-$run.out" 2>"$WORK/$name-$run.err" &
  local gpid=$!
  track "$gpid"
  local spid=""
  if [ "$run" = 1 ]; then sample_series "$name" "$pid" "$gpid" 120 & spid=$!; fi
  if wait_line "$WORK/$name-$run.out" '"phase":"connected"' 300 "$gpid"; then
    settle "$pid" 3
    local n
    n=$(last_json "$WORK/$name-$run.out" | python3 -c "import json,sys; print(json.load(sys.stdin)['connected'])")
    record "$name" "$run" "$(cmdline "$@")" "$(last_json "$WORK/$name-$run.out")" \
      "$(memory_extra "$n" "$brss" "$bpriv" 3)"
  else
    log "$name: generator failed: $(tail -c 300 "$WORK/$name-$run.err")"
  fi
  stop_pid "$gpid"
  [ -z "$spid" ] || wait "$spid" 2>/dev/null || true
}

# ---- Mosquitto --------------------------------------------------------------------------

# start_mosquitto plain|tls [true|false] -> MQ_PID MQ_PORT; the second
# argument is its set_tcp_nodelay (default true)
start_mosquitto() {
  MQ_PORT=$(free_port)
  local conf=$WORK/mosquitto-$MQ_PORT.conf
  {
    echo "listener $MQ_PORT 127.0.0.1"
    if [ "$1" = tls ]; then
      echo "certfile $WORK/tls/cert.pem"
      echo "keyfile $WORK/tls/key.pem"
      echo "tls_version tlsv1.3"
    fi
    echo "allow_anonymous true"
    # true: like sealpost; without it Nagle adds ~40 ms per TLS connect, but
    # its throughput is higher (fewer, fuller segments)
    echo "set_tcp_nodelay ${2:-true}"
    echo "max_inflight_messages 20"
    echo "max_queued_messages 0"
    echo "max_connections -1"
    echo "persistence false"
    echo "log_dest none"
  } >"$conf"
  mosquitto -c "$conf" >"$WORK/mosquitto-$MQ_PORT.log" 2>&1 &
  MQ_PID=$!
  track "$MQ_PID"
  wait_listen "$MQ_PORT" "$MQ_PID"
}

# mqtt_throughput scenario true|false: $RUNS runs on a broker with that set_tcp_nodelay
mqtt_throughput() {
  log "Mosquitto throughput, set_tcp_nodelay $2"
  start_mosquitto plain "$2"
  flow_runs "$1" $((DUR + 90)) "{\"mosquitto_tcp_nodelay\": $2}" "$BIN/sealpost-bench-mqtt" flow \
    --port "$MQ_PORT" --subscribers 100 --duration "$DUR" --payload 256 --cap 40
  stop_pid "$MQ_PID"
}

# mqtt_latency_run scenario run rate [extra_json]: one Mosquitto QoS 1 run at a
# fixed rate on the broker at $MQ_PORT (run_latency starts it with set_tcp_nodelay true)
mqtt_latency_run() {
  local rate=$3 extra=${4:-}
  [ -n "$extra" ] || extra="{\"rate\": $rate, \"mosquitto_tcp_nodelay\": true}"
  flow_one "$1" "$2" $((LAT_DUR + 90)) "$extra" \
    "$BIN/sealpost-bench-mqtt" flow --port "$MQ_PORT" --subscribers 100 --duration "$LAT_DUR" \
    --payload 256 --rate "$rate"
}

# mqtt_idle plain|tls scenario hold_seconds: $LONG_RUNS runs, each on a fresh broker
mqtt_idle() {
  local transport=$1 name=$2 seconds=$3 label=plain r
  local tls=()
  if [ "$transport" = tls ]; then label="TLS 1.3"; tls=(--tls); fi
  for r in $(seq 1 "$LONG_RUNS"); do
    log "Mosquitto idle, $label, run $r"
    start_mosquitto "$transport"
    peer_idle "$name" "$MQ_PID" "$r" "$BIN/sealpost-bench-mqtt" idle --port "$MQ_PORT" \
      --clients "$PEER_IDLE_N" --hold "$seconds" "${tls[@]}"
    stop_pid "$MQ_PID"
  done
}

# A throwaway self-signed P-256 certificate in $WORK/tls.
mqtt_tls_cert() {
  mkdir -p "$WORK/tls"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
    -subj /CN=127.0.0.1 -keyout "$WORK/tls/key.pem" -out "$WORK/tls/cert.pem" 2>/dev/null
  # mosquitto drops root privileges to its own user: it must reach the files.
  chmod 711 "$WORK"
  chmod 755 "$WORK/tls"
  chmod 644 "$WORK/tls/key.pem" "$WORK/tls/cert.pem"
}

# Throughput with set_tcp_nodelay true (as sealpost) and false (Mosquitto's
# best here); the latency rows are in scripts/bench's run_latency.
run_mqtt() {
  mqtt_throughput mosquitto true
  mqtt_throughput mosquitto_nodelay_false false
  mqtt_idle plain mosquitto_idle $((HOLD + 60))
  mqtt_tls_cert
  mqtt_idle tls mosquitto_tls_idle $((HOLD + 120))
}

# ---- NATS JetStream ---------------------------------------------------------------------

start_nats() {  # -> NATS_PID NATS_PORT
  NATS_PORT=$(free_port)
  local dir=$WORK/nats-$NATS_PORT
  mkdir -p "$dir"
  nats-server -a 127.0.0.1 -p "$NATS_PORT" -js -sd "$dir" >"$dir.log" 2>&1 &
  NATS_PID=$!
  track "$NATS_PID"
  wait_listen "$NATS_PORT" "$NATS_PID"
}

jetstream_throughput() {
  local retention
  for retention in workqueue limits; do
    log "JetStream throughput, $retention"
    flow_runs "jetstream_$retention" $((DUR + 120)) "" "$BIN/sealpost-bench-nats" flow \
      --url "nats://127.0.0.1:$NATS_PORT" --consumers 100 --duration "$DUR" --payload 256 \
      --cap 40 --retention "$retention"
  done
}

jetstream_latency() {  # full mode only
  log "JetStream latency at $FIXED_RATE/s"
  [ "$MODE" = full ] || return 0
  flow_runs jetstream_latency_fixed $((LAT_DUR + 120)) "{\"rate\": $FIXED_RATE}" \
    "$BIN/sealpost-bench-nats" flow --url "nats://127.0.0.1:$NATS_PORT" --consumers 100 \
    --duration "$LAT_DUR" --payload 256 --rate "$FIXED_RATE" --retention workqueue
}

nats_idle() {  # $LONG_RUNS runs, each on a fresh server
  local r
  for r in $(seq 1 "$LONG_RUNS"); do
    log "NATS idle, run $r"
    start_nats
    peer_idle nats_idle "$NATS_PID" "$r" "$BIN/sealpost-bench-nats" idle --port "$NATS_PORT" \
      --clients "$PEER_IDLE_N" --hold $((HOLD + 60))
    stop_pid "$NATS_PID"
  done
}

run_nats() {
  start_nats
  jetstream_throughput
  jetstream_latency
  stop_pid "$NATS_PID"
  nats_idle
}
