// SPDX-License-Identifier: GPL-2.0-or-later
// The adapters through which a HandshakeJob touches the world. Production adapters talk to the
// kernel; tests substitute fakes, so every kernel-visible outcome is checked without a kernel.
#pragma once

#include <string>

#include "base/result.h"
#include "service/keys/key_store.h"
#include "service/tls/engine.h"

namespace handshaked::job {

// What the job changed on the consumer's socket, so it can be put back before DONE: the file
// is the kernel consumer's own, and O_NONBLOCK left behind would be visible to it.
struct SocketState {
    int file_flags = 0;
    int tcp_nodelay = 0;
    std::string peer_address;  // "192.0.2.1:2049", for logs and D-Bus
};

class SocketOps {
public:
    virtual ~SocketOps() = default;
    // Check the socket is TCP (else kNotTcp), remember its flags, make it non-blocking and
    // TCP_NODELAY for the handshake.
    virtual Result<SocketState> prepare(int fd) = 0;
    virtual Result<void> restore(int fd, const SocketState& state) = 0;
};

class KtlsInstaller {
public:
    virtual ~KtlsInstaller() = default;
    virtual Result<void> install(int fd, const tls::SessionKeys& keys) = 0;
};

struct JobEffects {
    keys::KeyStore& keys;
    tls::TlsEngine& engine;
    SocketOps& sockets;
    KtlsInstaller& ktls;
};

}  // namespace handshaked::job
