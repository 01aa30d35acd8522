// SPDX-License-Identifier: GPL-2.0-or-later
// The production adapters for a job's socket and kTLS effects.
#pragma once

#include "service/job/effects.h"

namespace handshaked::workers {

class LinuxSocketOps final : public job::SocketOps {
public:
    Result<job::SocketState> prepare(int fd) override;
    Result<void> restore(int fd, const job::SocketState& state) override;
};

class LinuxKtlsInstaller final : public job::KtlsInstaller {
public:
    Result<void> install(int fd, const tls::SessionKeys& keys) override;
};

}  // namespace handshaked::workers
