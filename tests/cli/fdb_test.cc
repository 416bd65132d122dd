// `softvf fdb`: bridge(8)'s parsing, the renderer, static entries in the configuration
// file (load, save, load again) and the Dataplane's FDB operations on a real worker.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cli/ip_args.h"
#include "cli/link_format.h"
#include "config/card_config.h"
#include "daemon/dataplane.h"
#include "sriov/sysfs.h"

namespace softvf {
namespace {

using nlohmann::json;

// ------------------------------------------------------------------------------ parsing

std::string ParseError(const std::string& cmd, const std::vector<std::string>& args) {
  cli::FdbParseResult r = cli::ParseFdbModify(cmd, args);
  EXPECT_TRUE(r.error.has_value());
  if (!r.error) return "";
  EXPECT_EQ(r.error->exit_code, 255);
  return r.error->message;
}

TEST(FdbParse, AddToAVfWithVlan) {
  auto r = cli::ParseFdbModify(
      "add", {"02:00:00:00:00:0B", "dev", "pf0", "vf", "3", "vlan", "100", "static"});
  ASSERT_TRUE(r.request) << r.error->message;
  EXPECT_EQ(*r.request,
            (json{{"dev", "pf0"}, {"mac", "02:00:00:00:00:0b"}, {"vf", 3}, {"vlan", 100}}));
}

TEST(FdbParse, ReplaceTowardTheUplinkIn8021ad) {
  auto r = cli::ParseFdbModify(
      "replace", {"dev", "pf0", "port", "uplink", "2:0:0:0:0:c", "vlan", "7", "proto", "802.1ad"});
  ASSERT_TRUE(r.request);
  EXPECT_EQ(*r.request, (json{{"dev", "pf0"},
                              {"mac", "02:00:00:00:00:0c"},
                              {"port", "uplink"},
                              {"vlan", 7},
                              {"vlan_protocol", "802.1ad"},
                              {"replace", true}}));
}

TEST(FdbParse, DelNeedsNoTarget) {
  auto r = cli::ParseFdbModify("del", {"02:00:00:00:00:0b", "dev", "pf0"});
  ASSERT_TRUE(r.request);
  EXPECT_EQ(*r.request, (json{{"dev", "pf0"}, {"mac", "02:00:00:00:00:0b"}}));
}

TEST(FdbParse, BridgesMessages) {
  EXPECT_EQ(ParseError("add", {"02:00:00:00:00:0b", "vf", "0"}),
            "Device and address are required arguments.\n");
  EXPECT_EQ(ParseError("add", {"dev", "pf0", "vf", "0"}),
            "Device and address are required arguments.\n");
  EXPECT_EQ(ParseError("add", {"00:11", "dev", "pf0", "vf", "0"}), "Invalid mac address 00:11\n");
  EXPECT_EQ(ParseError("add", {"02:00:00:00:00:0b", "dev", "pf0", "vf", "0", "junk"}),
            "Error: either \"to\" is duplicate, or \"junk\" is a garbage.\n");
  EXPECT_EQ(ParseError("add", {"02:00:00:00:00:0b", "dev", "pf0", "vf", "0", "vlan", "0"}),
            "Error: invalid vlan id.\n");
  EXPECT_EQ(ParseError("add", {"02:00:00:00:00:0b", "dev", "pf0", "vf", "0", "vlan", "4095"}),
            "Error: invalid vlan id.\n");
  EXPECT_EQ(ParseError("add", {"02:00:00:00:00:0b", "dev", "pf0", "vf", "0", "vlan", "x"}),
            "Error: invalid vlan id.\n");
  EXPECT_EQ(
      ParseError("add", {"02:00:00:00:00:0b", "dev", "pf0", "vf", "0", "vlan", "1", "vlan", "2"}),
      "Error: duplicate \"vlan\": \"2\" is the second value.\n");
  EXPECT_EQ(ParseError("add", {"02:00:00:00:00:0b", "dev", "pf0", "vf"}),
            "Command line is not complete. Try option \"help\"\n");
  EXPECT_EQ(ParseError("add", {"02:00:00:00:00:0b", "dev", "pf0"}),
            "Error: fdb add needs \"vf N\" or \"port uplink|pf\".\n");
  EXPECT_EQ(ParseError("add", {"02:00:00:00:00:0b", "dev", "pf0", "port", "wire"}),
            "Error: argument \"wire\" is wrong: port must be \"uplink\" or \"pf\"\n");
}

TEST(FdbParse, ShowTakesDevBrOrABareName) {
  EXPECT_EQ(*cli::ParseFdbShow({}).request, json::object());
  EXPECT_EQ(*cli::ParseFdbShow({"dev", "pf0"}).request, (json{{"dev", "pf0"}}));
  EXPECT_EQ(*cli::ParseFdbShow({"br", "pf0"}).request, (json{{"dev", "pf0"}}));
  EXPECT_EQ(*cli::ParseFdbShow({"pf0"}).request, (json{{"dev", "pf0"}}));
  EXPECT_TRUE(cli::ParseFdbShow({"pf0", "pf1"}).error);
}

// ------------------------------------------------------------------------------ rendering

json ShowReply() {
  return json::array(
      {{{"dev", "pf0"},
        {"capacity", 32},
        {"used", 3},
        {"static", 2},
        {"learned", 1},
        {"aging_time", 300},
        {"stats",
         {{"learned", 5}, {"moved", 1}, {"learn_full", 0}, {"static_hold", 2}, {"aged", 4}}},
        {"entries", json::array({
                        {{"mac", "02:00:00:00:00:0c"},
                         {"vlan", 100},
                         {"vlan_protocol", "802.1ad"},
                         {"port", "uplink"},
                         {"state", "static"}},
                        {{"mac", "02:00:00:00:00:0a"},
                         {"vlan", 0},
                         {"port", "vf0"},
                         {"vf", 0},
                         {"state", "static"}},
                        {{"mac", "02:00:00:00:00:0b"},
                         {"vlan", 5},
                         {"port", "vf1"},
                         {"vf", 1},
                         {"state", "learned"},
                         {"age", 12}},
                    })}}});
}

TEST(FdbFormat, OneLinePerEntryThenTheBound) {
  EXPECT_EQ(cli::RenderFdbText(ShowReply()),
            "02:00:00:00:00:0c dev pf0 port uplink vlan 100 proto 802.1ad static\n"
            "02:00:00:00:00:0a dev pf0 vf 0 static\n"
            "02:00:00:00:00:0b dev pf0 vf 1 vlan 5 learned age 12s\n"
            "pf0: fdb 3/32 entries used (2 static, 1 learned), aging 300s; learned 5 moved 1 "
            "learn_full 0 static_hold 2 aged 4\n");
}

TEST(FdbFormat, JsonHasBridgesKeysAndTheBound) {
  json out = json::parse(cli::RenderFdbJson(ShowReply()));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0]["capacity"], 32);
  EXPECT_EQ(out[0]["used"], 3);
  EXPECT_EQ(out[0]["stats"]["static_hold"], 2);
  EXPECT_EQ(out[0]["entries"][0], (json{{"mac", "02:00:00:00:00:0c"},
                                        {"ifname", "pf0"},
                                        {"port", "uplink"},
                                        {"vlan", 100},
                                        {"vlan_protocol", "802.1ad"},
                                        {"state", "static"}}));
  EXPECT_EQ(
      out[0]["entries"][1],
      (json{{"mac", "02:00:00:00:00:0a"}, {"ifname", "pf0"}, {"vf", 0}, {"state", "static"}}));
  EXPECT_EQ(out[0]["entries"][2]["age"], 12);
}

