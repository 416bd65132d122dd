// Argument parsing as iproute2 does it (lib/utils.c get_integer/get_unsigned, matches();
// lib/ll_addr.c ll_addr_a2n; ip/iplink.c iplink_parse_vf), with the same messages and the
// same exit codes: invarg/incomplete/missarg exit 255, helper failures exit 1.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace softvf::cli {

struct IpError {
  std::string message;  // written to stderr as is (iproute2's own newlines included)
  int exit_code;
};

// iproute2's matches(): `word` is a (possibly empty) prefix of `keyword`.
bool Matches(const std::string& word, const char* keyword);
std::optional<int> GetInteger(const std::string& s);
std::optional<uint32_t> GetUnsigned(const std::string& s);

// The current min/max rate of a VF, as `ip` fetches it from a link dump when only one of
// min_tx_rate/max_tx_rate is given: nullopt when the device has no VF list.
struct VfRates {
  int64_t min = 0, max = 0;
  bool found = false;
};
using RateLookup = std::function<std::optional<VfRates>(int vf)>;

// Parses `ip link set` arguments (after "set") into link_set requests, one per `vf`
// clause. `rates` is consulted only when needed.
struct LinkSetParse {
  std::string dev;
  std::vector<nlohmann::json> requests;
};
// Throws nothing; returns either the parse or the error iproute2 would print.
struct LinkSetResult {
  std::optional<LinkSetParse> parse;
  std::optional<IpError> error;
};
LinkSetResult ParseLinkSet(const std::vector<std::string>& args,
                           const std::function<RateLookup(const std::string& dev)>& rates_for);

// `softvf fdb add|replace|del ...` parsed as bridge(8) parses `bridge fdb` (bridge/fdb.c
// fdb_modify): the first bare word is the address, `dev` the PF, `vlan VID` (1..4094),
// and softvf's own `vf N` / `port uplink|pf` (the switch port the entry points to) and
// `proto 802.1Q|802.1ad` after vlan. `static`, `master` and `self` are accepted as noise.
// Errors are bridge's words and exit code (255). `cmd` is "add", "replace" or "del".
struct FdbParseResult {
  std::optional<nlohmann::json> request;  // fdb_add / fdb_del request, without "op"
  std::optional<IpError> error;
};
FdbParseResult ParseFdbModify(const std::string& cmd, const std::vector<std::string>& args);
// `softvf fdb show [[dev|br] PF]`: the fdb_show request.
FdbParseResult ParseFdbShow(const std::vector<std::string>& args);

}  // namespace softvf::cli
