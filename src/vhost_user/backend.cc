#include "vhost_user/backend.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "vhost_user/features.h"
#include "vhost_user/request_table.h"

namespace softvf::vhost_user {

namespace {

void CloseFd(int& fd) {
  if (fd >= 0) close(fd);
  fd = -1;
}

Status Einval(const std::string& what) {
  return Status::Errno(EINVAL, what);
}

std::string Hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

// a + b without wrapping past 2^64.
bool AddOverflows(uint64_t a, uint64_t b) {
  return a + b < a;
}

}  // namespace

NetBackend::NetBackend(const BackendOptions& options, RingListener* listener)
    : options_(options), listener_(listener) {
  if (options_.queue_pairs < 1) options_.queue_pairs = 1;
  if (options_.queue_pairs > kMaxQueuePairs) options_.queue_pairs = kMaxQueuePairs;
}

NetBackend::~NetBackend() {
  Reset();
}

void NetBackend::StopRing(int index) {
  Vring& ring = vrings_[index];
  if (ring.started && listener_) listener_->OnRingStop(index, ring);
  ring.started = false;
  CloseFd(ring.kick_fd);
  ring.kick_polled = false;
}

void NetBackend::DropMemory() {
  for (MappedRegion& r : memory_) CloseFd(r.fd);
  memory_.clear();
  ++memory_generation_;
}

void NetBackend::Reset() {
  for (int i = 0; i < kMaxRings; ++i) {
    StopRing(i);
    CloseFd(vrings_[i].call_fd);
    CloseFd(vrings_[i].err_fd);
    vrings_[i] = Vring{};
  }
  DropMemory();
  owner_ = false;
  acked_features_ = 0;
  acked_protocol_ = 0;
  status_ = 0;
}

bool NetBackend::RingReady(int i) const {
  if (i < 0 || i >= ring_count()) return false;
  const Vring& r = vrings_[i];
  bool enabled = r.enabled || !(acked_features_ & Bit(kVhostUserFProtocolFeatures));
  return r.started && enabled && r.addr_set && r.num != 0 && !memory_.empty();
}

Status NetBackend::RingIndex(uint32_t index) const {
  if (index >= static_cast<uint32_t>(ring_count()))
    return Einval("vring index " + std::to_string(index) + " (the VF has " +
                  std::to_string(ring_count()) + " rings)");
  return Status::Ok();
}

Status NetBackend::NeedOwner(const Message& msg) const {
  if (!owner_)
    return Status::Errno(EPERM, std::string(RequestName(msg.header.request)) + " before SET_OWNER");
  return Status::Ok();
}

Status NetBackend::Handle(Message& msg, Connection& conn) {
  const RequestInfo* info = FindRequest(msg.header.request);
  Status st = Status::Ok();
  if (!info) {
    st = Status::Errno(EPROTO, "unknown request " + std::to_string(msg.header.request));
  } else {
    st = Validate(*info, msg);
    if (st.ok() && !info->supported)
      st = Status::Errno(EOPNOTSUPP, std::string(info->name) + " is not supported");
  }
  bool replied = false;
  if (st.ok()) st = Dispatch(msg, conn, replied);
  CloseFds(msg);  // whatever a handler did not take
  // REPLY_ACK: a message without a reply of its own acknowledges with 0, or 1 on failure.
  if (info && !replied && info->reply == ReplyRule::kNone && msg.need_reply() &&
      has(kProtocolReplyAck)) {
    Status ack = conn.SendReplyU64(msg, st.ok() ? 0 : 1);
    if (st.ok()) st = ack;
  }
  if (!st.ok()) ++protocol_errors_;
  return st;
}

Status NetBackend::Dispatch(Message& msg, Connection& conn, bool& replied) {
  switch (msg.request()) {
    case Request::kGetFeatures:
      replied = true;
      return conn.SendReplyU64(msg, kOfferedFeatures);
    case Request::kSetFeatures: {
      uint64_t f = msg.As<uint64_t>();
      if (f & ~kOfferedFeatures)
        return Einval("feature bits " + Hex(f & ~kOfferedFeatures) + " were not offered");
      acked_features_ = f;
      return Status::Ok();
    }
    case Request::kGetProtocolFeatures:
      replied = true;
      return conn.SendReplyU64(msg, kOfferedProtocolFeatures);
    case Request::kSetProtocolFeatures: {
      uint64_t f = msg.As<uint64_t>();
      if (f & ~kOfferedProtocolFeatures)
        return Einval("protocol feature bits " + Hex(f & ~kOfferedProtocolFeatures) +
                      " were not offered");
      acked_protocol_ = f;
      return Status::Ok();
    }
    case Request::kGetQueueNum:
      replied = true;
      return conn.SendReplyU64(msg, static_cast<uint64_t>(options_.queue_pairs));
    case Request::kSetOwner:
      owner_ = true;
      return Status::Ok();
    case Request::kResetOwner:
    case Request::kResetDevice:
      Reset();
      return Status::Ok();
    case Request::kSetMemTable:
      SOFTVF_RETURN_IF_ERROR(NeedOwner(msg));
      return SetMemTable(msg);
    case Request::kSetVringNum: {
      SOFTVF_RETURN_IF_ERROR(NeedOwner(msg));
      const VringState& s = msg.As<VringState>();
      SOFTVF_RETURN_IF_ERROR(RingIndex(s.index));
      if (s.num == 0 || s.num > 32768 || (s.num & (s.num - 1)))
        return Einval("vring size " + std::to_string(s.num) + " (a power of 2 up to 32768)");
      vrings_[s.index].num = s.num;
      ++vrings_[s.index].setups;
      return Status::Ok();
    }
    case Request::kSetVringAddr: {
      SOFTVF_RETURN_IF_ERROR(NeedOwner(msg));
      const VringAddr& a = msg.As<VringAddr>();
      SOFTVF_RETURN_IF_ERROR(RingIndex(a.index));
      vrings_[a.index].addr = a;
      vrings_[a.index].addr_set = true;
      ++vrings_[a.index].setups;
      return Status::Ok();
    }
    case Request::kSetVringBase: {
      SOFTVF_RETURN_IF_ERROR(NeedOwner(msg));
      const VringState& s = msg.As<VringState>();
      SOFTVF_RETURN_IF_ERROR(RingIndex(s.index));
      if (s.num > 0xffff) return Einval("vring base " + std::to_string(s.num) + " of a split ring");
      vrings_[s.index].last_avail_idx = static_cast<uint16_t>(s.num);
      ++vrings_[s.index].setups;
      return Status::Ok();
    }
    case Request::kGetVringBase: {
      const VringState& s = msg.As<VringState>();
      SOFTVF_RETURN_IF_ERROR(RingIndex(s.index));
      StopRing(static_cast<int>(s.index));
      VringState reply{s.index, vrings_[s.index].last_avail_idx};
      replied = true;
      return conn.SendReply(msg, &reply, sizeof reply);
    }
    case Request::kSetVringKick:
      SOFTVF_RETURN_IF_ERROR(NeedOwner(msg));
      return SetVringFd(msg, &Vring::kick_fd);
    case Request::kSetVringCall:
      SOFTVF_RETURN_IF_ERROR(NeedOwner(msg));
      return SetVringFd(msg, &Vring::call_fd);
    case Request::kSetVringErr:
      SOFTVF_RETURN_IF_ERROR(NeedOwner(msg));
      return SetVringFd(msg, &Vring::err_fd);
    case Request::kSetVringEnable: {
      const VringState& s = msg.As<VringState>();
      SOFTVF_RETURN_IF_ERROR(RingIndex(s.index));
      if (s.num > 1) return Einval("SET_VRING_ENABLE with " + std::to_string(s.num));
      vrings_[s.index].enabled = s.num == 1;
      return Status::Ok();
    }
    case Request::kGetConfig:
      replied = true;
      return GetConfig(msg, conn);
    case Request::kSetConfig:
      return Status::Ok();  // the virtio-net config space has nothing a driver may write
    case Request::kNetSetMtu: {
      uint64_t mtu = msg.As<uint64_t>();
      if (mtu < 68 || mtu > 65535) return Einval("MTU " + std::to_string(mtu));
      options_.mtu = static_cast<uint16_t>(mtu);
      return Status::Ok();
    }
    case Request::kSetStatus:
      status_ = static_cast<uint8_t>(msg.As<uint64_t>());
      return Status::Ok();
    case Request::kGetStatus:
      replied = true;
      return conn.SendReplyU64(msg, status_);
    default:
      return Status::Errno(EOPNOTSUPP,
                           std::string(RequestName(msg.header.request)) + " is not supported");
  }
}

Status NetBackend::SetVringFd(Message& msg, int Vring::*field) {
  uint64_t v = msg.As<uint64_t>();
  if (v & ~(kVringIndexMask | kVringNoFdFlag)) return Einval("vring fd payload " + Hex(v));
  uint32_t index = static_cast<uint32_t>(v & kVringIndexMask);
  SOFTVF_RETURN_IF_ERROR(RingIndex(index));
  Vring& ring = vrings_[index];
  bool nofd = v & kVringNoFdFlag;
  int fd = nofd ? -1 : msg.fds[0];
  if (!nofd) msg.fds[0] = -1;  // taken
  if (field == &Vring::kick_fd) {
    // A new kick (re)starts the ring (vhost-user.rst "Starting and stopping rings").
    StopRing(static_cast<int>(index));
    ring.kick_fd = fd;
    ring.kick_polled = nofd;
    ring.started = true;
    ++ring.setups;
  } else {
    CloseFd(ring.*field);
    ring.*field = fd;
  }
  return Status::Ok();
}

Status NetBackend::SetMemTable(Message& msg) {
  const Memory& mem = msg.As<Memory>();
  std::vector<MappedRegion> next;
  for (uint32_t i = 0; i < mem.nregions; ++i) {
    const MemoryRegion& r = mem.regions[i];
    if (r.memory_size == 0) return Einval("memory region " + std::to_string(i) + " has size 0");
    if (AddOverflows(r.guest_phys_addr, r.memory_size) ||
        AddOverflows(r.userspace_addr, r.memory_size) || AddOverflows(r.mmap_offset, r.memory_size))
      return Einval("memory region " + std::to_string(i) + " wraps around 2^64");
    for (const MappedRegion& o : next) {
      const MemoryRegion& q = o.region;
      if (r.guest_phys_addr < q.guest_phys_addr + q.memory_size &&
          q.guest_phys_addr < r.guest_phys_addr + r.memory_size)
        return Einval("memory region " + std::to_string(i) + " overlaps another");
    }
    // A mapping past the end of a file is allowed by mmap, but touching it raises SIGBUS
    // in the daemon: a region must lie inside its fd (memfd, hugetlbfs or tmpfs file).
    struct stat st;
    if (fstat(msg.fds[i], &st) != 0)
      return Einval("memory region " + std::to_string(i) + ": fstat: " + std::strerror(errno));
    if (S_ISREG(st.st_mode) &&
        r.mmap_offset + r.memory_size > static_cast<uint64_t>(st.st_size))
      return Einval("memory region " + std::to_string(i) + ": mmap offset " + Hex(r.mmap_offset) +
                    " + size " + Hex(r.memory_size) + " is beyond its fd's " +
                    Hex(static_cast<uint64_t>(st.st_size)) + " bytes");
    next.push_back(MappedRegion{r, -1});
  }
  for (uint32_t i = 0; i < mem.nregions; ++i) {
    next[i].fd = msg.fds[i];
    msg.fds[i] = -1;
  }
  DropMemory();
  memory_ = std::move(next);
  return Status::Ok();
}

Status NetBackend::GetConfig(const Message& msg, Connection& conn) {
  // struct virtio_net_config (virtio 1.x 5.1.4): mac, status, max_virtqueue_pairs, mtu.
  uint8_t space[256] = {};
  std::memcpy(space, options_.mac.bytes().data(), 6);
  uint16_t link_up = 1, pairs = static_cast<uint16_t>(options_.queue_pairs), mtu = options_.mtu;
  std::memcpy(space + 6, &link_up, 2);
  std::memcpy(space + 8, &pairs, 2);
  std::memcpy(space + 10, &mtu, 2);
  const Config& req = msg.As<Config>();
  Config reply{};
  reply.offset = req.offset;
  reply.size = req.size;
  reply.flags = req.flags;
  if (req.offset < sizeof space && req.size <= sizeof space - req.offset)
    std::memcpy(reply.payload, space + req.offset, req.size);
  return conn.SendReply(msg, &reply, 12 + req.size);
}

}  // namespace softvf::vhost_user
