// SPDX-License-Identifier: GPL-2.0-or-later
// Bytes that hold secrets (PSKs, private keys, traffic keys): wiped before their memory is freed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace handshaked {

void secure_wipe(void* data, std::size_t size);

class SecureBytes {
public:
    SecureBytes() = default;
    explicit SecureBytes(std::size_t size) : bytes_(size) {}
    SecureBytes(const void* data, std::size_t size)
        : bytes_(static_cast<const std::uint8_t*>(data),
                 static_cast<const std::uint8_t*>(data) + size) {}
    SecureBytes(const SecureBytes& other) : bytes_(other.bytes_) {}
    SecureBytes(SecureBytes&& other) noexcept : bytes_(std::move(other.bytes_)) {}
    SecureBytes& operator=(const SecureBytes& other) {
        if (this != &other) {
            clear();
            bytes_ = other.bytes_;
        }
        return *this;
    }
    SecureBytes& operator=(SecureBytes&& other) noexcept {
        if (this != &other) {
            clear();
            bytes_ = std::move(other.bytes_);
        }
        return *this;
    }
    ~SecureBytes() { clear(); }

    void clear() {
        if (!bytes_.empty()) secure_wipe(bytes_.data(), bytes_.size());
        bytes_.clear();
        bytes_.shrink_to_fit();
    }
    void resize(std::size_t size) {
        // Growing would move the old bytes without wiping them; callers size once.
        bytes_.resize(size);
    }

    std::uint8_t* data() { return bytes_.data(); }
    const std::uint8_t* data() const { return bytes_.data(); }
    std::size_t size() const { return bytes_.size(); }
    bool empty() const { return bytes_.empty(); }
    std::uint8_t operator[](std::size_t i) const { return bytes_[i]; }
    std::uint8_t& operator[](std::size_t i) { return bytes_[i]; }
    bool operator==(const SecureBytes& other) const { return bytes_ == other.bytes_; }

private:
    std::vector<std::uint8_t> bytes_;
};

}  // namespace handshaked
