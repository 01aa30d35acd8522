// SPDX-License-Identifier: GPL-2.0-or-later
// Hands a handshaken TCP socket's record layer to the kernel: TCP_ULP "tls", then TLS_TX, then
// TLS_RX. Any failure is ErrorCause::kLocalFault (EIO in DONE), with the failing step and strerror.
#pragma once

#include "base/result.h"
#include "service/tls/engine.h"

namespace handshaked::ktls {

Result<void> install_ktls(int fd, const tls::SessionKeys& keys);

}  // namespace handshaked::ktls
