// Veb: the embedded switch of one PF (a Virtual Ethernet Bridge, in the SR-IOV sense:
// VF-to-VF traffic turns around inside the card). Ports: the uplink, the PF's host port,
// the VFs (port.h). It forwards by (VLAN, destination MAC) through a bounded learning FDB,
// floods broadcast, multicast and unknown unicast inside the VLAN, and enforces each VF's
// settings on every frame (policy.h says what each setting means).
//
// The worker that moves frames between rings calls, per frame of a burst:
//   Forward(in, frame, len, now, decision)        // parse, police, learn, look up
//   for each egress port e of the decision:
//     copy with decision.ActionFor(policy(e)) and decision.push_tag (vlan_edit.h)
//     CountTx(e, bytes written, decision)  or  CountDrop(e, DropReason::kNoBuffer)
// and between bursts: SetPolicies() with a new table, Fdb add/del/show, Age(), counters.
//
// Order of the ingress checks, each a drop counted on the ingress port: link down,
// bad source MAC, spoof check, tagged frame on a port-VLAN VF, max_tx_rate, the PF's link
// capacity (below). Only a frame that passed all of them is counted as received and has
// its source learned. Then the destination: the VF owning that MAC (its MAC filter), else
// the FDB, else a flood.
//
// Transmit capacity and min_tx_rate. The PF's link (Options::link_speed_mbps, the
// profile's link speed; 0 = unlimited) is one token bucket of a few ms (link_burst_ns)
// shared by every port that transmits through the PF: the VFs and the PF's host port.
// min_tx_rate is the rate a VF is guaranteed (ip-link(8)), a second bucket per VF at
// that rate. A frame is admitted when its max_tx_rate bucket conforms and then either
// its guarantee bucket conforms (used first) or the link bucket does; the link bucket is
// charged with every admitted frame, into bounded debt when a guarantee let it through
// (token_bucket.h). So with no contention a VF gets the whole link (up to its max); under
// contention each VF still gets its min_tx_rate and the rest goes first come, first
// served. A frame refused for lack of link credit is kOverSubscribed on the ingress port.
// If the guarantees add up to more than the link, each is still honored and the frames
// without one wait (the debt bound keeps the link bucket from owing forever).
// - Frames between VFs of the PF count against the link too. A hardware VEB turns them
//   around without using the wire, but here the worker that copies them is what the VFs
//   share, and counting them is what keeps min_tx_rate a guarantee for VF-to-VF traffic.
// - A frame is charged once at ingress, however many ports a flood copies it to, and also
//   when it is then dropped for its destination (as max_tx_rate is).
// - Frames from the uplink are not charged: they arrive over the wire's other direction,
//   which the wire itself limits.
// Bytes are counted as for max_tx_rate (policy.h): the frame as sent, no wire overhead.
//
// Hot path: no allocation, no exceptions, no virtual calls, no locks; one worker owns a
// Veb (its counters and FDB are plain fields).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "common/status.h"
#include "eswitch/counters.h"
#include "eswitch/ethernet.h"
#include "eswitch/fdb.h"
#include "eswitch/policy.h"
#include "eswitch/port.h"
#include "eswitch/port_set.h"
#include "eswitch/token_bucket.h"
#include "eswitch/vlan.h"
#include "eswitch/vlan_edit.h"

namespace softvf::eswitch {

// Where one frame goes. Reused across frames by the caller (it holds a 136-byte port set).
// Every field but `kind` and `reason` is meaningful only for kUnicast and kFlood.
struct Decision {
  enum class Kind : uint8_t { kDrop, kUnicast, kFlood };
  Kind kind = Kind::kDrop;
  DropReason reason = DropReason::kRunt;  // kDrop
  PortId port;                            // kUnicast
  PortSet ports;                          // kFlood: never contains the ingress port
  VlanId vlan;                            // the frame's VLAN inside the switch
  bool from_port_vlan = false;            // entered untagged through a port-VLAN VF
  VlanTag push_tag;                       // the tag to insert when ActionFor says kPush
  Cast cast = Cast::kUnicast;             // by the destination MAC, for CountTx

  // The edit toward `egress`: push from a port-VLAN VF to a trunk, pop from a trunk to a
  // port-VLAN VF (the tag matches its VLAN and TPID: that is how it got into the set).
  VlanAction ActionFor(const PortPolicy& egress) const {
    if (from_port_vlan) return egress.has_port_vlan() ? VlanAction::kNone : VlanAction::kPush;
    return egress.has_port_vlan() ? VlanAction::kPop : VlanAction::kNone;
  }
};

class Veb {
 public:
  struct Options {
    uint32_t fdb_capacity = 0;  // the profile's mac_filters
    uint64_t aging_ns = Fdb::kDefaultAgingNs;
    uint64_t hash_seed = 0;  // 0: random
    // The PF's transmit capacity, DriverSpec::link_speed_mbps; 0 = unlimited (min_tx_rate
    // then has nothing to guarantee against).
    uint32_t link_speed_mbps = 0;
    uint64_t link_burst_ns = kDefaultLinkBurstNs;  // the link bucket: this long at the rate
    uint64_t max_tx_rate_burst_ns = kDefaultMaxTxRateBurstNs;  // each VF's max_tx_rate bucket
  };
  static constexpr uint64_t kDefaultLinkBurstNs = 2 * TokenBucket::kNsPerMs;
  // A VF's max_tx_rate bucket holds 10 ms (tbf's rule of rate/HZ at HZ=100): its frames wait
  // in the VF's TX ring while the bucket is empty, and a worker descheduled for a few of
  // the kernel's scheduler slices must find the credit of that time still there, or the
  // VF falls below its rate on a loaded host (1 ms gave 38 of 50 Mbit/s to iperf3 with two
  // busy loops beside two TCG guests; 10 ms gives 47, the rate).
  static constexpr uint64_t kDefaultMaxTxRateBurstNs = 10 * TokenBucket::kNsPerMs;

