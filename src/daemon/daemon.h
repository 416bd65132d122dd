// The softvf daemon: loads the card, serves the control socket until SIGTERM/SIGINT.
#pragma once

#include <string>

namespace softvf {

struct DaemonOptions {
  std::string config_path;  // "" = the built-in example card
  std::string control_path;
  // The running state, kept across restarts: loaded instead of config_path when it exists,
  // rewritten (atomically) after every command that changes the card, so a daemon killed
  // with -9 comes back with the VF settings, static FDB entries and attachments it had.
  std::string state_path;
};

// Returns the process exit code.
int RunDaemon(const DaemonOptions& options);

}  // namespace softvf
