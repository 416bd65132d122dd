#include "datapath/worker.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <condition_variable>
#include <cstring>

#include "common/prefetch.h"
#include "eswitch/ethernet.h"
#include "virtio/tx_reader.h"

namespace softvf {

using eswitch::Decision;
using eswitch::DropReason;
using eswitch::PortId;
using eswitch::VlanAction;

namespace {
constexpr int kIdleBurstsBeforeSleep = 256;

// The receiver's queue pair for a frame from the sender's pair qp: the same one, or
// folded onto the receiver's fewer pairs (the division only then: it is per frame).
int ReceiveQueueFor(int qp, int receiver_pairs) {
  return qp < receiver_pairs ? qp : qp % receiver_pairs;
}
}  // namespace

uint64_t MonotonicNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1000000000ull + uint64_t(ts.tv_nsec);
}

Worker::Worker(std::shared_ptr<const eswitch::PolicyTable> policies,
               const eswitch::Veb::Options& options)
    : veb_(std::move(policies), options, MonotonicNs()),
      wake_fd_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  ports_.resize(veb_.port_count() > 2 ? veb_.port_count() - 2 : 0);
  rx_hints_.resize(ports_.size());
  host_ports_.resize(veb_.port_count());
}

Worker::~Worker() {
  Stop();
  ports_.clear();
  host_ports_.clear();
  if (wake_fd_ >= 0) close(wake_fd_);
}

void Worker::Start() {
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] { Run(); });
}

void Worker::Stop() {
  if (!thread_.joinable()) return;
  stop_ = true;
  uint64_t one = 1;
  ssize_t n = write(wake_fd_, &one, sizeof one);
  (void)n;
  thread_.join();
}

void Worker::Call(const std::function<void(Worker&)>& fn) {
  if (!thread_.joinable()) {  // not running: the caller is the only thread
    fn(*this);
    return;
  }
  std::unique_lock<std::mutex> lock(mu_);
  commands_.push_back(fn);
  uint64_t ticket = ++posted_;
  uint64_t one = 1;
  ssize_t n = write(wake_fd_, &one, sizeof one);
  (void)n;
  done_cv_.wait(lock, [&] { return done_ >= ticket; });
}

void Worker::RunCommands() {
  uint64_t drained;
  ssize_t n = read(wake_fd_, &drained, sizeof drained);
  (void)n;
  std::vector<std::function<void(Worker&)>> batch;
  {
    std::lock_guard<std::mutex> lock(mu_);
    batch.swap(commands_);
  }
  for (auto& fn : batch) fn(*this);
  {
    std::lock_guard<std::mutex> lock(mu_);
    done_ += batch.size();
  }
  done_cv_.notify_all();
}

Status Worker::Attach(uint16_t vf, std::unique_ptr<VfPort> port) {
  if (vf >= ports_.size()) return Status::Errno(EINVAL, "no such VF");
  if (ports_[vf]) return Status::Errno(EBUSY, "VF " + std::to_string(vf) + " is already attached");
  ports_[vf] = std::move(port);
  return Status::Ok();
}

void Worker::Detach(uint16_t vf) {
  if (vf < ports_.size()) ports_[vf].reset();
  veb_.fdb().FlushPort(PortId::Vf(vf), true);
}

Status Worker::AttachHost(PortId id, std::unique_ptr<netdev::HostPort> port) {
  if (id.value() >= host_ports_.size()) return Status::Errno(EINVAL, "no such switch port");
  if (host_ports_[id.value()] || (id.is_vf() && ports_[id.vf_index()]))
    return Status::Errno(EBUSY, eswitch::PortName(id) + " is already attached");
  if (host_rx_pool_.empty()) {  // control path: the one allocation host ports need
    host_rx_pool_.resize(kBurst * netdev::kRxBufferLen);
    for (size_t i = 0; i < kBurst; ++i)
      host_rx_[i] = netdev::RxSlot{host_rx_pool_.data() + i * netdev::kRxBufferLen,
                                   netdev::kRxBufferLen, 0, 0};
  }
  host_ports_[id.value()] = std::move(port);
  active_hosts_.push_back(id);
  if (id == PortId::Uplink()) RebuildPolicies();
  return Status::Ok();
}

void Worker::DetachHost(PortId id) {
  if (id.value() >= host_ports_.size() || !host_ports_[id.value()]) return;
  host_ports_[id.value()].reset();
  std::erase(active_hosts_, id);
  veb_.fdb().FlushPort(id, true);
  if (id == PortId::Uplink()) RebuildPolicies();
}