// ------------------------------------------------------------------------------ configuration

const char* kCard = R"(
[[adapter]]
profile = "i350"
slot = "0000:31:00"

[[adapter.port]]
function = 0
name = "pf0"
numvfs = 2

[[adapter.port.fdb]]
mac = "02:00:00:00:00:0a"
vf = 1

[[adapter.port.fdb]]
mac = "02:00:00:00:00:0b"
port = "uplink"
vlan = 30
proto = "802.1ad"

[[adapter.port.fdb]]
mac = "02:00:00:00:00:0c"
port = "pf"
vlan = 40
)";

std::unique_ptr<Card> Load(const std::string& text) {
  auto card = config::LoadCardText(text, "test.toml", "");
  EXPECT_TRUE(card.ok()) << card.status().message();
  return card.ok() ? std::move(card).value() : nullptr;
}

TEST(FdbConfig, EntriesLoadSaveAndLoadAgain) {
  auto card = Load(kCard);
  ASSERT_TRUE(card);
  const Port& p = card->adapters()[0].ports[0];
  ASSERT_EQ(p.static_fdb.size(), 3u);
  EXPECT_EQ(p.static_fdb[0].target, StaticFdbEntry::Target::kVf);
  EXPECT_EQ(p.static_fdb[0].vf, 1);
  EXPECT_EQ(p.static_fdb[1].target, StaticFdbEntry::Target::kUplink);
  EXPECT_EQ(p.static_fdb[1].vlan, 30);
  EXPECT_EQ(p.static_fdb[1].vlan_proto, kEthP8021AD);
  EXPECT_EQ(p.static_fdb[2].target, StaticFdbEntry::Target::kPf);
  EXPECT_EQ(p.static_fdb[2].vlan_proto, kEthP8021Q);

  std::string saved = config::SaveCardText(*card);
  EXPECT_NE(
      saved.find("[[adapter.port.fdb]]\nmac = \"02:00:00:00:00:0b\"\nport = \"uplink\"\nvlan = 30\n"
                 "proto = \"802.1ad\"\n"),
      std::string::npos)
      << saved;
  auto again = Load(saved);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->adapters()[0].ports[0].static_fdb, p.static_fdb);
}

