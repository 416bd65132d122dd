// The sriov_* attributes of /sys/bus/pci/devices/<PF>/ with Linux's semantics
// (drivers/pci/iov.c, Documentation/ABI/testing/sysfs-bus-pci): the same read formats,
// the same parsing (kstrtou16 base 0, kstrtobool) and the same errno in the same order.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "sriov/physical_function.h"

namespace softvf {

// The attribute names a PF exposes, in the order `softvf sriov PF` lists them.
const std::vector<std::string>& SriovAttributeNames();

// Reads an attribute as `cat` would see it, trailing newline included.
Result<std::string> SysfsRead(const PhysicalFunction& pf, std::string_view attr);

// Writes `buf` as `echo buf > attr` would (the caller passes the text, newline optional).
// Errors: ENOENT (no such attribute on this function), EACCES (read-only attribute), and
// each attribute's own errno as Linux returns it.
Status SysfsWrite(PhysicalFunction& pf, std::string_view attr, std::string_view buf);

// kstrtou16(s, 0, &v) and kstrtobool(s), as lib/kstrtox.c parses them.
Result<uint16_t> KstrToU16(std::string_view s);
Result<bool> KstrToBool(std::string_view s);

}  // namespace softvf
