#include "sriov/virtual_function.h"

#include "pci/capabilities.h"
#include "pci/regs.h"

namespace softvf {

using namespace pci;

VirtualFunction::VirtualFunction(const DeviceProfile& profile, uint16_t index)
    : index_(index), defaults_(DefaultVfConfig(profile.driver)), settings_(defaults_) {
  // SR-IOV 1.1 3.4.1: a VF's Vendor and Device ID read 0xFFFF (software takes them from
  // the PF), its Interrupt Pin reads 0, its BARs are RO zero (the PF's VF BARs place it),
  // and its Multi-Function bit is clear.
  config_.Set16(kVendorId, 0xffff);
  config_.Set16(kDeviceId, 0xffff);
  config_.Set8(kRevisionId, profile.revision);
  config_.Set8(kClassProg, static_cast<uint8_t>(profile.class_code));
  config_.Set16(kClassDevice, static_cast<uint16_t>(profile.class_code >> 8));
  config_.Set8(kHeaderType, kHeaderTypeNormal);
  config_.Set16(kSubsystemVendorId, profile.subsystem_vendor_id);
  config_.Set16(kSubsystemId, profile.subsystem_id);
  config_.Set8(kInterruptPin, 0);
  config_.SetWriteMask16(kCommand, kCommandMaster);  // Memory Space Enable is RO 0 in a VF
  CapabilityBuilder caps(config_);
  if (profile.caps.msix) {
    caps.AddMsix(profile.caps.msix, MsixLayout{profile.vf_msix_vectors, profile.vf_msix_bar, 0,
                                               profile.vf_msix_bar, 0x2000});
  }
  caps.AddPcie(profile.caps.pcie, PcieType::kEndpoint, profile.link, profile.flr, false);
  if (profile.caps.aer) caps.AddAer(profile.caps.aer);
  if (profile.caps.ari) caps.AddAri(profile.caps.ari, 0);
}

void VirtualFunction::Enable(Bdf bdf, std::vector<uint64_t> bar_addresses) {
  enabled_ = true;
  bdf_ = bdf;
  bar_addresses_ = std::move(bar_addresses);
}

void VirtualFunction::Disable() {
  enabled_ = false;
  bdf_ = Bdf();
  bar_addresses_.clear();
  binding_ = Binding::kUnbound;
  consumer_.clear();
  // The PF driver frees its per-VF state when VFs go away; a new VF starts clean.
  settings_ = defaults_;
}

void VirtualFunction::Bind(Binding binding, std::string consumer) {
  binding_ = binding;
  consumer_ = std::move(consumer);
}

}  // namespace softvf
