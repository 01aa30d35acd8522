// SPDX-License-Identifier: GPL-2.0-or-later
// handshaked --check-config: load a configuration exactly as start and reload do (every
// certificate, key, CRL and truststore it names), without the kernel or any keyring, and say what
// would be used and every warning.
#pragma once

#include <cstdio>
#include <string>

namespace handshaked {

// Writes the report to out and the error (file:line first, when there is one) to err. Returns
// the exit status: 0 when the file would be accepted by a start or reload, 1 when not.
int check_config(const std::string& path, std::FILE* out, std::FILE* err);

}  // namespace handshaked