  // The port count is fixed by `policies` (2 + TotalVFs); later tables must match it.
  Veb(std::shared_ptr<const PolicyTable> policies, const Options& options, uint64_t now_ns);

  size_t port_count() const { return ports_.size(); }
  const PolicyTable& policies() const { return *policies_; }
  const PortPolicy& policy(PortId p) const { return (*policies_)[p]; }
  // max_tx_rate as a shaper: whether `in` may send a frame of `bytes` now. A port whose
  // sender can wait (a VF's transmit ring) is asked first and keeps the frame queued when
  // not, as a NIC's per-VF rate limiter holds the VF's queue; Decide then never drops it
  // as rate limited. Refills, charges nothing.
  bool MayTransmit(PortId in, size_t bytes, uint64_t now_ns) {
    return ports_[in.value()].bucket.Conforms(bytes, now_ns);
  }

  // Control plane, on the worker between bursts. A VF's max_tx_rate and min_tx_rate
  // buckets restart full when that rate changed (each alone; the link bucket never);
  // a port whose link went down or whose port VLAN changed loses its learned entries.
  // EINVAL if the table has a different number of ports.
  Status SetPolicies(std::shared_ptr<const PolicyTable> policies, uint64_t now_ns);
  Fdb& fdb() { return fdb_; }
  const Fdb& fdb() const { return fdb_; }
  // `fdb add` checked against this switch's ports.
  Status AddStatic(VlanId vlan, const MacAddress& mac, PortId port, uint64_t now_ns,
                   bool replace = false);
  const PortCounters& counters(PortId p) const { return ports_[p.value()].counters; }
  void ResetCounters();

  // Data path.
  void Forward(PortId in, const uint8_t* frame, size_t len, uint64_t now_ns, Decision& out);
  void Decide(PortId in, const FrameInfo& frame, size_t len, uint64_t now_ns, Decision& out);
  // A frame of `d` placed in `out` (bytes as written, VLAN edit included): also counts it
  // as multicast or broadcast by d.cast.
  void CountTx(PortId out, size_t bytes, const Decision& d) {
    ports_[out.value()].counters.CountTx(bytes, d.cast);
  }
  // The same without the destination kind: counted as unicast.
  void CountTx(PortId out, size_t bytes) {
    ports_[out.value()].counters.CountTx(bytes, Cast::kUnicast);
  }
  void CountDrop(PortId port, DropReason reason) {
    ++ports_[port.value()].counters.drops[static_cast<size_t>(reason)];
  }
  // For a worker that shapes instead of polices: whether `in` may send `bytes` now (its
  // max_tx_rate, then its min_tx_rate or the link). Charges nothing.
  bool TxConforms(PortId in, size_t bytes, uint64_t now_ns) {
    return Admit(in, ports_[in.value()], bytes, now_ns) >= Admission::kGuaranteed;
  }

 private:
  struct PortState {
    TokenBucket bucket;     // max_tx_rate
    TokenBucket guarantee;  // min_tx_rate; meaningful only when it is nonzero
    PortCounters counters;
    // The source this port last learned, when, and the FDB's generation then: a sender
    // keeps one address, so most frames need no FDB write (see Veb::Learn).
    uint64_t learned_key = ~0ull;
    uint64_t learned_ns = 0;
    uint64_t learned_generation = ~0ull;
  };
  enum class Admission : uint8_t { kRateLimited, kOverSubscribed, kGuaranteed, kShared };

  // Whether a frame of `bytes` from `in` passes max_tx_rate and the link, and on which
  // credit; refills the buckets, charges nothing.
  Admission Admit(PortId in, PortState& state, size_t bytes, uint64_t now_ns);
  void Charge(PortId in, PortState& state, Admission admission, size_t bytes, uint64_t now_ns);

  void Drop(PortId counted_on, DropReason reason, Decision& out);
  void Learn(PortId in, PortState& state, VlanId vlan, const MacAddress& src, uint64_t now_ns);
  void Deliver(PortId in, PortId to, const MacAddress& dst, Decision& out);
  void Flood(PortId in, bool unknown_unicast, Decision& out);

  std::shared_ptr<const PolicyTable> policies_;
  Fdb fdb_;
  std::vector<PortState> ports_;
  TokenBucket link_;  // the PF's transmit capacity
  uint64_t max_tx_rate_burst_ns_;
};

}  // namespace softvf::eswitch
