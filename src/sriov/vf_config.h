// VfConfig: a VF's administrative settings, the fields of Linux's struct ifla_vf_info
// that `ip link set DEV vf N ...` changes, and the validation a real driver and rtnetlink
// apply to a change (net/core/rtnetlink.c do_setvfinfo; igb/ixgbe/netdevsim/mlx5).
#pragma once

#include <cstdint>
#include <optional>

#include "common/mac_address.h"
#include "common/status.h"
#include "sriov/profile.h"

namespace softvf {

inline constexpr uint16_t kEthP8021Q = 0x8100;
inline constexpr uint16_t kEthP8021AD = 0x88a8;

enum class LinkState : uint8_t { kAuto = 0, kEnable = 1, kDisable = 2 };  // IFLA_VF_LINK_STATE_*

struct VfConfig {
  MacAddress mac;
  uint16_t vlan = 0;
  uint8_t qos = 0;
  uint16_t vlan_proto = kEthP8021Q;
  uint32_t min_tx_rate = 0;  // Mbit/s
  uint32_t max_tx_rate = 0;  // Mbit/s, 0 = unlimited
  bool spoofchk = true;
  bool trust = false;
  LinkState link_state = LinkState::kAuto;
  bool rss_query_en = false;
  friend bool operator==(const VfConfig&, const VfConfig&) = default;
};

// One `ip link set ... vf N` request after iproute2 has parsed it: only the attributes
// the user gave. Mirrors the IFLA_VF_* attributes of one IFLA_VF_INFO.
struct VfChange {
  int64_t vf = 0;
  std::optional<MacAddress> mac;  // IFLA_VF_MAC
  struct Vlan {
    uint32_t vlan = 0;
    uint32_t qos = 0;
    uint16_t proto = kEthP8021Q;
  };
  std::optional<Vlan> vlan;             // IFLA_VF_VLAN / IFLA_VF_VLAN_LIST
  std::optional<uint32_t> legacy_rate;  // IFLA_VF_TX_RATE
  struct Rate {
    uint32_t min = 0;
    uint32_t max = 0;
  };
  std::optional<Rate> rate;            // IFLA_VF_RATE
  std::optional<bool> spoofchk;        // IFLA_VF_SPOOFCHK
  std::optional<uint32_t> link_state;  // IFLA_VF_LINK_STATE
  std::optional<bool> rss_query_en;    // IFLA_VF_RSS_QUERY_EN
  std::optional<bool> trust;           // IFLA_VF_TRUST
  bool node_guid = false;              // IFLA_VF_IB_NODE_GUID
  bool port_guid = false;              // IFLA_VF_IB_PORT_GUID
};

VfConfig DefaultVfConfig(const DriverSpec& driver);

// Applies `change` to `config` (of a PF with `num_vfs` VFs) with the kernel's order of
// checks (MAC, VLAN, TX_RATE, RATE, SPOOFCHK, LINK_STATE, RSS_QUERY_EN, TRUST, GUIDs).
// Returns the first error's errno; on error `config` is left exactly as it was (the
// change is all-or-nothing, where Linux could leave earlier attributes applied).
Status ApplyVfChange(const DriverSpec& driver, uint32_t num_vfs, const VfChange& change,
                     VfConfig& config);

}  // namespace softvf
