#include "sriov/sysfs.h"

#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstdio>

namespace softvf {

namespace {

std::string Decimal(unsigned v) {
  return std::to_string(v) + "\n";
}

bool AnyVfAssigned(const PhysicalFunction& pf) {
  for (const VirtualFunction& vf : pf.vfs())
    if (vf.enabled() && vf.binding() == Binding::kConsumer) return true;
  return false;
}

// The PF driver's ->sriov_configure (pci_sriov_configure_simple and igb/ixgbe alike):
// refuses while VFs are assigned to guests, else enables or disables.
Status SriovConfigure(PhysicalFunction& pf, uint16_t n) {
  if (AnyVfAssigned(pf)) return Status::Errno(EPERM, "Cannot modify SR-IOV while VFs are assigned");
  if (n == 0) {
    pf.SriovDisable();
    return Status::Ok();
  }
  return pf.SriovEnable(n);
}

Status StoreNumVfs(PhysicalFunction& pf, std::string_view buf) {
  auto n = KstrToU16(buf);
  if (!n.ok()) return Status::Errno(EINVAL);  // since 2021 every parse error is -EINVAL
  if (*n > pf.host().driver_max_vfs) return Status::Errno(ERANGE);
  if (*n == pf.host().num_vfs) return Status::Ok();
  if (pf.host().driver.empty())
    return Status::Errno(ENOENT, "no driver bound to device; cannot configure SR-IOV");
  if (*n == 0) return SriovConfigure(pf, 0);
  if (pf.host().num_vfs != 0) {
    return Status::Errno(EBUSY, std::to_string(pf.host().num_vfs) +
                                    " VFs already enabled. Disable before enabling " +
                                    std::to_string(*n) + " VFs");
  }
  return SriovConfigure(pf, *n);
}

}  // namespace

const std::vector<std::string>& SriovAttributeNames() {
  static const std::vector<std::string> names = {"sriov_totalvfs",     "sriov_numvfs",
                                                 "sriov_offset",       "sriov_stride",
                                                 "sriov_vf_device",    "sriov_drivers_autoprobe",
                                                 "sriov_vf_total_msix"};
  return names;
}

Result<uint16_t> KstrToU16(std::string_view s) {
  // kstrtoull: one leading '+'; _parse_integer_fixup_radix: "0x" before a hex digit means
  // hex, another leading '0' octal; digits up to the first non-digit; u64 overflow ->
  // -ERANGE; no digit -> -EINVAL; then one '\n' may follow and nothing else (-EINVAL);
  // kstrtou16 finally refuses values above 0xffff with -ERANGE.
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  auto at = [&](size_t i) { return i < s.size() ? s[i] : '\0'; };
  unsigned base = 10;
  if (at(0) == '0') {
    bool hex = (at(1) == 'x' || at(1) == 'X') && std::isxdigit(static_cast<unsigned char>(at(2)));
    base = hex ? 16 : 8;
    if (hex) s.remove_prefix(2);
  }
  uint64_t value = 0;
  bool overflow = false;
  size_t n = 0;
  for (; n < s.size(); ++n) {
    char c = s[n];
    unsigned d;
    if (c >= '0' && c <= '9')
      d = c - '0';
    else if (c >= 'a' && c <= 'f')
      d = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F')
      d = c - 'A' + 10;
    else
      break;
    if (d >= base) break;
    if (value > (UINT64_MAX - d) / base) overflow = true;
    value = value * base + d;
  }
  if (overflow) return Status::Errno(ERANGE);
  if (n == 0) return Status::Errno(EINVAL);
  s.remove_prefix(n);
  if (!s.empty() && s.front() == '\n') s.remove_prefix(1);
  if (!s.empty()) return Status::Errno(EINVAL);
  if (value > 0xffff) return Status::Errno(ERANGE);
  return static_cast<uint16_t>(value);
}

Result<bool> KstrToBool(std::string_view s) {
  if (s.empty()) return Status::Errno(EINVAL);
  switch (s[0]) {
    case 'y':
    case 'Y':
    case 't':
    case 'T':
    case '1':
      return true;
    case 'n':
    case 'N':
    case 'f':
    case 'F':
    case '0':
      return false;
    case 'o':
    case 'O':
      if (s.size() >= 2 && (s[1] == 'n' || s[1] == 'N')) return true;
      if (s.size() >= 2 && (s[1] == 'f' || s[1] == 'F')) return false;
      break;
  }
  return Status::Errno(EINVAL);
}

Result<std::string> SysfsRead(const PhysicalFunction& pf, std::string_view attr) {
  if (!pf.host().is_physfn) return Status::Errno(ENOENT);
  SriovCapability cap = pf.sriov();
  if (attr == "sriov_totalvfs") return Decimal(pf.host().driver_max_vfs);
  if (attr == "sriov_numvfs") return Decimal(pf.host().num_vfs);
  if (attr == "sriov_offset") return Decimal(cap.first_vf_offset());
  if (attr == "sriov_stride") return Decimal(cap.vf_stride());
  if (attr == "sriov_vf_device") {
    char buf[8];
    std::snprintf(buf, sizeof buf, "%x\n", cap.vf_device_id());
    return std::string(buf);
  }
  if (attr == "sriov_drivers_autoprobe") return Decimal(pf.host().drivers_autoprobe ? 1 : 0);
  if (attr == "sriov_vf_total_msix") return Decimal(0);  // no driver here implements it
  return Status::Errno(ENOENT);
}

Status SysfsWrite(PhysicalFunction& pf, std::string_view attr, std::string_view buf) {
  if (!pf.host().is_physfn) return Status::Errno(ENOENT);
  if (attr == "sriov_numvfs") return StoreNumVfs(pf, buf);
  if (attr == "sriov_drivers_autoprobe") {
    auto v = KstrToBool(buf);
    if (!v.ok()) return Status::Errno(EINVAL);
    pf.host().drivers_autoprobe = *v;
    return Status::Ok();
  }
  for (const std::string& name : SriovAttributeNames())
    if (attr == name) return Status::Errno(EACCES);  // 0444 attribute: open for write fails
  return Status::Errno(ENOENT);
}

}  // namespace softvf
