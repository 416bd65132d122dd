#include "cli/ip_args.h"

#include <strings.h>

#include <cctype>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>

namespace softvf::cli {

namespace {

constexpr int kExitInvarg = 255;  // exit(-1)
constexpr int kExitHelper = 1;

IpError Invarg(const std::string& msg, const std::string& arg) {
  return {"Error: argument \"" + arg + "\" is wrong: " + msg + "\n", kExitInvarg};
}
IpError Incomplete() {
  return {"Command line is not complete. Try option \"help\"\n", kExitInvarg};
}

// A cursor over argv with iproute2's NEXT_ARG / NEXT_ARG_OK / PREV_ARG.
struct Argv {
  const std::vector<std::string>& v;
  size_t i = 0;  // index of the current argument
  bool NextOk() const { return i + 1 < v.size(); }
  bool Next() {
    if (!NextOk()) return false;
    ++i;
    return true;
  }
  const std::string& Cur() const { return v[i]; }
};

// ll_addr_a2n for an Ethernet device: components separated by ':', each sscanf("%x").
std::optional<IpError> ParseLladdr(const std::string& text, std::string& out_mac) {
  std::vector<int> bytes;
  std::string rest = text;
  for (int i = 0; i < 32; ++i) {
    size_t colon = rest.find(':');
    std::string part = colon == std::string::npos ? rest : rest.substr(0, colon);
    unsigned int temp;
    if (std::sscanf(part.c_str(), "%x", &temp) != 1 || temp > 255)
      return IpError{"\"" + part + "\" is invalid lladdr.\n", kExitHelper};
    bytes.push_back(static_cast<int>(temp));
    if (colon == std::string::npos) break;
    rest = rest.substr(colon + 1);
  }
  if (bytes.size() != 6)
    return IpError{
        "Invalid address length " + std::to_string(bytes.size()) + " - must be 6 bytes\n",
        kExitHelper};
  char buf[18];
  std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", bytes[0], bytes[1], bytes[2],
                bytes[3], bytes[4], bytes[5]);
  out_mac = buf;
  return std::nullopt;
}

// ll_proto_a2n: a name from iproute2's table (case-insensitive) or a number.
std::optional<uint16_t> ParseProto(const std::string& s) {
  static const std::pair<const char*, uint16_t> kNames[] = {
      {"802.1Q", 0x8100}, {"802.1ad", 0x88a8}, {"ip", 0x0800},      {"arp", 0x0806},
      {"ipv6", 0x86dd},   {"rarp", 0x8035},    {"all", 0x0003},     {"802_2", 0x0004},
      {"loop", 0x0060},   {"lldp", 0x88cc},    {"mpls_uc", 0x8847}, {"mpls_mc", 0x8848}};
  for (auto [name, id] : kNames)
    if (strcasecmp(name, s.c_str()) == 0) return id;
  auto v = GetUnsigned(s);
  if (!v || *v > 0xffff) return std::nullopt;
  return static_cast<uint16_t>(*v);
}

bool ValidGuid(const std::string& s) {
  if (s.size() != 23) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (i % 3 == 2) {
      if (s[i] != ':') return false;
    } else if (!std::isxdigit(static_cast<unsigned char>(s[i]))) {
      return false;
    }
  }
  return true;
}

// iplink_parse_vf_vlan_info
std::optional<IpError> ParseVlanInfo(Argv& a, nlohmann::json& out) {
  if (!a.Next()) return Incomplete();
  auto vci = GetUnsigned(a.Cur());
  if (!vci || *vci > 4095) return Invarg("Invalid \"vlan\" value\n", a.Cur());
  out = {{"vlan", *vci}, {"qos", 0}, {"proto", 0x8100}};
  if (a.NextOk()) {
    a.Next();
    if (Matches(a.Cur(), "qos")) {
      if (!a.Next()) return Incomplete();
      auto q = GetUnsigned(a.Cur());
      if (!q) return Invarg("Invalid \"qos\" value\n", a.Cur());
      out["qos"] = *q;
    } else {
      --a.i;
    }
  }
  if (a.NextOk()) {
    a.Next();
    if (Matches(a.Cur(), "proto")) {
      if (!a.Next()) return Incomplete();
      auto p = ParseProto(a.Cur());
      if (!p) return Invarg("protocol is invalid\n", a.Cur());
      if (*p != 0x8100 && *p != 0x88a8)
        return Invarg("Invalid \"vlan protocol\" value - supported 802.1Q, 802.1ad\n", a.Cur());
      out["proto"] = *p;
    } else {
      --a.i;
    }
  }
  return std::nullopt;
}

