// PhysicalFunction: one port of an SR-IOV adapter, a PCIe function with an SR-IOV
// capability, and the state Linux keeps for it (struct pci_sriov, the bound driver).
//
// Configuration space is the source of truth: after every host write, Reconcile() derives
// which VFs exist, their routing IDs and their BAR addresses from the SR-IOV capability
// (QEMU hw/pci/pcie_sriov.c does the same). The host-side operations (SriovInit,
// SriovEnable, SriovDisable) follow drivers/pci/iov.c step by step, so their errno values
// and order match what a Linux user sees through sysfs.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "pci/bdf.h"
#include "pci/config_space.h"
#include "sriov/profile.h"
#include "sriov/sriov_capability.h"
#include "sriov/virtual_function.h"

namespace softvf {

// Hands out MMIO addresses for BARs, naturally aligned (what firmware/the PCI core does).
class MmioAllocator {
 public:
  explicit MmioAllocator(uint64_t base) : next_(base) {}
  uint64_t Allocate(uint64_t size);

 private:
  uint64_t next_;
};

// What the host around the PF looks like to Linux's sriov_init/sriov_enable.
struct IovEnvironment {
  unsigned host_page_shift = 12;  // PAGE_SHIFT
  bool ari_enabled = false;       // upstream port has ARI Forwarding enabled
  bool lowest_pf = true;          // lowest-numbered PF of the device (owns the ARI bit)
  uint8_t bus_end = 0xff;         // last bus number routed to the PF's bus (busn_res.end)
};

class PhysicalFunction {
 public:
  // `port` is this PF's index on an adapter of `ports` functions (the same slot). BARs
  // are placed from `mmio` (memory) and `io` (I/O space).
  PhysicalFunction(const DeviceProfile& profile, Bdf bdf, int port, int ports, MmioAllocator& mmio,
                   MmioAllocator& io);

  const DeviceProfile& profile() const { return *profile_; }
  Bdf bdf() const { return bdf_; }
  int port() const { return port_; }
  const ConfigSpace& config() const { return config_; }
  SriovCapability sriov() { return SriovCapability(config_, sriov_at_); }
  SriovCapability sriov() const {
    return SriovCapability(const_cast<ConfigSpace&>(config_), sriov_at_);
  }

  // A host configuration write (1, 2 or 4 bytes), followed by the reconcile.
  void ConfigWrite(uint32_t offset, uint32_t value, unsigned width);
  // Conventional reset or Function Level Reset: VF Enable clears, all VFs go away.
  void Reset();

  std::vector<VirtualFunction>& vfs() { return vfs_; }
  const std::vector<VirtualFunction>& vfs() const { return vfs_; }
  // VFs that exist now: NumVFs while VF Enable is set, else 0.
  uint16_t enabled_vf_count() const { return enabled_vfs_; }
  // Per-VF size of each VF BAR slot (0 for unused or upper halves).
  uint64_t vf_bar_size(int slot) const { return vf_bar_sizes_[slot]; }

  // ---- Linux's view (drivers/pci/iov.c) ----
  struct Host {
    bool is_physfn = false;       // sriov_init succeeded: sriov_* attributes exist
    uint16_t num_vfs = 0;         // num_VFs
    uint16_t driver_max_vfs = 0;  // pci_sriov_get_totalvfs()
    std::string driver;           // bound PF driver, "" = none
    bool drivers_autoprobe = true;
    uint8_t bus_end = 0xff;
  };
  const Host& host() const { return host_; }
  Host& host() { return host_; }

  // sriov_init: validates offset/stride for every NumVFs, picks the System Page Size,
  // checks the VF BAR sizes and sets ARI Capable Hierarchy. -EIO leaves no PF.
  Status SriovInit(const IovEnvironment& env);
  // sriov_enable / sriov_disable as pci_enable_sriov and pci_disable_sriov run them.
  Status SriovEnable(uint16_t nr_virtfn);
  void SriovDisable();
  // The driver's pci_sriov_set_totalvfs().
  Status SetDriverTotalVfs(uint16_t n);

 private:
  void BuildHeader(int ports, MmioAllocator& mmio, MmioAllocator& io);
  void BuildSriov(MmioAllocator& mmio);
  void Reconcile();
  void UpdateOffsetStride();
  void EnableVfs(uint16_t n);
  void DisableVfs();
  uint64_t VfBarBase(int slot) const;

  const DeviceProfile* profile_;
  Bdf bdf_;
  int port_;
  ConfigSpace config_;
  uint16_t sriov_at_;
  uint16_t control_wmask_ = 0;
  bool vfe_ = false;
  uint16_t enabled_vfs_ = 0;
  uint64_t vf_bar_sizes_[SriovCapability::kNumBars] = {};
  std::vector<VirtualFunction> vfs_;
  Host host_;
};

}  // namespace softvf
