// The card configuration file: topology, adapters, port names, initial numvfs and VF
// settings. Loading applies numvfs and VF settings through the same sysfs and `ip link`
// rules a user meets at run time, so a file can never reach a state the CLI could not;
// every error names file, line and key. Saving writes the running state back.
#pragma once

#include <memory>
#include <string>

#include "card/card.h"
#include "common/status.h"

namespace softvf::config {

// `base_dir` resolves relative profile_file paths (the configuration file's folder).
Result<std::unique_ptr<Card>> LoadCardText(const std::string& text, const std::string& file,
                                           const std::string& base_dir);
Result<std::unique_ptr<Card>> LoadCardFile(const std::string& path);
// The built-in example card (examples/i350.toml).
Result<std::unique_ptr<Card>> LoadExampleCard();

// The running state as a configuration file that loads back to the same state.
std::string SaveCardText(const Card& card);

}  // namespace softvf::config
