# Shared helpers for the VM scenarios (sourced inside the guest as /run/add/scenario-lib/common.sh).
# Every check prints "ok - ..." or "FAIL - ..."; finish() exits non-zero if anything failed.
CERTS=/run/add/certs
HS_LOG=/tmp/handshaked.log
passed=0
failed=0

ok() { echo "ok - $*"; passed=$((passed + 1)); }
fail() { echo "FAIL - $*" >&2; failed=$((failed + 1)); }
check() {  # check DESCRIPTION COMMAND...
    local what=$1 out
    shift
    if out=$("$@" 2>&1); then ok "$what"; else fail "$what: $(echo "$out" | tail -n 5)"; fi
}
die() { echo "FATAL - $*" >&2; dump_logs; exit 1; }
finish() {
    # Under the ASan+UBSan daemon (./check's sanitizer pass) any report is a failure, also from
    # an instance a scenario restarted (save_log keeps those in $HS_LOG_ALL).
    local report
    report=$(grep -h -m1 -E 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$HS_LOG" "$HS_LOG_ALL" 2>/dev/null | head -n1)
    [ -z "$report" ] || fail "sanitizer report in handshaked's log: $report"
    echo "$(basename "$0" .sh): $passed passed, $failed failed"
    [ "$failed" -eq 0 ] || { dump_logs; exit 1; }
    exit 0
}
dump_logs() {
    echo "---- handshaked log"; tail -n 40 "$HS_LOG" 2>/dev/null
    echo "---- kernel log"; dmesg | tail -n 20
}

# Install the test PKI where a real deployment would keep it (keys 0600: handshaked refuses
# private keys that other users can read).
install_pki() {
    install -d -m 0755 /etc/handshaked/pki
    for f in "$CERTS"/*.pem; do install -m 0644 "$f" /etc/handshaked/pki/; done
    for f in "$CERTS"/*.key; do install -m 0600 "$f" /etc/handshaked/pki/; done
}

write_config() {  # write_config < text
    cat > /etc/handshaked/handshaked.conf
}

default_x509_config() {
    write_config <<CONF
[debug]
loglevel=1
[authenticate.client]
x509.truststore=/etc/handshaked/pki/ca-ec.pem
x509.certificate=/etc/handshaked/pki/client-ec.pem
x509.private_key=/etc/handshaked/pki/client-ec.key
[authenticate.server]
x509.truststore=/etc/handshaked/pki/ca-ec.pem
x509.certificate=/etc/handshaked/pki/server-ec.pem
x509.private_key=/etc/handshaked/pki/server-ec.key
CONF
}

enable_handshake_tracing() {
    mountpoint -q /sys/kernel/tracing || mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
    echo > /sys/kernel/tracing/trace
    echo 1 > /sys/kernel/tracing/events/handshake/enable
}
trace_text() { cat /sys/kernel/tracing/trace; }

start_handshaked() {  # start_handshaked [ARGS...]
    handshaked -s "$@" > "$HS_LOG" 2>&1 &
    HS_PID=$!
    local i
    for i in $(seq 1 50); do
        grep -q "serving the kernel's handshake requests" "$HS_LOG" 2>/dev/null && return 0
        kill -0 "$HS_PID" 2>/dev/null || { cat "$HS_LOG"; die "handshaked exited at start-up"; }
        sleep 0.2
    done
    cat "$HS_LOG"
    die "handshaked did not report ready within 10 s"
}
stop_handshaked() {
    [ -n "${HS_PID:-}" ] || return 0
    kill -TERM "$HS_PID" 2>/dev/null
    wait "$HS_PID" 2>/dev/null
    HS_PID=
}

tls_stat() {  # tls_stat COUNTER
    awk -v name="$1" '$1 == name { print $2 }' /proc/net/tls_stat
}

# handshaked's per-handshake log lines ("handshake N role auth peer ...: ok status OK ...").
handshake_lines() { grep -E '^handshaked: handshake [0-9]+ ' "$HS_LOG"; }
count_handshakes() {  # count_handshakes ROLE AUTH STATUS_NAME
    handshake_lines | grep -E " $1 $2 .* status $3 " | wc -l
}

# A loopback NFSv4.2 server exporting /srv/export.
start_nfs_server() {
    modprobe nfsd
    mkdir -p /srv/export /mnt/nfs /var/lib/nfs/v4recovery
    chmod 0777 /srv/export
    mountpoint -q /proc/fs/nfsd || mount -t nfsd nfsd /proc/fs/nfsd
    mountpoint -q /run/rpc_pipefs || { mkdir -p /run/rpc_pipefs; mount -t rpc_pipefs sunrpc /run/rpc_pipefs; }
    rpcbind -w 2>/dev/null || rpcbind
    echo "/srv/export 127.0.0.1(rw,no_root_squash,no_subtree_check,fsid=0,insecure)" > /etc/exports
    exportfs -ra
    echo 10 > /proc/fs/nfsd/nfsv4gracetime 2>/dev/null
    echo 10 > /proc/fs/nfsd/nfsv4leasetime 2>/dev/null
    rpc.mountd
    rpc.nfsd -N 3 4 || rpc.nfsd -N 3
    # nfsdcld is optional; without it the server has no grace-period client tracking.
    nfsdcld 2>/dev/null || true
}

# NVMe/TCP over TLS 1.3 with a retained PSK, host and target on loopback. bookworm's nvme-cli
# (2.3) cannot do --tls, so the key goes in with keyctl and the connect is written to
# /dev/nvme-fabrics directly.
NVME_SUBNQN=nqn.2014-08.org.example:handshaked-test
NVME_HOSTNQN=nqn.2014-08.org.nvmexpress:uuid:5d4d2a36-3b9c-4f1d-9c33-0b5e6f4a7c11
NVME_HOSTID=5d4d2a36-3b9c-4f1d-9c33-0b5e6f4a7c11

nvme_keyring_serial() {
    local hex
    hex=$(awk '$8 == "keyring" && ($9 == ".nvme:" || $9 == ".nvme") { print $1; exit }' /proc/keys)
    [ -n "$hex" ] && printf '%d\n' "0x$hex"
}

# add_nvme_psk HASH(01|02) [KEYRING] -> prints the serial of a new retained PSK
add_nvme_psk() {
    local hash=$1 keyring=${2:-$(nvme_keyring_serial)} length=32
    [ "$hash" = 02 ] && length=48
    head -c "$length" /dev/urandom > /tmp/psk-$hash.bin
    keyctl padd psk "NVMe0R$hash $NVME_HOSTNQN $NVME_SUBNQN" "$keyring" < /tmp/psk-$hash.bin
}

start_nvme_target() {  # start_nvme_target BACKING_FILE [PORT]
    local backing=$1 port=${2:-4420} cfg=/sys/kernel/config/nvmet
    modprobe nvmet && modprobe nvmet-tcp && modprobe nvme-tcp || return 1
    mountpoint -q /sys/kernel/config || mount -t configfs configfs /sys/kernel/config
    mkdir -p "$cfg/subsystems/$NVME_SUBNQN/namespaces/1" "$cfg/ports/1"
    echo 1 > "$cfg/subsystems/$NVME_SUBNQN/attr_allow_any_host"
    echo "$backing" > "$cfg/subsystems/$NVME_SUBNQN/namespaces/1/device_path"
    echo 1 > "$cfg/subsystems/$NVME_SUBNQN/namespaces/1/enable"
    echo tcp > "$cfg/ports/1/addr_trtype"
    echo ipv4 > "$cfg/ports/1/addr_adrfam"
    echo 127.0.0.1 > "$cfg/ports/1/addr_traddr"
    echo "$port" > "$cfg/ports/1/addr_trsvcid"
    echo tls1.3 > "$cfg/ports/1/addr_tsas"
    ln -s "$cfg/subsystems/$NVME_SUBNQN" "$cfg/ports/1/subsystems/$NVME_SUBNQN"
}

# nvme_connect [PORT] -> prints the controller name (nvme0)
nvme_connect() {
    local port=${1:-4420} answer
    exec 9<>/dev/nvme-fabrics
    echo "transport=tcp,traddr=127.0.0.1,trsvcid=$port,nqn=$NVME_SUBNQN,hostnqn=$NVME_HOSTNQN,hostid=$NVME_HOSTID,tls" >&9 || { exec 9>&-; return 1; }
    read -r answer <&9
    exec 9>&-
    echo "$answer" | sed -n 's/.*instance=\([0-9]*\).*/nvme\1/p'
}

# ---- kernel-shim scenarios (shim-matrix, interop, burst, hostile-peers, faults) ----------------
# Logs of earlier handshaked instances when a scenario restarts it (save_log before restarting).
HS_LOG_ALL=/tmp/handshaked-earlier.log

load_shim() { modprobe tls && modprobe handshake_shim; }

save_log() { [ -f "$HS_LOG" ] && cat "$HS_LOG" >> "$HS_LOG_ALL"; return 0; }

# Every check of every scenario ends with this: handshaked reports impossible states as "internal:".
check_no_internal_errors() {
    local hits
    hits=$(grep -h 'internal:' "$HS_LOG" "$HS_LOG_ALL" 2>/dev/null)
    if [ -z "$hits" ]; then ok "handshaked logged no 'internal:' errors"; else
        fail "handshaked logged 'internal:' errors: $(echo "$hits" | head -n 5)"; fi
}

hs_fds() { ls "/proc/${1:-$HS_PID}/fd" 2>/dev/null | wc -l; }
hs_rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/${1:-$HS_PID}/status"; }

# wait_hs_fds MAX [SECONDS]: until handshaked holds at most MAX fds (jobs finished, fds closed).
wait_hs_fds() {
    local max=$1 i
    for i in $(seq 1 $(( ${2:-5} * 10 ))); do
        [ "$(hs_fds)" -le "$max" ] && return 0
        sleep 0.1
    done
    return 1
}

# wait_for FILE-OR-COMMAND: wait_for_log PATTERN [SECONDS] on $HS_LOG.
wait_for_log() {
    local i
    for i in $(seq 1 $(( ${2:-5} * 10 ))); do
        grep -q -- "$1" "$HS_LOG" 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}
wait_for_file() {  # wait_for_file FILE [SECONDS]: until FILE is non-empty
    local i
    for i in $(seq 1 $(( ${2:-5} * 10 ))); do [ -s "$1" ] && return 0; sleep 0.1; done
    return 1
}
wait_for_listen() {  # wait_for_listen PORT [SECONDS]
    local i
    for i in $(seq 1 $(( ${2:-5} * 10 ))); do
        ss -Hltn "sport = :$1" 2>/dev/null | grep -q . && return 0
        sleep 0.1
    done
    return 1
}

# user_key DESCRIPTION FILE [PERM]: a user key in root's user keyring holding FILE; prints its
# serial. The default permission lets any process of uid 0 read it by serial (handshaked does not
# possess @u: it joins a session keyring of its own); pass 0x3f010000 for one it cannot read.
user_key() {
    local serial
    serial=$(keyctl padd user "$1" @u < "$2") || return 1
    keyctl setperm "$serial" "${3:-0x3f3f0000}" || return 1
    echo "$serial"
}

# Outcome histogram of a hsshimctl --json file: {"role/result/phase": count, ...}
shim_hist() {
    jq -M -c '[.sessions[] | "\(.role)/\(.result)/\(.phase)" + (if .alert > 0 then "/alert=\(.alert / 256 | floor)/\(.alert % 256)" else "" end)] | group_by(.) | map({(.[0]): length}) | add' "$1" 2>/dev/null
}

# check_shim DESCRIPTION OUT.json hsshimctl ARGS...: runs it with --json (its --expect-* options
# decide); ok if it exits 0. OUT.json keeps the result for further checks.
check_shim() {
    local what=$1 out=$2 rc
    shift 2
    "$@" --json > "$out" 2> "$out.err"
    rc=$?
    if [ $rc -eq 0 ]; then ok "$what"; else
        fail "$what: hsshimctl exit $rc: $(shim_hist "$out") $(tail -n 3 "$out.err" | tr '\n' ' ')"; fi
    return $rc
}

# jq_check DESCRIPTION FILE FILTER: ok if the jq filter prints true for FILE.
jq_check() {
    local what=$1 file=$2 filter=$3 out
    if out=$(jq -e "$filter" "$file" 2>&1) && [ "$out" = true ]; then ok "$what"; else
        fail "$what: jq '$filter' gave '$(echo "$out" | head -c 300)'"; fi
}

# validate_metrics_file FORMAT FILE EXPECTATION...: FILE parses with python3-prometheus-client's
# FORMAT parser (openmetrics|prometheus) and has those sample values (see validate-metrics).
validate_metrics_file() {
    local format=$1 file=$2
    shift 2
    /run/add/scenario-lib/validate-metrics "$format" "$@" < "$file"
}

# Handshake log lines after a mark: mark=$(log_mark); ...; log_since "$mark"
log_mark() { handshake_lines 2>/dev/null | wc -l; }
log_since() { handshake_lines 2>/dev/null | tail -n +$(( $1 + 1 )); }
# wait_log_since MARK COUNT [SECONDS]: until COUNT handshake lines followed the mark.
wait_log_since() {
    local i
    for i in $(seq 1 $(( ${3:-5} * 10 ))); do
        [ "$(log_since "$1" | wc -l)" -ge "$2" ] && return 0
        sleep 0.1
    done
    return 1
}

# Peer identities handshaked returns for certificates are asymmetric keys (not readable); /proc/keys
# shows the key id the kernel parsed from the certificate: the last 4 bytes of its subject key id.
key_cert_id() {  # key_cert_id SERIAL -> e.g. c3fdec95 (empty if there is no such key)
    awk -v s="$(printf '%08x' "$1")" '$1 == s' /proc/keys | sed -n 's/.* X509\.[^ ]* \([0-9a-f]*\) .*/\1/p'
}
cert_id() {  # cert_id PEM -> the same 8 hex digits for a certificate file
    openssl x509 -in "$1" -noout -ext subjectKeyIdentifier | tail -n 1 | tr -d ' :\n' | tail -c 8 | tr 'A-F' 'a-f'
}
