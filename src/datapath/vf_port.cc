#include "datapath/vf_port.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <ctime>

#include "virtio/features.h"
#include "virtio/ring_layout.h"

namespace softvf {

using vhost_user::Mode;

namespace {

uint64_t MonotonicNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

const char* RingName(int ring) {
  return ring % 2 ? "TX" : "RX";  // virtio-net: 2i receiveq i, 2i+1 transmitq i
}

}  // namespace

VfPort::VfPort(std::string path, Mode mode, const vhost_user::BackendOptions& options)
    : endpoint_(std::move(path), mode),
      backend_(options, this),
      label_(options.label.empty() ? "vhost-user " + endpoint_.path() : options.label) {}

void VfPort::LogEvent(LogLimit& limit, const std::string& what) {
  const uint64_t now = MonotonicNs();
  if (limit.last_ns != 0 && now - limit.last_ns < 1000000000ull) {
    ++limit.suppressed;
    ++stats_.log_suppressed;
    return;
  }
  limit.last_ns = now;
  if (limit.suppressed)
    std::fprintf(stderr, "softvf: %s: %s (%llu similar lines suppressed)\n", label_.c_str(),
                 what.c_str(), static_cast<unsigned long long>(limit.suppressed));
  else
    std::fprintf(stderr, "softvf: %s: %s\n", label_.c_str(), what.c_str());
  limit.suppressed = 0;
}

void VfPort::QueueBroken(int ring, const std::string& reason) {
  ++stats_.queue_errors;
  stopped_[ring] = Stopped{true, backend_.vring(ring).setups, backend_.memory_generation()};
  LogEvent(error_log_, std::string(RingName(ring)) + " queue " + std::to_string(ring / 2) +
           " stopped: " + reason);
}

VfPort::~VfPort() {
  Drop();
}

int VfPort::kick_fd(int ring) const {
  return ready_[ring] ? backend_.vring(ring).kick_fd : -1;
}

bool VfPort::TryAccept() {
  if (conn_) return false;
  auto fd = endpoint_.Accept();
  if (!fd.ok()) return false;
  conn_ = std::make_unique<vhost_user::Connection>(*fd);
  ++stats_.connects;
  return true;
}

bool VfPort::TryConnect() {
  if (conn_ || endpoint_.mode() != Mode::kClient) return false;
  auto fd = endpoint_.Connect();
  if (!fd.ok()) return false;
  conn_ = std::make_unique<vhost_user::Connection>(*fd);
  ++stats_.connects;
  return true;
}

bool VfPort::OnMessage() {
  if (!conn_) return false;
  vhost_user::Message msg;
  Status st = conn_->Receive(msg);
  if (st.errnum() == EAGAIN) return false;  // part of a message: the rest comes later
  if (st.ok() && mem_ && mem_->faulted())
    st = Status::Errno(EFAULT, "guest memory shrank under its mapping (SIGBUS)");
  if (st.ok()) st = backend_.Handle(msg, *conn_);
  if (st.ok()) st = Sync();
  if (!st.ok()) {
    if (st.errnum() == ECONNRESET) {
      LogEvent(disconnect_log_, "front end disconnected");
    } else {
      ++stats_.protocol_errors;
      LogEvent(error_log_, "protocol error, connection dropped: " + st.message());
    }
    Drop();
  }
  return true;
}

void VfPort::OnRingStop(int index, vhost_user::Vring& ring) {
  if (ready_[index]) ring.last_avail_idx = queues_[index].last_avail_idx();
}

void VfPort::Drop() {
  if (!conn_) return;
  ++stats_.disconnects;
  backend_.Reset();  // stops every ring (OnRingStop) and closes every fd it held
  conn_.reset();
  (void)Sync();
}

Status VfPort::Sync() {
  Status result = Status::Ok();
  if (backend_.memory_generation() != mem_generation_) {
    mem_generation_ = backend_.memory_generation();
    mem_.reset();
    if (!backend_.memory().empty()) {
      std::vector<virtio::MemoryRegionFd> regions;
      for (const vhost_user::MappedRegion& r : backend_.memory())
        regions.push_back({virtio::GuestAddress(r.region.guest_phys_addr), r.region.memory_size,
                           virtio::UserAddress(r.region.userspace_addr), r.region.mmap_offset,
                           r.fd});
      auto map = virtio::GuestMemoryMap::Map(regions);
      if (map.ok())
        mem_ = *map;
      else  // unmappable memory: the caller drops the connection
        result = Status::Errno(map.status().errnum(), "SET_MEM_TABLE: " + map.status().message());
    }
  }
  uint64_t f = backend_.acked_features();
  bool mrg = virtio::HasFeature(f, virtio::kNetFMrgRxbuf);
  header_len_ = virtio::NetHeaderLength(virtio::HasFeature(f, virtio::kFVersion1), mrg);
  if (!rx_writer_ || rx_writer_->config().mergeable != mrg ||
      rx_writer_->config().header_len != header_len_)
    rx_writer_ = std::make_unique<virtio::RxWriter>(virtio::RxConfig{mrg, header_len_});
  for (int i = 0; i < vhost_user::kMaxRings; ++i) {
    bool ready = mem_ && backend_.RingReady(i);
    Stopped& st = stopped_[i];
    if (st.stopped && (backend_.vring(i).setups != st.setups ||
                       backend_.memory_generation() != st.memory_generation))
      st.stopped = false;  // set up again: give it another chance
    if (st.stopped) ready = false;
    if (ready && !ready_[i]) {
      const vhost_user::Vring& v = backend_.vring(i);
      auto desc = mem_->UserToGuest(virtio::UserAddress(v.addr.desc_user_addr), 1);
      auto avail = mem_->UserToGuest(virtio::UserAddress(v.addr.avail_user_addr), 1);
      auto used = mem_->UserToGuest(virtio::UserAddress(v.addr.used_user_addr), 1);
      uint16_t used_idx = 0;
      if (used)
        mem_->CopyFrom(virtio::GuestAddress(used->value() + virtio::ring::kUsedIdx), &used_idx, 2);
      virtio::SplitQueueConfig cfg{v.num,
                                   desc.value_or(virtio::GuestAddress(~0ull)),
                                   avail.value_or(virtio::GuestAddress(~0ull)),
                                   used.value_or(virtio::GuestAddress(~0ull)),
                                   v.last_avail_idx,
                                   used_idx,
                                   virtio::HasFeature(f, virtio::kRingFEventIdx),
                                   virtio::HasFeature(f, virtio::kRingFIndirectDesc)};
      Status qs = Status::Ok();
      if (!desc || !avail || !used)
        qs = Status::Errno(EINVAL, std::string("bad_ring_address: the ") +
                                       (!desc ? "descriptor table" : !avail ? "available ring" : "used ring") +
                                       " is outside guest memory");
      else
        qs = queues_[i].Configure(cfg);
      ready = qs.ok();
      if (!ready) QueueBroken(i, qs.message());
      // Kicks are not wanted: a receive queue is never waited on (a frame with no buffer
      // is dropped), and a transmit queue is polled; the worker arms it before it sleeps.
      // Without this a polling front end (DPDK virtio-user) makes a write(2) per burst.
      if (ready) queues_[i].DisableNotifications(*mem_);
    } else if (!ready && ready_[i]) {
      backend_.SetLastAvail(i, queues_[i].last_avail_idx());
      queues_[i].Reset();
    }
    ready_[i] = ready;
  }
  return result;
}

size_t VfPort::PopTx(int qp, std::span<virtio::DescriptorChain> chains) {
  int ring = 2 * qp + 1;
  // The front end's memory went away under us (SIGBUS, handled: see GuestMemoryMap). This
  // is a safe point to drop it: nothing of this VF's memory is held at a burst's start.
  if (mem_ && mem_->faulted()) {
    ++stats_.protocol_errors;
    LogEvent(error_log_, "protocol error, connection dropped: guest memory shrank under its "
                         "mapping (SIGBUS)");
    Drop();
    return 0;
  }
  if (!ready_[ring]) return 0;
  virtio::SplitQueue& q = queues_[ring];
  size_t n = q.PopBurst(*mem_, chains);
  // It went away during this pop: whatever was read is zeros. Nothing is handed on; the
  // next call (a safe point) drops the front end.
  if (mem_->faulted()) return 0;
  if (q.broken()) {
    QueueBroken(ring, virtio::QueueErrorName(q.broken_reason()));
    ready_[ring] = false;  // stopped until the front end sets the ring up again
  }
  return n;
}

void VfPort::CompleteTx(int qp, uint16_t head) {
  int ring = 2 * qp + 1;
  if (!ready_[ring]) return;
  queues_[ring].PushUsed(*mem_, head, 0);
  dirty_[ring] = true;
}

void VfPort::RewindTx(int qp, uint16_t n) {
  int ring = 2 * qp + 1;
  if (ready_[ring]) queues_[ring].Rewind(n);
}

virtio::RxResult VfPort::DeliverRx(int qp, const virtio::FrameView& frame) {
  int ring = 2 * qp;
  if (!ready_[ring]) return virtio::RxResult::kNoBuffers;
  virtio::RxResult r = rx_writer_->Write(queues_[ring], *mem_, frame);
  if (r == virtio::RxResult::kQueueBroken) {
    QueueBroken(ring, virtio::QueueErrorName(queues_[ring].broken_reason()));
    ready_[ring] = false;
  } else if (r == virtio::RxResult::kDelivered || r == virtio::RxResult::kBadBuffer) {
    dirty_[ring] = true;
  }
  return r;
}

void VfPort::Signal(int ring) {
  int fd = backend_.vring(ring).call_fd;
  if (fd < 0) return;
  uint64_t one = 1;
  ssize_t n = write(fd, &one, sizeof one);
  (void)n;  // a full eventfd counter already means "signalled"
}

void VfPort::Flush() {
  for (int i = 0; i < vhost_user::kMaxRings; ++i) {
    if (!dirty_[i]) continue;
    dirty_[i] = false;
    if (!ready_[i]) continue;
    queues_[i].PublishUsed(*mem_);
    if (queues_[i].NeedsNotify(*mem_)) Signal(i);
  }
}

bool VfPort::ArmTxNotifications() {
  bool more = false;
  for (int qp = 0; qp < queue_pairs(); ++qp)
    if (ready_[2 * qp + 1]) more |= queues_[2 * qp + 1].EnableNotifications(*mem_);
  return more;
}

void VfPort::DisarmTxNotifications() {
  for (int qp = 0; qp < queue_pairs(); ++qp)
    if (ready_[2 * qp + 1]) queues_[2 * qp + 1].DisableNotifications(*mem_);
}

}  // namespace softvf
