// Control-socket requests as the daemon serves them: each input line goes through
// ControlServer::HandleLine (JSON parse, "op" lookup, required-argument check, the
// handler, errors as responses) with the daemon's real command table (RegisterCommands)
// bound to a real card (the built-in example) and a Dataplane with no worker running.
// Up to 8 lines per input, so a request can act on the state an earlier one made (numvfs,
// then link_set on a VF). Every response must be one JSON object line with "ok".
//
// Skipped, because they reach outside the process: save (writes any path), attach and
// detach (open sockets and TAP devices), fdb_add (starts a worker thread), and link_show
// with stats (reads a worker's counters).
#include <cstdlib>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "config/card_config.h"
#include "control/protocol.h"
#include "control/server.h"
#include "daemon/commands.h"
#include "daemon/dataplane.h"

using namespace softvf;
using Json = nlohmann::json;

namespace {

bool ReachesOutside(const std::string& line) {
  Json request = Json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (!request.is_object() || !request.contains("op") || !request["op"].is_string()) return false;
  const std::string op = request["op"].get<std::string>();
  if (op == "save" || op == "attach" || op == "detach" || op == "fdb_add") return true;
  return op == "link_show" && request.contains("stats") && request["stats"] == true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string example = [] {
    auto card = config::LoadExampleCard();
    if (!card.ok()) abort();
    return config::SaveCardText(**card);
  }();
  DaemonState state;
  auto card = config::LoadCardText(example, "example.toml", ".");
  if (!card.ok()) abort();
  state.card = std::move(card).value();
  state.netdevs.Sync(*state.card);
  state.dataplane = std::make_unique<Dataplane>(*state.card);
  control::ControlServer server;
  RegisterCommands(server, state);

  const std::string input(reinterpret_cast<const char*>(data), size);
  size_t at = 0;
  for (int lines = 0; lines < 8 && at < input.size(); ++lines) {
    size_t nl = input.find('\n', at);
    std::string line = input.substr(at, nl == std::string::npos ? std::string::npos : nl - at);
    at = nl == std::string::npos ? input.size() : nl + 1;
    if (line.size() > control::kMaxRequestBytes || ReachesOutside(line)) continue;
    const std::string response = server.HandleLine(line);
    if (response.empty() || response.back() != '\n' ||
        response.find('\n') != response.size() - 1)
      abort();
    Json r = Json::parse(response, nullptr, false);
    if (!r.is_object() || !r.contains("ok") || !r["ok"].is_boolean()) abort();
  }
  return 0;
}
