// Test double: guest memory the way a vhost-user front end shares it — each region a
// memfd — laid out so that any access outside the map faults the test.
//
// Every region is mapped inside its own reservation with PROT_NONE guard pages before
// and after it, so a queue bug that computes a host pointer just outside a region
// crashes here instead of quietly reading a neighbour. Regions may be GPA-adjacent (to
// test copies and buffers that cross regions: their host memory is not contiguous) or
// leave gaps. The map is built with GuestMemoryMap::Create over these mappings; the
// memfds stay open so GuestMemoryMap::Map can be tested on them too.
#pragma once

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "virtio/guest_memory.h"

namespace softvf::virtio::testing {

struct FakeRegion {
  uint64_t gpa;
  uint64_t size;  // multiple of the page size
};

class FakeGuestMemory {
 public:
  static constexpr uint64_t kGuard = 64 * 1024;
  // Front-end virtual addresses are made up: gpa + this, so they differ from GPAs.
  static constexpr uint64_t kUserBase = 0x7f0000000000ull;

  explicit FakeGuestMemory(std::vector<FakeRegion> regions) {
    std::vector<MemoryRegion> plain;
    for (const FakeRegion& r : regions) {
      Backing b;
      b.fd = memfd_create("softvf-guest", MFD_CLOEXEC);
      EXPECT_GE(b.fd, 0);
      EXPECT_EQ(ftruncate(b.fd, static_cast<off_t>(r.size)), 0);
      b.reservation_len = r.size + 2 * kGuard;
      b.reservation = mmap(nullptr, b.reservation_len, PROT_NONE,
                           MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
      EXPECT_NE(b.reservation, MAP_FAILED);
      b.host = static_cast<uint8_t*>(b.reservation) + kGuard;
      void* p = mmap(b.host, r.size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, b.fd, 0);
      EXPECT_EQ(p, b.host);
      b.region = r;
      backings_.push_back(b);
      plain.push_back(
          MemoryRegion{GuestAddress(r.gpa), r.size, UserAddress(kUserBase + r.gpa), 0, b.host});
    }
    auto map = GuestMemoryMap::Create(plain);
    EXPECT_TRUE(map.ok()) << map.status().message();
    if (map.ok()) map_ = *map;
  }

  ~FakeGuestMemory() {
    map_.reset();
    for (const Backing& b : backings_) {
      munmap(b.reservation, b.reservation_len);
      close(b.fd);
    }
  }
  FakeGuestMemory(const FakeGuestMemory&) = delete;
  FakeGuestMemory& operator=(const FakeGuestMemory&) = delete;

  const GuestMemoryMap& map() const { return *map_; }
  std::shared_ptr<const GuestMemoryMap> shared() const { return map_; }
  int fd(size_t i) const { return backings_[i].fd; }
  uint8_t* region_host(size_t i) const { return backings_[i].host; }

  // Host pointer for a range the test knows to be mapped.
  uint8_t* Host(uint64_t gpa, uint64_t len = 1) const {
    uint8_t* p = map_->Translate(GuestAddress(gpa), len);
    EXPECT_NE(p, nullptr) << "test bug: gpa 0x" << std::hex << gpa << " not mapped";
    return p;
  }
  void Write(uint64_t gpa, const void* src, uint64_t len) const {
    EXPECT_TRUE(map_->CopyTo(GuestAddress(gpa), src, len));
  }
  std::vector<uint8_t> Read(uint64_t gpa, uint64_t len) const {
    std::vector<uint8_t> out(len);
    EXPECT_TRUE(map_->CopyFrom(GuestAddress(gpa), out.data(), len));
    return out;
  }
  void Fill(uint64_t gpa, uint8_t value, uint64_t len) const {
    std::vector<uint8_t> bytes(len, value);
    Write(gpa, bytes.data(), len);
  }

 private:
  struct Backing {
    FakeRegion region{};
    int fd = -1;
    void* reservation = nullptr;
    size_t reservation_len = 0;
    uint8_t* host = nullptr;
  };
  std::vector<Backing> backings_;
  std::shared_ptr<const GuestMemoryMap> map_;
};

}  // namespace softvf::virtio::testing
