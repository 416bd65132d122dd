#include "cli/commands.h"

#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/ip_args.h"
#include "cli/link_format.h"
#include "cli/lspci_runner.h"
#include "control/client.h"

namespace softvf::cli {

using nlohmann::json;

namespace {

void Print(const std::string& s) {
  std::fwrite(s.data(), 1, s.size(), stdout);
}

// Calls the daemon; on a transport failure prints why and returns nullopt.
std::optional<json> Ask(const Context& ctx, const json& request) {
  auto r = control::Call(ctx.socket, request);
  if (!r.ok()) {
    std::fprintf(stderr, "softvf: %s\n", r.status().message().c_str());
    return std::nullopt;
  }
  return *r;
}

bool Failed(const json& r) {
  return !r.value("ok", false);
}

int Usage(const char* text) {
  std::fprintf(stderr, "Usage: %s\n", text);
  return 2;
}

}  // namespace

int LspciCommand(const Context& ctx, const std::vector<std::string>& args) {
  auto r = Ask(ctx, {{"op", "lspci"}});
  if (!r) return 1;
  if (Failed(*r)) {
    std::fprintf(stderr, "softvf: %s\n", (*r)["message"].get<std::string>().c_str());
    return 1;
  }
  if (ctx.json) {
    Print((*r)["functions"].dump(2) + "\n");
    return 0;
  }
  return RunLspci((*r)["dump"].get<std::string>(), (*r)["functions"], args);
}

// `softvf sriov PF` lists the sriov_* attributes; `softvf sriov PF ATTR` reads one like
// cat; `softvf sriov PF ATTR VALUE` writes one like echo, with the same errors.
int SriovCommand(const Context& ctx, const std::vector<std::string>& args) {
  if (args.empty() || args.size() > 3)
    return Usage(
        "softvf sriov PF [totalvfs|numvfs|offset|stride|vf_device|drivers_autoprobe [VALUE]]");
  const std::string& dev = args[0];
  if (args.size() == 3) {
    auto r = Ask(ctx, {{"op", "sriov_write"}, {"dev", dev}, {"attr", args[1]}, {"value", args[2]}});
    if (!r) return 1;
    if (Failed(*r)) {
      const json& e = *r;
      if (e["errno"] == 19) {  // ENODEV: no such PF
        std::fprintf(stderr, "softvf: %s\n", e["message"].get<std::string>().c_str());
        return 1;
      }
      std::string attr = e.value("attr", "sriov_" + args[1]);
      std::fprintf(stderr, "softvf: %s: write error: %s\n", attr.c_str(),
                   e["error"].get<std::string>().c_str());
      if (e["message"] != e["error"])
        std::fprintf(stderr, "softvf: kernel: %s\n", e["message"].get<std::string>().c_str());
      return 1;
    }
    return 0;
  }
  json req = {{"op", "sriov_read"}, {"dev", dev}};
  if (args.size() == 2) req["attr"] = args[1];
  auto r = Ask(ctx, req);
  if (!r) return 1;
  if (Failed(*r)) {
    std::fprintf(stderr, "softvf: %s\n", (*r)["message"].get<std::string>().c_str());
    return 1;
  }
  if (ctx.json) {
    json out = {{"dev", (*r)["dev"]}, {"pf", (*r)["pf"]}};
    for (const json& a : (*r)["attrs"]) {
      std::string v = a[1].get<std::string>();
      v.pop_back();  // the newline
      out[a[0].get<std::string>()] = v;
    }
    Print(out.dump(2) + "\n");
  } else if (args.size() == 2) {
    Print((*r)["attrs"][0][1].get<std::string>());
  } else {
    for (const json& a : (*r)["attrs"])
      Print(a[0].get<std::string>() + ": " + a[1].get<std::string>());
  }
  return 0;
}

namespace {

// `softvf link show [-s [-s]] [[dev] DEV]`: `ip [-s [-s]] link show`.
int LinkShow(const Context& ctx, std::vector<std::string> args, int show_stats) {
  if (!args.empty() && args[0] == "dev") args.erase(args.begin());
  if (args.size() > 1) return Usage("softvf link show [-s [-s]] [[dev] DEV]");
  json req = {{"op", "link_show"}};
  if (!args.empty()) req["dev"] = args[0];
  if (show_stats) req["stats"] = true;
  auto r = Ask(ctx, req);
  if (!r) return 1;
  if (Failed(*r)) {
    std::fprintf(stderr, "%s\n", (*r)["message"].get<std::string>().c_str());
    return 1;
  }
  Print(ctx.json ? RenderLinksJson((*r)["links"], show_stats)
                 : RenderLinksText((*r)["links"], show_stats));
  return 0;
}

int LinkSet(const Context& ctx, const std::vector<std::string>& args) {
  bool unreachable = false;
  auto rates_for = [&](const std::string& dev) -> RateLookup {
    return [&ctx, dev, &unreachable](int vf) -> std::optional<VfRates> {
      auto r = Ask(ctx, {{"op", "link_show"}, {"dev", dev}});
      if (!r) {
        unreachable = true;
        return std::nullopt;
      }
      if (Failed(*r)) {
        std::fprintf(stderr, "Device %s does not exist\n", dev.c_str());
        std::exit(1);
      }
      const json& link = (*r)["links"][0];
      if (!link.contains("vfinfo_list")) return std::nullopt;
      for (const json& v : link["vfinfo_list"])
        if (v["vf"] == vf)
          return VfRates{v["min_tx_rate"].get<int64_t>(), v["max_tx_rate"].get<int64_t>(), true};
      return VfRates{0, 0, false};
    };
  };
  LinkSetResult parsed = ParseLinkSet(args, rates_for);
  if (unreachable) return 1;
  if (parsed.error) {
    std::fputs(parsed.error->message.c_str(), stderr);
    return parsed.error->exit_code;
  }
  for (json req : parsed.parse->requests) {
    req["op"] = "link_set";
    auto r = Ask(ctx, req);
    if (!r) return 1;
    if (Failed(*r)) {
      if ((*r)["errno"] == 19) {
        std::fprintf(stderr, "Cannot find device \"%s\"\n", parsed.parse->dev.c_str());
        return 1;
      }
      std::fprintf(stderr, "RTNETLINK answers: %s\n", (*r)["error"].get<std::string>().c_str());
      return 2;
    }
  }
  return 0;
}

}  // namespace

int LinkCommand(const Context& ctx, const std::vector<std::string>& all_args) {
  // ip's -s/-stats/-statistics, counted (show_stats), wherever they stand.
  std::vector<std::string> args;
  int show_stats = 0;
  for (const std::string& a : all_args) {
    if (a == "-s" || a == "-stats" || a == "-statistics")
      ++show_stats;
    else
      args.push_back(a);
  }
  if (args.empty() || args[0] == "show" || args[0] == "list" || args[0] == "lst")
    return LinkShow(ctx,
                    args.empty() ? args : std::vector<std::string>(args.begin() + 1, args.end()),
                    show_stats);
  if (args[0] == "set") return LinkSet(ctx, std::vector<std::string>(args.begin() + 1, args.end()));
  std::fprintf(stderr, "Command \"%s\" is unknown, try \"softvf link help\".\n", args[0].c_str());
  return 255;
}

int IommuCommand(const Context& ctx, const std::vector<std::string>& args) {
  if (args.size() != 1 || args[0] != "groups") return Usage("softvf iommu groups");
  auto r = Ask(ctx, {{"op", "iommu_groups"}});
  if (!r) return 1;
  if (ctx.json) {
    Print((*r)["groups"].dump(2) + "\n");
    return 0;
  }
  for (const json& g : (*r)["groups"]) {
    Print("IOMMU group " + std::to_string(g["group"].get<int>()) + "\n");
    for (const json& d : g["devices"]) {
      std::string line = "\t" + d["slot"].get<std::string>();
      std::string driver = d.value("driver", "");
      line += driver.empty() ? " (no driver)" : " " + driver;
      if (d.contains("netdev")) line += " " + d["netdev"].get<std::string>();
      if (d.contains("consumer")) line += " assigned to " + d["consumer"].get<std::string>();
      Print(line + "\n");
    }
  }
  return 0;
}

namespace {
// "PF vf N" at the front of args; nullopt (after printing usage) when malformed.
std::optional<std::pair<std::string, int>> PfVf(const std::vector<std::string>& args,
                                                const char* usage) {
  std::optional<int> vf;
  if (args.size() >= 3 && args[1] == "vf") vf = GetInteger(args[2]);
  if (!vf || *vf < 0) {
    Usage(usage);
    return std::nullopt;
  }
  return std::make_pair(args[0], *vf);
}

int Simple(const Context& ctx, const json& req, const char* what) {
  auto r = Ask(ctx, req);
  if (!r) return 1;
  if (Failed(*r)) {
    std::fprintf(stderr, "softvf: %s: %s\n", what, (*r)["message"].get<std::string>().c_str());
    return 1;
  }
  return 0;
}
}  // namespace

// `softvf attach PF vf N vhost-user PATH [server|client]` or `... vf N tap [IFNAME]`
int AttachCommand(const Context& ctx, const std::vector<std::string>& args) {
  const char* usage = "softvf attach PF vf N {vhost-user PATH [server|client] | tap [IFNAME]}";
  auto pv = PfVf(args, usage);
  if (!pv) return 2;
  if (args.size() >= 4 && args[3] == "tap") {
    if (args.size() > 5) return Usage(usage);
    json req{{"op", "attach"}, {"dev", pv->first}, {"vf", pv->second}, {"kind", "tap"}};
    if (args.size() == 5) req["ifname"] = args[4];
    return Simple(ctx, req, "attach");
  }
  if (args.size() < 5 || args.size() > 6 || args[3] != "vhost-user" ||
      (args.size() == 6 && args[5] != "server" && args[5] != "client"))
    return Usage(usage);
  return Simple(ctx,
                {{"op", "attach"},
                 {"dev", pv->first},
                 {"vf", pv->second},
                 {"path", args[4]},
                 {"mode", args.size() == 6 ? args[5] : "server"}},
                "attach");
}

int DetachCommand(const Context& ctx, const std::vector<std::string>& args) {
  const char* usage = "softvf detach PF vf N";
  auto pv = PfVf(args, usage);
  if (!pv || args.size() != 3) return pv ? Usage(usage) : 2;
  return Simple(ctx, {{"op", "detach"}, {"dev", pv->first}, {"vf", pv->second}}, "detach");
}

// `softvf stats [PF [vf N]]`, laid out like `ethtool -S`.
int StatsCommand(const Context& ctx, const std::vector<std::string>& args) {
  if (args.size() != 0 && args.size() != 1 && args.size() != 3)
    return Usage("softvf stats [PF [vf N]]");
  json req = {{"op", "stats"}};
  if (!args.empty()) req["dev"] = args[0];
  std::optional<int> only;
  if (args.size() == 3) {
    auto pv = PfVf(args, "softvf stats [PF [vf N]]");
    if (!pv) return 2;
    only = pv->second;
  }
  auto r = Ask(ctx, req);
  if (!r) return 1;
  if (Failed(*r)) {
    std::fprintf(stderr, "softvf: %s\n", (*r)["message"].get<std::string>().c_str());
    return 1;
  }
  if (ctx.json) {
    Print((*r)["pfs"].dump(2) + "\n");
    return 0;
  }
  bool found = !only;
  for (const json& pf : (*r)["pfs"]) {
    // The PF's wire and host netdev, when it has them (not when one VF is asked for).
    for (const char* part : {"uplink", "host"})
      if (!only && pf.contains(part)) {
        Print(pf["dev"].get<std::string>() + " " + part + " " +
              pf[part]["name"].get<std::string>() + ":\n");
        for (auto& [name, value] : pf[part]["counters"].items())
          Print("     " + name + ": " + std::to_string(value.get<uint64_t>()) + "\n");
      }
    for (const json& vf : pf["vfs"]) {
      if (only && vf["vf"] != *only) continue;
      found = true;
      Print(pf["dev"].get<std::string>() + " vf " + std::to_string(vf["vf"].get<int>()) + ":\n");
      for (auto& [name, value] : vf["counters"].items())
        Print("     " + name + ": " + std::to_string(value.get<uint64_t>()) + "\n");
    }
  }
  if (!found) {
    std::fprintf(stderr, "softvf: no VF %d\n", *only);
    return 1;
  }
  return 0;
}

// `softvf fdb add|replace|del|show`, like `bridge fdb`: bridge's parsing and messages, its
// exit code 255 for every failure, and `RTNETLINK answers: <strerror>` for the switch's
// errno (EEXIST, ENOSPC, ENOENT, EINVAL).
int FdbCommand(const Context& ctx, const std::vector<std::string>& args) {
  const char* usage =
      "Usage: softvf fdb { add | replace } ADDR dev PF { vf N | port { uplink | pf } }\n"
      "              [ vlan VID [ proto { 802.1Q | 802.1ad } ] ]\n"
      "       softvf fdb del ADDR dev PF [ vf N | port { uplink | pf } ] [ vlan VID [ proto P ] ]\n"
      "       softvf fdb [ show [ dev PF ] ]\n";
  std::string cmd = args.empty() ? "show" : args[0];
  std::vector<std::string> rest(args.empty() ? args.end() : args.begin() + 1, args.end());
  FdbParseResult parsed;
  std::string op;
  if (cmd == "add" || cmd == "replace" || cmd == "del" || cmd == "delete") {
    parsed = ParseFdbModify(cmd == "delete" ? "del" : cmd, rest);
    op = cmd == "del" || cmd == "delete" ? "fdb_del" : "fdb_add";
  } else if (cmd == "show" || cmd == "list" || cmd == "lst") {
    parsed = ParseFdbShow(rest);
    op = "fdb_show";
  } else if (cmd == "help") {
    std::fputs(usage, stderr);
    return 255;
  } else {
    std::fprintf(stderr, "Command \"%s\" is unknown, try \"softvf fdb help\".\n", cmd.c_str());
    return 255;
  }
  if (parsed.error) {
    std::fputs(parsed.error->message.c_str(), stderr);
    return parsed.error->exit_code;
  }
  json req = *parsed.request;
  req["op"] = op;
  auto r = Ask(ctx, req);
  if (!r) return 1;
  if (Failed(*r)) {
    if (r->value("no_dev", false))
      std::fprintf(stderr, "Cannot find device \"%s\"\n", req["dev"].get<std::string>().c_str());
    else if (r->contains("extack"))
      std::fprintf(stderr, "Error: %s.\n", (*r)["extack"].get<std::string>().c_str());
    else
      std::fprintf(stderr, "RTNETLINK answers: %s\n", (*r)["error"].get<std::string>().c_str());
    return 255;
  }
  if (op == "fdb_show") Print(ctx.json ? RenderFdbJson((*r)["pfs"]) : RenderFdbText((*r)["pfs"]));
  return 0;
}

int SaveCommand(const Context& ctx, const std::vector<std::string>& args) {
  if (args.size() > 1) return Usage("softvf save [FILE]");
  json req = {{"op", "save"}};
  if (!args.empty()) req["path"] = args[0];
  auto r = Ask(ctx, req);
  if (!r) return 1;
  if (Failed(*r)) {
    std::fprintf(stderr, "softvf: save: %s\n", (*r)["message"].get<std::string>().c_str());
    return 1;
  }
  Print("saved to " + (*r)["path"].get<std::string>() + "\n");
  return 0;
}

}  // namespace softvf::cli