std::optional<IpError> OnOff(const char* what, const std::string& v, bool& out) {
  if (v == "on")
    out = true;
  else if (v == "off")
    out = false;
  else
    return IpError{std::string("Error: argument of \"") + what +
                       "\" must be one of \"off\", \"on\", not \"" + v + "\"\n",
                   kExitHelper};
  return std::nullopt;
}

// iplink_parse_vf: consumes the clause after `vf N`; `a` rests on its last argument.
std::optional<IpError> ParseVf(int vf, Argv& a, const std::string& dev, const RateLookup& rates,
                               nlohmann::json& req) {
  size_t start = a.i;
  bool new_rate_api = false, override_legacy = false;
  for (size_t j = a.i + 1; j < a.v.size(); ++j) {
    if (Matches(a.v[j], "max_tx_rate"))
      new_rate_api = override_legacy = true;
    else if (Matches(a.v[j], "min_tx_rate"))
      new_rate_api = true;
  }
  int64_t min_rate = -1, max_rate = -1;
  req = {{"dev", dev}, {"vf", vf}};
  while (a.NextOk()) {
    a.Next();
    const std::string w = a.Cur();
    if (Matches(w, "mac")) {
      if (!a.Next()) return Incomplete();
      std::string mac;
      if (auto e = ParseLladdr(a.Cur(), mac)) return e;
      req["mac"] = mac;
    } else if (Matches(w, "vlan")) {
      nlohmann::json vlans = nlohmann::json::array(), info;
      if (auto e = ParseVlanInfo(a, info)) return e;
      vlans.push_back(info);
      while (a.NextOk()) {
        a.Next();
        if (!Matches(a.Cur(), "vlan")) {
          --a.i;
          break;
        }
        if (auto e = ParseVlanInfo(a, info)) return e;
        vlans.push_back(info);
      }
      req["vlans"] = vlans;
    } else if (Matches(w, "rate")) {
      if (!a.Next()) return Incomplete();
      auto r = GetUnsigned(a.Cur());
      if (!r) return Invarg("Invalid \"rate\" value\n", a.Cur());
      if (!new_rate_api)
        req["rate"] = *r;
      else if (!override_legacy)
        max_rate = *r;
    } else if (Matches(w, "max_tx_rate")) {
      if (!a.Next()) return Incomplete();
      auto r = GetUnsigned(a.Cur());
      if (!r) return Invarg("Invalid \"max tx rate\" value\n", a.Cur());
      max_rate = *r;
    } else if (Matches(w, "min_tx_rate")) {
      if (!a.Next()) return Incomplete();
      auto r = GetUnsigned(a.Cur());
      if (!r) return Invarg("Invalid \"min tx rate\" value\n", a.Cur());
      min_rate = *r;
    } else if (Matches(w, "spoofchk") || Matches(w, "query_rss") || Matches(w, "trust")) {
      const char* key = Matches(w, "spoofchk")    ? "spoofchk"
                        : Matches(w, "query_rss") ? "query_rss"
                                                  : "trust";
      if (!a.Next()) return Incomplete();
      bool on;
      if (auto e = OnOff(key, a.Cur(), on)) return e;
      req[key] = on;
    } else if (Matches(w, "state")) {
      if (!a.Next()) return Incomplete();
      const std::string& s = a.Cur();
      if (Matches(s, "auto"))
        req["state"] = 0;
      else if (Matches(s, "enable"))
        req["state"] = 1;
      else if (Matches(s, "disable"))
        req["state"] = 2;
      else
        return Invarg("Invalid \"state\" value\n", s);
    } else if (Matches(w, "node_guid") || Matches(w, "port_guid")) {
      const char* key = Matches(w, "node_guid") ? "node_guid" : "port_guid";
      if (!a.Next()) return Incomplete();
      if (!ValidGuid(a.Cur())) return Invarg("Invalid GUID format\n", a.Cur());
      req[key] = a.Cur();
    } else {
      --a.i;
      break;
    }
  }
  if (new_rate_api) {
    if (min_rate == -1 || max_rate == -1) {
      std::optional<VfRates> cur = rates(vf);
      if (cur && !cur->found)
        return IpError{"Cannot find VF " + std::to_string(vf) + "\n", kExitHelper};
      if (min_rate == -1) min_rate = cur ? cur->min : 0;
      if (max_rate == -1) max_rate = cur ? cur->max : 0;
    }
    if (max_rate && min_rate > max_rate)
      return IpError{"Invalid min_tx_rate " + std::to_string(min_rate) +
                         " - must be <= max_tx_rate " + std::to_string(max_rate) + "\n",
                     kExitHelper};
    req["min_tx_rate"] = min_rate;
    req["max_tx_rate"] = max_rate;
  }
  if (a.i == start) return Incomplete();
  return std::nullopt;
}

}  // namespace

