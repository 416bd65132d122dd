// Shared by the vhost-user fuzz targets: the fds a front end sends (memfds for memory
// tables, eventfds for kicks and calls), draining replies, a check that no fd leaks, and
// what the data path does after each message (VfPort::Sync: map the memory table,
// translate the ring addresses, configure and run the queues).
#pragma once

#include <dirent.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <vector>

#include "virtio/guest_memory.h"
#include "virtio/ring_layout.h"
#include "virtio/split_queue.h"
#include "vhost_user/backend.h"

namespace softvf::fuzz {

inline void Check(bool ok) {
  if (!ok) abort();
}

// kind & 1: a 64 KiB memfd (what SET_MEM_TABLE wants), else an eventfd.
inline int MakeFd(uint8_t kind) {
  if (kind & 1) {
    int fd = memfd_create("softvf-fuzz", MFD_CLOEXEC);
    if (fd >= 0 && ftruncate(fd, 64 * 1024) != 0) abort();
    return fd;
  }
  return eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
}

inline int CountOpenFds() {
  int n = 0;
  DIR* d = opendir("/proc/self/fd");
  if (!d) return -1;
  while (readdir(d)) ++n;
  closedir(d);
  return n;
}

// Reads and drops whatever the back end replied, so its socket never fills up.
inline void Drain(int fd) {
  char buf[4096];
  while (recv(fd, buf, sizeof buf, MSG_DONTWAIT) > 0) {
  }
}

class Listener : public vhost_user::RingListener {
 public:
  void OnRingStop(int index, vhost_user::Vring& ring) override {
    Check(index >= 0 && index < vhost_user::kMaxRings);
    ring.last_avail_idx = static_cast<uint16_t>(ring.last_avail_idx + 1);
  }
};

// The data path's view of the back end after a message, as VfPort::Sync builds it.
class DataPathView {
 public:
  void Sync(const vhost_user::NetBackend& backend) {
    if (backend.memory_generation() != generation_) {
      generation_ = backend.memory_generation();
      mem_.reset();
      if (!backend.memory().empty()) {
        std::vector<virtio::MemoryRegionFd> regions;
        for (const vhost_user::MappedRegion& r : backend.memory()) {
          Check(r.fd >= 0);
          regions.push_back({virtio::GuestAddress(r.region.guest_phys_addr),
                             r.region.memory_size, virtio::UserAddress(r.region.userspace_addr),
                             r.region.mmap_offset, r.fd});
        }
        auto map = virtio::GuestMemoryMap::Map(regions);
        if (map.ok()) mem_ = *map;
      }
    }
    if (!mem_) return;
    for (int i = 0; i < backend.ring_count(); ++i) {
      if (!backend.RingReady(i)) continue;
      const vhost_user::Vring& v = backend.vring(i);
      Check(v.num != 0 && v.num <= virtio::ring::kMaxQueueSize && (v.num & (v.num - 1)) == 0);
      auto desc = mem_->UserToGuest(virtio::UserAddress(v.addr.desc_user_addr), 1);
      auto avail = mem_->UserToGuest(virtio::UserAddress(v.addr.avail_user_addr), 1);
      auto used = mem_->UserToGuest(virtio::UserAddress(v.addr.used_user_addr), 1);
      if (!desc || !avail || !used) continue;
      uint16_t used_idx = 0;
      mem_->CopyFrom(virtio::GuestAddress(used->value() + virtio::ring::kUsedIdx), &used_idx, 2);
      virtio::SplitQueue q;
      if (!q.Configure({v.num, *desc, *avail, *used, v.last_avail_idx, used_idx, true, true}).ok())
        continue;
      virtio::DescriptorChain chain;
      for (int k = 0; k < 4 && q.Pop(*mem_, &chain); ++k) {
        for (const virtio::Segment& s : chain.segments()) Check(mem_->ContainsHost(s.host, s.len));
        q.PushUsed(*mem_, chain.head(), 0);
      }
      q.PublishUsed(*mem_);
      q.NeedsNotify(*mem_);
    }
  }

 private:
  uint64_t generation_ = ~0ull;
  std::shared_ptr<const virtio::GuestMemoryMap> mem_;
};

}  // namespace softvf::fuzz