bool Worker::uplink_up() const {
  const auto& up = host_ports_[PortId::Uplink().value()];
  return !up || up->link().up();
}

void Worker::SetVfPolicies(std::vector<VfConfig> vfs, size_t num_enabled, eswitch::VlanId pf_vlan) {
  vf_configs_ = std::move(vfs);
  vfs_enabled_ = num_enabled;
  pf_vlan_ = pf_vlan;
  policies_from_configs_ = true;
  RebuildPolicies();
}

void Worker::RebuildPolicies() {
  if (!policies_from_configs_) return;
  auto table = eswitch::PolicyTable::ForPf(uplink_up(), true, vf_configs_, vfs_enabled_, pf_vlan_);
  if (table.ok()) (void)veb_.SetPolicies(*table, MonotonicNs());
}

VfPort* Worker::ConnectedVf(PortId out) {
  VfPort* p = out.is_vf() ? port(out.vf_index()) : nullptr;
  return p && p->connected() ? p : nullptr;
}

void Worker::Deliver(PortId out, int qp, const Decision& d, const uint8_t* head, uint32_t copied,
                     const virtio::FrameView& rest) {
  VfPort* dst = ConnectedVf(out);
  netdev::HostPort* host = dst ? nullptr : host_port(out);
  if (!dst && !host) {
    veb_.CountDrop(out, DropReason::kNoBuffer);
    return;
  }
  // The copy the receiver gets: the judged head (edited for VLANs) + the rest, once.
  virtio::FrameView& frame = out_view_;
  frame.Clear();
  VlanAction act = d.ActionFor(veb_.policy(out));
  eswitch::VlanHeader tag = d.push_tag.ToWire();
  bool ok = true;
  switch (act) {
    case VlanAction::kNone:
      ok = frame.Append(head, copied);
      break;
    case VlanAction::kPush:
      ok = frame.Append(head, 12) && frame.Append(reinterpret_cast<const uint8_t*>(&tag), 4) &&
           frame.Append(head + 12, copied - 12);
      break;
    case VlanAction::kPop:
      ok = copied >= 16 && frame.Append(head, 12) && frame.Append(head + 16, copied - 16);
      break;
  }
  ok = ok && frame.AppendFrom(rest, copied);
  if (ok && dst)
    ok = dst->DeliverRx(ReceiveQueueFor(qp, dst->queue_pairs()), frame) ==
         virtio::RxResult::kDelivered;
  else if (ok)
    ok = SendHost(*host, frame);
  if (ok)
    veb_.CountTx(out, frame.length(), d);
  else
    veb_.CountDrop(out, DropReason::kNoBuffer);
}

bool Worker::SendHost(netdev::HostPort& host, const virtio::FrameView& frame) {
  if (!host.link().up()) return false;  // the kernel would refuse it: count it here
  std::array<iovec, virtio::FrameView::kMaxSlices> iov;
  int n = 0;
  for (const virtio::FrameSlice& s : frame.slices())
    iov[n++] = iovec{const_cast<uint8_t*>(s.data), s.len};
  return host.SendV(iov.data(), n);
}

// Inlined into every caller: it is the per-frame path (as a call it cost ~5% at 64 B in
// bench/forward_bench.cc). Copies the frame's head out of `view` into head[] (the switch
// judges and delivers that copy) and decides where the frame goes; false for a runt.
[[gnu::always_inline]] inline bool Worker::Classify(PortId in, const virtio::FrameView& view,
                                                    uint8_t* head, uint32_t& copied, Decision& d,
                                                    uint64_t now) {
  const uint32_t len = view.length();
  const std::span<const virtio::FrameSlice> slices = view.slices();
  if (!slices.empty() && slices[0].len >= kHeadCopy) {  // the usual frame: one fixed copy
    std::memcpy(head, slices[0].data, kHeadCopy);
    copied = kHeadCopy;
  } else {
    copied = view.CopyOut(0, head, len < kHeadCopy ? len : kHeadCopy);
  }
  if (!eswitch::ParseFrame(head, copied, frame_info_)) {
    veb_.CountDrop(in, DropReason::kRunt);
    d.kind = Decision::Kind::kDrop;
    return false;
  }
  veb_.Decide(in, frame_info_, len, now, d);
  ++stats_.frames;
  return true;
}

