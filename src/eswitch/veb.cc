#include "eswitch/veb.h"

#include <algorithm>
#include <cerrno>
#include <optional>

namespace softvf::eswitch {

namespace {
// A min_tx_rate guarantee: a bucket at `rate_mbps` holding 1 ms; 0 gives the unlimited
// bucket (never consulted for min_tx_rate 0).
TokenBucket GuaranteeAt(uint32_t rate_mbps, uint64_t now_ns) {
  if (rate_mbps == 0) return TokenBucket();
  return TokenBucket(rate_mbps, TokenBucket::DefaultBurst(rate_mbps), now_ns);
}

// A max_tx_rate bucket holding `burst_ns` at the rate (at least one frame); 0: unlimited.
TokenBucket MaxRateAt(uint32_t rate_mbps, uint64_t burst_ns, uint64_t now_ns) {
  if (rate_mbps == 0) return TokenBucket();
  const uint64_t burst =
      std::max(TokenBucket::BytesIn(rate_mbps, burst_ns), TokenBucket::kMinBurstBytes);
  return TokenBucket(rate_mbps, burst, now_ns);
}

TokenBucket LinkBucket(const Veb::Options& o, uint64_t now_ns) {
  if (o.link_speed_mbps == 0) return TokenBucket();
  const uint64_t burst = std::max(TokenBucket::BytesIn(o.link_speed_mbps, o.link_burst_ns),
                                  TokenBucket::kMinBurstBytes);
  return TokenBucket(o.link_speed_mbps, burst, now_ns);
}

Cast CastOf(const MacAddress& dst) {
  if (!dst.is_multicast()) return Cast::kUnicast;
  return dst.is_broadcast() ? Cast::kBroadcast : Cast::kMulticast;
}
}  // namespace

Veb::Veb(std::shared_ptr<const PolicyTable> policies, const Options& options, uint64_t now_ns)
    : policies_(std::move(policies)),
      fdb_(options.fdb_capacity, options.aging_ns, options.hash_seed),
      ports_(policies_->size()),
      link_(LinkBucket(options, now_ns)),
      max_tx_rate_burst_ns_(options.max_tx_rate_burst_ns) {
  for (size_t i = 0; i < ports_.size(); ++i) {
    const PortPolicy& p = (*policies_)[PortId(static_cast<uint16_t>(i))];
    ports_[i].bucket = MaxRateAt(p.max_tx_rate_mbps, max_tx_rate_burst_ns_, now_ns);
    ports_[i].guarantee = GuaranteeAt(p.min_tx_rate_mbps, now_ns);
  }
}

Status Veb::SetPolicies(std::shared_ptr<const PolicyTable> policies, uint64_t now_ns) {
  if (policies == nullptr || policies->size() != ports_.size())
    return Status::Errno(EINVAL, "eswitch: the new policy table has " +
                                     std::to_string(policies ? policies->size() : 0) +
                                     " ports, the switch " + std::to_string(ports_.size()));
  for (size_t i = 0; i < ports_.size(); ++i) {
    const PortId id(static_cast<uint16_t>(i));
    const PortPolicy& before = (*policies_)[id];
    const PortPolicy& after = (*policies)[id];
    if (before.max_tx_rate_mbps != after.max_tx_rate_mbps)
      ports_[i].bucket = MaxRateAt(after.max_tx_rate_mbps, max_tx_rate_burst_ns_, now_ns);
    if (before.min_tx_rate_mbps != after.min_tx_rate_mbps)
      ports_[i].guarantee = GuaranteeAt(after.min_tx_rate_mbps, now_ns);
    if ((before.link_up && !after.link_up) || before.port_vlan != after.port_vlan)
      fdb_.FlushPort(id, /*learned_only=*/true);
  }
  policies_ = std::move(policies);
  return Status::Ok();
}

Status Veb::AddStatic(VlanId vlan, const MacAddress& mac, PortId port, uint64_t now_ns,
                      bool replace) {
  if (!policies_->contains(port))
    return Status::Errno(EINVAL, "fdb: no port " + PortName(port) + " on this switch");
  return fdb_.AddStatic(vlan, mac, port, now_ns, replace);
}

void Veb::ResetCounters() {
  for (PortState& p : ports_) p.counters = PortCounters{};
}

void Veb::Drop(PortId counted_on, DropReason reason, Decision& out) {
  out.kind = Decision::Kind::kDrop;
  out.reason = reason;
  CountDrop(counted_on, reason);
}

Veb::Admission Veb::Admit(PortId in, PortState& state, size_t bytes, uint64_t now_ns) {
  if (!state.bucket.Conforms(bytes, now_ns)) return Admission::kRateLimited;
  if (in == PortId::Uplink() || link_.unlimited()) return Admission::kShared;
  if ((*policies_)[in].min_tx_rate_mbps != 0 && state.guarantee.Conforms(bytes, now_ns))
    return Admission::kGuaranteed;
  return link_.Conforms(bytes, now_ns) ? Admission::kShared : Admission::kOverSubscribed;
}

void Veb::Charge(PortId in, PortState& state, Admission admission, size_t bytes, uint64_t now_ns) {
  state.bucket.Consume(bytes, now_ns);  // conformed at the same time: admits
  if (in == PortId::Uplink()) return;
  if (admission == Admission::kGuaranteed) state.guarantee.Consume(bytes, now_ns);
  link_.Charge(bytes, now_ns);
}

void Veb::Forward(PortId in, const uint8_t* frame, size_t len, uint64_t now_ns, Decision& out) {
  const std::optional<FrameInfo> info = ParseFrame(frame, len);
  if (!info) {
    out.kind = Decision::Kind::kDrop;
    out.reason = DropReason::kRunt;
    if (policies_->contains(in)) CountDrop(in, DropReason::kRunt);
    return;
  }
  Decide(in, *info, len, now_ns, out);
}

void Veb::Decide(PortId in, const FrameInfo& frame, size_t len, uint64_t now_ns, Decision& out) {
  if (!policies_->contains(in)) {  // a caller bug, not a guest's doing: nothing to count on
    out.kind = Decision::Kind::kDrop;
    out.reason = DropReason::kLinkDown;
    return;
  }
  const PortPolicy& ingress = (*policies_)[in];
  PortState& state = ports_[in.value()];

  if (!ingress.link_up) return Drop(in, DropReason::kLinkDown, out);
  // br_handle_frame: a multicast or zero source is never valid and must not be learned.
  if (frame.src.is_multicast() || frame.src.is_zero()) return Drop(in, DropReason::kBadSource, out);
  if (ingress.checks_source() && frame.src != ingress.mac)
    return Drop(in, DropReason::kSpoofed, out);

  out.from_port_vlan = ingress.has_port_vlan();
  if (out.from_port_vlan) {
    // The VF's VLAN is imposed; a guest tag would let it pick another (or nest one).
    if (frame.tagged) return Drop(in, DropReason::kTaggedOnPortVlan, out);
    out.vlan = ingress.port_vlan;
    out.push_tag = ingress.port_vlan_tag();
  } else {
    out.vlan = frame.tagged ? VlanId::FromTag(frame.tpid, frame.vid) : VlanId::Untagged();
  }

  const Admission admission = Admit(in, state, len, now_ns);
  if (admission == Admission::kRateLimited) return Drop(in, DropReason::kRateLimited, out);
  if (admission == Admission::kOverSubscribed) return Drop(in, DropReason::kOverSubscribed, out);
  Charge(in, state, admission, len, now_ns);

  out.cast = CastOf(frame.dst);
  state.counters.CountRx(len, out.cast);
  Learn(in, state, out.vlan, frame.src, now_ns);

  if (frame.dst.is_multicast()) return Flood(in, /*unknown_unicast=*/false, out);
  if (PortId owner = policies_->MacOwnerPort(frame.dst, out.vlan); owner.valid())
    return Deliver(in, owner, frame.dst, out);
  if (PortId known = fdb_.LookupPort(out.vlan, frame.dst, now_ns); known.valid())
    return Deliver(in, known, frame.dst, out);
  return Flood(in, /*unknown_unicast=*/true, out);
}

void Veb::Learn(PortId in, PortState& state, VlanId vlan, const MacAddress& src, uint64_t now_ns) {
  // Linux's bridge refreshes an entry's timestamp per jiffy, not per frame; refreshing at
  // most every 1/8 of the aging time (1 s at most) keeps an active sender's entry alive
  // and spares the hash probe on nearly every frame.
  const uint64_t refresh_ns = std::min<uint64_t>(fdb_.aging_ns() / 8, 1'000'000'000);
  const uint64_t key = Fdb::Key(vlan, src);
  if (key == state.learned_key && state.learned_generation == fdb_.generation() &&
      now_ns - state.learned_ns < refresh_ns)
    return;
  if (!fdb_.Learn(vlan, src, in, now_ns)) return;  // not held: try again next frame
  state.learned_key = key;
  state.learned_ns = now_ns;
  state.learned_generation = fdb_.generation();
}

void Veb::Deliver(PortId in, PortId to, const MacAddress& dst, Decision& out) {
  if (to == in) return Drop(in, DropReason::kSamePort, out);
  if (!policies_->contains(to)) return Drop(in, DropReason::kNoDestination, out);
  const PortPolicy& egress = (*policies_)[to];
  if (!egress.link_up) return Drop(to, DropReason::kLinkDown, out);
  if (!egress.InVlan(out.vlan)) return Drop(to, DropReason::kVlanMismatch, out);
  if (!egress.accepts_any_unicast() && dst != egress.mac)
    return Drop(to, DropReason::kFiltered, out);
  out.kind = Decision::Kind::kUnicast;
  out.port = to;
}

void Veb::Flood(PortId in, bool unknown_unicast, Decision& out) {
  policies_->Members(out.vlan, out.ports);
  if (unknown_unicast) out.ports &= policies_->any_unicast();
  out.ports.Reset(in);
  if (out.ports.Empty()) return Drop(in, DropReason::kNoDestination, out);
  out.kind = Decision::Kind::kFlood;
}

}  // namespace softvf::eswitch
