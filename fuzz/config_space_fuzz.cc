// Configuration-space writes and the sysfs write path: the input picks a built-in profile
// and the host around the PF (page size, ARI, bus range), then issues host configuration
// writes of any offset, width and value (mostly aimed at the header, the PCIe capability
// and the SR-IOV capability), sysfs writes of any attribute with any text, and resets.
// After each step every sriov_* attribute is read back and the VF set is checked against
// the capability.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "config/profile_loader.h"
#include "sriov/physical_function.h"
#include "sriov/sysfs.h"

using namespace softvf;

namespace {

void Check(bool ok) {
  if (!ok) abort();
}

const std::vector<std::shared_ptr<const DeviceProfile>>& Profiles() {
  static const auto* profiles = [] {
    auto* v = new std::vector<std::shared_ptr<const DeviceProfile>>;
    for (const std::string& name : config::BuiltinProfileNames()) {
      auto p = config::BuiltinProfile(name);
      if (!p.ok()) abort();
      v->push_back(*p);
    }
    return v;
  }();
  return *profiles;
}

uint32_t Offset(FuzzedDataProvider& in, const PhysicalFunction& pf) {
  uint8_t mode = in.ConsumeIntegral<uint8_t>();
  uint32_t low = in.ConsumeIntegral<uint8_t>();
  if (mode < 128) return pf.sriov().offset() + low % SriovCapability::kSizeof;
  if (mode < 176) return low % 0x40;                                      // the header
  if (mode < 208) return uint32_t{pf.profile().caps.pcie} + low % 0x3c;  // PCIe capability
  if (mode < 240) return in.ConsumeIntegral<uint16_t>() % ConfigSpace::kSize;
  return in.ConsumeIntegral<uint32_t>();
}

unsigned Width(FuzzedDataProvider& in) {
  uint8_t w = in.ConsumeIntegral<uint8_t>();
  if (w < 240) return 1u << (w % 3);
  return in.ConsumeIntegral<uint8_t>();  // not 1, 2 or 4: must be ignored
}

std::string Attribute(FuzzedDataProvider& in) {
  const std::vector<std::string>& names = SriovAttributeNames();
  uint8_t k = in.ConsumeIntegral<uint8_t>();
  if (k < 240) return names[k % names.size()];
  return in.ConsumeRandomLengthString(32);
}

std::string Value(FuzzedDataProvider& in) {
  static const char* const kTexts[] = {"0", "1", "2", "4", "7", "8", "63", "64", "127", "128",
                                       "0x10", "010", "-1", "+3", " 3", "3 ", "65535", "65536",
                                       "y", "n", "on", "off", "", "\n"};
  uint8_t k = in.ConsumeIntegral<uint8_t>();
  std::string s = k < 160 ? kTexts[k % (sizeof kTexts / sizeof *kTexts)] : in.ConsumeRandomLengthString(24);
  if (k & 1) s += "\n";
  return s;
}

void CheckState(const PhysicalFunction& pf) {
  for (const std::string& attr : SriovAttributeNames()) (void)SysfsRead(pf, attr);
  const uint16_t total = pf.sriov().total_vfs();
  Check(pf.enabled_vf_count() <= total);
  Check(pf.enabled_vf_count() <= pf.vfs().size());
  size_t enabled = 0;
  for (const VirtualFunction& vf : pf.vfs()) enabled += vf.enabled();
  Check(enabled == pf.enabled_vf_count());
  Check(pf.host().num_vfs <= total);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  const auto& profiles = Profiles();
  const DeviceProfile& profile = *profiles[in.ConsumeIntegral<uint8_t>() % profiles.size()];
  MmioAllocator mmio(0xa0000000), io(0x3000);
  const int ports = in.ConsumeIntegralInRange<int>(1, 2);
  const int port = in.ConsumeIntegralInRange<int>(0, ports - 1);
  PhysicalFunction pf(profile, Bdf(0, in.ConsumeIntegral<uint8_t>(), 0, static_cast<uint8_t>(port)),
                      port, ports, mmio, io);
  IovEnvironment env;
  env.host_page_shift = in.ConsumeBool() ? 12 : in.ConsumeIntegralInRange<unsigned>(12, 20);
  env.ari_enabled = in.ConsumeBool();
  env.lowest_pf = port == 0;
  env.bus_end = in.ConsumeIntegral<uint8_t>();
  (void)pf.SriovInit(env);
  if (in.ConsumeBool()) pf.host().driver = "fuzz";
  CheckState(pf);

  while (in.remaining_bytes() > 0) {
    switch (in.ConsumeIntegral<uint8_t>() % 9) {
      case 0:
      case 1:
      case 2:
      case 3: {
        uint32_t offset = Offset(in, pf);
        unsigned width = Width(in);
        pf.ConfigWrite(offset, in.ConsumeIntegral<uint32_t>(), width);
        break;
      }
      case 4:
      case 5: {
        std::string attr = Attribute(in);
        (void)SysfsWrite(pf, attr, Value(in));
        break;
      }
      case 6:
        (void)pf.SetDriverTotalVfs(in.ConsumeIntegral<uint16_t>());
        break;
      case 7:
        pf.Reset();
        break;
      case 8:  // the sysfs number parsers on their own, with any text
        (void)KstrToU16(in.ConsumeRandomLengthString(16));
        (void)KstrToBool(in.ConsumeRandomLengthString(16));
        break;
    }
    CheckState(pf);
  }
  return 0;
}