[[gnu::always_inline]] inline void Worker::DeliverAll(int qp, const Decision& d,
                                                      const uint8_t* head, uint32_t copied,
                                                      const virtio::FrameView& view) {
  if (d.kind == Decision::Kind::kUnicast) {
    Deliver(d.port, qp, d, head, copied, view);
  } else if (d.kind == Decision::Kind::kFlood) {
    d.ports.ForEach([&](PortId out) { Deliver(out, qp, d, head, copied, view); });
  }
}

[[gnu::always_inline]] inline void Worker::ForwardView(PortId in, int qp,
                                                       const virtio::FrameView& view,
                                                       uint64_t now) {
  alignas(64) uint8_t head[kHeadCopy];
  uint32_t copied = 0;
  if (Classify(in, view, head, copied, decision_, now))
    DeliverAll(qp, decision_, head, copied, view);
}

void Worker::NoteReceiver(PortId out, int qp, uint32_t bytes) {
  VfPort* dst = ConnectedVf(out);
  if (!dst) return;  // a host port, or nobody there: nothing to warm
  const int rx_qp = ReceiveQueueFor(qp, dst->queue_pairs());
  bytes += dst->net_header_len();
  for (size_t k = 0; k < num_receivers_; ++k) {
    Receiver& r = receivers_[k];
    if (r.port == dst && r.qp == rx_qp) {
      ++r.frames;
      if (bytes > r.bytes) r.bytes = bytes;
      return;
    }
  }
  if (num_receivers_ < receivers_.size())
    receivers_[num_receivers_++] = {dst, out.vf_index(), rx_qp, 1, bytes};
}

void Worker::PrefetchHinted(const RxHint& hint, uint16_t n) {
  VfPort* dst = hint.vf < ports_.size() ? ports_[hint.vf].get() : nullptr;
  if (dst && dst->connected() && hint.qp < dst->queue_pairs()) dst->PrefetchRxPosted(hint.qp, n);
}

void Worker::PrefetchReceivers(RxHint& hint) {
  if (num_receivers_ > 0) hint = RxHint{receivers_[0].vf, static_cast<uint16_t>(receivers_[0].qp)};
  // Lines per buffer: the header and the frame's start. Past that the copy itself streams
  // and the hardware prefetcher follows it.
  constexpr uint32_t kWarmBytes = 256;
  for (size_t k = 0; k < num_receivers_; ++k) {
    const Receiver& r = receivers_[k];
    r.port->PrefetchRx(r.qp, r.frames, r.bytes < kWarmBytes ? r.bytes : kWarmBytes);
  }
  num_receivers_ = 0;
}

[[gnu::always_inline]] inline void Worker::Judge(PortId in, int qp, size_t i, uint64_t now) {
  BurstFrame& f = frames_[i];
  Decision& d = decisions_[i];
  if (!Classify(in, tx_views_[i], f.head, f.copied, d, now)) return;
  // What the receiver writes past its virtio-net header: the frame, 4 more with a pushed
  // tag (NoteReceiver adds the header). Exact, so no line past the frame is warmed.
  const uint32_t bytes = tx_views_[i].length() + (d.from_port_vlan ? 4 : 0);
  if (d.kind == Decision::Kind::kUnicast)
    NoteReceiver(d.port, qp, bytes);
  else if (d.kind == Decision::Kind::kFlood)
    d.ports.ForEach([&](PortId out) { NoteReceiver(out, qp, bytes); });
}

