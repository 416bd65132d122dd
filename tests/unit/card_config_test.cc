// The card configuration file: the built-in example (the seed's I350 host), errors that
// name "file:LINE: key.path: message", saving and loading back, and every built-in
// profile loading into a working card.
#include "config/card_config.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "config/embedded.h"
#include "config/profile_loader.h"
#include "sriov/sysfs.h"
#include "temp_dir.h"

namespace softvf {
namespace {

std::string ExampleText() {
  return std::string(config::EmbeddedExampleCard());
}

std::string ExampleWithNumVfs7() {
  std::string text = ExampleText();
  size_t at = text.find("# numvfs = 7");
  if (at == std::string::npos) return "";
  return text.replace(at, 12, "numvfs = 7");
}

// The error message of loading `text` as "card.toml" (or "" when it loads).
std::string LoadError(const std::string& text, const std::string& base = "") {
  auto card = config::LoadCardText(text, "card.toml", base);
  if (card.ok()) return "";
  EXPECT_EQ(card.status().errnum(), EINVAL) << card.status().message();
  return card.status().message();
}

std::vector<std::string> VfBdfs(const Port& port) {
  std::vector<std::string> out;
  for (const VirtualFunction& vf : port.pf->vfs())
    if (vf.enabled()) out.push_back(vf.bdf().ToShortString());
  return out;
}

// ------------------------------------------------------------------ the example

TEST(ExampleCard, LoadsTheSeedsTwoPortI350) {
  auto card = config::LoadExampleCard();
  ASSERT_TRUE(card.ok()) << card.status().message();
  const Card& c = **card;
  EXPECT_EQ(c.host_page_shift(), 12u);
  ASSERT_EQ(c.topology().bridges().size(), 1u);
  EXPECT_EQ(c.topology().bridges()[0].bdf().ToString(), "0000:30:03.1");
  std::vector<const Port*> ports = c.AllPorts();
  ASSERT_EQ(ports.size(), 2u);
  EXPECT_EQ(ports[0]->pf->bdf().ToString(), "0000:31:00.0");
  EXPECT_EQ(ports[1]->pf->bdf().ToString(), "0000:31:00.1");
  EXPECT_EQ(ports[0]->netdev, "enp49s0f0");  // Linux's predictable name for 31:00.0
  EXPECT_EQ(ports[1]->netdev, "enp49s0f1");
  EXPECT_EQ(ports[0]->mac.ToString(), "3c:fd:fe:9e:6b:20");
  EXPECT_EQ(ports[1]->mac.ToString(), "3c:fd:fe:9e:6b:21");
  EXPECT_EQ(ports[0]->ifindex, 2);
  EXPECT_EQ(ports[1]->ifindex, 3);
  EXPECT_EQ(ports[0]->pf->host().driver, "igb");
  EXPECT_EQ(ports[1]->pf->host().num_vfs, 0);
  EXPECT_EQ(c.FindPort("enp49s0f1"), ports[1]);
  EXPECT_EQ(c.FindPort("0000:31:00.1"), ports[1]);
  EXPECT_EQ(c.FindPort("31:00.0"), ports[0]);
  EXPECT_EQ(c.FindPort("enp49s0f2"), nullptr);
}

TEST(ExampleCard, EmbeddedCopyIsTheFileInExamples) {
  std::ifstream in(std::string(SOFTVF_SOURCE_DIR) + "/examples/i350.toml");
  ASSERT_TRUE(in);
  std::string file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(file, ExampleText());
  auto card = config::LoadCardFile(std::string(SOFTVF_SOURCE_DIR) + "/examples/i350.toml");
  ASSERT_TRUE(card.ok()) << card.status().message();
}

TEST(ExampleCard, NumVfs7GivesTheSeedsVfAddresses) {
  std::string text = ExampleWithNumVfs7();
  ASSERT_FALSE(text.empty()) << "examples/i350.toml lost its '# numvfs = 7' line";
  auto card = config::LoadCardText(text, "card.toml", "");
  ASSERT_TRUE(card.ok()) << card.status().message();
  const Port* pf = (*card)->FindPort("enp49s0f1");
  ASSERT_NE(pf, nullptr);
  EXPECT_EQ(pf->pf->bdf().ToString(), "0000:31:00.1");
  EXPECT_EQ(SysfsRead(*pf->pf, "sriov_numvfs").value(), "7\n");
  EXPECT_EQ(VfBdfs(*pf), (std::vector<std::string>{"31:10.1", "31:10.5", "31:11.1", "31:11.5",
                                                   "31:12.1", "31:12.5", "31:13.1"}));
  EXPECT_EQ(Card::VfNetdevName(*pf, 0), "enp49s0f1v0");
  EXPECT_TRUE(VfBdfs(*(*card)->FindPort("enp49s0f0")).empty());
}

// ------------------------------------------------------------------ errors

TEST(CardErrors, SyntaxError) {
  EXPECT_EQ(LoadError("[[adapter]]\nprofile = \"i350\n"),
            "card.toml:2: Error while parsing string: unescaped control characters other than "
            "TAB (U+0009) are explicitly prohibited");
}

TEST(CardErrors, UnknownKeys) {
  EXPECT_EQ(LoadError("[[adapter]]\nprofile = \"i350\"\nslot = \"0000:31:00\"\nportz = 2\n"),
            "card.toml:4: adapter[0].portz: unknown key");
  EXPECT_EQ(LoadError("x = 1\n[[adapter]]\nprofile = \"i350\"\nslot = \"0000:31:00\"\n"),
            "card.toml:1: x: unknown key");
  EXPECT_EQ(LoadError("[[adapter]]\nprofile = \"i350\"\nslot = \"0000:31:00\"\n"
                      "[[adapter.port]]\nfunction = 1\nnumvf = 7\n"),
            "card.toml:6: adapter[0].port[0].numvf: unknown key");
}

TEST(CardErrors, NumVfs8OnAnI350) {
  EXPECT_EQ(LoadError("[[adapter]]\nprofile = \"i350\"\nslot = \"0000:31:00\"\n\n"
                      "[[adapter.port]]\nfunction = 1\nnumvfs = 8\n"),
            "card.toml:7: adapter[0].port[0].numvfs: Numerical result out of range "
            "(sriov_totalvfs is 7)");
}

TEST(CardErrors, NumVfsThatDoNotFitTheBusRange) {
  // The root port routes bus 31 only; the I350's VFs need devfn 0x80+: fine. A profile
  // whose VFs spill to bus 32 is refused with the kernel's message.
  std::string text =
      "[[bridge]]\nbdf = \"0000:30:03.1\"\nsecondary_bus = 0x31\n"
      "[[adapter]]\nprofile = \"virtio-net\"\nslot = \"0000:31:1f\"\n"
      "[[adapter.port]]\nfunction = 0\nnumvfs = 16\n";
  EXPECT_EQ(LoadError(text),
            "card.toml:9: adapter[0].port[0].numvfs: Cannot allocate memory (can't enable 16 "
            "VFs (bus 32 out of range of [bus 31]))");
}

TEST(CardErrors, BadMacs) {
  std::string head =
      "[[adapter]]\nprofile = \"i350\"\nslot = \"0000:31:00\"\n"
      "[[adapter.port]]\nfunction = 1\nnumvfs = 2\n";
  EXPECT_EQ(LoadError(head + "[[adapter.port.vf]]\nindex = 0\nmac = \"fa:16:3e:zz:00:01\"\n"),
            "card.toml:9: adapter[0].port[0].vf[0].mac: \"fa:16:3e:zz:00:01\" is not a MAC "
            "address");
  EXPECT_EQ(LoadError(head + "[[adapter.port.vf]]\nindex = 0\nmac = \"01:00:5e:00:00:01\"\n"),
            "card.toml:9: adapter[0].port[0].vf[0].mac: Invalid argument");
  EXPECT_EQ(LoadError("[[adapter]]\nprofile = \"i350\"\nslot = \"0000:31:00\"\n"
                      "[[adapter.port]]\nfunction = 0\nmac = \"ff:ff:ff:ff:ff:ff\"\n"),
            "card.toml:6: adapter[0].port[0].mac: \"ff:ff:ff:ff:ff:ff\" is not a unicast MAC "
            "address");
}

TEST(CardErrors, VfSettingsFollowIpLinkRules) {
  std::string head =
      "[[adapter]]\nprofile = \"i350\"\nslot = \"0000:31:00\"\n"
      "[[adapter.port]]\nfunction = 1\nnumvfs = 2\n[[adapter.port.vf]]\nindex = 1\n";
  EXPECT_EQ(LoadError(head + "vlan = 4096\n"),
            "card.toml:9: adapter[0].port[0].vf[0].vlan: Invalid argument");
  EXPECT_EQ(LoadError(head + "vlan = 10\nqos = 8\n"),
            "card.toml:9: adapter[0].port[0].vf[0].vlan: Invalid argument");
  EXPECT_EQ(LoadError(head + "vlan = 10\nproto = \"802.1ad\"\n"),
            "card.toml:9: adapter[0].port[0].vf[0].vlan: Protocol not supported");
  EXPECT_EQ(LoadError(head + "vlan = 10\nproto = \"0x8100\"\n"),
            "card.toml:10: adapter[0].port[0].vf[0].proto: must be 802.1Q or 802.1ad");
  EXPECT_EQ(LoadError(head + "max_tx_rate = 100\n"),
            "card.toml:9: adapter[0].port[0].vf[0].max_tx_rate: Operation not supported");
  EXPECT_EQ(LoadError(head + "state = \"enable\"\n"),
            "card.toml:9: adapter[0].port[0].vf[0].state: Operation not supported");
  EXPECT_EQ(LoadError(head + "state = \"up\"\n"),
            "card.toml:9: adapter[0].port[0].vf[0].state: must be auto, enable or disable");
  EXPECT_EQ(LoadError("[[adapter]]\nprofile = \"i350\"\nslot = \"0000:31:00\"\n"
                      "[[adapter.port]]\nfunction = 1\nnumvfs = 2\n[[adapter.port.vf]]\n"
                      "index = 2\n"),
            "card.toml:8: adapter[0].port[0].vf[0].index: VF 2 does not exist (numvfs is 2)");
}

TEST(CardErrors, MissingOrUnknownProfile) {
  EXPECT_EQ(LoadError("[[adapter]]\nprofile = \"e1000\"\nslot = \"0000:31:00\"\n"),
            "card.toml:2: adapter[0].profile: no built-in profile \"e1000\" (built-in: 82599, "
            "cx6dx, i350, virtio-net)");
  EXPECT_EQ(LoadError("[[adapter]]\nslot = \"0000:31:00\"\n"),
            "card.toml:1: adapter[0].profile: give exactly one of profile (built-in) or "
            "profile_file");
  EXPECT_EQ(LoadError("[[adapter]]\nprofile_file = \"nope.toml\"\nslot = \"0000:31:00\"\n",
                      "/nonexistent"),
            "card.toml:2: adapter[0].profile_file: /nonexistent/nope.toml: cannot open profile "
            "file");
}

TEST(CardErrors, BadSlots) {
  EXPECT_EQ(LoadError("[[adapter]]\nprofile = \"i350\"\nslot = \"0000:31:00.1\"\n"),
            "card.toml:3: adapter[0].slot: an adapter's slot is its function 0");
  EXPECT_EQ(LoadError("[[adapter]]\nprofile = \"i350\"\nslot = \"31-00\"\n"),
            "card.toml:3: adapter[0].slot: \"31-00\" is not a PCI address (DDDD:BB:DD.F)");
  EXPECT_EQ(LoadError("[[adapter]]\nprofile = \"i350\"\nslot = \"0000:31:20\"\n"),
            "card.toml:3: adapter[0].slot: \"0000:31:20\" is not a PCI address (DDDD:BB:DD.F)");
  EXPECT_EQ(LoadError("[[adapter]]\nprofile = \"i350\"\nslot = \"0000:31:00\"\n"
                      "[[adapter]]\nprofile = \"82599\"\nslot = \"31:00\"\n"),
            "card.toml:6: adapter[1].slot: slot 31:00.0 is already taken");
}

TEST(CardErrors, SriovInitFailureNamesThePf) {
  EXPECT_EQ(LoadError("[host]\npage_size = 65536\n[[adapter]]\nprofile = \"i350\"\n"
                      "slot = \"0000:31:00\"\n"),
            "card.toml:5: adapter[0].slot: 0000:31:00.0: SR-IOV: VF BAR size is not a "
            "multiple of PAGE_SIZE");
}

TEST(CardErrors, StructureAndTypes) {
  EXPECT_EQ(LoadError(""), "card.toml:1: adapter: no [[adapter]]: a card needs at least one");
  EXPECT_EQ(LoadError("[host]\npage_size = 5000\n[[adapter]]\nprofile = \"i350\"\n"
                      "slot = \"0000:31:00\"\n"),
            "card.toml:2: host.page_size: must be a power of two >= 4096");
  std::string head = "[[adapter]]\nprofile = \"i350\"\nslot = \"0000:31:00\"\n[[adapter.port]]\n";
  EXPECT_EQ(LoadError(head + "function = 2\n"),
            "card.toml:5: adapter[0].port[0].function: the adapter has 2 ports (functions 0..1)");
  EXPECT_EQ(LoadError(head + "function = 0\n[[adapter.port]]\nfunction = 0\n"),
            "card.toml:7: adapter[0].port[1].function: port 0 is listed twice");
  EXPECT_EQ(LoadError(head + "function = 1\nnumvfs = -1\n"),
            "card.toml:6: adapter[0].port[0].numvfs: -1 is out of range (0..65535)");
  EXPECT_EQ(LoadError(head + "function = 1\nnumvfs = \"7\"\n"),
            "card.toml:6: adapter[0].port[0].numvfs: must be an integer");
  EXPECT_EQ(LoadError("[[bridge]]\nbdf = \"0000:31:00.0\"\nsecondary_bus = 0x31\n"
                      "[[adapter]]\nprofile = \"i350\"\nslot = \"0000:32:00\"\n"),
            "card.toml:3: bridge[0].secondary_bus: secondary bus must be above the bridge's "
            "own bus");
}

TEST(CardErrors, NotViableConsumer) {
  EXPECT_EQ(LoadError("[[bridge]]\nbdf = \"0000:30:03.1\"\nsecondary_bus = 0x31\nacs = false\n"
                      "[[adapter]]\nprofile = \"i350\"\nslot = \"0000:31:00\"\n"
                      "[[adapter.port]]\nfunction = 1\nnumvfs = 2\n"
                      "[[adapter.port.vf]]\nindex = 0\nconsumer = \"instance-00000001\"\n"),
            "card.toml:13: adapter[0].port[0].vf[0].consumer: vfio 0000:31:10.1: group 0 is "
            "not viable");
}

TEST(CardErrors, MissingFile) {
  auto card = config::LoadCardFile("/nonexistent/card.toml");
  EXPECT_EQ(card.status().errnum(), ENOENT);
  EXPECT_EQ(card.status().message(), "/nonexistent/card.toml: cannot open configuration file");
}

// Linux: driver_max_VFs is TotalVFs unless the bound driver lowered it, and goes back to
// TotalVFs when the driver unbinds (pci_iov_remove); with no driver, enabling is ENOENT.
TEST(CardDriver, UnboundPfReadsTheRegistersTotalVfs) {
  auto card = config::LoadCardText(
      "[[adapter]]\nprofile = \"i350\"\nslot = \"0000:31:00\"\n"
      "[[adapter.port]]\nfunction = 0\ndriver = \"\"\n"
      "[[adapter.port]]\nfunction = 1\ndriver = \"vfio-pci\"\n",
      "card.toml", "");
  ASSERT_TRUE(card.ok()) << card.status().message();
  const PhysicalFunction& unbound = *(*card)->AllPorts()[0]->pf;
  const PhysicalFunction& vfio = *(*card)->AllPorts()[1]->pf;
  EXPECT_EQ(SysfsRead(unbound, "sriov_totalvfs").value(), "8\n");
  EXPECT_EQ(SysfsRead(vfio, "sriov_totalvfs").value(), "8\n");  // only igb says 7
  EXPECT_EQ(LoadError("[[adapter]]\nprofile = \"i350\"\nslot = \"0000:31:00\"\n"
                      "[[adapter.port]]\nfunction = 0\ndriver = \"\"\nnumvfs = 8\n"),
            "card.toml:7: adapter[0].port[0].numvfs: No such file or directory (no driver "
            "bound to device; cannot configure SR-IOV)");
  EXPECT_EQ(LoadError("[[adapter]]\nprofile = \"i350\"\nslot = \"0000:31:00\"\n"
                      "[[adapter.port]]\nfunction = 0\ndriver = \"igb\"\nnumvfs = 8\n"),
            "card.toml:7: adapter[0].port[0].numvfs: Numerical result out of range "
            "(sriov_totalvfs is 7)");
}

// ------------------------------------------------------------------ saving

// Everything a saved file must carry, port by port.
std::vector<std::string> Describe(const Card& card) {
  std::vector<std::string> out;
  for (const Port* p : card.AllPorts()) {
    const PhysicalFunction& pf = *p->pf;
    std::string s = pf.bdf().ToString() + " " + p->netdev + " " + p->mac.ToString() + " mtu " +
                    std::to_string(p->mtu) + " ifindex " + std::to_string(p->ifindex) + " driver " +
                    pf.host().driver + " autoprobe " + std::to_string(pf.host().drivers_autoprobe) +
                    " numvfs " + std::to_string(pf.host().num_vfs) + " profile " +
                    pf.profile().name;
    out.push_back(s);
    for (const VirtualFunction& vf : pf.vfs()) {
      if (!vf.enabled()) continue;
      const VfConfig& c = vf.settings();
      out.push_back("  " + vf.bdf().ToString() + " mac " + c.mac.ToString() + " vlan " +
                    std::to_string(c.vlan) + "/" + std::to_string(c.qos) + "/" +
                    std::to_string(c.vlan_proto) + " rate " + std::to_string(c.min_tx_rate) + "-" +
                    std::to_string(c.max_tx_rate) + " spoofchk " + std::to_string(c.spoofchk) +
                    " trust " + std::to_string(c.trust) + " state " +
                    std::to_string(static_cast<int>(c.link_state)) + " rss " +
                    std::to_string(c.rss_query_en) + " binding " +
                    std::to_string(static_cast<int>(vf.binding())) + " " + vf.consumer());
    }
  }
  for (const PciBridge& b : card.topology().bridges())
    out.push_back("bridge " + b.bdf().ToString() + " " + std::to_string(b.spec().secondary_bus) +
                  "-" + std::to_string(b.spec().subordinate_bus) + " acs " +
                  std::to_string(b.spec().acs));
  out.push_back("page_shift " + std::to_string(card.host_page_shift()));
  return out;
}

Status Set(Card& card, const char* port, const VfChange& change) {
  Port* p = card.FindPort(port);
  if (!p) return Status::Errno(ENODEV);
  return ApplyVfChange(p->pf->profile().driver, p->pf->host().num_vfs, change,
                       p->pf->vfs()[change.vf].settings());
}

TEST(SaveCard, ExampleRoundTrip) {
  auto first = config::LoadCardText(ExampleWithNumVfs7(), "card.toml", "");
  ASSERT_TRUE(first.ok()) << first.status().message();
  Card& card = **first;
  VfChange c;
  c.vf = 1;
  c.mac = MacAddress::Parse("fa:16:3e:11:22:33");
  c.vlan = VfChange::Vlan{100, 3, kEthP8021Q};
  c.spoofchk = false;
  c.trust = true;
  ASSERT_TRUE(Set(card, "enp49s0f1", c).ok());
  ASSERT_TRUE(card.AssignVf(*card.FindPort("enp49s0f1"), 2, "vm1").ok());
  std::string saved = config::SaveCardText(card);
  EXPECT_EQ(saved,
            "# softvf card configuration, saved from the running daemon.\n"
            "\n[host]\npage_size = 4096\n"
            "\n[[bridge]]\nbdf = \"0000:30:03.1\"\ntype = \"root_port\"\nsecondary_bus = 0x31\n"
            "subordinate_bus = 0x31\nacs = true\nari_forwarding = true\nmultifunction = false\n"
            "vendor_id = 0x1022\ndevice_id = 0x1483\n"
            "\n[[adapter]]\nprofile = \"i350\"\nslot = \"0000:31:00\"\nports = 2\n"
            "mmio_base = 0xa0000000\n"
            "\n[[adapter.port]]\nfunction = 0\nname = \"enp49s0f0\"\nmac = \"3c:fd:fe:9e:6b:20\"\n"
            "mtu = 1500\n"
            "\n[[adapter.port]]\nfunction = 1\nname = \"enp49s0f1\"\nmac = \"3c:fd:fe:9e:6b:21\"\n"
            "mtu = 1500\nnumvfs = 7\n"
            "\n[[adapter.port.vf]]\nindex = 1\nmac = \"fa:16:3e:11:22:33\"\nvlan = 100\nqos = 3\n"
            "spoofchk = false\ntrust = true\n"
            "\n[[adapter.port.vf]]\nindex = 2\nconsumer = \"vm1\"\n");
  auto second = config::LoadCardText(saved, "saved.toml", "");
  ASSERT_TRUE(second.ok()) << second.status().message();
  EXPECT_EQ(Describe(**second), Describe(card));
  EXPECT_EQ(config::SaveCardText(**second), saved);
}

TEST(SaveCard, Cx6dxSwitchAndEveryVfSettingRoundTrip) {
  std::string text =
      "[host]\npage_size = 65536\n"
      "[[bridge]]\nbdf = \"0000:00:01.0\"\nsecondary_bus = 0x01\nsubordinate_bus = 0x04\n"
      "[[bridge]]\nbdf = \"0000:01:00.0\"\ntype = \"switch_upstream\"\nsecondary_bus = 0x02\n"
      "subordinate_bus = 0x04\nacs = false\n"
      "[[bridge]]\nbdf = \"0000:02:00.0\"\ntype = \"switch_downstream\"\nsecondary_bus = 0x03\n"
      "subordinate_bus = 0x03\nari_forwarding = false\n"
      "[[adapter]]\nprofile = \"cx6dx\"\nslot = \"0000:03:00\"\nmmio_base = 0x38000000000\n"
      "[[adapter.port]]\nfunction = 0\nname = \"enp3s0f0np0\"\nmtu = 9000\nnumvfs = 4\n"
      "[[adapter.port.vf]]\nindex = 0\nvlan = 200\nqos = 2\nproto = \"802.1ad\"\n"
      "min_tx_rate = 100\nmax_tx_rate = 1000\nstate = \"disable\"\nspoofchk = true\n"
      "[[adapter.port.vf]]\nindex = 3\nmin_tx_rate = 200\ntrust = true\nstate = \"enable\"\n"
      "[[adapter.port]]\nfunction = 1\ndrivers_autoprobe = false\nnumvfs = 1\n";
  auto first = config::LoadCardText(text, "card.toml", "");
  ASSERT_TRUE(first.ok()) << first.status().message();
  const Port* p = (*first)->FindPort("enp3s0f0np0");
  ASSERT_NE(p, nullptr);
  const VfConfig& vf0 = p->pf->vfs()[0].settings();
  EXPECT_EQ(vf0.vlan_proto, kEthP8021AD);
  EXPECT_EQ(vf0.link_state, LinkState::kDisable);
  EXPECT_EQ(p->pf->vfs()[3].settings().min_tx_rate, 200u);
  EXPECT_EQ(p->pf->vfs()[3].settings().max_tx_rate, 0u);
  EXPECT_EQ(p->pf->sriov().system_page_size(), 0x10u);
  std::string saved = config::SaveCardText(**first);
  auto second = config::LoadCardText(saved, "saved.toml", "");
  ASSERT_TRUE(second.ok()) << second.status().message() << "\n" << saved;
  EXPECT_EQ(Describe(**second), Describe(**first));
  EXPECT_EQ(config::SaveCardText(**second), saved);
}

TEST(SaveCard, Ixgbe82599OnTheRootBusRoundTrip) {
  std::string text =
      "[[adapter]]\nprofile = \"82599\"\nslot = \"0000:10:00\"\n"
      "[[adapter.port]]\nfunction = 1\nnumvfs = 2\n"
      "[[adapter.port.vf]]\nindex = 1\nquery_rss = true\nmax_tx_rate = 500\nmac = "
      "\"02:00:00:00:00:01\"\n";
  auto first = config::LoadCardText(text, "card.toml", "");
  ASSERT_TRUE(first.ok()) << first.status().message();
  std::string saved = config::SaveCardText(**first);
  EXPECT_EQ(saved.find("[[bridge]]"), std::string::npos);
  auto second = config::LoadCardText(saved, "saved.toml", "");
  ASSERT_TRUE(second.ok()) << second.status().message() << "\n" << saved;
  EXPECT_EQ(Describe(**second), Describe(**first));
  EXPECT_EQ(config::SaveCardText(**second), saved);
  const VfConfig& vf1 = (*second)->AllPorts()[1]->pf->vfs()[1].settings();
  EXPECT_TRUE(vf1.rss_query_en);
  EXPECT_EQ(vf1.max_tx_rate, 500u);
  EXPECT_EQ(vf1.mac.ToString(), "02:00:00:00:00:01");
}

TEST(SaveCard, ProfileFilesStayProfileFiles) {
  softvf::testing::TempDir dir("softvf-card");
  ASSERT_FALSE(dir.path().empty());
  std::string profile;
  for (const config::EmbeddedFile& f : config::EmbeddedProfiles())
    if (f.name == "virtio-net") profile = std::string(f.text);
  size_t at = profile.find("name = \"virtio-net\"");
  ASSERT_NE(at, std::string::npos);
  profile.replace(at, 19, "name = \"my-virtio\"");
  dir.Write("myprofile", profile);  // no extension: still a file, not a built-in
  dir.Write("card.toml",
            "[[adapter]]\nprofile_file = \"myprofile\"\nslot = \"0000:07:00\"\n"
            "[[adapter.port]]\nfunction = 0\nnumvfs = 3\n");
  auto first = config::LoadCardFile(dir.path() + "/card.toml");
  ASSERT_TRUE(first.ok()) << first.status().message();
  EXPECT_EQ((*first)->AllPorts()[0]->pf->profile().name, "my-virtio");
  std::string saved = config::SaveCardText(**first);
  EXPECT_NE(saved.find("\nprofile_file = \"myprofile\"\n"), std::string::npos) << saved;
  dir.Write("saved.toml", saved);
  auto second = config::LoadCardFile(dir.path() + "/saved.toml");
  ASSERT_TRUE(second.ok()) << second.status().message();
  EXPECT_EQ(Describe(**second), Describe(**first));
}

// ------------------------------------------------------------------ built-in profiles

TEST(BuiltinProfiles, Names) {
  EXPECT_EQ(config::BuiltinProfileNames(),
            (std::vector<std::string>{"82599", "cx6dx", "i350", "virtio-net"}));
  auto missing = config::BuiltinProfile("e1000");
  EXPECT_EQ(missing.status().errnum(), ENOENT);
}

TEST(BuiltinProfiles, EachLoadsIntoACardWithTheRightTotalAndVfDevice) {
  struct Want {
    const char* total;
    uint16_t vf_device;
    const char* vf_device_text;
  };
  const std::map<std::string, Want> want = {{"i350", {"7\n", 0x1520, "1520\n"}},
                                            {"82599", {"63\n", 0x10ed, "10ed\n"}},
                                            {"cx6dx", {"127\n", 0x101e, "101e\n"}},
                                            {"virtio-net", {"16\n", 0x1041, "1041\n"}}};
  for (const std::string& name : config::BuiltinProfileNames()) {
    SCOPED_TRACE(name);
    auto profile = config::BuiltinProfile(name);
    ASSERT_TRUE(profile.ok()) << profile.status().message();
    EXPECT_EQ((*profile)->name, name);
    ASSERT_TRUE(want.count(name)) << "a new built-in profile needs its expectations here";
    EXPECT_EQ((*profile)->vf_device_id, want.at(name).vf_device);
    std::string text =
        "[[bridge]]\nbdf = \"0000:3a:00.0\"\nsecondary_bus = 0x3b\n"
        "[[adapter]]\nprofile = \"" +
        name + "\"\nslot = \"0000:3b:00\"\n";
    auto card = config::LoadCardText(text, "card.toml", "");
    ASSERT_TRUE(card.ok()) << card.status().message();
    for (const Port* p : (*card)->AllPorts()) {
      EXPECT_EQ(SysfsRead(*p->pf, "sriov_totalvfs").value(), want.at(name).total);
      EXPECT_EQ(SysfsRead(*p->pf, "sriov_vf_device").value(), want.at(name).vf_device_text);
      EXPECT_EQ(p->pf->sriov().vf_device_id(), want.at(name).vf_device);
    }
  }
}

// Every port at its driver's maximum: no two functions of the card share an address.
TEST(BuiltinProfiles, VfsOfAllPortsNeverShareARoutingId) {
  for (const std::string& name : config::BuiltinProfileNames()) {
    SCOPED_TRACE(name);
    std::string text =
        "[[bridge]]\nbdf = \"0000:3a:00.0\"\nsecondary_bus = 0x3b\n"
        "[[adapter]]\nprofile = \"" +
        name + "\"\nslot = \"0000:3b:00\"\n";
    auto card = config::LoadCardText(text, "card.toml", "");
    ASSERT_TRUE(card.ok()) << card.status().message();
    size_t expected = 1;  // the bridge
    for (Adapter& a : (*card)->adapters())
      for (Port& p : a.ports) {
        std::string total = SysfsRead(*p.pf, "sriov_totalvfs").value();
        Status st = SysfsWrite(*p.pf, "sriov_numvfs", total);
        ASSERT_TRUE(st.ok()) << st.message();
        expected += 1 + p.pf->host().num_vfs;
      }
    std::set<Bdf> seen;
    for (const FunctionRef& f : (*card)->Functions())
      EXPECT_TRUE(seen.insert(f.bdf).second) << f.bdf.ToString() << " listed twice";
    EXPECT_EQ(seen.size(), expected);
  }
}

TEST(BuiltinProfiles, Cx6dxSecondPortVfsFollowTheFirstPorts) {
  auto card = config::LoadCardText(
      "[[bridge]]\nbdf = \"0000:3a:00.0\"\nsecondary_bus = 0x3b\n"
      "[[adapter]]\nprofile = \"cx6dx\"\nslot = \"0000:3b:00\"\n"
      "[[adapter.port]]\nfunction = 0\nnumvfs = 127\n[[adapter.port]]\nfunction = 1\n"
      "numvfs = 127\n",
      "card.toml", "");
  ASSERT_TRUE(card.ok()) << card.status().message();
  const PhysicalFunction& pf0 = *(*card)->AllPorts()[0]->pf;
  const PhysicalFunction& pf1 = *(*card)->AllPorts()[1]->pf;
  EXPECT_EQ(SysfsRead(pf0, "sriov_offset").value(), "2\n");
  EXPECT_EQ(SysfsRead(pf1, "sriov_offset").value(), "128\n");
  EXPECT_EQ(pf0.vfs()[0].bdf().ToShortString(), "3b:00.2");
  EXPECT_EQ(pf0.vfs()[126].bdf().ToShortString(), "3b:10.0");
  EXPECT_EQ(pf1.vfs()[0].bdf().ToShortString(), "3b:10.1");
  EXPECT_EQ(pf1.vfs()[126].bdf().ToShortString(), "3b:1f.7");
}

TEST(ProfileErrors, NameFileLineAndKey) {
  auto err = [](const std::string& text) {
    auto p = config::LoadProfileText(text, "p.toml");
    return p.ok() ? std::string() : p.status().message();
  };
  std::string ok_tail = "[sriov]\ntotal_vfs = 4\nfirst_vf_offset = 1\nvf_stride = 1\n";
  EXPECT_EQ(err("[device]\nname = \"x\"\nvendor_id = 0x8086\ndevice_id = 1\nvf_device_id = 2\n"
                "colour = 1\n" +
                ok_tail),
            "p.toml:6: device.colour: unknown key");
  EXPECT_EQ(err("[device]\nname = \"x\"\nvendor_id = 0x8086\ndevice_id = 1\nvf_device_id = 2\n"),
            "p.toml:1: sriov: missing [sriov] table");
  EXPECT_EQ(err("[device]\nname = \"x\"\nvendor_id = 0x8086\ndevice_id = 1\nvf_device_id = 2\n" +
                ok_tail + "[driver]\nmax_vfs = 5\n"),
            "p.toml:10: driver: max_vfs exceeds sriov.total_vfs");
  std::string dev = "[device]\nname = \"x\"\nvendor_id = 0x8086\ndevice_id = 1\nvf_device_id = 2\n";
  EXPECT_EQ(err(dev +
                "[[pf_bar]]\nindex = 0\nsize = 0x4000\ntype = \"mem64\"\n[[pf_bar]]\n"
                "index = 1\nsize = 0x4000\n" +
                ok_tail),
            "p.toml:11: pf_bar[1].index: overlaps another BAR");
  EXPECT_EQ(err(dev + ok_tail +
                "[[sriov.vf_bar]]\nindex = 3\nsize = 0x4000\n"
                "[[sriov.vf_bar]]\nindex = 2\nsize = 0x4000\ntype = \"mem64\"\n"),
            "p.toml:14: sriov.vf_bar[1].index: overlaps another VF BAR");
  EXPECT_EQ(err(dev + ok_tail + "[[sriov.vf_bar]]\nindex = 0\nsize = 0x4000\ntype = \"io\"\n"),
            "p.toml:13: sriov.vf_bar[0].type: must be mem32 or mem64 (VFs have no I/O space)");
  EXPECT_TRUE(err("[device]\nname = \"x\"\nvendor_id = 0x8086\ndevice_id = 1\n"
                  "vf_device_id = 2\n" +
                  ok_tail)
                  .empty());
}

}  // namespace
}  // namespace softvf

