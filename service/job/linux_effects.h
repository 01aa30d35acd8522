// SPDX-License-Identifier: GPL-2.0-or-later
// The production adapters for a job's socket and kTLS effects: what effects.h asks for, done on
// the real socket. Unit tests use fakes of the same interfaces.
#pragma once

#include "service/job/effects.h"

namespace handshaked::job {

class LinuxSocketOps final : public SocketOps {
public:
    Result<SocketState> prepare(int fd) override;
    Result<void> restore(int fd, const SocketState& state) override;
};

class LinuxKtlsInstaller final : public KtlsInstaller {
public:
    Result<void> install(int fd, const tls::SessionKeys& keys) override;
};

}  // namespace handshaked::job
