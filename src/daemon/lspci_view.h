// The card as lspci sees it: a config-space dump in `lspci -xxxx` format, which the CLI
// hands to pciutils' own lspci (`lspci -F`) so decoding is exactly pciutils', and a summary
// of each function (driver, IOMMU group, PF/VF links) for what a dump cannot carry.
//
// A VF's own config space reads 0xFFFF as Vendor and Device ID; Linux shows the PF's
// vendor and the VF Device ID instead (sysfs vendor/device, which lspci prefers), so the
// dump carries those, as lspci on a real host displays them.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>

#include "card/card.h"

namespace softvf {

std::string LspciDump(const Card& card);
nlohmann::json LspciFunctions(const Card& card);

}  // namespace softvf
