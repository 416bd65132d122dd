#include "virtio/guest_memory.h"

#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cinttypes>
#include <cstdarg>
#include <cstdio>
#include <csignal>
#include <cstring>
#include <mutex>
#include <string>

namespace softvf::virtio {
namespace {

bool Wraps(uint64_t start, uint64_t size) {
  return start + size < start;
}

// Control-path messages only; checked like printf.
[[gnu::format(printf, 1, 2)]] std::string Format(const char* fmt, ...) {
  char buf[256];
  va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(buf, sizeof(buf), fmt, ap);
  va_end(ap);
  return buf;
}

// Generations start at 1 so that 0 can mean "no map" to a cache.
std::atomic<uint64_t> next_generation{1};

// SIGBUS on guest memory. A front end can truncate the file it shared after we mapped it
// (memfd, tmpfs, hugetlbfs); the next touch of the lost pages raises SIGBUS in whichever
// worker touches it, which by default kills the daemon and every VF with it. The handler
// finds the mapping the fault is in, replaces that whole mapping with anonymous memory
// (MAP_FIXED, so every pointer into it stays valid) and flags its map; the access then
// completes on zeros. A fault anywhere else gets the default action, as before.
// The registry is a fixed array of atomics: the handler may only read it.
struct FaultSlot {
  std::atomic<bool> used{false};
  std::atomic<uintptr_t> begin{0};  // 0: empty (written last on claim, first on release)
  std::atomic<uintptr_t> length{0};
  std::atomic<std::atomic<bool>*> flag{nullptr};
};
constexpr size_t kFaultSlots = 4096;  // 8 regions for 512 VFs, with room for a changeover
FaultSlot fault_slots[kFaultSlots];

void OnSigbus(int, siginfo_t* info, void*) {
  const auto addr = reinterpret_cast<uintptr_t>(info->si_addr);
  for (FaultSlot& s : fault_slots) {
    const uintptr_t b = s.begin.load(std::memory_order_acquire);
    if (b == 0 || addr < b) continue;
    const uintptr_t len = s.length.load(std::memory_order_relaxed);
    if (addr - b >= len) continue;
    void* r = mmap(reinterpret_cast<void*>(b), len, PROT_READ | PROT_WRITE,
                   MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (r != MAP_FAILED) {
      if (std::atomic<bool>* f = s.flag.load(std::memory_order_relaxed))
        f->store(true, std::memory_order_relaxed);
      return;  // the faulting access runs again, on the anonymous pages
    }
    break;
  }
  // Not ours (or not recoverable): die as without this handler.
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  sigaction(SIGBUS, &dfl, nullptr);
  raise(SIGBUS);
}

void InstallSigbusHandler() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction sa {};
    sa.sa_sigaction = OnSigbus;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGBUS, &sa, nullptr);
  });
}

// -1 when every slot is taken (the mapping is then unprotected, as before).
int RegisterFaultRange(void* base, size_t length, std::atomic<bool>* flag) {
  for (size_t i = 0; i < kFaultSlots; ++i) {
    bool expected = false;
    if (!fault_slots[i].used.compare_exchange_strong(expected, true)) continue;
    fault_slots[i].length.store(length, std::memory_order_relaxed);
    fault_slots[i].flag.store(flag, std::memory_order_relaxed);
    fault_slots[i].begin.store(reinterpret_cast<uintptr_t>(base), std::memory_order_release);
    return static_cast<int>(i);
  }
  return -1;
}

void ReleaseFaultRange(int slot) {
  if (slot < 0) return;
  fault_slots[slot].begin.store(0, std::memory_order_release);
  fault_slots[slot].flag.store(nullptr, std::memory_order_relaxed);
  fault_slots[slot].used.store(false, std::memory_order_release);
}

}  // namespace

GuestMemoryMap::GuestMemoryMap()
    : generation_(next_generation.fetch_add(1, std::memory_order_relaxed)) {}

GuestMemoryMap::~GuestMemoryMap() {
  for (int slot : fault_slots_) ReleaseFaultRange(slot);
  for (const Mapping& m : mappings_) {
    if (m.base != nullptr) munmap(m.base, m.length);
  }
}

