// Frames entering the embedded switch: the input builds a PF's port policies (VF MACs,
// spoof check, trust, port VLANs, link state, rates), then a sequence of frames from any
// port (made of a few chosen MACs and VLAN tags, or raw bytes) at advancing times, mixed
// with policy changes, static FDB entries and aging. Each decision is applied as the
// worker applies it: the VLAN edit toward every egress port (CopyWithVlanEdit) and the
// counters.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdlib>
#include <vector>

#include "eswitch/ethernet.h"
#include "eswitch/veb.h"
#include "eswitch/vlan_edit.h"

using namespace softvf;
using namespace softvf::eswitch;

namespace {

void Check(bool ok) {
  if (!ok) abort();
}

// A few addresses, so that frames meet each other's MACs: VF-style, a host, multicast,
// broadcast, zero; sometimes any six bytes.
MacAddress PickMac(FuzzedDataProvider& in) {
  uint8_t k = in.ConsumeIntegral<uint8_t>();
  switch (k % 8) {
    case 0:
    case 1:
    case 2:
      return MacAddress({0x02, 0, 0, 0, 0, static_cast<uint8_t>(k >> 3 & 7)});
    case 3:
      return MacAddress({0x52, 0x54, 0, 0xaa, 0xbb, static_cast<uint8_t>(k >> 3 & 1)});
    case 4:
      return MacAddress({0x01, 0x00, 0x5e, 0, 0, 0xfb});
    case 5:
      return MacAddress::Broadcast();
    case 6:
      return MacAddress();
    default: {
      std::array<uint8_t, 6> b{};
      for (uint8_t& x : b) x = in.ConsumeIntegral<uint8_t>();
      return MacAddress(b);
    }
  }
}

VlanId PickVlan(FuzzedDataProvider& in) {
  uint8_t k = in.ConsumeIntegral<uint8_t>();
  if (k < 96) return VlanId::Untagged();
  uint16_t vid = k < 224 ? 1 + k % 4 : in.ConsumeIntegral<uint16_t>();
  return k & 1 ? VlanId::Service(vid) : VlanId::Customer(vid);
}

PortPolicy PickPolicy(FuzzedDataProvider& in, size_t index) {
  PortPolicy p;
  uint8_t flags = in.ConsumeIntegral<uint8_t>();
  if (index == 0) return PortPolicy::Uplink(flags & 1);
  if (index == 1) return PortPolicy::PfHost(flags & 1, (flags & 2) ? PickVlan(in) : VlanId());
  if (flags & 0x80) return PortPolicy::Absent();
  p.kind = PortKind::kVf;
  p.link_up = flags & 1;
  p.spoofchk = flags & 2;
  p.trust = flags & 4;
  p.mac = (flags & 8) ? PickMac(in) : MacAddress({0x02, 0, 0, 0, 0, static_cast<uint8_t>(index - 2)});
  if (flags & 16) p.port_vlan = PickVlan(in);
  p.qos = in.ConsumeIntegral<uint8_t>() & 7;
  if (flags & 32) p.max_tx_rate_mbps = in.ConsumeIntegralInRange<uint32_t>(1, 1000);
  if (flags & 64) p.min_tx_rate_mbps = in.ConsumeIntegralInRange<uint32_t>(1, 1000);
  return p;
}

std::shared_ptr<const PolicyTable> PickTable(FuzzedDataProvider& in, size_t ports) {
  std::vector<PortPolicy> policies;
  for (size_t i = 0; i < ports; ++i) policies.push_back(PickPolicy(in, i));
  auto t = PolicyTable::Create(std::move(policies));
  return t.ok() ? *t : nullptr;
}

// A frame: dst, src, up to three tags from the usual TPIDs, an EtherType, a payload;
// or raw bytes.
std::vector<uint8_t> PickFrame(FuzzedDataProvider& in) {
  uint8_t mode = in.ConsumeIntegral<uint8_t>();
  if (mode >= 224) return in.ConsumeBytes<uint8_t>(in.ConsumeIntegralInRange<size_t>(0, 1600));
  std::vector<uint8_t> f;
  auto put_mac = [&](const MacAddress& m) { f.insert(f.end(), m.bytes().begin(), m.bytes().end()); };
  put_mac(PickMac(in));
  put_mac(PickMac(in));
  for (int tags = mode % 4; tags > 0; --tags) {
    uint8_t t = in.ConsumeIntegral<uint8_t>();
    uint16_t tpid = t & 1 ? kEthP8021AD : kEthP8021Q;
    uint16_t tci = t & 2 ? in.ConsumeIntegral<uint16_t>() : static_cast<uint16_t>(1 + (t >> 2) % 4);
    f.insert(f.end(), {static_cast<uint8_t>(tpid >> 8), static_cast<uint8_t>(tpid),
                       static_cast<uint8_t>(tci >> 8), static_cast<uint8_t>(tci)});
  }
  f.insert(f.end(), {0x08, 0x00});
  std::vector<uint8_t> rest = in.ConsumeBytes<uint8_t>(in.ConsumeIntegralInRange<size_t>(0, 100));
  f.insert(f.end(), rest.begin(), rest.end());
  if (mode & 0x80) f.resize(in.ConsumeIntegralInRange<size_t>(0, f.size()));  // truncated
  return f;
}

// What the worker does with a decision: one edited copy per egress port, counted.
void Apply(Veb& veb, PortId in, const std::vector<uint8_t>& frame, const Decision& d,
           FuzzedDataProvider& input) {
  static uint8_t out[2048];
  auto deliver = [&](PortId e) {
    Check(e.value() < veb.port_count() && e != in);
    VlanAction action = d.ActionFor(veb.policy(e));
    size_t cap = input.ConsumeBool() ? sizeof out : input.ConsumeIntegralInRange<size_t>(0, sizeof out);
    size_t n = CopyWithVlanEdit(frame.data(), frame.size(), action, d.push_tag, out, cap);
    Check(n <= cap);
    if (n == 0) {
      veb.CountDrop(e, DropReason::kNoBuffer);
      return;
    }
    Check(n == EditedLength(frame.size(), action));
    veb.CountTx(e, n, d);
  };
  if (d.kind == Decision::Kind::kUnicast) deliver(d.port);
  if (d.kind == Decision::Kind::kFlood) {
    Check(!d.ports.Test(in));
    d.ports.ForEach(deliver);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  const size_t ports = 2 + in.ConsumeIntegralInRange<size_t>(0, 8);
  auto table = PickTable(in, ports);
  if (!table) return 0;
  Veb::Options options;
  options.fdb_capacity = in.ConsumeIntegralInRange<uint32_t>(0, 16);
  options.aging_ns = in.ConsumeBool() ? Fdb::kDefaultAgingNs : in.ConsumeIntegralInRange<uint64_t>(1, 1'000'000);
  options.hash_seed = 7;
  options.link_speed_mbps = in.ConsumeBool() ? 0 : in.ConsumeIntegralInRange<uint32_t>(1, 100000);
  uint64_t now = in.ConsumeIntegral<uint32_t>();
  Veb veb(table, options, now);
  Decision d;
  while (in.remaining_bytes() > 0) {
    now += in.ConsumeIntegral<uint16_t>() * uint64_t{in.ConsumeIntegral<uint8_t>()};
    PortId port(static_cast<uint16_t>(in.ConsumeIntegral<uint8_t>() % ports));
    switch (in.ConsumeIntegral<uint8_t>() % 8) {
      case 0:
      case 1:
      case 2: {
        std::vector<uint8_t> frame = PickFrame(in);
        if (in.ConsumeIntegral<uint8_t>() < 32 && !veb.MayTransmit(port, frame.size(), now)) break;
        veb.Forward(port, frame.data(), frame.size(), now, d);
        Apply(veb, port, frame, d, in);
        break;
      }
      case 3:
        if (auto t = PickTable(in, ports)) Check(veb.SetPolicies(t, now).ok());
        break;
      case 4:
        veb.AddStatic(PickVlan(in), PickMac(in), port, now, in.ConsumeBool());
        break;
      case 5:
        veb.fdb().Age(now, in.ConsumeIntegral<uint8_t>());
        break;
      case 6:
        veb.TxConforms(port, in.ConsumeIntegral<uint16_t>(), now);
        break;
      case 7: {  // a VLAN edit on its own, any frame and tag
        std::vector<uint8_t> frame = PickFrame(in);
        static uint8_t out[2048];
        VlanAction action = static_cast<VlanAction>(in.ConsumeIntegral<uint8_t>() % 3);
        VlanTag tag{in.ConsumeIntegral<uint16_t>(), in.ConsumeIntegral<uint16_t>()};
        size_t cap = in.ConsumeIntegralInRange<size_t>(0, sizeof out);
        size_t n = CopyWithVlanEdit(frame.data(), frame.size(), action, tag, out, cap);
        Check(n <= cap && (n == 0 || n == EditedLength(frame.size(), action)));
        break;
      }
    }
  }
  return 0;
}
