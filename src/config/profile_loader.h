// Loading device profiles: the built-in ones compiled into the binary from profiles/*.toml,
// and a user's own file.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "sriov/profile.h"

namespace softvf::config {

Result<std::shared_ptr<const DeviceProfile>> LoadProfileText(const std::string& text,
                                                             const std::string& file);
Result<std::shared_ptr<const DeviceProfile>> LoadProfileFile(const std::string& path);
// A built-in profile by name ("i350", "82599", "cx6dx", "virtio-net").
Result<std::shared_ptr<const DeviceProfile>> BuiltinProfile(const std::string& name);
std::vector<std::string> BuiltinProfileNames();

}  // namespace softvf::config