void Worker::ForwardTxBurst(uint16_t in_vf, int qp, size_t n, uint64_t now) {
  VfPort& src = *ports_[in_vf];
  const PortId in = PortId::Vf(in_vf);
  RxHint& hint = rx_hints_[in_vf][static_cast<size_t>(qp)];
  // 1. Where each frame lies (descriptors only); start loading every head, and claim the
  // used-ring lines the chains will be returned in; start on the likely receiver's ring.
  PrefetchHinted(hint, static_cast<uint16_t>(n));
  src.PrefetchTxUsed(qp, static_cast<uint16_t>(n));
  for (size_t i = 0; i < n; ++i) {
    virtio::FrameView& view = tx_views_[i];
    frames_[i].valid = virtio::ReadTxFrame(chains_[i], src.net_header_len(), nullptr, &view);
    if (frames_[i].valid && !view.slices().empty()) {
      const uint8_t* p = view.slices()[0].data;
      PrefetchForRead(p);
      PrefetchForRead(p + kHeadCopy - 1);
    }
  }
  // 2. Judge in order. A frame max_tx_rate holds stays in the ring with all after it.
  size_t judged = n;
  num_receivers_ = 0;
  for (size_t i = 0; i < n; ++i) {
    if (!frames_[i].valid) {  // returned used, unsent; counted here, once: not rewound
      src.CountTxBadBuffer();
      continue;
    }
    if (!veb_.MayTransmit(in, tx_views_[i].length(), now)) {
      src.RewindTx(qp, static_cast<uint16_t>(n - i));
      judged = i;
      break;
    }
    Judge(in, qp, i, now);
  }
  // 3. Warm the receivers' next buffers, all of them before the first copy.
  PrefetchReceivers(hint);
  // 4. Deliver in order, then give the sender its buffers back. The usual frame (to one
  // VF, tag untouched, one buffer) only has its buffer reserved here; the copies follow
  // in one pass (FillReserved), and the other frames' deliveries wait for them, so every
  // receive queue is still filled in transmit order.
  // Past its head a frame is read only at its copy: start loading the body two frames
  // ahead, so a 1500-byte copy does not wait line by line (1500 B: ~+10%, within a noisy
  // host).
  constexpr size_t kBodyAhead = 2;
  for (size_t i = 0; i < judged; ++i) {
    if (i + kBodyAhead < judged)
      for (const virtio::FrameSlice& sl : tx_views_[i + kBodyAhead].slices())
        for (uint32_t off = kHeadCopy; off < sl.len; off += 64) PrefetchForRead(sl.data + off);
    if (!frames_[i].valid || Reserve(qp, i)) continue;
    FillReserved();
    DeliverAll(qp, decisions_[i], frames_[i].head, frames_[i].copied, tx_views_[i]);
  }
  FillReserved();
  for (size_t i = 0; i < judged; ++i) src.CompleteTx(qp, chains_[i].head());
}

bool Worker::Reserve(int qp, size_t i) {
  const Decision& d = decisions_[i];
  if (d.kind != Decision::Kind::kUnicast) return false;
  VfPort* dst = ConnectedVf(d.port);
  if (!dst || d.ActionFor(veb_.policy(d.port)) != VlanAction::kNone) return false;
  Reserved& r = reserved_[num_reserved_];
  r.qp = ReceiveQueueFor(qp, dst->queue_pairs());
  if (!dst->ReserveRx(r.qp, tx_views_[i].length(), &r.buf)) return false;
  r.port = dst;
  r.frame = i;
  ++num_reserved_;
  return true;
}

// Two passes: the first stores only into the receivers' buffers (a store that waits for
// a line the guest's core holds stalls every store queued behind it, so nothing of ours
// is queued between them: 64 B +15% against delivering frame by frame on the AMD
// machine's far vCPU placement, bench/RESULTS.md); the second does rings and counters.
void Worker::FillReserved() {
  for (size_t k = 0; k < num_reserved_; ++k) {
    const Reserved& r = reserved_[k];
    const BurstFrame& f = frames_[r.frame];
    r.port->FillRx(r.buf, f.head, f.copied, tx_views_[r.frame]);
  }
  for (size_t k = 0; k < num_reserved_; ++k) {
    const Reserved& r = reserved_[k];
    const Decision& d = decisions_[r.frame];
    const uint32_t len = tx_views_[r.frame].length();
    r.port->CommitRx(r.qp, r.buf, len);
    veb_.CountTx(d.port, len, d);
  }
  num_reserved_ = 0;
}

bool Worker::Burst(uint64_t now) {
  bool work = false;
  for (uint16_t vf = 0; vf < ports_.size(); ++vf) {
    VfPort* p = ports_[vf].get();
    if (!p || !p->connected()) continue;
    for (int qp = 0; qp < p->queue_pairs(); ++qp) {
      if (!p->TxReady(qp)) continue;
      size_t n = p->PopTx(qp, chains_);
      if (n > 0) ForwardTxBurst(vf, qp, n, now);
      work |= n > 0;
    }
  }
  if (!active_hosts_.empty()) work |= HostBurst(now);
  if (work) {
    ++stats_.bursts;
    for (auto& p : ports_)
      if (p && p->connected()) p->Flush();
  }
  return work;
}

bool Worker::HostBurst(uint64_t now) {
  bool work = false;
  virtio::FrameView& view = tx_view_;
  for (PortId id : active_hosts_) {
    netdev::HostPort& host = *host_ports_[id.value()];
    if (!host.link().present) continue;  // the interface was deleted under us
    size_t n = host.ReceiveBurst(host_rx_);
    for (size_t i = 0; i < n; ++i) {
      view.Clear();
      if (view.Append(host_rx_[i].data(), host_rx_[i].len)) ForwardView(id, 0, view, now);
    }
    work |= n > 0;
  }
  return work;
}

