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
