#include "sriov/physical_function.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>

#include "pci/capabilities.h"
#include "pci/regs.h"

namespace softvf {

using namespace pci;

uint64_t MmioAllocator::Allocate(uint64_t size) {
  uint64_t align = std::max<uint64_t>(size, 16);
  uint64_t at = (next_ + align - 1) & ~(align - 1);
  next_ = at + size;
  return at;
}

namespace {
uint32_t BarTypeBits(const BarSpec& bar) {
  if (bar.is_io) return 0x1;
  return (bar.is_64bit ? kBarMemType64 : 0) | (bar.prefetchable ? kBarMemPrefetch : 0);
}
}  // namespace

PhysicalFunction::PhysicalFunction(const DeviceProfile& profile, Bdf bdf, int port, int ports,
                                   MmioAllocator& mmio, MmioAllocator& io)
    : profile_(&profile), bdf_(bdf), port_(port), sriov_at_(profile.caps.sriov) {
  BuildHeader(ports, mmio, io);
  BuildSriov(mmio);
  vfs_.reserve(profile.sriov.total_vfs);
  for (uint16_t i = 0; i < profile.sriov.total_vfs; ++i) vfs_.emplace_back(profile, i);
  host_.driver = profile.driver.name;
}

void PhysicalFunction::BuildHeader(int ports, MmioAllocator& mmio, MmioAllocator& io) {
  const DeviceProfile& p = *profile_;
  config_.Set16(kVendorId, p.vendor_id);
  config_.Set16(kDeviceId, p.device_id);
  config_.SetWriteMask16(kCommand, 0x0547);  // I/O, Memory, Master, Parity, SERR, INTx Disable
  config_.Set8(kRevisionId, p.revision);
  config_.Set8(kClassProg, static_cast<uint8_t>(p.class_code));
  config_.Set16(kClassDevice, static_cast<uint16_t>(p.class_code >> 8));
  config_.Set8(kCacheLineSize, 0x10);
  config_.Set8(kHeaderType, ports > 1 ? kHeaderTypeMultiFunction : kHeaderTypeNormal);
  config_.Set16(kSubsystemVendorId, p.subsystem_vendor_id);
  config_.Set16(kSubsystemId, p.subsystem_id);
  config_.Set8(kInterruptPin, static_cast<uint8_t>(1 + port_ % 4));  // INTA..INTD
  config_.SetWriteMask8(kInterruptLine, 0xff);
  for (const BarSpec& bar : p.pf_bars) {
    uint32_t at = kBar0 + 4 * bar.index;
    uint64_t addr = bar.is_io ? io.Allocate(bar.size) : mmio.Allocate(bar.size);
    config_.Set32(at, static_cast<uint32_t>(addr) | BarTypeBits(bar));
    config_.SetWriteMask32(at, static_cast<uint32_t>(~(bar.size - 1)) & (bar.is_io ? ~3u : ~0xfu));
    if (bar.is_64bit) {
      config_.Set32(at + 4, static_cast<uint32_t>(addr >> 32));
      config_.SetWriteMask32(at + 4, 0xffffffff);
    }
  }
  // Linux's pci_enable_resources sets I/O Space Enable only for a device with an I/O BAR.
  bool has_io =
      std::any_of(p.pf_bars.begin(), p.pf_bars.end(), [](const BarSpec& b) { return b.is_io; });
  config_.Set16(kCommand, kCommandMemory | kCommandMaster | (has_io ? 1 : 0));
  CapabilityBuilder caps(config_);
  if (p.caps.pm) caps.AddPowerManagement(p.caps.pm);
  if (p.caps.msix)
    caps.AddMsix(p.caps.msix, MsixLayout{p.pf_msix_vectors, p.msix_bar, 0, p.msix_bar, 0x2000});
  caps.AddPcie(p.caps.pcie, PcieType::kEndpoint, p.link, p.flr, false);
  if (p.caps.aer) caps.AddAer(p.caps.aer);
  if (p.caps.ari) caps.AddAri(p.caps.ari, static_cast<uint8_t>(port_ + 1 < ports ? port_ + 1 : 0));
  if (p.caps.acs) caps.AddAcs(p.caps.acs, true);
  caps.AddSriovHeader(sriov_at_);
}

void PhysicalFunction::BuildSriov(MmioAllocator& mmio) {
  const SriovSpec& s = profile_->sriov;
  SriovCapability cap = sriov();
  cap.SetCapabilities(s.ari_capable_hierarchy_preserved ? SriovCapability::kCapAriPreserved : 0);
  // Only the lowest-numbered PF implements ARI Capable Hierarchy; VF Migration is absent.
  control_wmask_ = SriovCapability::kCtrlVfe | SriovCapability::kCtrlMse |
                   (port_ == 0 ? SriovCapability::kCtrlAri : 0);
  cap.SetControlWriteMask(control_wmask_);
  cap.SetInitialVfs(s.initial_vfs);
  cap.SetTotalVfs(s.total_vfs);
  cap.SetNumVfsWritable(true);
  cap.SetFunctionDependencyLink(bdf_.devfn() & 7);
  cap.SetVfDeviceId(profile_->vf_device_id);
  cap.SetSupportedPageSizes(s.supported_page_sizes);
  cap.SetSystemPageSize(0x1);
  cap.SetSystemPageSizeWriteMask(s.supported_page_sizes);
  for (const BarSpec& bar : s.vf_bars) {
    uint64_t aperture = bar.size * std::max<uint16_t>(s.total_vfs, 1);
    uint64_t addr = mmio.Allocate(aperture);
    vf_bar_sizes_[bar.index] = bar.size;
    cap.SetBar(bar.index, static_cast<uint32_t>(addr) | BarTypeBits(bar));
    cap.SetBarWriteMask(bar.index, static_cast<uint32_t>(~(bar.size - 1)) & ~0xfu);
    if (bar.is_64bit && bar.index + 1 < SriovCapability::kNumBars) {
      cap.SetBar(bar.index + 1, static_cast<uint32_t>(addr >> 32));
      cap.SetBarWriteMask(bar.index + 1, 0xffffffff);
    }
  }
  UpdateOffsetStride();
}

void PhysicalFunction::ConfigWrite(uint32_t offset, uint32_t value, unsigned width) {
  // Only 1-, 2- and 4-byte writes exist. ConfigSpace drops any other width, and so must
  // the FLR check below: a wider one would shift the 32-bit value by 32 bits or more.
  if (width != 1 && width != 2 && width != 4) return;
  // PCIe Device Control bit 15, Initiate Function Level Reset: write-only, reads 0. An FLR
  // of a PF disables its VFs (SR-IOV 1.1 2.2.2), like a conventional reset.
  uint32_t flr_byte = uint32_t{profile_->caps.pcie} + 9;
  if (profile_->flr && offset <= flr_byte && flr_byte < offset + width &&
      ((value >> (8 * (flr_byte - offset))) & 0x80)) {
    Reset();
    return;
  }
  config_.HostWrite(offset, value, width);
  Reconcile();
}

void PhysicalFunction::Reconcile() {
  SriovCapability cap = sriov();
  bool vfe = cap.vf_enable();
  if (vfe && !vfe_) {
    vfe_ = true;
    cap.SetNumVfsWritable(false);
    EnableVfs(cap.num_vfs());
  } else if (!vfe && vfe_) {
    vfe_ = false;
    DisableVfs();
    cap.SetNumVfsWritable(true);
  }
  UpdateOffsetStride();
  // While VF Enable is clear it may only be set if NumVFs <= TotalVFs (QEMU's rule).
  uint16_t mask = control_wmask_;
  if (!vfe && cap.num_vfs() > cap.total_vfs()) mask &= ~SriovCapability::kCtrlVfe;
  cap.SetControlWriteMask(mask);
}

void PhysicalFunction::UpdateOffsetStride() {
  SriovCapability cap = sriov();
  const SriovSpec& s = profile_->sriov;
  bool ari = cap.ari_capable_hierarchy();
  uint16_t offset = ari ? s.ari_first_vf_offset : s.first_vf_offset;
  cap.SetFirstVfOffset(static_cast<uint16_t>(offset + port_ * s.port_vf_offset_step));
  cap.SetVfStride(ari ? s.ari_vf_stride : s.vf_stride);
}

uint64_t PhysicalFunction::VfBarBase(int slot) const {
  SriovCapability cap = sriov();
  uint64_t base = cap.bar(slot) & ~0xfull;
  if ((cap.bar(slot) & kBarMemType64) && slot + 1 < SriovCapability::kNumBars)
    base |= uint64_t{cap.bar(slot + 1)} << 32;
  return base;
}

void PhysicalFunction::EnableVfs(uint16_t n) {
  SriovCapability cap = sriov();
  n = std::min<uint16_t>(n, static_cast<uint16_t>(vfs_.size()));
  for (uint16_t i = 0; i < n; ++i) {
    // The device answers at RID(PF) + offset + i * stride, 16-bit arithmetic.
    uint16_t rid = static_cast<uint16_t>(bdf_.routing_id().value + cap.first_vf_offset() +
                                         uint32_t{cap.vf_stride()} * i);
    std::vector<uint64_t> bars(SriovCapability::kNumBars, 0);
    for (int slot = 0; slot < SriovCapability::kNumBars; ++slot)
      if (vf_bar_sizes_[slot]) bars[slot] = VfBarBase(slot) + vf_bar_sizes_[slot] * i;
    vfs_[i].Enable(Bdf::FromRoutingId(bdf_.domain(), RoutingId{rid}), std::move(bars));
  }
  enabled_vfs_ = n;
}

void PhysicalFunction::DisableVfs() {
  for (VirtualFunction& vf : vfs_)
    if (vf.enabled()) vf.Disable();
  enabled_vfs_ = 0;
}

void PhysicalFunction::Reset() {
  SriovCapability cap = sriov();
  cap.SetControl(0);
  Reconcile();  // VF Enable fell: all VFs go away
  cap.SetNumVfs(0);
  cap.SetSystemPageSize(0x1);
  UpdateOffsetStride();
  host_.num_vfs = 0;
  cap.SetControlWriteMask(control_wmask_);
}

// ---------------------------------------------------------------- Linux's side

Status PhysicalFunction::SriovInit(const IovEnvironment& env) {
  SriovCapability cap = sriov();
  host_.is_physfn = false;
  host_.bus_end = env.bus_end;
  if (cap.vf_enable()) ConfigWrite(sriov_at_ + SriovCapability::kCtrl, 0, 2);
  uint16_t ctrl = (env.ari_enabled && env.lowest_pf) ? SriovCapability::kCtrlAri : 0;
  ConfigWrite(sriov_at_ + SriovCapability::kCtrl, ctrl, 2);
  uint16_t total = cap.total_vfs();
  if (total == 0) return Status::Ok();  // not a PF at all

  uint32_t pgsz = ChooseSystemPageSize(cap.supported_page_sizes(), env.host_page_shift);
  if (pgsz == 0) return Status::Errno(EIO, "no supported page size fits the host page size");
  ConfigWrite(sriov_at_ + SriovCapability::kSystemPageSize, pgsz, 4);
  uint64_t page = uint64_t{1} << env.host_page_shift;
  for (uint64_t size : vf_bar_sizes_)
    if (size & (page - 1)) return Status::Errno(EIO, "VF BAR size is not a multiple of PAGE_SIZE");

  // compute_max_vf_buses: offset and stride must be valid for every NumVFs.
  for (uint16_t nr = total; nr >= 1; --nr) {
    ConfigWrite(sriov_at_ + SriovCapability::kNumVfs, nr, 2);
    if (cap.first_vf_offset() == 0 || (nr > 1 && cap.vf_stride() == 0)) {
      ConfigWrite(sriov_at_ + SriovCapability::kNumVfs, 0, 2);
      return Status::Errno(EIO, "invalid First VF Offset or VF Stride");
    }
  }
  ConfigWrite(sriov_at_ + SriovCapability::kNumVfs, 0, 2);
  host_.is_physfn = true;
  host_.driver_max_vfs = total;
  if (profile_->driver.max_vfs && !host_.driver.empty())
    SOFTVF_RETURN_IF_ERROR(SetDriverTotalVfs(profile_->driver.max_vfs));
  return Status::Ok();
}

Status PhysicalFunction::SetDriverTotalVfs(uint16_t n) {
  if (!host_.is_physfn) return Status::Errno(ENOSYS);
  if (n > sriov().total_vfs()) return Status::Errno(EINVAL);
  if (sriov().vf_enable()) return Status::Errno(EBUSY);
  host_.driver_max_vfs = n;
  return Status::Ok();
}

Status PhysicalFunction::SriovEnable(uint16_t nr_virtfn) {
  SriovCapability cap = sriov();
  if (nr_virtfn == 0) return Status::Ok();
  if (host_.num_vfs) return Status::Errno(EINVAL);
  bool vfm = cap.capabilities() & SriovCapability::kCapVfMigration;
  uint16_t initial = cap.initial_vfs();
  uint16_t total = cap.total_vfs();
  if (initial > total || (!vfm && initial != total)) return Status::Errno(EIO);
  if (nr_virtfn > total || (!vfm && nr_virtfn > initial)) return Status::Errno(EINVAL);
  ConfigWrite(sriov_at_ + SriovCapability::kNumVfs, nr_virtfn, 2);
  if (cap.first_vf_offset() == 0 || (nr_virtfn > 1 && cap.vf_stride() == 0)) {
    ConfigWrite(sriov_at_ + SriovCapability::kNumVfs, 0, 2);
    return Status::Errno(EIO);
  }
  uint32_t bus =
      VfBusNumber(bdf_.routing_id(), cap.first_vf_offset(), cap.vf_stride(), nr_virtfn - 1u);
  if (bus > host_.bus_end) {
    ConfigWrite(sriov_at_ + SriovCapability::kNumVfs, 0, 2);
    // %pR of the bus's busn_res: "[bus 04]" when it spans one bus, else "[bus 04-05]".
    char range[16];
    if (bdf_.bus() == host_.bus_end)
      std::snprintf(range, sizeof range, "[bus %02x]", unsigned{bdf_.bus()});
    else
      std::snprintf(range, sizeof range, "[bus %02x-%02x]", unsigned{bdf_.bus()},
                    unsigned{host_.bus_end});
    char msg[96];
    std::snprintf(msg, sizeof msg, "can't enable %u VFs (bus %02x out of range of %s)",
                  unsigned{nr_virtfn}, bus, range);
    return Status::Errno(ENOMEM, msg);
  }
  ConfigWrite(sriov_at_ + SriovCapability::kCtrl,
              cap.control() | SriovCapability::kCtrlVfe | SriovCapability::kCtrlMse, 2);
  // sriov_add_vfs: each VF gets its pci_dev; the VF driver binds if autoprobe is on.
  bool probe = host_.drivers_autoprobe && !profile_->driver.vf_driver.empty();
  for (uint16_t i = 0; i < enabled_vfs_; ++i)
    vfs_[i].Bind(probe ? Binding::kHostDriver : Binding::kUnbound);
  host_.num_vfs = nr_virtfn;
  return Status::Ok();
}

void PhysicalFunction::SriovDisable() {
  if (!host_.num_vfs) return;
  SriovCapability cap = sriov();
  ConfigWrite(sriov_at_ + SriovCapability::kCtrl,
              cap.control() & ~(SriovCapability::kCtrlVfe | SriovCapability::kCtrlMse), 2);
  host_.num_vfs = 0;
  ConfigWrite(sriov_at_ + SriovCapability::kNumVfs, 0, 2);
}

}  // namespace softvf
