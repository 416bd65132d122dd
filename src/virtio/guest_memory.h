// Guest memory as a vhost-user front end describes it (docs/interop/vhost-user.rst,
// "Memory regions description" and VHOST_USER_SET_MEM_TABLE): up to
// VHOST_MEMORY_BASELINE_NREGIONS (8) regions, each a guest-physical range backed by a
// shared-memory fd, also known by the front end's own virtual address (vhost-user ring
// addresses are front-end virtual addresses, descriptors carry guest-physical ones).
//
// Access is kept apart from management (the rust-vmm vm-memory split): a GuestMemoryMap
// is immutable once built. The data path holds it by std::shared_ptr<const
// GuestMemoryMap>; a new memory table builds a new map that replaces the old one while
// rings run (RCU style). Each burst pins one snapshot, and a host pointer obtained from
// a map is valid only while that map is pinned.
//
// Every lookup is overflow-safe: a guest can hand over any 64-bit address and length,
// and a range is only ever translated if it lies entirely inside mapped memory.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>

#include "common/status.h"

namespace softvf::virtio {

// A 64-bit address in one address space; the tag keeps the spaces from mixing.
template <typename Tag>
class TypedAddress {
 public:
  constexpr TypedAddress() = default;
  constexpr explicit TypedAddress(uint64_t value) : value_(value) {}
  constexpr uint64_t value() const { return value_; }
  constexpr auto operator<=>(const TypedAddress&) const = default;

 private:
  uint64_t value_ = 0;
};

struct GuestAddressTag {};
struct UserAddressTag {};
// Guest-physical address (GPA): what descriptors carry.
using GuestAddress = TypedAddress<GuestAddressTag>;
// Front-end (QEMU / virtio-user process) virtual address: what SET_VRING_ADDR carries.
using UserAddress = TypedAddress<UserAddressTag>;

// One region of the map. `host` points at guest address `gpa` in our address space.
struct MemoryRegion {
  GuestAddress gpa;
  uint64_t size = 0;
  UserAddress user_addr;
  uint64_t mmap_offset = 0;
  uint8_t* host = nullptr;
};

// A region as SET_MEM_TABLE delivers it: the fd still has to be mapped.
struct MemoryRegionFd {
  GuestAddress gpa;
  uint64_t size = 0;
  UserAddress user_addr;
  uint64_t mmap_offset = 0;
  int fd = -1;
};

class GuestMemoryMap {
 public:
  static constexpr size_t kMaxRegions = 8;  // VHOST_MEMORY_BASELINE_NREGIONS

  // Regions whose host memory the caller already mapped and keeps mapped for the map's
  // lifetime. EINVAL for more than 8 regions, a zero size, a range that wraps 2^64 (in
  // guest, user or host space), a null host pointer, or regions overlapping in GPA.
  static Result<std::shared_ptr<const GuestMemoryMap>> Create(
      std::span<const MemoryRegion> regions);

  // Maps each fd (MAP_SHARED, size + mmap_offset bytes from file offset 0, so an
  // unaligned mmap_offset works) and owns the mappings: the destructor unmaps them.
  // The fds are not closed; the mappings survive closing them. Same EINVAL rules as
  // Create, plus the errno of a failed mmap.
  static Result<std::shared_ptr<const GuestMemoryMap>> Map(std::span<const MemoryRegionFd> regions);

  ~GuestMemoryMap();
  GuestMemoryMap(const GuestMemoryMap&) = delete;
  GuestMemoryMap& operator=(const GuestMemoryMap&) = delete;

  // Host pointer for [addr, addr + len) if that range lies inside ONE region, else
  // nullptr. len == 0 asks only that addr itself is mapped.
  uint8_t* Translate(GuestAddress addr, uint64_t len) const {
    // The first region inline: nearly every buffer of a front end lies there (DPDK's one
    // memory segment, QEMU's RAM below 4 GiB), and this runs several times per frame.
    uint64_t off;
    if (count_ > 0 && OffsetIn(regions_[0].gpa.value(), regions_[0].size, addr.value(), len, &off))
      return regions_[0].host + off;
    return TranslateBeyondFirst(addr, len);
  }
  // Host pointer for addr and, in *contiguous, how many of the len bytes from there are
  // in the same region (a descriptor crossing GPA-adjacent regions is walked piecewise).
  uint8_t* TranslatePrefix(GuestAddress addr, uint64_t len, uint64_t* contiguous) const;
  // The same lookups in the front end's virtual address space.
  uint8_t* TranslateUser(UserAddress addr, uint64_t len) const;
  std::optional<GuestAddress> UserToGuest(UserAddress addr, uint64_t len) const;

  // Copies that may cross from one region into a GPA-adjacent one. All or nothing:
  // false (and no byte copied) unless the whole range is mapped.
  bool CopyFrom(GuestAddress addr, void* dst, uint64_t len) const;
  bool CopyTo(GuestAddress addr, const void* src, uint64_t len) const;

  // Whether [host, host + len) lies inside one region's host memory (tests and checks).
  bool ContainsHost(const void* host, uint64_t len) const;

  std::span<const MemoryRegion> regions() const { return {regions_.data(), count_}; }
  // Unique per map for the process lifetime (never reused, unlike an address), so a
  // queue can cache ring pointers per map and notice when the map was replaced.
  uint64_t generation() const { return generation_; }

  // True once an access to one of Map()'s mappings faulted (SIGBUS: the front end shrank
  // the file under it). The fault does not kill the daemon: the region is replaced by
  // anonymous zero memory, reads see zeros, writes go nowhere, and this turns true so
  // that the owner drops the front end at its next safe point.
  bool faulted() const { return faulted_.load(std::memory_order_relaxed); }

 private:
  struct Mapping {
    void* base = nullptr;
    size_t length = 0;
  };
  GuestMemoryMap();
  // Offset of addr inside [base, base + size) when [addr, addr + len) fits, written
  // without any sum that could wrap: the guest controls addr and len.
  static bool OffsetIn(uint64_t base, uint64_t size, uint64_t addr, uint64_t len,
                       uint64_t* offset) {
    if (addr < base) return false;
    const uint64_t off = addr - base;
    if (off >= size || len > size - off) return false;
    *offset = off;
    return true;
  }
  uint8_t* TranslateBeyondFirst(GuestAddress addr, uint64_t len) const;
  static Status Validate(std::span<const MemoryRegion> regions, bool check_host);
  bool RangeMapped(GuestAddress addr, uint64_t len) const;

  std::array<MemoryRegion, kMaxRegions> regions_{};  // sorted by gpa
  size_t count_ = 0;
  std::array<Mapping, kMaxRegions> mappings_{};  // owned by Map(), empty for Create()
  std::array<int, kMaxRegions> fault_slots_{-1, -1, -1, -1, -1, -1, -1, -1};
  uint64_t generation_ = 0;
  std::atomic<bool> faulted_{false};
};

}  // namespace softvf::virtio