TEST(FdbConfig, MistakesNameTheLineAndKey) {
  std::string base =
      "[[adapter]]\nprofile = \"i350\"\nslot = \"0000:31:00\"\n\n[[adapter.port]]\n"
      "function = 0\nnumvfs = 1\n\n[[adapter.port.fdb]]\n";
  auto fails = [&](const std::string& entry) {
    auto card = config::LoadCardText(base + entry, "t.toml", "");
    return card.ok() ? std::string("loaded") : card.status().message();
  };
  EXPECT_EQ(fails("mac = \"02:00:00:00:00:01\"\nvf = 1\n"),
            "t.toml:11: adapter[0].port[0].fdb[0].vf: VF 1 does not exist (numvfs is 1)");
  EXPECT_EQ(
      fails("mac = \"01:00:00:00:00:01\"\nvf = 0\n"),
      "t.toml:10: adapter[0].port[0].fdb[0].mac: 01:00:00:00:00:01 is a multicast address (the FDB "
      "holds unicast)");
  EXPECT_EQ(fails("mac = \"02:00:00:00:00:01\"\n"),
            "t.toml:9: adapter[0].port[0].fdb[0].vf: give exactly one of vf or port");
  EXPECT_EQ(fails("mac = \"02:00:00:00:00:01\"\nvf = 0\nport = \"pf\"\n"),
            "t.toml:12: adapter[0].port[0].fdb[0].port: give exactly one of vf or port");
  EXPECT_EQ(fails("mac = \"02:00:00:00:00:01\"\nport = \"wire\"\n"),
            "t.toml:11: adapter[0].port[0].fdb[0].port: must be \"uplink\" or \"pf\"");
  EXPECT_EQ(
      fails("mac = \"02:00:00:00:00:01\"\nvf = 0\nvlan = 0\n"),
      "t.toml:12: adapter[0].port[0].fdb[0].vlan: must be 1..4094 (leave it out for untagged)");
  EXPECT_EQ(fails("mac = \"02:00:00:00:00:01\"\nvf = 0\nproto = \"802.1ad\"\n"),
            "t.toml:12: adapter[0].port[0].fdb[0].proto: needs vlan");
  EXPECT_EQ(fails("mac = \"02:00:00:00:00:01\"\nvf = 0\nage = 3\n"),
            "t.toml:12: adapter[0].port[0].fdb[0].age: unknown key");
}

// ------------------------------------------------------------------------------ the data plane

json Show(Dataplane& dp, Port& p) {
  return dp.FdbShow(p);
}

StaticFdbEntry Entry(const char* mac, uint16_t vf, uint16_t vlan = 0) {
  StaticFdbEntry e;
  e.mac = *MacAddress::Parse(mac);
  e.vf = vf;
  e.vlan = vlan;
  return e;
}

