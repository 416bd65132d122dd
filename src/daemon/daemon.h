// The softvf daemon: loads the card, serves the control socket until SIGTERM/SIGINT.
#pragma once

#include <string>

namespace softvf {

struct DaemonOptions {
  std::string config_path;  // "" = the built-in example card
  std::string control_path;
};

// Returns the process exit code.
int RunDaemon(const DaemonOptions& options);

}  // namespace softvf