bool Matches(const std::string& word, const char* keyword) {
  size_t len = word.size();
  return len <= std::strlen(keyword) && std::memcmp(keyword, word.data(), len) == 0;
}

std::optional<int> GetInteger(const std::string& s) {
  if (s.empty()) return std::nullopt;
  errno = 0;
  char* end = nullptr;
  long v = std::strtol(s.c_str(), &end, 0);
  if (end == s.c_str() || *end || errno == ERANGE || v > INT_MAX || v < INT_MIN)
    return std::nullopt;
  return static_cast<int>(v);
}

std::optional<uint32_t> GetUnsigned(const std::string& s) {
  if (s.empty() || s.find('-') != std::string::npos) return std::nullopt;
  errno = 0;
  char* end = nullptr;
  unsigned long v = std::strtoul(s.c_str(), &end, 0);
  if (end == s.c_str() || *end || errno == ERANGE || v > UINT_MAX) return std::nullopt;
  return static_cast<uint32_t>(v);
}

LinkSetResult ParseLinkSet(const std::vector<std::string>& args,
                           const std::function<RateLookup(const std::string& dev)>& rates_for) {
  LinkSetParse out;
  Argv a{args, 0};
  std::string dev;
  for (; a.i < args.size(); ++a.i) {
    const std::string& w = a.Cur();
    if (w == "dev") {
      if (!a.Next()) return {std::nullopt, Incomplete()};
      if (!dev.empty())
        return {std::nullopt, IpError{"Error: either \"dev\" is duplicate, or \"" + a.Cur() +
                                          "\" is a garbage.\n",
                                      kExitInvarg}};
      dev = a.Cur();
    } else if (w == "vf") {
      if (!a.Next()) return {std::nullopt, Incomplete()};
      auto vf = GetInteger(a.Cur());
      if (!vf) return {std::nullopt, Invarg("Invalid \"vf\" value\n", a.Cur())};
      if (dev.empty())
        return {std::nullopt, IpError{"Error: argument \"dev\" is required\n", kExitInvarg}};
      nlohmann::json req;
      if (auto e = ParseVf(*vf, a, dev, rates_for(dev), req)) return {std::nullopt, e};
      out.requests.push_back(req);
    } else {
      if (dev.empty() && w != "help") {
        dev = w;
        continue;
      }
      return {std::nullopt,
              IpError{"Error: either \"dev\" is duplicate, or \"" + w + "\" is a garbage.\n",
                      kExitInvarg}};
    }
  }
  if (dev.empty())
    return {std::nullopt,
            IpError{"Not enough information: \"dev\" argument is required.\n", kExitInvarg}};
  out.dev = dev;
  return {out, std::nullopt};
}

namespace {

IpError Duparg(const std::string& key, const std::string& arg) {
  return {"Error: duplicate \"" + key + "\": \"" + arg + "\" is the second value.\n", kExitInvarg};
}
IpError Duparg2(const std::string& key, const std::string& arg) {
  return {"Error: either \"" + key + "\" is duplicate, or \"" + arg + "\" is a garbage.\n",
          kExitInvarg};
}
// The kernel's extack for a VID outside 1..4094 (br_fdb.c), as bridge prints it.
IpError InvalidVlan() {
  return {"Error: invalid vlan id.\n", kExitInvarg};
}

}  // namespace