Status GuestMemoryMap::Validate(std::span<const MemoryRegion> regions, bool check_host) {
  if (regions.size() > kMaxRegions) {
    return Status::Errno(EINVAL, Format("guest memory: %zu regions, at most %zu are supported",
                                        regions.size(), kMaxRegions));
  }
  for (size_t i = 0; i < regions.size(); ++i) {
    const MemoryRegion& r = regions[i];
    if (r.size == 0) return Status::Errno(EINVAL, Format("guest memory region %zu: size is 0", i));
    if (Wraps(r.gpa.value(), r.size)) {
      return Status::Errno(EINVAL, Format("guest memory region %zu: guest address 0x%" PRIx64
                                          " + size 0x%" PRIx64 " wraps around 2^64",
                                          i, r.gpa.value(), r.size));
    }
    if (Wraps(r.user_addr.value(), r.size)) {
      return Status::Errno(EINVAL, Format("guest memory region %zu: user address 0x%" PRIx64
                                          " + size 0x%" PRIx64 " wraps around 2^64",
                                          i, r.user_addr.value(), r.size));
    }
    if (Wraps(r.mmap_offset, r.size)) {
      return Status::Errno(EINVAL, Format("guest memory region %zu: mmap offset 0x%" PRIx64
                                          " + size 0x%" PRIx64 " wraps around 2^64",
                                          i, r.mmap_offset, r.size));
    }
    if (check_host) {
      if (r.host == nullptr) {
        return Status::Errno(EINVAL, Format("guest memory region %zu: no host mapping", i));
      }
      if (Wraps(reinterpret_cast<uintptr_t>(r.host), r.size)) {
        return Status::Errno(EINVAL, Format("guest memory region %zu: host range wraps", i));
      }
    }
    // Two regions claiming one guest address would make translation ambiguous. User
    // ranges are not checked: a front end may alias one mapping at two GPAs.
    for (size_t j = 0; j < i; ++j) {
      const MemoryRegion& o = regions[j];
      const bool disjoint =
          r.gpa.value() >= o.gpa.value() + o.size || o.gpa.value() >= r.gpa.value() + r.size;
      if (!disjoint) {
        return Status::Errno(EINVAL, Format("guest memory region %zu [0x%" PRIx64 ", 0x%" PRIx64
                                            ") overlaps region %zu [0x%" PRIx64 ", 0x%" PRIx64 ")",
                                            i, r.gpa.value(), r.gpa.value() + r.size, j,
                                            o.gpa.value(), o.gpa.value() + o.size));
      }
    }
  }
  return Status::Ok();
}

Result<std::shared_ptr<const GuestMemoryMap>> GuestMemoryMap::Create(
    std::span<const MemoryRegion> regions) {
  SOFTVF_RETURN_IF_ERROR(Validate(regions, /*check_host=*/true));
  std::shared_ptr<GuestMemoryMap> map(new GuestMemoryMap());
  std::copy(regions.begin(), regions.end(), map->regions_.begin());
  map->count_ = regions.size();
  std::sort(map->regions_.begin(), map->regions_.begin() + map->count_,
            [](const MemoryRegion& a, const MemoryRegion& b) { return a.gpa < b.gpa; });
  return std::shared_ptr<const GuestMemoryMap>(std::move(map));
}

Result<std::shared_ptr<const GuestMemoryMap>> GuestMemoryMap::Map(
    std::span<const MemoryRegionFd> regions) {
  if (regions.size() > kMaxRegions) {
    return Status::Errno(EINVAL, Format("guest memory: %zu regions, at most %zu are supported",
                                        regions.size(), kMaxRegions));
  }
  std::array<MemoryRegion, kMaxRegions> plain{};
  for (size_t i = 0; i < regions.size(); ++i) {
    const MemoryRegionFd& r = regions[i];
    plain[i] = MemoryRegion{r.gpa, r.size, r.user_addr, r.mmap_offset, nullptr};
    if (r.fd < 0) return Status::Errno(EBADF, Format("guest memory region %zu: no fd", i));
  }
  SOFTVF_RETURN_IF_ERROR(Validate({plain.data(), regions.size()}, /*check_host=*/false));

  // The map owns each mapping as soon as it exists, so an early return unmaps them.
  std::shared_ptr<GuestMemoryMap> map(new GuestMemoryMap());
  for (size_t i = 0; i < regions.size(); ++i) {
    const MemoryRegionFd& r = regions[i];
    static_assert(sizeof(size_t) == sizeof(uint64_t), "64-bit hosts only");
    const uint64_t length = r.size + r.mmap_offset;  // no wrap: validated above
    // mmap maps past the end of a file, but the first touch there is SIGBUS: a region
    // must lie inside its file (memfd, tmpfs, hugetlbfs). Other fds are left to mmap.
    struct stat st;
    if (fstat(r.fd, &st) == 0 && S_ISREG(st.st_mode) &&
        length > static_cast<uint64_t>(st.st_size)) {
      return Status::Errno(EINVAL, Format("guest memory region %zu: mmap offset 0x%" PRIx64
                                          " + size 0x%" PRIx64 " is beyond the fd's 0x%" PRIx64
                                          " bytes",
                                          i, r.mmap_offset, r.size,
                                          static_cast<uint64_t>(st.st_size)));
    }
    void* base = mmap(nullptr, length, PROT_READ | PROT_WRITE, MAP_SHARED, r.fd, 0);
    if (base == MAP_FAILED) {
      const int err = errno;
      return Status::Errno(
          err, Format("guest memory region %zu: mmap of 0x%" PRIx64 " bytes failed: %s", i, length,
                      std::strerror(err)));
    }
    map->mappings_[i] = Mapping{base, static_cast<size_t>(length)};
    InstallSigbusHandler();
    map->fault_slots_[i] = RegisterFaultRange(base, static_cast<size_t>(length), &map->faulted_);
    plain[i].host = static_cast<uint8_t*>(base) + r.mmap_offset;
  }
  std::copy(plain.begin(), plain.begin() + regions.size(), map->regions_.begin());
  map->count_ = regions.size();
  std::sort(map->regions_.begin(), map->regions_.begin() + map->count_,
            [](const MemoryRegion& a, const MemoryRegion& b) { return a.gpa < b.gpa; });
  return std::shared_ptr<const GuestMemoryMap>(std::move(map));
}

