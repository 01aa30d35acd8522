// SPDX-License-Identifier: GPL-2.0-or-later
//
// Where wolfSSL's random numbers come from: the kernel's getrandom(2), through a small buffer
// per thread (user_settings.h names this function CUSTOM_RAND_GENERATE_BLOCK).
//
// Why not wolfSSL's Hash_DRBG: a threaded wolfSSL build gives every WOLFSSL object a DRBG of its
// own, and each instantiation runs the SP 800-90A health test and a getrandom seed; that was
// 6.8 % of a PSK handshake's instructions (test/bench/README.md). The kernel's generator is the
// one the kernel's TLS consumers already rely on; one getrandom per buffer serves several
// handshakes' nonces and key shares.
//
// Bytes handed out are erased from the buffer at once, so a later look at the process's memory
// finds no randomness that has been used (ephemeral keys). A child of fork(2) starts with an
// empty buffer (the atfork handler erases it) instead of repeating its parent's bytes.

#include <pthread.h>
#include <sys/random.h>

#include <string.h>  // explicit_bzero
#include <array>
#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstring>

#include "user_settings.h"

namespace {

// What wolfSSL calls a random-number failure (RNG_FAILURE_E), so alerts.cc reports a local fault
// (kernel_random_test checks the value against wolfSSL's).
constexpr int kRandomFailure = -199;

// Big enough for several handshakes' draws (a TLS 1.3 handshake takes a few hundred bytes in
// calls of 32-64 bytes), small enough that unused randomness stays little.
constexpr std::size_t kBufferBytes = 1024;

// Trivially destructible on purpose: a destructor of another thread_local object may still ask
// for random numbers after this thread's eraser (below) has run, and must then get the kernel's,
// not a buffer of erased zeros.
struct ThreadBuffer {
    std::array<unsigned char, kBufferBytes> bytes{};
    std::size_t used = kBufferBytes;  // bytes[used..] are unread; starts empty
    bool closed = false;              // the thread is exiting: no more buffering

    void drop() {
        explicit_bzero(bytes.data(), bytes.size());
        used = kBufferBytes;
    }
};

constinit thread_local ThreadBuffer thread_buffer;

// Erases the buffer when the thread exits, so no unread randomness outlives it.
struct ThreadBufferEraser {
    ThreadBufferEraser() = default;
    ThreadBufferEraser(const ThreadBufferEraser&) = delete;
    ThreadBufferEraser& operator=(const ThreadBufferEraser&) = delete;
    ~ThreadBufferEraser() {
        thread_buffer.drop();
        thread_buffer.closed = true;
    }
};

thread_local ThreadBufferEraser thread_buffer_eraser;

bool read_kernel_random(unsigned char* out, std::size_t size) {
    while (size > 0) {
        // No GRND_NONBLOCK: before the kernel's pool is initialised a handshake must wait, not
        // run with guessable keys.
        const ssize_t got = getrandom(out, size, 0);
        if (got < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        out += got;
        size -= static_cast<std::size_t>(got);
    }
    return true;
}

// In the child, whose one thread is the one that forked: its unread bytes are the parent's too.
void after_fork_in_child() { thread_buffer.drop(); }

// Registered while the library loads, not on the first draw, so no fork can meet a half-done
// registration; until then (draws from other static initialisers) nothing is buffered.
std::atomic<bool> fork_handler_ready{false};
[[maybe_unused]] const bool fork_handler_registration = [] {
    const bool ok = pthread_atfork(nullptr, nullptr, after_fork_in_child) == 0;
    fork_handler_ready.store(ok, std::memory_order_release);
    return ok;
}();

bool fork_handler_registered() { return fork_handler_ready.load(std::memory_order_acquire); }

}  // namespace

extern "C" int handshaked_kernel_random_block(unsigned char* output, unsigned int size) {
    ThreadBuffer& buffer = thread_buffer;
    // Straight from the kernel: large requests, a thread that is exiting, and any request if the
    // fork handler is missing (a fork child would repeat its parent's buffered bytes).
    if (size >= kBufferBytes / 2 || buffer.closed || !fork_handler_registered())
        return read_kernel_random(output, size) ? 0 : kRandomFailure;
    [[maybe_unused]] const ThreadBufferEraser& eraser = thread_buffer_eraser;  // registers it
    if (kBufferBytes - buffer.used < size) {
        buffer.drop();
        if (!read_kernel_random(buffer.bytes.data(), buffer.bytes.size())) return kRandomFailure;
        buffer.used = 0;
    }
    unsigned char* taken = buffer.bytes.data() + buffer.used;
    std::memcpy(output, taken, size);
    explicit_bzero(taken, size);
    buffer.used += size;
    return 0;
}