FdbParseResult ParseFdbModify(const std::string& cmd, const std::vector<std::string>& args) {
  Argv a{args, 0};
  std::optional<std::string> dev, addr, port, proto;
  std::optional<uint32_t> vlan;
  std::optional<int> vf;
  for (; a.i < args.size(); ++a.i) {
    const std::string& w = a.Cur();
    if (w == "dev") {
      if (!a.Next()) return {std::nullopt, Incomplete()};
      if (dev) return {std::nullopt, Duparg("dev", a.Cur())};
      dev = a.Cur();
    } else if (w == "vlan") {
      if (!a.Next()) return {std::nullopt, Incomplete()};
      if (vlan) return {std::nullopt, Duparg("vlan", a.Cur())};
      auto v = GetUnsigned(a.Cur());
      if (!v || *v == 0 || *v >= 4095) return {std::nullopt, InvalidVlan()};
      vlan = *v;
    } else if (w == "proto") {
      if (!a.Next()) return {std::nullopt, Incomplete()};
      if (proto) return {std::nullopt, Duparg("proto", a.Cur())};
      auto p = ParseProto(a.Cur());
      if (!p || (*p != 0x8100 && *p != 0x88a8))
        return {std::nullopt, Invarg("protocol is invalid\n", a.Cur())};
      proto = *p == 0x88a8 ? "802.1ad" : "802.1Q";
    } else if (w == "vf") {
      if (!a.Next()) return {std::nullopt, Incomplete()};
      if (vf || port) return {std::nullopt, Duparg("vf", a.Cur())};
      auto n = GetInteger(a.Cur());
      if (!n || *n < 0) return {std::nullopt, Invarg("Invalid \"vf\" value\n", a.Cur())};
      vf = *n;
    } else if (w == "port") {
      if (!a.Next()) return {std::nullopt, Incomplete()};
      if (vf || port) return {std::nullopt, Duparg("port", a.Cur())};
      if (a.Cur() != "uplink" && a.Cur() != "pf")
        return {std::nullopt, Invarg("port must be \"uplink\" or \"pf\"", a.Cur())};
      port = a.Cur();
    } else if (w == "static" || w == "master" || w == "self") {
      continue;
    } else {
      if (addr) return {std::nullopt, Duparg2("to", w)};
      addr = w;
    }
  }
  if (!dev || !addr)
    return {std::nullopt, IpError{"Device and address are required arguments.\n", kExitInvarg}};
  unsigned char b[6];
  if (std::sscanf(addr->c_str(), "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &b[0], &b[1], &b[2], &b[3], &b[4],
                  &b[5]) != 6)
    return {std::nullopt, IpError{"Invalid mac address " + *addr + "\n", kExitInvarg}};
  if (proto && !vlan)
    return {std::nullopt, IpError{"Error: \"proto\" needs \"vlan\".\n", kExitInvarg}};
  if (cmd != "del" && !vf && !port)
    return {std::nullopt,
            IpError{"Error: fdb " + cmd + " needs \"vf N\" or \"port uplink|pf\".\n", kExitInvarg}};
  char mac[18];
  std::snprintf(mac, sizeof mac, "%02x:%02x:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3], b[4],
                b[5]);
  nlohmann::json req = {{"dev", *dev}, {"mac", mac}};
  if (vlan) req["vlan"] = *vlan;
  if (proto) req["vlan_protocol"] = *proto;
  if (vf) req["vf"] = *vf;
  if (port) req["port"] = *port;
  if (cmd == "replace") req["replace"] = true;
  return {req, std::nullopt};
}

FdbParseResult ParseFdbShow(const std::vector<std::string>& args) {
  Argv a{args, 0};
  std::optional<std::string> dev;
  for (; a.i < args.size(); ++a.i) {
    const std::string& w = a.Cur();
    if (w == "dev" || w == "br") {
      if (!a.Next()) return {std::nullopt, Incomplete()};
      if (dev) return {std::nullopt, Duparg(w, a.Cur())};
      dev = a.Cur();
    } else {
      if (dev) return {std::nullopt, Duparg2("br", w)};
      dev = w;
    }
  }
  nlohmann::json req = nlohmann::json::object();
  if (dev) req["dev"] = *dev;
  return {req, std::nullopt};
}

}  // namespace softvf::cli
