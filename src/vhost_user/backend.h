// NetBackend: the device side of one VF's vhost-user connection — what each message does
// to the device's state (features, owner, memory table, vrings), answered as the protocol
// requires. It holds no data-path code: the worker reads ReadyRings() between bursts and
// runs the queues, so a message and a burst never interleave.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "common/mac_address.h"
#include "common/status.h"
#include "vhost_user/connection.h"
#include "vhost_user/message.h"

namespace softvf::vhost_user {

inline constexpr int kMaxQueuePairs = 8;
inline constexpr int kMaxRings = 2 * kMaxQueuePairs;

struct Vring {
  uint32_t num = 0;
  VringAddr addr{};
  bool addr_set = false;
  uint16_t last_avail_idx = 0;  // the vring base
  int kick_fd = -1;             // -1 with kick_polled: the front end asked for polling
  bool kick_polled = false;
  int call_fd = -1;
  int err_fd = -1;
  bool started = false;  // a kick fd (or NOFD) arrived after the ring was set up
  bool enabled = false;  // SET_VRING_ENABLE, or implied without PROTOCOL_FEATURES
  // Bumped by every message that sets the ring up (NUM, ADDR, BASE, KICK): the data path
  // keeps a ring it found broken stopped until this moves.
  uint32_t setups = 0;
};

// One region of the front end's memory table, with the fd that maps it.
// Aligned so the packed wire struct's 64-bit fields are aligned in a vector of these (a
// reference to one is then valid: UBSan flagged the 4-byte misalignment of element 1).
struct alignas(8) MappedRegion {
  MemoryRegion region;
  int fd = -1;
};

// The data path's side of ring changes it must see before the front end hears back.
class RingListener {
 public:
  virtual ~RingListener() = default;
  // The ring is about to stop (GET_VRING_BASE, reset): write the queue's next avail index
  // into `ring.last_avail_idx` so the front end can resume exactly there.
  virtual void OnRingStop(int index, Vring& ring) = 0;
};

struct BackendOptions {
  int queue_pairs = 1;
  MacAddress mac;
  uint16_t mtu = 1500;
  // How log lines name the VF (e.g. "pf0 vf 2"); empty: by its socket path.
  std::string label;
};

class NetBackend {
 public:
  explicit NetBackend(const BackendOptions& options, RingListener* listener = nullptr);
  ~NetBackend();
  NetBackend(const NetBackend&) = delete;
  NetBackend& operator=(const NetBackend&) = delete;

  // Handles one message from `conn`, replying as needed. An error means the front end
  // broke the protocol: the caller drops the connection and calls Reset().
  Status Handle(Message& msg, Connection& conn);
  // Back to the state of a fresh connection: rings stopped, fds closed, memory dropped.
  void Reset();

  uint64_t acked_features() const { return acked_features_; }
  uint64_t acked_protocol_features() const { return acked_protocol_; }
  uint8_t status() const { return status_; }
  const std::vector<MappedRegion>& memory() const { return memory_; }
  // Bumped whenever the memory table changes, so the data path knows to remap.
  uint64_t memory_generation() const { return memory_generation_; }
  const Vring& vring(int i) const { return vrings_[i]; }
  // The data path paused ring i (disabled, not stopped): it resumes from here.
  void SetLastAvail(int i, uint16_t idx) { vrings_[i].last_avail_idx = idx; }
  int ring_count() const { return 2 * options_.queue_pairs; }
  // Rings the data path may run: started, enabled, with addresses and memory.
  bool RingReady(int i) const;
  // Counts protocol errors, for `softvf stats`.
  uint64_t protocol_errors() const { return protocol_errors_; }

 private:
  Status Dispatch(Message& msg, Connection& conn, bool& replied);
  Status SetMemTable(Message& msg);
  Status SetVringFd(Message& msg, int Vring::*field);
  Status GetConfig(const Message& msg, Connection& conn);
  Status RingIndex(uint32_t index) const;
  Status NeedOwner(const Message& msg) const;
  void StopRing(int index);
  void DropMemory();
  bool has(int protocol_bit) const { return acked_protocol_ & (uint64_t{1} << protocol_bit); }

  BackendOptions options_;
  RingListener* listener_;
  bool owner_ = false;
  uint64_t acked_features_ = 0;
  uint64_t acked_protocol_ = 0;
  uint8_t status_ = 0;
  std::vector<MappedRegion> memory_;
  uint64_t memory_generation_ = 0;
  std::array<Vring, kMaxRings> vrings_{};
  uint64_t protocol_errors_ = 0;
};

}  // namespace softvf::vhost_user
