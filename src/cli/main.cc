// softvf: the daemon (`softvf daemon`) and the thin client for its control socket.
#include <CLI/CLI.hpp>
#include <cstdlib>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "control/protocol.h"
#include "daemon/daemon.h"

namespace {

// Options that mean the same wherever they stand: iproute2 users type `-j` after the
// object too (`softvf link show -j`).
std::vector<std::string> TakeGlobalFlags(std::vector<std::string> args, softvf::cli::Context& ctx) {
  std::vector<std::string> rest;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "-j" || args[i] == "--json" || args[i] == "-json")
      ctx.json = true;
    else if (args[i] == "--control" && i + 1 < args.size())
      ctx.socket = args[++i];
    else
      rest.push_back(args[i]);
  }
  return rest;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"softvf: an SR-IOV network card built in software"};
  app.require_subcommand(1);
  // SOFTVF_CONTROL names the socket for daemon and client alike (e.g. for a user who
  // cannot write /run); --control overrides it.
  const char* env_socket = std::getenv("SOFTVF_CONTROL");
  const std::string default_socket =
      env_socket && *env_socket ? env_socket : softvf::control::kDefaultSocketPath;
  softvf::cli::Context ctx{default_socket, false};
  app.add_option("--control", ctx.socket, "control socket of the daemon")->capture_default_str();
  app.add_flag("-j,--json", ctx.json, "JSON output (iproute2's keys for link show)");

  softvf::DaemonOptions daemon;
  daemon.control_path = default_socket;
  CLI::App* d = app.add_subcommand("daemon", "run the card (built-in example card by default)");
  d->add_option("-c,--config", daemon.config_path, "card configuration file (TOML)");
  d->add_option("--control", daemon.control_path, "control socket path")->capture_default_str();
  d->add_option("--state", daemon.state_path,
                "keep the running state in this file across restarts (loaded instead of "
                "--config when it exists, rewritten after every change)");

  struct Sub {
    const char* name;
    const char* help;
    int (*fn)(const softvf::cli::Context&, const std::vector<std::string>&);
  };
  const Sub subs[] = {
      {"lspci", "list the card's PCI functions, as lspci [-D] [-nn] [-v...] [-k] [-s SLOT]",
       softvf::cli::LspciCommand},
      {"sriov", "read or write a PF's sriov_* attributes: PF [ATTR [VALUE]]",
       softvf::cli::SriovCommand},
      {"link", "show or set links like `ip link`: show [-s [-s]] [DEV] | set DEV vf N ...",
       softvf::cli::LinkCommand},
      {"iommu", "show IOMMU groups: groups", softvf::cli::IommuCommand},
      {"save", "save the running state to the configuration file (or FILE)",
       softvf::cli::SaveCommand},
      {"attach", "hand a VF to a consumer: PF vf N vhost-user PATH [server|client] | tap [IFNAME]",
       softvf::cli::AttachCommand},
      {"detach", "take a VF back from its consumer: PF vf N", softvf::cli::DetachCommand},
      {"stats", "switch counters per VF, like ethtool -S: [PF [vf N]]", softvf::cli::StatsCommand},
      {"fdb", "the switch's forwarding table, like bridge fdb: add|replace|del|show",
       softvf::cli::FdbCommand},
  };
  std::vector<std::pair<CLI::App*, const Sub*>> apps;
  for (const Sub& s : subs) {
    CLI::App* sub = app.add_subcommand(s.name, s.help);
    sub->prefix_command();  // everything after the name is the command's own
    apps.emplace_back(sub, &s);
  }

  CLI11_PARSE(app, argc, argv);
  if (d->parsed()) {
    if (app.count("--control") && !d->count("--control")) daemon.control_path = ctx.socket;
    return softvf::RunDaemon(daemon);
  }
  for (auto& [sub, s] : apps) {
    if (!sub->parsed()) continue;
    std::vector<std::string> args = TakeGlobalFlags(sub->remaining(), ctx);
    return s->fn(ctx, args);
  }
  return 2;
}