TEST(FdbDataplane, ConfiguredEntriesAreInTheSwitchFromTheStart) {
  auto card = Load(kCard);
  ASSERT_TRUE(card);
  Port& p = card->adapters()[0].ports[0];
  Dataplane dp(*card);
  ASSERT_TRUE(dp.AttachConfigured().ok());
  json show = Show(dp, p);
  EXPECT_EQ(show["capacity"], 32);  // the I350 profile's mac_filters
  EXPECT_EQ(show["used"], 3);
  EXPECT_EQ(show["static"], 3);
  ASSERT_EQ(show["entries"].size(), 3u);
  // Sorted by port: uplink, pf, then the VFs.
  EXPECT_EQ(show["entries"][0]["port"], "uplink");
  EXPECT_EQ(show["entries"][0]["vlan_protocol"], "802.1ad");
  EXPECT_EQ(show["entries"][1]["port"], "pf");
  EXPECT_EQ(show["entries"][2]["vf"], 1);
  // The other PF has no switch running: an empty table, its bound shown all the same.
  json other = Show(dp, card->adapters()[0].ports[1]);
  EXPECT_EQ(other["capacity"], 32);
  EXPECT_EQ(other["used"], 0);
}

TEST(FdbDataplane, AddStartsTheSwitchAndErrorsCarryBridgesErrno) {
  auto card = Load(kCard);
  ASSERT_TRUE(card);
  Port& p = card->adapters()[0].ports[1];  // no VF attached, no static entry: no worker
  ASSERT_TRUE(SysfsWrite(*p.pf, "sriov_numvfs", "2").ok());
  Dataplane dp(*card);
  ASSERT_TRUE(dp.AttachConfigured().ok());
  EXPECT_TRUE(dp.FdbAdd(p, Entry("02:00:00:00:00:01", 0), false).ok());
  EXPECT_EQ(dp.FdbAdd(p, Entry("02:00:00:00:00:01", 1), false).errnum(), EEXIST);
  EXPECT_TRUE(dp.FdbAdd(p, Entry("02:00:00:00:00:01", 1), true).ok());  // replace
  ASSERT_EQ(p.static_fdb.size(), 1u);
  EXPECT_EQ(p.static_fdb[0].vf, 1);
  EXPECT_EQ(dp.FdbAdd(p, Entry("02:00:00:00:00:02", 2), false).errnum(), ENODEV);
  EXPECT_EQ(dp.FdbAdd(p, Entry("01:00:00:00:00:02", 0), false).errnum(), EINVAL);
  EXPECT_EQ(dp.FdbDel(p, Entry("02:00:00:00:00:01", 0), true).errnum(), ENOENT);  // it is vf 1's
  EXPECT_EQ(dp.FdbDel(p, Entry("02:00:00:00:00:01", 1, 5), false).errnum(), ENOENT);  // other VLAN
  EXPECT_TRUE(dp.FdbDel(p, Entry("02:00:00:00:00:01", 0), false).ok());
  EXPECT_TRUE(p.static_fdb.empty());
  EXPECT_EQ(Show(dp, p)["used"], 0);
}

TEST(FdbDataplane, TheTableIsBounded) {
  auto card = Load(kCard);
  ASSERT_TRUE(card);
  Port& p = card->adapters()[0].ports[0];
  Dataplane dp(*card);
  ASSERT_TRUE(dp.AttachConfigured().ok());
  char mac[18];
  Status last;
  int added = 0;
  for (int i = 0; i < 64 && last.ok(); ++i) {
    std::snprintf(mac, sizeof mac, "02:00:00:00:01:%02x", i);
    last = dp.FdbAdd(p, Entry(mac, 0), false);
    added += last.ok();
  }
  EXPECT_EQ(last.errnum(), ENOSPC);
  EXPECT_EQ(added, 32 - 3);
  EXPECT_EQ(Show(dp, p)["used"], 32);
  EXPECT_EQ(p.static_fdb.size(), 32u);
}

TEST(FdbDataplane, EntriesOfVfsThatGoAwayGoWithThem) {
  auto card = Load(kCard);
  ASSERT_TRUE(card);
  Port& p = card->adapters()[0].ports[0];
  Dataplane dp(*card);
  ASSERT_TRUE(dp.AttachConfigured().ok());
  ASSERT_TRUE(SysfsWrite(*p.pf, "sriov_numvfs", "0").ok());
  dp.PolicyChanged(p);
  json show = Show(dp, p);
  EXPECT_EQ(show["used"], 2);  // the uplink's and the PF's stay
  EXPECT_EQ(p.static_fdb.size(), 2u);
}

}  // namespace
}  // namespace softvf
