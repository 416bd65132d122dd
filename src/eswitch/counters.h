// Per-port counters of the switch and the reasons it drops frames, with the names
// `softvf stats` prints (ethtool -S style: one "name: value" per line).
//
// Direction is the switch port's: rx = frames the port handed to the switch (a VF's
// transmit), tx = frames the switch handed to the port (a VF's receive). A VF's own view
// (IFLA_VF_STATS, `ip -s link show` of the VF) is the mirror image, as with a switchdev
// representor.
//
// rx_* count frames that passed the port's ingress policy; tx_* count frames actually
// placed in the port (the worker reports them). A drop is counted once, on the port whose
// state or setting caused it: spoof check on the sender, link down or delivery filter on
// the receiver (for unicast; a port left out of a flood has lost nothing and counts
// nothing).
//
// Multicast and broadcast (the `mcast`/`bcast` columns of `ip -s link show` for a VF,
// IFLA_VF_STATS_MULTICAST/BROADCAST) count frames by destination MAC: rx_* the frames
// the port sent, tx_* the frames delivered to it. The two are disjoint: a broadcast is
// counted as broadcast only, as mlx5 fills IFLA_VF_STATS from its separate
// received_eth_multicast/broadcast vport counters and Intel counts MPRC apart from BPRC.
// rtnl_link_stats64 leaves it open whether `multicast` includes broadcast; whoever wants
// the inclusive number adds the two. Unicast (flooded because unknown or not) is neither.
// The VF's own receive counts, the ones IFLA_VF_STATS reports, are tx_multicast and
// tx_broadcast here, mirrored like the rest.
//
// Plain uint64 fields: one worker owns a switch and is the only writer. Readers (`stats`)
// run on that worker between bursts for now; when they move to another thread these
// become relaxed atomics or per-burst snapshots.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace softvf::eswitch {

enum class DropReason : uint8_t {
  kRunt,              // shorter than its headers (ParseFrame refused it)
  kBadSource,         // multicast or all-zero source MAC (a bridge drops these too)
  kLinkDown,          // the port's link is down (state disable, or auto with the uplink down)
  kSpoofed,           // spoofchk on and the source MAC is not the VF's MAC
  kTaggedOnPortVlan,  // a VF with a port VLAN sent a VLAN-tagged frame
  kRateLimited,       // over max_tx_rate
  kOverSubscribed,    // the PF's link had no capacity left and min_tx_rate did not cover it
  kSamePort,          // the destination is behind the port the frame came from
  kNoDestination,     // nobody else is in the frame's VLAN
  kVlanMismatch,      // a static FDB entry names a port outside the frame's VLAN
  kFiltered,          // the receiving VF does not accept this unicast (not trusted, not its MAC)
  kNoBuffer,          // the receiving port had no buffer (reported by the worker)
  kCount,
};
inline constexpr size_t kDropReasonCount = static_cast<size_t>(DropReason::kCount);

// The counter names, "drop_<reason>"; DropReasonName() is the part after "drop_".
inline constexpr std::array<const char*, kDropReasonCount> kDropCounterNames = {
    "drop_runt",
    "drop_bad_source",
    "drop_link_down",
    "drop_spoofed",
    "drop_tagged_on_port_vlan",
    "drop_rate_limited",
    "drop_oversubscribed",
    "drop_same_port",
    "drop_no_destination",
    "drop_vlan_mismatch",
    "drop_filtered",
    "drop_no_buffer",
};

constexpr const char* DropReasonName(DropReason r) {
  constexpr size_t kPrefix = sizeof("drop_") - 1;
  return static_cast<size_t>(r) < kDropReasonCount
             ? kDropCounterNames[static_cast<size_t>(r)] + kPrefix
             : "unknown";
}

// What a frame's destination MAC is, for the multicast and broadcast counters.
enum class Cast : uint8_t { kUnicast, kMulticast, kBroadcast };

struct PortCounters {
  uint64_t rx_packets = 0;
  uint64_t rx_bytes = 0;
  uint64_t rx_multicast = 0;  // broadcast not included
  uint64_t rx_broadcast = 0;
  uint64_t tx_packets = 0;
  uint64_t tx_bytes = 0;
  uint64_t tx_multicast = 0;  // broadcast not included
  uint64_t tx_broadcast = 0;
  std::array<uint64_t, kDropReasonCount> drops{};

  void CountRx(size_t bytes, Cast cast) {
    ++rx_packets;
    rx_bytes += bytes;
    rx_multicast += cast == Cast::kMulticast;
    rx_broadcast += cast == Cast::kBroadcast;
  }
  void CountTx(size_t bytes, Cast cast) {
    ++tx_packets;
    tx_bytes += bytes;
    tx_multicast += cast == Cast::kMulticast;
    tx_broadcast += cast == Cast::kBroadcast;
  }
  uint64_t drop(DropReason r) const { return drops[static_cast<size_t>(r)]; }
  uint64_t drops_total() const {
    uint64_t n = 0;
    for (uint64_t d : drops) n += d;
    return n;
  }
};

// Calls fn(name, value) for every counter, in the order `softvf stats` prints them:
// rx_packets, rx_bytes, rx_multicast, rx_broadcast, tx_packets, tx_bytes, tx_multicast,
// tx_broadcast, then drop_<reason> for each reason.
template <typename Fn>
void VisitCounters(const PortCounters& c, Fn&& fn) {
  fn("rx_packets", c.rx_packets);
  fn("rx_bytes", c.rx_bytes);
  fn("rx_multicast", c.rx_multicast);
  fn("rx_broadcast", c.rx_broadcast);
  fn("tx_packets", c.tx_packets);
  fn("tx_bytes", c.tx_bytes);
  fn("tx_multicast", c.tx_multicast);
  fn("tx_broadcast", c.tx_broadcast);
  for (size_t i = 0; i < kDropReasonCount; ++i) fn(kDropCounterNames[i], c.drops[i]);
}

}  // namespace softvf::eswitch