namespace softvf {
namespace {

const char* kWireCard =
    "[[adapter]]\nprofile = \"i350\"\nslot = \"0000:31:00\"\n"
    "[[adapter.port]]\nfunction = 1\nname = \"enp49s0f1\"\nnumvfs = 2\n";

TEST(WireConfig, UplinksHostNetdevAndTapVfsRoundTrip) {
  for (const char* uplink :
       {"uplink = { type = \"af_packet\", interface = \"trunk0\" }\n",
        "uplink = { type = \"tap\", interface = \"wire0\" }\n",
        "uplink = { type = \"udp\", local = \"10.0.0.1:4789\", remote = \"10.0.0.2:4789\" }\n"}) {
    std::string text = std::string(kWireCard) + uplink +
                       "host_netdev = true\nhost_vlan = 1000\n"
                       "[[adapter.port.vf]]\nindex = 0\ntap = \"\"\n"
                       "[[adapter.port.vf]]\nindex = 1\ntap = \"myvf1\"\n";
    auto card = config::LoadCardText(text, "card.toml", "");
    ASSERT_TRUE(card.ok()) << card.status().message();
    const Port* p = (*card)->FindPort("enp49s0f1");
    ASSERT_NE(p, nullptr);
    EXPECT_TRUE(p->host_netdev);
    EXPECT_EQ(p->host_vlan, 1000);
    EXPECT_NE(p->uplink.kind, UplinkConfig::Kind::kNone);
    // An empty name is the VF's Linux netdev name.
    EXPECT_EQ(p->attachments.at(0), VfAttachment::Tap("enp49s0f1v0"));
    EXPECT_EQ(p->attachments.at(1), VfAttachment::Tap("myvf1"));
    EXPECT_EQ(p->pf->vfs()[1].consumer(), "tap:myvf1");
    std::string saved = config::SaveCardText(**card);
    EXPECT_NE(saved.find(uplink), std::string::npos) << saved;
    auto again = config::LoadCardText(saved, "saved.toml", "");
    ASSERT_TRUE(again.ok()) << again.status().message() << "\n" << saved;
    EXPECT_EQ((*again)->FindPort("enp49s0f1")->uplink, p->uplink);
    EXPECT_EQ(config::SaveCardText(**again), saved);
  }
}

TEST(WireConfig, ErrorsNameFileLineAndKey) {
  auto with = [](const std::string& port_lines) {
    return LoadError(std::string(kWireCard) + port_lines);
  };
  EXPECT_EQ(with("uplink = { type = \"wifi\" }\n"),
            "card.toml:8: adapter[0].port[0].uplink.type: must be none, tap, af_packet or udp");
  EXPECT_EQ(with("uplink = { type = \"af_packet\" }\n"),
            "card.toml:8: adapter[0].port[0].uplink.interface: missing (a string is required)");
  EXPECT_EQ(with("uplink = { type = \"tap\", interface = \"a-name-far-too-long\" }\n"),
            "card.toml:8: adapter[0].port[0].uplink.interface: must be an interface name of 1..15 "
            "characters");
  EXPECT_EQ(with("uplink = { type = \"udp\", local = \"1.2.3.4:1\", remote = \"1.2.3.5:1\", "
                 "interface = \"x\" }\n"),
            "card.toml:8: adapter[0].port[0].uplink.interface: only a tap or af_packet uplink has "
            "an interface");
  EXPECT_EQ(with("host_vlan = 5\n"),
            "card.toml:8: adapter[0].port[0].host_vlan: needs host_netdev = true");
  EXPECT_EQ(with("[[adapter.port.vf]]\nindex = 0\ntap = \"\"\nvhost_user = \"/tmp/x\"\n"),
            "card.toml:10: adapter[0].port[0].vf[0].tap: a VF has one consumer: give one of "
            "consumer, vhost_user or tap");
}

}  // namespace
}  // namespace softvf
