// Card: the whole emulated machine softvf presents — the PCI topology, the adapters on it
// (each a set of PFs from one profile) and the host's view of them: netdev names,
// ifindexes, MACs, IOMMU groups. Everything the control plane shows or changes is
// reached from here.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/mac_address.h"
#include "common/status.h"
#include "iommu/groups.h"
#include "pci/topology.h"
#include "sriov/physical_function.h"
#include "sriov/profile.h"
#include "sriov/vf_config.h"

namespace softvf {

struct PortSpec {
  std::string name;               // netdev name; "" = Linux's predictable name
  std::optional<MacAddress> mac;  // PF MAC; derived from the BDF when absent
  uint32_t mtu = 1500;
};

// How a VF is handed to its consumer over vhost-user (`softvf attach ... vhost-user`).
// Who a VF's data path is handed to: a vhost-user front end (a QEMU guest, a DPDK app),
// or the host kernel as a TAP netdev.
struct VfAttachment {
  enum class Kind { kVhostUser, kTap };
  std::string path;    // vhost-user socket
  bool server = true;  // softvf creates the socket; false: it connects to the front end's
  Kind kind = Kind::kVhostUser;
  std::string ifname;  // kTap: the netdev's name (the VF's Linux name by default)
  static VfAttachment Tap(std::string ifname) { return {"", true, Kind::kTap, std::move(ifname)}; }
  // The consumer string the device model's assignment records ("vhost-user:PATH", "tap:IF").
  std::string Consumer() const {
    return kind == Kind::kTap ? "tap:" + ifname : "vhost-user:" + path;
  }
  friend bool operator==(const VfAttachment&, const VfAttachment&) = default;
};

// The PF's wire: nothing, a TAP, an AF_PACKET socket on an existing interface, or a UDP
// tunnel to another softvf (one datagram per frame, tags kept: two hosts share one trunk).
struct UplinkConfig {
  enum class Kind { kNone, kTap, kAfPacket, kUdp };
  Kind kind = Kind::kNone;
  std::string interface;  // kTap: the TAP to create; kAfPacket: the interface to bind
  std::string local;      // kUdp: "ADDR:PORT" to bind
  std::string remote;     // kUdp: "ADDR:PORT" of the other end
  friend bool operator==(const UplinkConfig&, const UplinkConfig&) = default;
};

// A static entry of the PF's embedded switch (`softvf fdb add MAC dev PF vf N [vlan V]`),
// kept on the card so `softvf save` writes it and the data path re-applies it when the
// PF's switch starts. Toward a VF, the uplink or the PF's own host port.
struct StaticFdbEntry {
  enum class Target : uint8_t { kVf, kUplink, kPf };
  MacAddress mac;
  uint16_t vlan = 0;                 // 0: untagged
  uint16_t vlan_proto = kEthP8021Q;  // kEthP8021AD: the 802.1ad (service) VLAN of that VID
  Target target = Target::kVf;
  uint16_t vf = 0;  // Target::kVf
  // The FDB's key: (VLAN, MAC); one entry per key.
  bool SameKey(const StaticFdbEntry& o) const {
    return mac == o.mac && vlan == o.vlan && (vlan == 0 || vlan_proto == o.vlan_proto);
  }
  friend bool operator==(const StaticFdbEntry&, const StaticFdbEntry&) = default;
};

// One PF's host netdev and what the card knows about it.
struct Port {
  std::unique_ptr<PhysicalFunction> pf;
  std::string netdev;
  int ifindex = 0;
  MacAddress mac;
  uint32_t mtu = 1500;
  std::map<uint16_t, VfAttachment> attachments;  // by VF index
  UplinkConfig uplink;
  // The PF's own netdev on the host: a TAP with the port's name and MAC, the switch's PF
  // host port (the seed's host reaching its VMs through the PF).
  bool host_netdev = false;
  // Nonzero: the host netdev is in this 802.1Q VLAN (untagged on the host side), for
  // hosts whose kernel has no VLAN subinterfaces; 0: it is a trunk, as a PF is.
  uint16_t host_vlan = 0;
  std::vector<StaticFdbEntry> static_fdb;  // in the order they were added
};

struct Adapter {
  std::shared_ptr<const DeviceProfile> profile;
  std::string profile_source;  // built-in name or file path, for saving
  Bdf slot;                    // function 0 of the adapter
  uint64_t mmio_base = 0;
  std::vector<Port> ports;
};

// A function as listed by lspci: a bridge, a PF, or an enabled VF.
struct FunctionRef {
  enum class Kind { kBridge, kPf, kVf } kind;
  Bdf bdf;
  const ConfigSpace* config = nullptr;
  const PciBridge* bridge = nullptr;
  const Port* port = nullptr;  // PF, or the VF's PF
  const VirtualFunction* vf = nullptr;
};

class Card {
 public:
  explicit Card(unsigned host_page_shift = 12) : host_page_shift_(host_page_shift) {}
  Card(const Card&) = delete;
  Card& operator=(const Card&) = delete;

  unsigned host_page_shift() const { return host_page_shift_; }
  Topology& topology() { return topology_; }
  const Topology& topology() const { return topology_; }

  // Places an adapter with `ports` PFs at slot.device, functions 0..ports-1, and runs
  // Linux's sriov_init on each PF (errors name the PF).
  Status AddAdapter(std::shared_ptr<const DeviceProfile> profile, std::string profile_source,
                    Bdf slot, int ports, uint64_t mmio_base, const std::vector<PortSpec>& specs);

  std::vector<Adapter>& adapters() { return adapters_; }
  const std::vector<Adapter>& adapters() const { return adapters_; }

  // Finds a PF by netdev name ("enp49s0f1") or address ("0000:31:00.1", "31:00.1").
  Port* FindPort(std::string_view name_or_bdf);
  const Port* FindPort(std::string_view name_or_bdf) const;
  std::vector<const Port*> AllPorts() const;

  // The netdev a host-bound VF gets: "<pf>v<index>" (systemd's naming for VFs).
  static std::string VfNetdevName(const Port& port, uint16_t vf_index);

  // All functions in BDF order, as lspci lists them.
  std::vector<FunctionRef> Functions() const;

  // IOMMU groups over all functions, and assignment of a VF to a consumer.
  struct Groups {
    std::vector<GroupMember> members;
    std::vector<FunctionRef> functions;  // parallel to members
    std::vector<IommuGroup> groups;
  };
  Groups ComputeGroups() const;
  Status AssignVf(Port& port, uint16_t vf_index, const std::string& consumer);
  Status ReleaseVf(Port& port, uint16_t vf_index);

 private:
  unsigned host_page_shift_;
  Topology topology_;
  std::vector<Adapter> adapters_;
  int next_ifindex_ = 2;      // 1 is the host's loopback
  MmioAllocator io_{0x3000};  // the host's 64 KiB I/O space, shared by all adapters
};

// Linux's predictable name for a PF netdev: enp<bus>s<slot>[f<function>] (systemd
// net_id: the function suffix appears on multifunction devices).
std::string PredictableNetdevName(Bdf bdf, bool multifunction);

}  // namespace softvf
