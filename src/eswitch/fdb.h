// Fdb: the switch's forwarding database, (VLAN, MAC) -> port, as a Linux bridge keeps it
// (net/bridge/br_fdb.c) but bounded like a NIC's MAC filter table.
//
// - Capacity is fixed at construction (the profile's `mac_filters` per port) and shown by
//   capacity(); nothing allocates afterwards. A full table skips learning and counts it;
//   a static add to a full table fails with ENOSPC, as a full NIC filter table does.
// - Learned entries carry the time they were last seen (ns, passed in; no clock here) and
//   expire after the aging time (default 300 s, the bridge default). An expired entry is
//   a miss at once; its slot is reclaimed by the incremental Age() sweep the worker runs,
//   by a Learn() whose probe passes it, or by the few slots a Learn() into a full table
//   sweeps before giving up.
// - Static entries (`bridge fdb add ... static`) never age and learning never moves them.
// - A learned MAC seen on another port moves there (a host that migrated or re-cabled).
//
// Layout: open addressing with linear probing over a power-of-two slot array at most half
// full, so lookups take O(1) probes expected; deletion shifts the following entries back
// (no tombstones, so probe chains never grow with churn). Guests choose the source MACs
// that are learned, so the hash is keyed by a per-table seed: a guest cannot aim its
// addresses at one probe chain without knowing it.
//
// Not thread-safe: one worker owns its switch's FDB; the control plane's add/del/show run
// on that worker between bursts.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "common/mac_address.h"
#include "common/status.h"
#include "eswitch/port.h"
#include "eswitch/vlan.h"

namespace softvf::eswitch {

struct FdbEntry {
  VlanId vlan;
  MacAddress mac;
  PortId port;
  bool is_static = false;
  uint64_t last_seen_ns = 0;  // learned entries; 0 for static ones
};

struct FdbStats {
  uint64_t learned = 0;      // new entries created by learning
  uint64_t moved = 0;        // learned entries that changed port
  uint64_t learn_full = 0;   // learning skipped because the table was full
  uint64_t static_hold = 0;  // a source seen on another port than its static entry
  uint64_t aged = 0;         // entries removed by aging
};

class Fdb {
 public:
  static constexpr uint64_t kDefaultAgingNs = 300ull * 1'000'000'000;  // 300 s
  // The profile loader's upper bound for mac_filters.
  static constexpr uint32_t kMaxCapacity = uint32_t{1} << 20;
  // How many slots a learn into a full table sweeps for expired entries before it is
  // counted as learn_full.
  static constexpr uint32_t kReclaimSlotsPerLearn = 8;

  // `capacity` entries at most (clamped to kMaxCapacity); `hash_seed` 0 draws a random one.
  explicit Fdb(uint32_t capacity, uint64_t aging_ns = kDefaultAgingNs, uint64_t hash_seed = 0);

  uint32_t capacity() const { return capacity_; }
  uint32_t size() const { return size_; }  // includes expired entries not yet reclaimed
  uint64_t aging_ns() const { return aging_ns_; }
  void set_aging_ns(uint64_t ns) { aging_ns_ = ns; }
  const FdbStats& stats() const { return stats_; }
  // Bumped whenever an entry is removed, moved or overwritten (anything but a learn
  // refreshing its own entry): a caller caching "this key is learned here" (Veb's
  // per-port learn cache) must learn again when it changes.
  uint64_t generation() const { return generation_; }

  // Data path. The port for (vlan, mac), if present and not expired at `now_ns`.
  std::optional<PortId> Lookup(VlanId vlan, const MacAddress& mac, uint64_t now_ns) const;
  // The hot path's form: an invalid PortId when absent (a small optional is assembled on
  // the stack and reloaded, a store-forwarding stall per frame).
  PortId LookupPort(VlanId vlan, const MacAddress& mac, uint64_t now_ns) const;
  // The table's key for (vlan, mac); equal keys mean the same entry.
  static uint64_t Key(VlanId vlan, const MacAddress& mac);
  // Records that `mac` was seen in `vlan` on `port` at `now_ns`. True if the entry now
  // points at `port` (false: the table is full, or a static entry holds the key).
  bool Learn(VlanId vlan, const MacAddress& mac, PortId port, uint64_t now_ns);
  // Removes expired learned entries, visiting at most `max_slots` slots from where the
  // last call stopped (round-robin, so the worker can spread the work over bursts; a slot
  // that was emptied is visited again, as a later entry may have shifted into it, so a
  // full pass takes slot_count() plus the number removed). Returns how many it removed.
  uint32_t Age(uint64_t now_ns, uint32_t max_slots);
  uint32_t slot_count() const { return static_cast<uint32_t>(slots_.size()); }

  // Control plane, like `bridge fdb add|replace|del`. Add fails with EEXIST if a live
  // entry (learned or static) has the key, unless `replace` (as NLM_F_EXCL does in
  // br_fdb.c); ENOSPC when full; EINVAL for a multicast MAC (a bridge keeps those in its
  // MDB, not its FDB) or an invalid port.
  Status AddStatic(VlanId vlan, const MacAddress& mac, PortId port, uint64_t now_ns,
                   bool replace = false);
  // ENOENT if absent or expired (what `fdb show` does not list cannot be deleted).
  Status Remove(VlanId vlan, const MacAddress& mac, uint64_t now_ns);
  // Removes the entries pointing at `port` (learned only, or all): a port that went down
  // or changed VLAN must not keep attracting its old traffic.
  uint32_t FlushPort(PortId port, bool learned_only = true);
  void Clear();

  // `fdb show`: every live entry at `now_ns`, in slot order. Allocates: control plane only.
  std::vector<FdbEntry> Entries(uint64_t now_ns) const;

 private:
  struct Slot {
    uint64_t key = 0;
    uint64_t last_seen_ns = 0;
    PortId port;  // invalid = empty slot
    bool is_static = false;
  };

  size_t Home(uint64_t key) const;
  // The slot holding `key`, or the empty slot ending its probe chain.
  size_t Find(uint64_t key) const;
  bool Expired(const Slot& s, uint64_t now_ns) const;
  void Erase(size_t index);

  uint32_t capacity_;
  uint32_t size_ = 0;
  uint64_t aging_ns_;
  uint64_t seed_;
  size_t mask_;
  uint32_t age_cursor_ = 0;
  uint64_t generation_ = 0;
  std::vector<Slot> slots_;
  FdbStats stats_;
};

}  // namespace softvf::eswitch