uint8_t* GuestMemoryMap::TranslateBeyondFirst(GuestAddress addr, uint64_t len) const {
  for (size_t i = 1; i < count_; ++i) {
    const MemoryRegion& r = regions_[i];
    uint64_t off;
    if (OffsetIn(r.gpa.value(), r.size, addr.value(), len, &off)) return r.host + off;
  }
  return nullptr;
}

uint8_t* GuestMemoryMap::TranslatePrefix(GuestAddress addr, uint64_t len,
                                         uint64_t* contiguous) const {
  for (size_t i = 0; i < count_; ++i) {
    const MemoryRegion& r = regions_[i];
    uint64_t off;
    if (OffsetIn(r.gpa.value(), r.size, addr.value(), 0, &off)) {
      *contiguous = std::min(len, r.size - off);
      return r.host + off;
    }
  }
  *contiguous = 0;
  return nullptr;
}

uint8_t* GuestMemoryMap::TranslateUser(UserAddress addr, uint64_t len) const {
  for (size_t i = 0; i < count_; ++i) {
    const MemoryRegion& r = regions_[i];
    uint64_t off;
    if (OffsetIn(r.user_addr.value(), r.size, addr.value(), len, &off)) return r.host + off;
  }
  return nullptr;
}

std::optional<GuestAddress> GuestMemoryMap::UserToGuest(UserAddress addr, uint64_t len) const {
  for (size_t i = 0; i < count_; ++i) {
    const MemoryRegion& r = regions_[i];
    uint64_t off;
    if (OffsetIn(r.user_addr.value(), r.size, addr.value(), len, &off)) {
      return GuestAddress(r.gpa.value() + off);
    }
  }
  return std::nullopt;
}

bool GuestMemoryMap::RangeMapped(GuestAddress addr, uint64_t len) const {
  uint64_t a = addr.value();
  while (len > 0) {
    uint64_t n;
    if (TranslatePrefix(GuestAddress(a), len, &n) == nullptr) return false;
    // a + n ends inside a validated region, so it cannot wrap.
    a += n;
    len -= n;
  }
  return true;
}

bool GuestMemoryMap::CopyFrom(GuestAddress addr, void* dst, uint64_t len) const {
  if (!RangeMapped(addr, len)) return false;
  auto* out = static_cast<uint8_t*>(dst);
  uint64_t a = addr.value();
  while (len > 0) {
    uint64_t n;
    const uint8_t* host = TranslatePrefix(GuestAddress(a), len, &n);
    std::memcpy(out, host, n);
    out += n;
    a += n;
    len -= n;
  }
  return true;
}

bool GuestMemoryMap::CopyTo(GuestAddress addr, const void* src, uint64_t len) const {
  if (!RangeMapped(addr, len)) return false;
  auto* in = static_cast<const uint8_t*>(src);
  uint64_t a = addr.value();
  while (len > 0) {
    uint64_t n;
    uint8_t* host = TranslatePrefix(GuestAddress(a), len, &n);
    std::memcpy(host, in, n);
    in += n;
    a += n;
    len -= n;
  }
  return true;
}

bool GuestMemoryMap::ContainsHost(const void* host, uint64_t len) const {
  const auto p = reinterpret_cast<uintptr_t>(host);
  for (size_t i = 0; i < count_; ++i) {
    uint64_t off;
    if (OffsetIn(reinterpret_cast<uintptr_t>(regions_[i].host), regions_[i].size, p, len, &off)) {
      return true;
    }
  }
  return false;
}

}  // namespace softvf::virtio
