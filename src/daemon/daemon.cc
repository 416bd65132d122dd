#include "daemon/daemon.h"

#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cstdio>

#include "config/card_config.h"
#include "control/server.h"
#include "daemon/commands.h"

namespace softvf {

namespace {
bool Exists(const std::string& path) {
  return !path.empty() && access(path.c_str(), F_OK) == 0;
}
}  // namespace

int RunDaemon(const DaemonOptions& options) {
  DaemonState state;
  state.config_path = options.config_path;
  state.state_path = options.state_path;
  // A saved state is the card as it was when the last daemon stopped or died: it wins
  // over the configuration file it once started from.
  const bool restore = Exists(options.state_path);
  auto card = restore                        ? config::LoadCardFile(options.state_path)
              : options.config_path.empty() ? config::LoadExampleCard()
                                             : config::LoadCardFile(options.config_path);
  if (!card.ok()) {
    std::fprintf(stderr, "softvf: %s\n", card.status().message().c_str());
    return 1;
  }
  state.card = std::move(card).value();
  state.dataplane = std::make_unique<Dataplane>(*state.card);
  if (Status st = state.dataplane->AttachConfigured(); !st.ok()) {
    std::fprintf(stderr, "softvf: %s\n", st.message().c_str());
    return 1;
  }
  state.netdevs.Sync(*state.card);
  if (restore) std::printf("softvf: state restored from %s\n", options.state_path.c_str());
  if (Status st = SaveState(state); !st.ok()) {
    std::fprintf(stderr, "softvf: state file: %s\n", st.message().c_str());
    return 1;
  }

  // SIGTERM/SIGINT end the serve loop through a signalfd, never mid-request.
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGINT);
  sigprocmask(SIG_BLOCK, &mask, nullptr);
  int stop_fd = signalfd(-1, &mask, SFD_CLOEXEC);

  control::ControlServer server;
  Status st = server.Listen(options.control_path);
  if (!st.ok()) {
    std::fprintf(stderr, "softvf: control socket: %s\n", st.message().c_str());
    return 1;
  }
  RegisterCommands(server, state);
  std::string ports;
  for (const Port* p : state.card->AllPorts())
    ports += (ports.empty() ? "" : ", ") + p->netdev + " (" + p->pf->bdf().ToString() + ", " +
             p->pf->profile().name + ")";
  std::printf("softvf: card ready: %s\nsoftvf: control socket %s\n", ports.c_str(),
              options.control_path.c_str());
  std::fflush(stdout);
  server.Run(stop_fd);
  close(stop_fd);
  state.dataplane.reset();  // workers stop before the card they run goes away
  std::printf("softvf: stopped\n");
  return 0;
}

}  // namespace softvf
