// `softvf lspci`: pciutils' own lspci decodes the card's configuration space (`lspci -F`
// on a dump the daemon produces), so every line is pciutils' wording. What a dump cannot
// carry — the bound driver, which real lspci reads from sysfs — is added where lspci puts it.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace softvf::cli {

// Adds "Kernel driver in use:" / "Kernel modules:" at the end of each device block.
std::string AddKernelLines(const std::string& lspci_output, const nlohmann::json& functions);

// Runs lspci on `dump` with the user's options; returns lspci's exit code.
int RunLspci(const std::string& dump, const nlohmann::json& functions,
             const std::vector<std::string>& args);

}  // namespace softvf::cli
