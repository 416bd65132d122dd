#include "eswitch/port.h"

namespace softvf::eswitch {

std::string PortName(PortId port) {
  if (!port.valid()) return "invalid";
  switch (port.kind()) {
    case PortKind::kUplink:
      return "uplink";
    case PortKind::kPfHost:
      return "pf";
    case PortKind::kVf:
      break;
  }
  return "vf" + std::to_string(port.vf_index());
}

}  // namespace softvf::eswitch
