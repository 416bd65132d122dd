#include "sriov/vf_config.h"

#include <cerrno>
#include <climits>

namespace softvf {

VfConfig DefaultVfConfig(const DriverSpec& driver) {
  VfConfig c;
  c.spoofchk = driver.spoofchk && driver.spoofchk_default;
  return c;
}

namespace {

Status CheckMac(const MacAddress& mac) {
  // Drivers refuse multicast (incl. broadcast); all-zero means "unset" and is accepted.
  if (mac.is_multicast()) return Status::Errno(EINVAL);
  return Status::Ok();
}

Status CheckVlan(const DriverSpec& driver, const VfChange::Vlan& v) {
  if (v.vlan > 4095 || v.qos > 7) return Status::Errno(EINVAL);
  if (v.proto != kEthP8021Q && !(v.proto == kEthP8021AD && driver.vlan_8021ad))
    return Status::Errno(EPROTONOSUPPORT);
  return Status::Ok();
}

Status CheckRate(const DriverSpec& driver, uint32_t min, uint32_t max) {
  // rtnl_set_vf_rate: max 0 means unlimited and allows any min.
  if (max != 0 && max < min) return Status::Errno(EINVAL);
  switch (driver.rate) {
    case DriverSpec::Rate::kNone:
      return Status::Errno(EOPNOTSUPP);
    case DriverSpec::Rate::kMaxOnly:
      if (min != 0) return Status::Errno(EINVAL);
      break;
    case DriverSpec::Rate::kMinMax:
      break;
  }
  if (max != 0 && max <= driver.min_max_tx_rate) return Status::Errno(EINVAL);
  if (driver.rate_limited_by_link && (max > driver.link_speed_mbps || min > driver.link_speed_mbps))
    return Status::Errno(EINVAL);
  return Status::Ok();
}

}  // namespace

Status ApplyVfChange(const DriverSpec& driver, uint32_t num_vfs, const VfChange& change,
                     VfConfig& config) {
  // rtnetlink: every attribute carries the VF number; >= INT_MAX is refused up front.
  if (change.vf < 0 || change.vf >= INT_MAX) return Status::Errno(EINVAL);
  VfConfig next = config;
  auto need = [&](bool implemented) -> Status {
    if (!driver.vf_config || !implemented) return Status::Errno(EOPNOTSUPP);
    // Drivers check the VF index first (igb, ixgbe, netdevsim: vf >= num_vfs).
    if (static_cast<uint64_t>(change.vf) >= num_vfs) return Status::Errno(EINVAL);
    return Status::Ok();
  };
  if (change.mac) {
    SOFTVF_RETURN_IF_ERROR(need(true));
    SOFTVF_RETURN_IF_ERROR(CheckMac(*change.mac));
    next.mac = *change.mac;
  }
  if (change.vlan) {
    SOFTVF_RETURN_IF_ERROR(need(true));
    SOFTVF_RETURN_IF_ERROR(CheckVlan(driver, *change.vlan));
    next.vlan = static_cast<uint16_t>(change.vlan->vlan);
    next.qos = static_cast<uint8_t>(change.vlan->qos);
    next.vlan_proto = change.vlan->proto;
  }
  if (change.legacy_rate) {
    // IFLA_VF_TX_RATE keeps the current minimum (rtnl_set_vf_rate(dev, vf, ivf.min, rate)).
    SOFTVF_RETURN_IF_ERROR(need(driver.rate != DriverSpec::Rate::kNone));
    SOFTVF_RETURN_IF_ERROR(CheckRate(driver, next.min_tx_rate, *change.legacy_rate));
    next.max_tx_rate = *change.legacy_rate;
  }
  if (change.rate) {
    SOFTVF_RETURN_IF_ERROR(need(driver.rate != DriverSpec::Rate::kNone));
    SOFTVF_RETURN_IF_ERROR(CheckRate(driver, change.rate->min, change.rate->max));
    next.min_tx_rate = change.rate->min;
    next.max_tx_rate = change.rate->max;
  }
  if (change.spoofchk) {
    SOFTVF_RETURN_IF_ERROR(need(driver.spoofchk));
    next.spoofchk = *change.spoofchk;
  }
  if (change.link_state) {
    SOFTVF_RETURN_IF_ERROR(need(driver.link_state));
    if (*change.link_state > 2) return Status::Errno(EINVAL);
    next.link_state = static_cast<LinkState>(*change.link_state);
  }
  if (change.rss_query_en) {
    SOFTVF_RETURN_IF_ERROR(need(driver.query_rss));
    next.rss_query_en = *change.rss_query_en;
  }
  if (change.trust) {
    SOFTVF_RETURN_IF_ERROR(need(driver.trust));
    next.trust = *change.trust;
  }
  // InfiniBand GUIDs on an Ethernet PF: rtnetlink refuses before any driver is asked.
  if (change.node_guid || change.port_guid) return Status::Errno(EOPNOTSUPP);
  config = next;
  return Status::Ok();
}

}  // namespace softvf
