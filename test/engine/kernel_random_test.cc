// SPDX-License-Identifier: GPL-2.0-or-later
// wolfSSL's random source (third_party/wolfssl/kernel_random.cc): the kernel's getrandom through
// a buffer per thread, in place of a Hash_DRBG per session.
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>

#include <algorithm>
#include <array>
#include <cstdint>
#include <fstream>
#include <future>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include <wolfssl/wolfcrypt/settings.h>
#include <gtest/gtest.h>
#include <wolfssl/wolfcrypt/error-crypt.h>
#include <wolfssl/wolfcrypt/random.h>

#ifndef CUSTOM_RAND_GENERATE_BLOCK
#error "wolfSSL is built with its own DRBG, not the kernel's random source"
#endif

// kernel_random.cc fails with this value, so a failed getrandom is reported as a local fault.
static_assert(RNG_FAILURE_E == -199);

namespace {

std::vector<std::uint8_t> draw_through_wolfssl(WC_RNG& rng, std::size_t size) {
    std::vector<std::uint8_t> out(size);
    EXPECT_EQ(wc_RNG_GenerateBlock(&rng, out.data(), static_cast<word32>(out.size())), 0);
    return out;
}

class KernelRandom : public ::testing::Test {
protected:
    void SetUp() override { ASSERT_EQ(wc_InitRng(&rng_), 0); }
    void TearDown() override { wc_FreeRng(&rng_); }
    WC_RNG rng_{};
};

// Sizes around the buffer's edges: below, at and above the size read straight from the kernel,
// and a draw that no longer fits in what is left of the buffer.
TEST_F(KernelRandom, EverySizeIsFilledAndNoDrawRepeats) {
    std::vector<std::vector<std::uint8_t>> draws;
    for (std::size_t size : {16u, 32u, 48u, 500u, 511u, 512u, 513u, 1024u, 5000u, 32u, 32u}) {
        draws.push_back(draw_through_wolfssl(rng_, size));
        const auto& draw = draws.back();
        // wolfSSL zeroes the output before asking the source: sixteen zero bytes mean unfilled.
        EXPECT_NE(std::vector<std::uint8_t>(draw.begin(), draw.begin() + 16),
                  std::vector<std::uint8_t>(16, 0))
            << "size " << size;
    }
    for (std::size_t i = 0; i < draws.size(); ++i) {
        for (std::size_t j = i + 1; j < draws.size(); ++j) {
            EXPECT_NE(std::vector<std::uint8_t>(draws[i].begin(), draws[i].begin() + 16),
                      std::vector<std::uint8_t>(draws[j].begin(), draws[j].begin() + 16))
                << "draws " << i << " and " << j;
        }
    }
}

// 64 KiB in TLS-sized draws: each byte value is expected 256 times (standard deviation 16), so
// a count outside 128..400 means a broken source, not bad luck.
TEST_F(KernelRandom, ByteValuesAreEvenlySpread) {
    std::array<unsigned, 256> counts{};
    for (int i = 0; i < 2048; ++i) {
        for (std::uint8_t byte : draw_through_wolfssl(rng_, 32)) ++counts[byte];
    }
    for (unsigned value = 0; value < counts.size(); ++value) {
        EXPECT_GT(counts[value], 128u) << "byte value " << value;
        EXPECT_LT(counts[value], 400u) << "byte value " << value;
    }
}

// Ways to make a child process: fork runs pthread_atfork handlers, _Fork and a raw clone do not,
// so only the kernel's wipe-on-fork covers all three.
pid_t fork_with_handlers() { return fork(); }
pid_t fork_without_handlers() { return _Fork(); }
pid_t clone_without_libc() {
    return static_cast<pid_t>(syscall(SYS_clone, SIGCHLD, nullptr, nullptr, nullptr, nullptr));
}

struct ChildMaker {
    const char* name;
    pid_t (*make)();
    friend void PrintTo(const ChildMaker& maker, std::ostream* out) { *out << maker.name; }
};

class KernelRandomFork : public ::testing::TestWithParam<ChildMaker> {};

// A child inherits the parent's buffer; it must neither hand out the bytes the parent will nor,
// with the buffer wiped under it, the zeros of the wipe.
TEST_P(KernelRandomFork, ChildDoesNotRepeatItsParent) {
    std::array<unsigned char, 16> first{};
    ASSERT_EQ(handshaked_kernel_random_block(first.data(), first.size()), 0);  // fills the buffer

    int pipe_fds[2];
    ASSERT_EQ(pipe(pipe_fds), 0);
    const pid_t child = GetParam().make();
    ASSERT_GE(child, 0);
    if (child == 0) {
        std::array<unsigned char, 32> drawn{};
        const bool ok =
            handshaked_kernel_random_block(drawn.data(), drawn.size()) == 0 &&
            write(pipe_fds[1], drawn.data(), drawn.size()) == static_cast<ssize_t>(drawn.size());
        _exit(ok ? 0 : 1);
    }
    close(pipe_fds[1]);
    std::array<unsigned char, 32> in_parent{};
    ASSERT_EQ(handshaked_kernel_random_block(in_parent.data(), in_parent.size()), 0);
    std::array<unsigned char, 32> in_child{};
    ASSERT_EQ(read(pipe_fds[0], in_child.data(), in_child.size()),
              static_cast<ssize_t>(in_child.size()));
    close(pipe_fds[0]);
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    EXPECT_NE(in_parent, in_child);
    EXPECT_LT(std::count(in_child.begin(), in_child.end(), 0), 8)
        << "the child handed out the wiped buffer's zeros";
}

INSTANTIATE_TEST_SUITE_P(EveryWayToFork, KernelRandomFork,
                         ::testing::Values(ChildMaker{"fork", fork_with_handlers},
                                           ChildMaker{"underscore_Fork", fork_without_handlers},
                                           ChildMaker{"raw_clone", clone_without_libc}),
                         [](const auto& info) { return std::string(info.param.name); });

// What a thread_local destructor draws while its thread exits, after the buffer was erased.
std::array<unsigned char, 64> drawn_at_thread_exit{};
int status_at_thread_exit = -1;

struct DrawsWhenDestroyed {
    ~DrawsWhenDestroyed() {
        status_at_thread_exit = handshaked_kernel_random_block(drawn_at_thread_exit.data(),
                                                               drawn_at_thread_exit.size());
    }
};

// Destructors of thread_local objects run in reverse order of construction, so one made before
// the thread's first draw is destroyed after the buffer's eraser: it must still get random bytes
// (the kernel's), not the erased buffer's zeros.
TEST(KernelRandomThreadExit, DrawsAfterTheBufferIsErasedComeFromTheKernel) {
    std::thread([] {
        thread_local DrawsWhenDestroyed late;
        (void)&late;
        std::array<unsigned char, 32> first{};
        ASSERT_EQ(handshaked_kernel_random_block(first.data(), first.size()), 0);
    }).join();
    ASSERT_EQ(status_at_thread_exit, 0);
    const auto zeros = std::count(drawn_at_thread_exit.begin(), drawn_at_thread_exit.end(), 0);
    EXPECT_LT(zeros, 8) << "64 bytes drawn at thread exit were mostly zero";
}

// KiB of this process's memory that the kernel wipes in a fork child and leaves out of core
// dumps, as /proc/self/smaps says ("wf" and "dd" in VmFlags): the random buffers, one per thread.
// Counted in bytes, not mappings, since the kernel may merge adjacent ones.
long wiped_undumped_kib() {
    std::ifstream smaps("/proc/self/smaps");
    long total = 0;
    long size_kib = 0;
    for (std::string line; std::getline(smaps, line);) {
        if (line.rfind("Size:", 0) == 0) size_kib = std::stol(line.substr(5));
        if (line.rfind("VmFlags:", 0) != 0) continue;
        const std::string flags = line + " ";
        if (flags.find(" wf ") != std::string::npos && flags.find(" dd ") != std::string::npos)
            total += size_kib;
    }
    return total;
}

// The buffer is a mapping of its own while its thread draws, and gone when the thread has exited.
TEST(KernelRandomThreadExit, TheThreadsBufferIsUnmapped) {
    const long before = wiped_undumped_kib();
    std::promise<void> drawn;
    std::promise<void> may_exit;
    std::thread thread([&] {
        std::array<unsigned char, 32> bytes{};
        EXPECT_EQ(handshaked_kernel_random_block(bytes.data(), bytes.size()), 0);
        drawn.set_value();
        may_exit.get_future().wait();
    });
    drawn.get_future().wait();
    const long while_running = wiped_undumped_kib();
    may_exit.set_value();
    thread.join();
    EXPECT_EQ(while_running, before + sysconf(_SC_PAGESIZE) / 1024)
        << "the drawing thread has no wipe-on-fork page of its own";
    EXPECT_EQ(wiped_undumped_kib(), before) << "the exited thread's buffer is still mapped";
}

}  // namespace
