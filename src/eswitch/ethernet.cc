#include "eswitch/ethernet.h"

#include <cstring>

namespace softvf::eswitch {

std::optional<FrameInfo> ParseFrame(const uint8_t* data, size_t len) {
  FrameInfo info;
  if (!ParseFrame(data, len, info)) return std::nullopt;
  return info;
}

bool ParseFrame(const uint8_t* data, size_t len, FrameInfo& info) {
  if (data == nullptr || len < kEthernetHeaderLen) return false;
  EthernetHeader eth;
  std::memcpy(&eth, data, sizeof eth);

  info = FrameInfo{};
  info.dst = MacAddress(eth.dst);
  info.src = MacAddress(eth.src);
  info.ethertype = eth.ethertype.value();
  size_t offset = kTagOffset;  // the TPID/EtherType field being looked at

  if (IsVlanTpid(info.ethertype)) {
    if (len < offset + kVlanTagLen + 2) return false;
    VlanHeader tag;
    std::memcpy(&tag, data + offset, sizeof tag);
    const VlanTag value{tag.tpid.value(), tag.tci.value()};
    info.tagged = true;
    info.tpid = value.tpid;
    info.vid = value.vid();
    info.pcp = value.pcp();
    info.dei = value.dei();
    offset += kVlanTagLen;
    info.ethertype = Be16{{data[offset], data[offset + 1]}}.value();

    // Only the outer tag decides the VLAN; the inner one is payload to the switch, but a
    // caller (and `stats`) may want to know a frame is QinQ.
    if (IsVlanTpid(info.ethertype)) {
      if (len < offset + kVlanTagLen + 2) return false;
      info.double_tagged = true;
      offset += kVlanTagLen;
      info.ethertype = Be16{{data[offset], data[offset + 1]}}.value();
    }
  }
  info.l2_len = static_cast<uint16_t>(offset + 2);
  return true;
}

}  // namespace softvf::eswitch
