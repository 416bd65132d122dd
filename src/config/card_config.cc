#include "config/card_config.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "config/embedded.h"
#include "config/profile_loader.h"
#include "config/toml_reader.h"
#include "sriov/sysfs.h"

namespace softvf::config {

namespace {

Bdf ReadBdf(const TomlTable& t, const std::string& key, bool slot_only) {
  std::string text = t.String(key);
  if (slot_only && text.find('.') == std::string::npos) text += ".0";
  auto bdf = Bdf::Parse(text);
  if (!bdf) t.Fail(key, "\"" + t.String(key) + "\" is not a PCI address (DDDD:BB:DD.F)");
  if (slot_only && bdf->function() != 0) t.Fail(key, "an adapter's slot is its function 0");
  return *bdf;
}

void ReadBridge(const TomlTable& t, Card& card) {
  t.AllowOnly({"bdf", "type", "secondary_bus", "subordinate_bus", "acs", "ari_forwarding",
               "multifunction", "vendor_id", "device_id"});
  BridgeSpec spec;
  spec.bdf = ReadBdf(t, "bdf", false);
  std::string type = t.String("type", "root_port");
  if (type == "root_port")
    spec.type = pci::PcieType::kRootPort;
  else if (type == "switch_upstream")
    spec.type = pci::PcieType::kUpstreamPort;
  else if (type == "switch_downstream")
    spec.type = pci::PcieType::kDownstreamPort;
  else
    t.Fail("type", "must be root_port, switch_upstream or switch_downstream");
  spec.secondary_bus = static_cast<uint8_t>(t.Uint("secondary_bus", 0xff));
  spec.subordinate_bus = static_cast<uint8_t>(t.Uint("subordinate_bus", 0xff, spec.secondary_bus));
  spec.acs = t.Bool("acs", true);
  spec.ari_forwarding = t.Bool("ari_forwarding", true);
  spec.multifunction = t.Bool("multifunction", false);
  spec.vendor_id = static_cast<uint16_t>(t.Uint("vendor_id", 0xfffe, 0x8086));
  spec.device_id = static_cast<uint16_t>(t.Uint("device_id", 0xffff, 0));
  if (auto err = card.topology().AddBridge(spec)) t.Fail("secondary_bus", *err);
}

std::shared_ptr<const DeviceProfile> ReadAdapterProfile(const TomlTable& t, const std::string& base,
                                                        std::string& source) {
  bool builtin = t.Has("profile"), file = t.Has("profile_file");
  if (builtin == file) t.Fail("profile", "give exactly one of profile (built-in) or profile_file");
  Result<std::shared_ptr<const DeviceProfile>> p =
      builtin ? BuiltinProfile(t.String("profile")) : Status::Ok();
  if (file) {
    source = t.String("profile_file");
    std::string path =
        (!source.empty() && source[0] == '/') || base.empty() ? source : base + "/" + source;
    p = LoadProfileFile(path);
  } else {
    source = t.String("profile");
  }
  if (!p.ok()) t.Fail(builtin ? "profile" : "profile_file", p.status().message());
  return *p;
}

void ApplyVf(const TomlTable& t, Card& card, Port& port) {
  t.AllowOnly({"index", "mac", "vlan", "qos", "proto", "min_tx_rate", "max_tx_rate", "spoofchk",
               "trust", "state", "query_rss", "consumer", "vhost_user", "vhost_user_mode", "tap"});
  PhysicalFunction& pf = *port.pf;
  uint16_t index = static_cast<uint16_t>(t.Uint("index", 0xffff));
  if (index >= pf.host().num_vfs)
    t.Fail("index", "VF " + std::to_string(index) + " does not exist (numvfs is " +
                        std::to_string(pf.host().num_vfs) + ")");
  VfConfig& cfg = pf.vfs()[index].settings();
  auto apply = [&](const std::string& key, const VfChange& change) {
    Status st = ApplyVfChange(pf.profile().driver, pf.host().num_vfs, change, cfg);
    if (!st.ok()) t.Fail(key, st.errno_text());
  };
  auto base = [&] {
    VfChange c;
    c.vf = index;
    return c;
  };
  if (t.Has("mac")) {
    auto mac = MacAddress::Parse(t.String("mac"));
    if (!mac) t.Fail("mac", "\"" + t.String("mac") + "\" is not a MAC address");
    VfChange c = base();
    c.mac = *mac;
    apply("mac", c);
  }
  if (t.Has("vlan") || t.Has("qos") || t.Has("proto")) {
    VfChange c = base();
    c.vlan = VfChange::Vlan{static_cast<uint32_t>(t.Uint("vlan", 0xffffffff, 0)),
                            static_cast<uint32_t>(t.Uint("qos", 0xffffffff, 0)), kEthP8021Q};
    std::string proto = t.String("proto", "802.1Q");
    if (proto == "802.1ad")
      c.vlan->proto = kEthP8021AD;
    else if (proto != "802.1Q")
      t.Fail("proto", "must be 802.1Q or 802.1ad");
    apply(t.Has("vlan") ? "vlan" : "qos", c);
  }
  if (t.Has("min_tx_rate") || t.Has("max_tx_rate")) {
    VfChange c = base();
    c.rate =
        VfChange::Rate{static_cast<uint32_t>(t.Uint("min_tx_rate", 0xffffffff, cfg.min_tx_rate)),
                       static_cast<uint32_t>(t.Uint("max_tx_rate", 0xffffffff, cfg.max_tx_rate))};
    apply(t.Has("max_tx_rate") ? "max_tx_rate" : "min_tx_rate", c);
  }
  if (t.Has("spoofchk")) {
    VfChange c = base();
    c.spoofchk = t.Bool("spoofchk");
    apply("spoofchk", c);
  }
  if (t.Has("state")) {
    std::string s = t.String("state");
    VfChange c = base();
    c.link_state = s == "auto" ? 0u : s == "enable" ? 1u : s == "disable" ? 2u : 3u;
    if (*c.link_state == 3) t.Fail("state", "must be auto, enable or disable");
    apply("state", c);
  }
  if (t.Has("query_rss")) {
    VfChange c = base();
    c.rss_query_en = t.Bool("query_rss");
    apply("query_rss", c);
  }
  if (t.Has("trust")) {
    VfChange c = base();
    c.trust = t.Bool("trust");
    apply("trust", c);
  }
  if (int(t.Has("consumer")) + int(t.Has("vhost_user")) + int(t.Has("tap")) > 1)
    t.Fail(t.Has("tap") ? "tap" : "vhost_user",
           "a VF has one consumer: give one of consumer, vhost_user or tap");
  if (t.Has("tap")) {
    // The host kernel as the VF's driver: a TAP netdev, by default named as Linux names
    // the VF's netdev. Assigned now so viability is checked with the file's line.
    std::string name = t.String("tap");
    if (name.empty()) name = Card::VfNetdevName(port, index);
    if (name.size() >= 16) t.Fail("tap", "\"" + name + "\" is longer than an interface name (15)");
    VfAttachment how = VfAttachment::Tap(name);
    Status st = card.AssignVf(port, index, how.Consumer());
    if (!st.ok()) t.Fail("tap", st.message());
    port.attachments[index] = how;
  }
  if (t.Has("consumer")) {
    Status st = card.AssignVf(port, index, t.String("consumer"));
    if (!st.ok()) t.Fail("consumer", st.message());
  }
  if (t.Has("vhost_user")) {
    VfAttachment how{t.String("vhost_user"), true};
    std::string mode = t.String("vhost_user_mode", "server");
    if (mode != "server" && mode != "client") t.Fail("vhost_user_mode", "must be server or client");
    how.server = mode == "server";
    if (how.path.empty()) t.Fail("vhost_user", "needs a socket path");
    // Assigned now so viability is checked here, with the file's line; the daemon opens
    // the socket when it starts.
    Status st = card.AssignVf(port, index, "vhost-user:" + how.path);
    if (!st.ok()) t.Fail("vhost_user", st.message());
    port.attachments[index] = how;
  }
}

// [[adapter.port.fdb]]: a static entry of the PF's switch, as `softvf fdb add` makes one.
void ReadFdbEntry(const TomlTable& t, Port& port) {
  t.AllowOnly({"mac", "vf", "port", "vlan", "proto"});
  const PhysicalFunction& pf = *port.pf;
  StaticFdbEntry e;
  auto mac = MacAddress::Parse(t.String("mac"));
  if (!mac) t.Fail("mac", "\"" + t.String("mac") + "\" is not a MAC address");
  if (mac->is_multicast())
    t.Fail("mac", mac->ToString() + " is a multicast address (the FDB holds unicast)");
  e.mac = *mac;
  if (t.Has("vf") == t.Has("port"))
    t.Fail(t.Has("vf") ? "port" : "vf", "give exactly one of vf or port");
  if (t.Has("vf")) {
    e.vf = static_cast<uint16_t>(t.Uint("vf", 0xffff));
    if (e.vf >= pf.host().num_vfs)
      t.Fail("vf", "VF " + std::to_string(e.vf) + " does not exist (numvfs is " +
                       std::to_string(pf.host().num_vfs) + ")");
  } else {
    std::string p = t.String("port");
    if (p == "uplink")
      e.target = StaticFdbEntry::Target::kUplink;
    else if (p == "pf")
      e.target = StaticFdbEntry::Target::kPf;
    else
      t.Fail("port", "must be \"uplink\" or \"pf\"");
  }
  if (t.Has("vlan")) {
    e.vlan = static_cast<uint16_t>(t.Uint("vlan", 4094));
    if (e.vlan == 0) t.Fail("vlan", "must be 1..4094 (leave it out for untagged)");
  }
  if (t.Has("proto")) {
    std::string proto = t.String("proto");
    if (proto == "802.1ad")
      e.vlan_proto = kEthP8021AD;
    else if (proto != "802.1Q")
      t.Fail("proto", "must be 802.1Q or 802.1ad");
    if (!t.Has("vlan")) t.Fail("proto", "needs vlan");
  }
  for (const StaticFdbEntry& other : port.static_fdb)
    if (other.SameKey(e))
      t.Fail("mac", e.mac.ToString() + " is already in this port's fdb for that VLAN");
  if (port.static_fdb.size() >= pf.profile().mac_filters)
    t.Fail("mac",
           "the fdb holds " + std::to_string(pf.profile().mac_filters) + " entries (mac_filters)");
  port.static_fdb.push_back(e);
}

// uplink = { type = "none" | "tap" | "af_packet" | "udp", interface = ..., local = ...,
// remote = ... }: the PF's wire. Opened when the daemon starts.
void ReadUplink(const TomlTable& t, Port& port) {
  t.AllowOnly({"type", "interface", "local", "remote"});
  UplinkConfig u;
  std::string type = t.String("type");
  if (type == "tap")
    u.kind = UplinkConfig::Kind::kTap;
  else if (type == "af_packet")
    u.kind = UplinkConfig::Kind::kAfPacket;
  else if (type == "udp")
    u.kind = UplinkConfig::Kind::kUdp;
  else if (type != "none")
    t.Fail("type", "must be none, tap, af_packet or udp");
  const bool needs_if =
      u.kind == UplinkConfig::Kind::kTap || u.kind == UplinkConfig::Kind::kAfPacket;
  if (needs_if) {
    u.interface = t.String("interface");
    if (u.interface.empty() || u.interface.size() >= 16)
      t.Fail("interface", "must be an interface name of 1..15 characters");
  } else if (t.Has("interface")) {
    t.Fail("interface", "only a tap or af_packet uplink has an interface");
  }
  if (u.kind == UplinkConfig::Kind::kUdp) {
    u.local = t.String("local");
    u.remote = t.String("remote");
  } else {
    for (const char* key : {"local", "remote"})
      if (t.Has(key)) t.Fail(key, "only a udp uplink has local and remote addresses");
  }
  port.uplink = u;
}

void ReadPort(const TomlTable& t, Card& card, Port& port) {
  PhysicalFunction& pf = *port.pf;
  if (t.Has("driver")) {
    pf.host().driver = t.String("driver");
    // sriov_totalvfs is TotalVFs unless the bound driver lowers it with
    // pci_sriov_set_totalvfs (only the profile's own driver does); Linux resets it to
    // TotalVFs when a driver unbinds (pci_iov_remove).
    if (pf.host().is_physfn) {
      pf.host().driver_max_vfs = pf.sriov().total_vfs();
      const DriverSpec& d = pf.profile().driver;
      if (d.max_vfs && pf.host().driver == d.name) (void)pf.SetDriverTotalVfs(d.max_vfs);
    }
  }
  if (t.Has("drivers_autoprobe")) pf.host().drivers_autoprobe = t.Bool("drivers_autoprobe");
  if (t.Has("numvfs")) {
    uint64_t n = t.Uint("numvfs", 0xffff);
    Status st = SysfsWrite(pf, "sriov_numvfs", std::to_string(n));
    if (!st.ok()) {
      std::string why = st.errno_text();
      if (st.errnum() == ERANGE)
        why += " (sriov_totalvfs is " + std::to_string(pf.host().driver_max_vfs) + ")";
      else if (st.message() != st.errno_text())
        why += " (" + st.message() + ")";
      t.Fail("numvfs", why);
    }
  }
  if (auto u = t.Table("uplink")) ReadUplink(*u, port);
  if (t.Has("host_netdev")) port.host_netdev = t.Bool("host_netdev");
  if (t.Has("host_vlan")) {
    port.host_vlan = static_cast<uint16_t>(t.Uint("host_vlan", 4094));
    if (port.host_vlan == 0) t.Fail("host_vlan", "must be 1..4094 (leave it out for a trunk)");
    if (!port.host_netdev) t.Fail("host_vlan", "needs host_netdev = true");
  }
  for (const TomlTable& vf : t.Tables("vf")) ApplyVf(vf, card, port);
  for (const TomlTable& e : t.Tables("fdb")) ReadFdbEntry(e, port);
}

void ReadAdapter(const TomlTable& t, Card& card, const std::string& base) {
  t.AllowOnly({"profile", "profile_file", "slot", "ports", "mmio_base", "port"});
  std::string source;
  auto profile = ReadAdapterProfile(t, base, source);
  Bdf slot = ReadBdf(t, "slot", true);
  int ports = static_cast<int>(t.Uint("ports", 8, profile->ports));
  if (ports == 0) t.Fail("ports", "an adapter has at least one port");
  uint64_t mmio = t.Uint("mmio_base", 0xffffffffffffull,
                         0x80000000ull + 0x10000000ull * card.adapters().size());
  std::vector<TomlTable> port_tables = t.Tables("port");
  std::vector<PortSpec> specs(ports);
  std::vector<const TomlTable*> by_function(ports, nullptr);
  for (const TomlTable& p : port_tables) {
    p.AllowOnly({"function", "name", "mac", "mtu", "driver", "drivers_autoprobe", "numvfs", "vf",
                 "fdb", "uplink", "host_netdev", "host_vlan"});
    uint64_t fn = p.Uint("function", 7);
    if (fn >= static_cast<uint64_t>(ports))
      p.Fail("function", "the adapter has " + std::to_string(ports) + " ports (functions 0.." +
                             std::to_string(ports - 1) + ")");
    if (by_function[fn]) p.Fail("function", "port " + std::to_string(fn) + " is listed twice");
    by_function[fn] = &p;
    specs[fn].name = p.String("name", "");
    if (p.Has("mac")) {
      auto mac = MacAddress::Parse(p.String("mac"));
      if (!mac || mac->is_multicast() || mac->is_zero())
        p.Fail("mac", "\"" + p.String("mac") + "\" is not a unicast MAC address");
      specs[fn].mac = *mac;
    }
    specs[fn].mtu = static_cast<uint32_t>(p.Uint("mtu", 9702, 1500));
    if (specs[fn].mtu < 68) p.Fail("mtu", "must be at least 68");
  }
  Status st = card.AddAdapter(profile, source, slot, ports, mmio, specs);
  if (!st.ok()) t.Fail("slot", st.message());
  Adapter& adapter = card.adapters().back();
  for (int fn = 0; fn < ports; ++fn)
    if (by_function[fn]) ReadPort(*by_function[fn], card, adapter.ports[fn]);
}

}  // namespace

Result<std::unique_ptr<Card>> LoadCardText(const std::string& text, const std::string& file,
                                           const std::string& base_dir) {
  try {
    toml::table doc = ParseToml(text, file);
    TomlTable root(doc, file, "");
    root.AllowOnly({"host", "bridge", "adapter"});
    unsigned page_shift = 12;
    if (auto host = root.Table("host")) {
      host->AllowOnly({"page_size"});
      uint64_t page = host->Uint("page_size", uint64_t{1} << 30, 4096);
      if (page < 4096 || (page & (page - 1)))
        host->Fail("page_size", "must be a power of two >= 4096");
      page_shift = static_cast<unsigned>(__builtin_ctzll(page));
    }
    auto card = std::make_unique<Card>(page_shift);
    for (const TomlTable& b : root.Tables("bridge")) ReadBridge(b, *card);
    std::vector<TomlTable> adapters = root.Tables("adapter");
    if (adapters.empty()) root.Fail("adapter", "no [[adapter]]: a card needs at least one");
    for (const TomlTable& a : adapters) ReadAdapter(a, *card, base_dir);
    return card;
  } catch (const LoadError& e) {
    return Status::Errno(EINVAL, e.what());
  }
}

Result<std::unique_ptr<Card>> LoadCardFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::Errno(ENOENT, path + ": cannot open configuration file");
  std::stringstream ss;
  ss << in.rdbuf();
  size_t slash = path.rfind('/');
  return LoadCardText(ss.str(), path, slash == std::string::npos ? "." : path.substr(0, slash));
}

