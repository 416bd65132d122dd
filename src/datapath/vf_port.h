// VfPort: one VF handed to a consumer over vhost-user — its socket, its connection, the
// protocol backend, the guest memory map and the virtqueues. The worker that owns the
// VF's switch calls it for both halves: control (a message arrived) and data (pop TX
// frames, deliver RX frames), never at the same time, so nothing here needs a lock.
//
// virtio-net queue numbering (virtio 1.x 5.1.2): queue 2i is receiveq i, 2i+1 transmitq i.
#pragma once

#include <array>
#include <memory>
#include <span>
#include <string>

#include "vhost_user/backend.h"
#include "vhost_user/connection.h"
#include "vhost_user/endpoint.h"
#include "virtio/descriptor_chain.h"
#include "virtio/guest_memory.h"
#include "virtio/rx_writer.h"
#include "virtio/split_queue.h"

namespace softvf {

struct VfPortStats {
  uint64_t connects = 0;
  uint64_t disconnects = 0;
  uint64_t protocol_errors = 0;
  uint64_t queue_errors = 0;    // rings stopped because the guest broke them
  uint64_t tx_bad_buffers = 0;  // TX chains too short for the header: returned unsent
  uint64_t log_suppressed = 0;  // event lines not written (rate limit)
};

class VfPort : private vhost_user::RingListener {
 public:
  VfPort(std::string path, vhost_user::Mode mode, const vhost_user::BackendOptions& options);
  ~VfPort() override;

  Status Open() { return endpoint_.Open(); }
  const std::string& path() const { return endpoint_.path(); }
  vhost_user::Mode mode() const { return endpoint_.mode(); }
  bool connected() const { return conn_ != nullptr; }

  // fds the worker polls: the listening socket while no front end is connected (server
  // mode), the connection, and each started ring's kick eventfd.
  int listen_fd() const { return conn_ ? -1 : endpoint_.listen_fd(); }
  int connection_fd() const { return conn_ ? conn_->fd() : -1; }
  int kick_fd(int ring) const;

  // Control half. Each returns true when the port's rings or memory may have changed.
  bool TryAccept();   // server: take a pending front end
  bool TryConnect();  // client: connect if the front end listens now
  bool OnMessage();   // one message is readable on the connection

  // Data half.
  int queue_pairs() const { return backend_.ring_count() / 2; }
  bool TxReady(int qp) const { return ready_[2 * qp + 1]; }
  bool RxReady(int qp) const { return ready_[2 * qp]; }
  // Pops up to chains.size() TX chains of queue pair `qp`.
  size_t PopTx(int qp, std::span<virtio::DescriptorChain> chains);
  // Returns a TX chain as used (device writes nothing on TX).
  void CompleteTx(int qp, uint16_t head);
  // Gives the last n popped TX chains back to the ring: they are popped again later.
  void RewindTx(int qp, uint16_t n);
  // A hint before a burst's deliveries: warms the next n receive buffers of queue pair qp
  // (their first `bytes`) for writing.
  void PrefetchRx(int qp, uint16_t n, uint32_t bytes) {
    if (!ready_[2 * qp]) return;
    queues_[2 * qp].PrefetchWritable(*mem_, n, header_len_, bytes);
    queues_[2 * qp].PrefetchUsed(*mem_, n);
  }
  // Starts loading the descriptors of the next n buffers already known to be posted and
  // claims the used-ring lines they will be returned in (no load waits on the guest).
  void PrefetchRxPosted(int qp, uint16_t n) {
    if (!ready_[2 * qp]) return;
    queues_[2 * qp].PrefetchPosted(*mem_, n);
    queues_[2 * qp].PrefetchUsed(*mem_, n);
  }
  // The same for the used entries of n TX chains about to be completed.
  void PrefetchTxUsed(int qp, uint16_t n) {
    if (ready_[2 * qp + 1]) queues_[2 * qp + 1].PrefetchUsed(*mem_, n);
  }
  virtio::RxResult DeliverRx(int qp, const virtio::FrameView& frame);
  // DeliverRx in three steps over a burst (virtio::RxWriter::Reserve, Fill, Commit): false
  // when the next buffer cannot take the frame whole, which DeliverRx then handles.
  bool ReserveRx(int qp, uint32_t frame_len, virtio::RxBuffer* buf) {
    return ready_[2 * qp] && rx_writer_->Reserve(queues_[2 * qp], *mem_, frame_len, buf);
  }
  void FillRx(const virtio::RxBuffer& buf, const uint8_t* head, uint32_t head_len,
              const virtio::FrameView& frame) const {
    rx_writer_->Fill(buf, head, head_len, frame);
  }
  void CommitRx(int qp, const virtio::RxBuffer& buf, uint32_t frame_len) {
    rx_writer_->Commit(queues_[2 * qp], *mem_, buf, frame_len);
    dirty_[2 * qp] = true;
  }
  // Publishes used entries of every queue and signals the call fds that need it.
  void Flush();
  // Notification control for adaptive polling: returns true if work arrived meanwhile.
  bool ArmTxNotifications();
  void DisarmTxNotifications();

  // The virtio-net header both ways (10 or 12 bytes, by the negotiated features).
  uint32_t net_header_len() const { return header_len_; }
  // A TX chain that holds no whole virtio-net header: a driver bug, not a broken ring
  // (5.1.6.2: the header comes first); it is returned used, sending nothing.
  void CountTxBadBuffer() { ++stats_.tx_bad_buffers; }
  const virtio::GuestMemoryMap* memory() const { return mem_.get(); }
  const VfPortStats& stats() const { return stats_; }
  const vhost_user::NetBackend& backend() const { return backend_; }

 private:
  void OnRingStop(int index, vhost_user::Vring& ring) override;
  void Drop();  // the front end is gone or broke the protocol
  // (Re)configures queues after the backend's state changed; an error (memory that
  // cannot be mapped) means the front end must be dropped.
  Status Sync();
  void Signal(int ring);
  // A line on stderr naming the VF: a dropped connection, a stopped queue. At most one
  // per second per VF and kind (a hostile front end can break things thousands of times
  // a second); the next line written says how many were suppressed. Errors and plain
  // disconnects are limited apart, so a front end's exits cannot hide its errors.
  struct LogLimit {
    uint64_t last_ns = 0;
    uint64_t suppressed = 0;
  };
  void LogEvent(LogLimit& limit, const std::string& what);
  void QueueBroken(int ring, const std::string& reason);

  vhost_user::Endpoint endpoint_;
  std::unique_ptr<vhost_user::Connection> conn_;
  vhost_user::NetBackend backend_;
  std::shared_ptr<const virtio::GuestMemoryMap> mem_;
  uint64_t mem_generation_ = ~0ull;
  std::array<virtio::SplitQueue, vhost_user::kMaxRings> queues_;
  std::array<bool, vhost_user::kMaxRings> ready_{};
  std::array<bool, vhost_user::kMaxRings> dirty_{};
  // Rings found broken: stopped until the front end sets them up again (a ring message
  // for that ring, or a new memory table), not restarted by any message that comes.
  struct Stopped {
    bool stopped = false;
    uint32_t setups = 0;
    uint64_t memory_generation = 0;
  };
  std::array<Stopped, vhost_user::kMaxRings> stopped_{};
  std::unique_ptr<virtio::RxWriter> rx_writer_;
  uint32_t header_len_ = 12;
  VfPortStats stats_;
  std::string label_;
  LogLimit error_log_;
  LogLimit disconnect_log_;
};

}  // namespace softvf
