// The daemon's control commands: one table row each, bound to the running card.
#pragma once

#include <memory>
#include <string>

#include "card/card.h"
#include "control/server.h"
#include "daemon/dataplane.h"
#include "daemon/netdevs.h"

namespace softvf {

struct DaemonState {
  std::unique_ptr<Card> card;
  std::string config_path;  // "" when running the built-in example
  std::string state_path;   // "" = no state kept across restarts
  VfNetdevs netdevs;
  std::unique_ptr<Dataplane> dataplane;  // after `card`: stopped before the card goes
};

void RegisterCommands(control::ControlServer& server, DaemonState& state);
// Writes the card to state.state_path (if set) through a temporary file and a rename, so a
// crash at any point leaves the old or the new state, never half of one.
Status SaveState(const DaemonState& state);

}  // namespace softvf