bool Worker::ArmAll() {
  bool more = false;
  for (auto& p : ports_)
    if (p && p->connected()) more |= p->ArmTxNotifications();
  return more;
}

void Worker::DisarmAll() {
  for (auto& p : ports_)
    if (p && p->connected()) p->DisarmTxNotifications();
}

void Worker::PollEvents(int timeout_ms, bool with_kicks) {
  // Reused: this runs inside the busy loop too, which must not allocate.
  std::vector<pollfd>& fds = poll_fds_;
  std::vector<PollSource>& src = poll_sources_;
  fds.clear();
  src.clear();
  using Source = PollSource;
  fds.push_back({wake_fd_, POLLIN, 0});
  src.push_back({Source::kWake, 0});
  bool client_waiting = false;
  for (uint16_t vf = 0; vf < ports_.size(); ++vf) {
    VfPort* p = ports_[vf].get();
    if (!p) continue;
    if (p->listen_fd() >= 0) {
      fds.push_back({p->listen_fd(), POLLIN, 0});
      src.push_back({Source::kListen, vf});
    }
    if (p->connection_fd() >= 0) {
      fds.push_back({p->connection_fd(), POLLIN, 0});
      src.push_back({Source::kConn, vf});
    } else if (p->mode() == vhost_user::Mode::kClient) {
      client_waiting = true;
    }
    if (with_kicks)
      for (int r = 1; r < 2 * p->queue_pairs(); r += 2)
        if (p->kick_fd(r) >= 0) {
          fds.push_back({p->kick_fd(r), POLLIN, 0});
          src.push_back({Source::kKick, vf});
        }
  }
  for (PortId id : active_hosts_) {
    netdev::HostPort& h = *host_ports_[id.value()];
    if (with_kicks) {  // frames wake a sleeping worker; a busy one reads them every burst
      fds.push_back({h.fd(), POLLIN, 0});
      src.push_back({Source::kHostRx, id.value()});
    }
    if (h.event_fd() >= 0) {
      fds.push_back({h.event_fd(), POLLIN, 0});
      src.push_back({Source::kHostLink, id.value()});
    }
  }
  // A client-mode VF without its front end retries once a second.
  if (client_waiting && (timeout_ms < 0 || timeout_ms > 1000)) timeout_ms = 1000;
  int n = poll(fds.data(), fds.size(), timeout_ms);
  if (client_waiting)
    for (auto& p : ports_)
      if (p && !p->connected()) p->TryConnect();
  if (n <= 0) return;
  for (size_t i = 0; i < fds.size(); ++i) {
    if (!fds[i].revents) continue;
    const bool vf_source = src[i].kind == Source::kListen || src[i].kind == Source::kConn;
    VfPort* p = vf_source ? ports_[src[i].vf].get() : nullptr;
    switch (src[i].kind) {
      case Source::kWake:
        RunCommands();
        break;
      case Source::kListen:
        if (p) p->TryAccept();
        break;
      case Source::kConn:
        if (p) p->OnMessage();
        break;
      case Source::kHostRx:
        break;  // the next burst reads them
      case Source::kHostLink: {
        netdev::HostPort* h = host_ports_[src[i].vf].get();
        if (h && h->PollEvents() && PortId(src[i].vf) == PortId::Uplink()) RebuildPolicies();
        break;
      }
      case Source::kKick: {
        uint64_t v;
        ssize_t r = read(fds[i].fd, &v, sizeof v);
        (void)r;
        break;
      }
    }
  }
}

void Worker::Run() {
  int idle = 0;
  while (!stop_) {
    uint64_t now = MonotonicNs();
    if (Burst(now)) {
      idle = 0;
      // Control messages are rare: look at them every 64 busy bursts.
      if ((stats_.bursts & 63) == 0) PollEvents(0, false);
      continue;
    }
    if (++idle < kIdleBurstsBeforeSleep) {
      if ((idle & 15) == 0) PollEvents(0, false);
      continue;
    }
    // Before sleeping, reclaim FDB slots of entries that aged out (lookups already ignore
    // them; this frees their slots), a bounded number per idle period.
    veb_.fdb().Age(now, 256);
    // Quiet: ask the guests to kick us, check once more, then sleep.
    if (ArmAll()) {
      DisarmAll();
      idle = 0;
      continue;
    }
    ++stats_.sleeps;
    PollEvents(-1, true);
    DisarmAll();
    idle = 0;
  }
}

}  // namespace softvf
