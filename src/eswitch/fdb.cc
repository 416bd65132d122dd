#include "eswitch/fdb.h"

#include <algorithm>
#include <bit>
#include <cerrno>
#include <random>

#include "eswitch/hash.h"

namespace softvf::eswitch {

namespace {

// At least twice as many slots as entries keeps the load at or below one half.
size_t SlotsFor(uint32_t capacity) {
  return std::bit_ceil(std::max<size_t>(2, size_t{capacity} * 2));
}

uint64_t RandomSeed() {
  std::random_device rd;
  return (uint64_t{rd()} << 32 | rd()) | 1;
}

MacAddress MacFromKey(uint64_t key) {
  std::array<uint8_t, 6> b{};
  for (int i = 5; i >= 0; --i, key >>= 8) b[static_cast<size_t>(i)] = key & 0xff;
  return MacAddress(b);
}

}  // namespace

Fdb::Fdb(uint32_t capacity, uint64_t aging_ns, uint64_t hash_seed)
    : capacity_(std::min(capacity, kMaxCapacity)),
      aging_ns_(aging_ns),
      seed_(hash_seed != 0 ? hash_seed : RandomSeed()),
      mask_(SlotsFor(capacity_) - 1),
      slots_(SlotsFor(capacity_)) {}

uint64_t Fdb::Key(VlanId vlan, const MacAddress& mac) {
  return uint64_t{vlan.raw()} << 48 | MacBits(mac);
}

size_t Fdb::Home(uint64_t key) const {
  return Mix64(key ^ seed_) & mask_;
}

size_t Fdb::Find(uint64_t key) const {
  size_t i = Home(key);
  // Terminates: the table is never more than half full, so an empty slot exists.
  while (slots_[i].port.valid() && slots_[i].key != key) i = (i + 1) & mask_;
  return i;
}

bool Fdb::Expired(const Slot& s, uint64_t now_ns) const {
  // Like br_fdb has_expired(): expired once now >= updated + ageing time.
  return !s.is_static && now_ns >= s.last_seen_ns && now_ns - s.last_seen_ns >= aging_ns_;
}

std::optional<PortId> Fdb::Lookup(VlanId vlan, const MacAddress& mac, uint64_t now_ns) const {
  PortId p = LookupPort(vlan, mac, now_ns);
  if (!p.valid()) return std::nullopt;
  return p;
}

PortId Fdb::LookupPort(VlanId vlan, const MacAddress& mac, uint64_t now_ns) const {
  const Slot& s = slots_[Find(Key(vlan, mac))];
  if (!s.port.valid() || Expired(s, now_ns)) return PortId();
  return s.port;
}

bool Fdb::Learn(VlanId vlan, const MacAddress& mac, PortId port, uint64_t now_ns) {
  const uint64_t key = Key(vlan, mac);
  size_t i = Home(key);
  size_t reusable = slots_.size();  // first expired learned slot on the probe path
  for (; slots_[i].port.valid(); i = (i + 1) & mask_) {
    Slot& s = slots_[i];
    if (s.key == key) {
      if (s.is_static) {
        if (s.port != port) ++stats_.static_hold;
        return s.port == port;
      }
      if (Expired(s, now_ns)) {
        ++stats_.learned;  // an entry that had expired is learned anew
        ++generation_;
      } else if (s.port != port) {
        ++stats_.moved;
        ++generation_;
      }
      s.port = port;
      s.last_seen_ns = now_ns;
      return true;
    }
    if (reusable == slots_.size() && Expired(s, now_ns)) reusable = i;
  }
  // Not present. An expired slot on the probe path can take the new key: every slot
  // between the key's home and it is occupied, so lookups still reach it, and keys that
  // probed past it still find the slot occupied.
  if (reusable != slots_.size()) {
    slots_[reusable] = Slot{key, now_ns, port, false};
    ++stats_.aged;
    ++stats_.learned;
    return true;
  }
  if (size_ >= capacity_) {
    // A full table may be full of expired entries nobody swept yet: sweep a few slots
    // (bounded work on the hot path) before giving up on this source.
    if (Age(now_ns, kReclaimSlotsPerLearn) == 0) {
      ++stats_.learn_full;
      return false;
    }
    i = Find(key);  // the sweep moved entries: find the key's empty slot again
  }
  slots_[i] = Slot{key, now_ns, port, false};
  ++size_;
  ++stats_.learned;
  return true;
}

void Fdb::Erase(size_t hole) {
  // Backward-shift deletion for linear probing: pull later entries of the chain into the
  // hole unless their home lies cyclically in (hole, j], where they must stay.
  slots_[hole] = Slot{};
  --size_;
  ++generation_;
  for (size_t j = (hole + 1) & mask_; slots_[j].port.valid(); j = (j + 1) & mask_) {
    const size_t home = Home(slots_[j].key);
    const bool stays = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
    if (stays) continue;
    slots_[hole] = slots_[j];
    slots_[j] = Slot{};
    hole = j;
  }
}

uint32_t Fdb::Age(uint64_t now_ns, uint32_t max_slots) {
  uint32_t removed = 0;
  for (uint32_t n = 0; n < max_slots; ++n) {
    const Slot& s = slots_[age_cursor_];
    if (s.port.valid() && Expired(s, now_ns)) {
      Erase(age_cursor_);  // a later entry may have shifted in: look at this slot again
      ++removed;
      ++stats_.aged;
    } else {
      age_cursor_ = static_cast<uint32_t>((age_cursor_ + 1) & mask_);
    }
  }
  return removed;
}

Status Fdb::AddStatic(VlanId vlan, const MacAddress& mac, PortId port, uint64_t now_ns,
                      bool replace) {
  if (mac.is_multicast())
    return Status::Errno(EINVAL, "fdb: " + mac.ToString() + " is a multicast address");
  if (!port.valid()) return Status::Errno(EINVAL, "fdb: invalid port");
  const uint64_t key = Key(vlan, mac);
  const size_t i = Find(key);
  Slot& s = slots_[i];
  if (s.port.valid()) {
    // An expired learned entry is gone as far as `fdb show` can tell: not a conflict.
    if (!replace && !Expired(s, now_ns))
      return Status::Errno(EEXIST, "fdb: " + mac.ToString() + " already exists");
    s = Slot{key, 0, port, true};
    ++generation_;
    return Status::Ok();
  }
  if (size_ >= capacity_)
    return Status::Errno(ENOSPC, "fdb: table full (" + std::to_string(capacity_) + " entries)");
  s = Slot{key, 0, port, true};
  ++size_;
  return Status::Ok();
}

Status Fdb::Remove(VlanId vlan, const MacAddress& mac, uint64_t now_ns) {
  const size_t i = Find(Key(vlan, mac));
  if (!slots_[i].port.valid()) return Status::Errno(ENOENT, "fdb: no entry for " + mac.ToString());
  const bool expired = Expired(slots_[i], now_ns);
  Erase(i);
  if (expired) return Status::Errno(ENOENT, "fdb: no entry for " + mac.ToString());
  return Status::Ok();
}

uint32_t Fdb::FlushPort(PortId port, bool learned_only) {
  uint32_t removed = 0;
  for (size_t i = 0; i < slots_.size();) {
    const Slot& s = slots_[i];
    if (s.port.valid() && s.port == port && !(learned_only && s.is_static)) {
      Erase(i);  // look at slot i again: a later entry may have shifted into it
      ++removed;
    } else {
      ++i;
    }
  }
  return removed;
}

void Fdb::Clear() {
  std::fill(slots_.begin(), slots_.end(), Slot{});
  size_ = 0;
  ++generation_;
}

std::vector<FdbEntry> Fdb::Entries(uint64_t now_ns) const {
  std::vector<FdbEntry> out;
  out.reserve(size_);
  for (const Slot& s : slots_) {
    if (!s.port.valid() || Expired(s, now_ns)) continue;
    out.push_back(FdbEntry{VlanId::FromRaw(static_cast<uint16_t>(s.key >> 48)),
                           MacFromKey(s.key & 0xffff'ffff'ffffull), s.port, s.is_static,
                           s.last_seen_ns});
  }
  return out;
}

}  // namespace softvf::eswitch
