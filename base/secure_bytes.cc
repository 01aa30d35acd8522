// SPDX-License-Identifier: GPL-2.0-or-later
#include "base/secure_bytes.h"

#include <cstring>

namespace handshaked {

void secure_wipe(void* data, std::size_t size) {
    // explicit_bzero is not elided by the optimiser the way a memset before free can be.
    explicit_bzero(data, size);
}

}  // namespace handshaked
