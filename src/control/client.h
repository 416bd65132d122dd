// The CLI's side of the control protocol.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>

#include "common/status.h"

namespace softvf::control {

// Sends one request and returns the daemon's response object. Connection problems come
// back as a Status with a message that names the socket.
Result<nlohmann::json> Call(const std::string& socket_path, const nlohmann::json& request);

}  // namespace softvf::control
