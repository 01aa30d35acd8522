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
// finds no randomness that has been used (ephemeral keys). Each buffer is a mapping of its own
// with MADV_WIPEONFORK, so any child (fork, _Fork, clone without CLONE_VM) finds every thread's
// buffer zeroed, and the buffer's own count of unread bytes with it, instead of repeating its
// parent's bytes; and MADV_DONTDUMP keeps it out of core dumps.

#include <sys/mman.h>
#include <sys/random.h>
#include <unistd.h>

#include <string.h>  // explicit_bzero
#include <array>
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

// Everything a fork child must not inherit lives in the wiped mapping: after the wipe 'unread'
// is zero, so the child refills from the kernel rather than hand out zeros.
struct BufferPage {
    std::size_t unread;  // the last 'unread' bytes of 'bytes' have not been handed out
    std::array<unsigned char, kBufferBytes> bytes;
};

// Trivially destructible on purpose: a destructor of another thread_local object may still ask
// for random numbers after this thread's unmapper (below) has run, and must then get the
// kernel's, not a freed page.
struct ThreadBuffer {
    BufferPage* page = nullptr;
    bool direct = false;  // the thread is exiting, or the buffer could not be set up

    static std::size_t mapping_bytes() {
        const long page_size = sysconf(_SC_PAGESIZE);
        const std::size_t unit = page_size > 0 ? static_cast<std::size_t>(page_size) : 4096;
        return (sizeof(BufferPage) + unit - 1) / unit * unit;
    }

    // Without wipe-on-fork (kernels before 4.14) nothing is buffered: a child would repeat.
    bool map() {
        void* memory = mmap(nullptr, mapping_bytes(), PROT_READ | PROT_WRITE,
                            MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (memory == MAP_FAILED) return false;
        if (madvise(memory, mapping_bytes(), MADV_WIPEONFORK) != 0) {
            munmap(memory, mapping_bytes());
            return false;
        }
        madvise(memory, mapping_bytes(), MADV_DONTDUMP);  // a core dump without it is still safe
        page = static_cast<BufferPage*>(memory);          // fresh anonymous memory: unread = 0
        return true;
    }

    void unmap() {
        if (page == nullptr) return;
        explicit_bzero(page, sizeof *page);
        munmap(page, mapping_bytes());
        page = nullptr;
    }
};

constinit thread_local ThreadBuffer thread_buffer;

// Erases and unmaps the buffer when the thread exits, so no unread randomness outlives it.
struct ThreadBufferUnmapper {
    ThreadBufferUnmapper() = default;
    ThreadBufferUnmapper(const ThreadBufferUnmapper&) = delete;
    ThreadBufferUnmapper& operator=(const ThreadBufferUnmapper&) = delete;
    ~ThreadBufferUnmapper() {
        thread_buffer.unmap();
        thread_buffer.direct = true;
    }
};

thread_local ThreadBufferUnmapper thread_buffer_unmapper;

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

}  // namespace

extern "C" int handshaked_kernel_random_block(unsigned char* output, unsigned int size) {
    ThreadBuffer& buffer = thread_buffer;
    if (buffer.page == nullptr && !buffer.direct) {
        // Touching the unmapper registers its destructor for this thread.
        [[maybe_unused]] const ThreadBufferUnmapper& unmapper = thread_buffer_unmapper;
        if (!buffer.map()) buffer.direct = true;
    }
    // Large requests gain nothing from the buffer and would empty it.
    if (size >= kBufferBytes / 2 || buffer.direct)
        return read_kernel_random(output, size) ? 0 : kRandomFailure;
    BufferPage& page = *buffer.page;
    if (page.unread < size) {
        explicit_bzero(page.bytes.data(), page.bytes.size());
        page.unread = 0;
        if (!read_kernel_random(page.bytes.data(), page.bytes.size())) return kRandomFailure;
        page.unread = kBufferBytes;
    }
    unsigned char* taken = page.bytes.data() + (kBufferBytes - page.unread);
    std::memcpy(output, taken, size);
    explicit_bzero(taken, size);
    page.unread -= size;
    return 0;
}