Result<std::unique_ptr<Card>> LoadExampleCard() {
  return LoadCardText(std::string(EmbeddedExampleCard()), "<built-in examples/i350.toml>", "");
}

// ------------------------------------------------------------------------------ saving

namespace {

std::string Hex(uint64_t v, int width = 0) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%0*llx", width, static_cast<unsigned long long>(v));
  return buf;
}

std::string Quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

const char* BridgeType(pci::PcieType t) {
  switch (t) {
    case pci::PcieType::kUpstreamPort:
      return "switch_upstream";
    case pci::PcieType::kDownstreamPort:
      return "switch_downstream";
    default:
      return "root_port";
  }
}

void SaveVf(std::ostringstream& o, const Port& port, const VirtualFunction& vf) {
  const VfConfig& c = vf.settings();
  const VfConfig d = DefaultVfConfig(port.pf->profile().driver);
  auto att = port.attachments.find(vf.index());
  bool vhost = att != port.attachments.end();  // any attachment: vhost-user or tap
  bool consumer = vf.binding() == Binding::kConsumer && !vhost;
  if (c == d && !consumer && !vhost) return;
  o << "\n[[adapter.port.vf]]\nindex = " << vf.index() << "\n";
  if (c.mac != d.mac) o << "mac = " << Quote(c.mac.ToString()) << "\n";
  if (c.vlan != d.vlan || c.qos != d.qos || c.vlan_proto != d.vlan_proto) {
    o << "vlan = " << c.vlan << "\n";
    if (c.qos) o << "qos = " << unsigned{c.qos} << "\n";
    if (c.vlan_proto == kEthP8021AD) o << "proto = \"802.1ad\"\n";
  }
  if (c.min_tx_rate != d.min_tx_rate) o << "min_tx_rate = " << c.min_tx_rate << "\n";
  if (c.max_tx_rate != d.max_tx_rate) o << "max_tx_rate = " << c.max_tx_rate << "\n";
  if (c.spoofchk != d.spoofchk) o << "spoofchk = " << (c.spoofchk ? "true" : "false") << "\n";
  if (c.link_state != d.link_state)
    o << "state = "
      << (c.link_state == LinkState::kEnable    ? "\"enable\""
          : c.link_state == LinkState::kDisable ? "\"disable\""
                                                : "\"auto\"")
      << "\n";
  if (c.rss_query_en != d.rss_query_en)
    o << "query_rss = " << (c.rss_query_en ? "true" : "false") << "\n";
  if (c.trust != d.trust) o << "trust = " << (c.trust ? "true" : "false") << "\n";
  if (consumer) o << "consumer = " << Quote(vf.consumer()) << "\n";
  if (vhost && att->second.kind == VfAttachment::Kind::kTap) {
    o << "tap = " << Quote(att->second.ifname) << "\n";
  } else if (vhost) {
    o << "vhost_user = " << Quote(att->second.path) << "\n";
    if (!att->second.server) o << "vhost_user_mode = \"client\"\n";
  }
}

