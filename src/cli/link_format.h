// Renders links (the daemon's rtnetlink view) exactly as iproute2 6.1 prints them:
// `ip link show` text (ip/ipaddress.c print_linkinfo + print_vfinfo) and `ip -j` JSON.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace softvf::cli {

std::string RenderLinksText(const nlohmann::json& links);
std::string RenderLinksJson(const nlohmann::json& links);

}  // namespace softvf::cli
