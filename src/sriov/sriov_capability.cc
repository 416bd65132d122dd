#include "sriov/sriov_capability.h"

namespace softvf {

uint32_t ChooseSystemPageSize(uint32_t supported, unsigned host_page_shift) {
  unsigned skip = host_page_shift > 12 ? host_page_shift - 12 : 0;
  if (skip >= 32) return 0;
  uint32_t pgsz = supported & ~((uint32_t{1} << skip) - 1);
  return pgsz & ~(pgsz - 1);  // lowest set bit; 0 when none
}

}  // namespace softvf
