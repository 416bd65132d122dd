// Guest memory for the virtio fuzz targets: three memfd-backed regions, each mapped inside
// a PROT_NONE reservation (guard pages on both sides), so a host pointer computed just
// outside a region faults at once instead of reading a neighbour (ASan does not watch
// mmap'ed memory). Regions A and B are GPA-adjacent (their host memory is not), C sits
// apart. Built once per process; Clear() zeroes the contents between inputs.
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "virtio/guest_memory.h"

namespace softvf::fuzz {

class FuzzGuestMemory {
 public:
  static constexpr uint64_t kGuard = 64 * 1024;
  static constexpr uint64_t kUserBase = 0x7f0000000000ull;
  struct Layout {
    uint64_t gpa;
    uint64_t size;
  };
  static constexpr Layout kRegions[3] = {
      {0x0, 0x8000},       // A: rings at its start, buffers after
      {0x8000, 0x4000},    // B: adjacent to A, so buffers can cross regions
      {0x100000, 0x2000},  // C: apart, with a gap before it
  };
  static constexpr size_t kCount = 3;

  static FuzzGuestMemory& Get() {
    static FuzzGuestMemory* m = new FuzzGuestMemory();  // never destroyed
    return *m;
  }

  const virtio::GuestMemoryMap& map() const { return *map_; }
  void Clear() {
    for (size_t i = 0; i < kCount; ++i) std::memset(host_[i], 0, kRegions[i].size);
  }
  // Host pointer for a mapped range (the harness's own writes), or nullptr.
  uint8_t* Host(uint64_t gpa, uint64_t len) const {
    return map_->Translate(virtio::GuestAddress(gpa), len);
  }
  // A driver-side write; the part that is not mapped is dropped.
  void Write(uint64_t gpa, const void* src, uint64_t len) const {
    const auto* s = static_cast<const uint8_t*>(src);
    for (uint64_t i = 0; i < len; ++i)
      if (uint8_t* p = Host(gpa + i, 1)) *p = s[i];
  }
  void Write16(uint64_t gpa, uint16_t v) const { Write(gpa, &v, 2); }
  uint16_t Read16(uint64_t gpa) const {
    uint16_t v = 0;
    if (const uint8_t* p = Host(gpa, 2)) std::memcpy(&v, p, 2);
    return v;
  }
  // Any address of the map: region r's start plus offset (wrapped into the region).
  static uint64_t Gpa(uint8_t region, uint32_t offset) {
    const Layout& l = kRegions[region % kCount];
    return l.gpa + offset % l.size;
  }

 private:
  FuzzGuestMemory() {
    virtio::MemoryRegion regions[kCount];
    for (size_t i = 0; i < kCount; ++i) {
      const Layout& l = kRegions[i];
      int fd = memfd_create("softvf-fuzz-guest", MFD_CLOEXEC);
      if (fd < 0 || ftruncate(fd, static_cast<off_t>(l.size)) != 0) abort();
      void* res = mmap(nullptr, l.size + 2 * kGuard, PROT_NONE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
      if (res == MAP_FAILED) abort();
      host_[i] = static_cast<uint8_t*>(res) + kGuard;
      if (mmap(host_[i], l.size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0) !=
          host_[i])
        abort();
      close(fd);
      regions[i] = virtio::MemoryRegion{virtio::GuestAddress(l.gpa), l.size,
                                        virtio::UserAddress(kUserBase + l.gpa), 0, host_[i]};
    }
    auto map = virtio::GuestMemoryMap::Create(regions);
    if (!map.ok()) abort();
    map_ = *map;
  }
  uint8_t* host_[kCount] = {};
  std::shared_ptr<const virtio::GuestMemoryMap> map_;
};

}  // namespace softvf::fuzz