void SaveUplink(std::ostringstream& o, const UplinkConfig& u) {
  switch (u.kind) {
    case UplinkConfig::Kind::kNone:
      return;
    case UplinkConfig::Kind::kTap:
    case UplinkConfig::Kind::kAfPacket:
      o << "uplink = { type = \"" << (u.kind == UplinkConfig::Kind::kTap ? "tap" : "af_packet")
        << "\", interface = " << Quote(u.interface) << " }\n";
      return;
    case UplinkConfig::Kind::kUdp:
      o << "uplink = { type = \"udp\", local = " << Quote(u.local)
        << ", remote = " << Quote(u.remote) << " }\n";
      return;
  }
}

}  // namespace

std::string SaveCardText(const Card& card) {
  std::ostringstream o;
  o << "# softvf card configuration, saved from the running daemon.\n";
  o << "\n[host]\npage_size = " << (1u << card.host_page_shift()) << "\n";
  for (const PciBridge& b : card.topology().bridges()) {
    const BridgeSpec& s = b.spec();
    o << "\n[[bridge]]\nbdf = " << Quote(s.bdf.ToString()) << "\ntype = \"" << BridgeType(s.type)
      << "\"\nsecondary_bus = " << Hex(s.secondary_bus, 2)
      << "\nsubordinate_bus = " << Hex(s.subordinate_bus, 2)
      << "\nacs = " << (s.acs ? "true" : "false")
      << "\nari_forwarding = " << (s.ari_forwarding ? "true" : "false")
      << "\nmultifunction = " << (s.multifunction ? "true" : "false")
      << "\nvendor_id = " << Hex(s.vendor_id, 4) << "\ndevice_id = " << Hex(s.device_id, 4) << "\n";
  }
  for (const Adapter& a : card.adapters()) {
    // A built-in profile is saved by name, anything else as the file it came from.
    const std::vector<std::string> builtins = BuiltinProfileNames();
    bool builtin = std::find(builtins.begin(), builtins.end(), a.profile_source) != builtins.end();
    o << "\n[[adapter]]\n"
      << (builtin ? "profile = " : "profile_file = ") << Quote(a.profile_source) << "\nslot = \""
      << a.slot.ToString().substr(0, 10) << "\"\nports = " << a.ports.size()
      << "\nmmio_base = " << Hex(a.mmio_base) << "\n";
    for (const Port& p : a.ports) {
      const PhysicalFunction& pf = *p.pf;
      o << "\n[[adapter.port]]\nfunction = " << unsigned{pf.bdf().function()}
        << "\nname = " << Quote(p.netdev) << "\nmac = " << Quote(p.mac.ToString())
        << "\nmtu = " << p.mtu << "\n";
      if (pf.host().driver != pf.profile().driver.name)
        o << "driver = " << Quote(pf.host().driver) << "\n";
      if (!pf.host().drivers_autoprobe) o << "drivers_autoprobe = false\n";
      SaveUplink(o, p.uplink);
      if (p.host_netdev) o << "host_netdev = true\n";
      if (p.host_vlan) o << "host_vlan = " << p.host_vlan << "\n";
      if (pf.host().num_vfs) o << "numvfs = " << pf.host().num_vfs << "\n";
      for (uint16_t i = 0; i < pf.host().num_vfs; ++i) SaveVf(o, p, pf.vfs()[i]);
      for (const StaticFdbEntry& e : p.static_fdb) {
        o << "\n[[adapter.port.fdb]]\nmac = " << Quote(e.mac.ToString()) << "\n";
        if (e.target == StaticFdbEntry::Target::kVf)
          o << "vf = " << e.vf << "\n";
        else
          o << "port = " << (e.target == StaticFdbEntry::Target::kUplink ? "\"uplink\"" : "\"pf\"")
            << "\n";
        if (e.vlan) {
          o << "vlan = " << e.vlan << "\n";
          if (e.vlan_proto == kEthP8021AD) o << "proto = \"802.1ad\"\n";
        }
      }
    }
  }
  return o.str();
}

}  // namespace softvf::config
