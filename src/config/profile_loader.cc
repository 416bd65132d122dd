#include "config/profile_loader.h"

#include <cerrno>
#include <fstream>
#include <sstream>

#include "config/embedded.h"
#include "config/toml_reader.h"

namespace softvf::config {

namespace {

BarSpec ReadBar(const TomlTable& t, bool vf) {
  t.AllowOnly({"index", "size", "type", "prefetchable"});
  BarSpec bar;
  bar.index = static_cast<int>(t.Uint("index", 5));
  bar.size = t.Uint("size", uint64_t{1} << 40);
  if (bar.size == 0 || (bar.size & (bar.size - 1))) t.Fail("size", "must be a power of two");
  std::string type = t.String("type", "mem32");
  if (type == "mem64")
    bar.is_64bit = true;
  else if (type == "io" && !vf)
    bar.is_io = true;
  else if (type != "mem32")
    t.Fail("type",
           vf ? "must be mem32 or mem64 (VFs have no I/O space)" : "must be mem32, mem64 or io");
  if (bar.is_64bit && bar.index == 5) t.Fail("index", "a 64-bit BAR cannot start in slot 5");
  bar.prefetchable = t.Bool("prefetchable", false);
  if (bar.size < 16 && !bar.is_io) t.Fail("size", "memory BARs are at least 16 bytes");
  return bar;
}

// One function's list of BARs; no two may claim a slot (a 64-bit BAR takes two).
std::vector<BarSpec> ReadBars(const TomlTable& t, const std::string& key, bool vf) {
  std::vector<BarSpec> bars;
  uint32_t used = 0;
  for (const TomlTable& b : t.Tables(key)) {
    BarSpec bar = ReadBar(b, vf);
    uint32_t slots = (bar.is_64bit ? 3u : 1u) << bar.index;
    if (used & slots) b.Fail("index", vf ? "overlaps another VF BAR" : "overlaps another BAR");
    used |= slots;
    bars.push_back(bar);
  }
  return bars;
}

void ReadDriver(const TomlTable& t, DriverSpec& d) {
  t.AllowOnly({"name", "vf_driver", "max_vfs", "link_speed_mbps", "vf_config", "vlan_protocols",
               "rate", "min_max_tx_rate", "rate_limited_by_link", "link_state", "query_rss",
               "trust", "spoofchk", "spoofchk_default"});
  d.name = t.String("name", "");
  d.vf_driver = t.String("vf_driver", "");
  d.max_vfs = static_cast<uint16_t>(t.Uint("max_vfs", 0xffff, 0));
  d.link_speed_mbps = static_cast<uint32_t>(t.Uint("link_speed_mbps", 0xffffffff, 1000));
  d.vf_config = t.Bool("vf_config", true);
  for (const std::string& p : t.Strings("vlan_protocols")) {
    if (p == "802.1ad")
      d.vlan_8021ad = true;
    else if (p != "802.1Q")
      t.Fail("vlan_protocols", "\"" + p + "\" is not 802.1Q or 802.1ad");
  }
  std::string rate = t.String("rate", "min_max");
  if (rate == "none")
    d.rate = DriverSpec::Rate::kNone;
  else if (rate == "max")
    d.rate = DriverSpec::Rate::kMaxOnly;
  else if (rate == "min_max")
    d.rate = DriverSpec::Rate::kMinMax;
  else
    t.Fail("rate", "must be none, max or min_max");
  d.min_max_tx_rate = static_cast<uint32_t>(t.Uint("min_max_tx_rate", 0xffffffff, 0));
  d.rate_limited_by_link = t.Bool("rate_limited_by_link", false);
  d.link_state = t.Bool("link_state", true);
  d.query_rss = t.Bool("query_rss", false);
  d.trust = t.Bool("trust", true);
  d.spoofchk = t.Bool("spoofchk", true);
  d.spoofchk_default = t.Bool("spoofchk_default", true);
}

void ReadSriov(const TomlTable& t, DeviceProfile& p) {
  t.AllowOnly({"total_vfs", "initial_vfs", "first_vf_offset", "vf_stride", "ari_first_vf_offset",
               "ari_vf_stride", "port_vf_offset_step", "supported_page_sizes",
               "ari_capable_hierarchy_preserved", "vf_bar"});
  SriovSpec& s = p.sriov;
  s.total_vfs = static_cast<uint16_t>(t.Uint("total_vfs", 0xffff));
  s.initial_vfs = static_cast<uint16_t>(t.Uint("initial_vfs", 0xffff, s.total_vfs));
  s.first_vf_offset = static_cast<uint16_t>(t.Uint("first_vf_offset", 0xffff));
  s.vf_stride = static_cast<uint16_t>(t.Uint("vf_stride", 0xffff));
  s.ari_first_vf_offset =
      static_cast<uint16_t>(t.Uint("ari_first_vf_offset", 0xffff, s.first_vf_offset));
  s.ari_vf_stride = static_cast<uint16_t>(t.Uint("ari_vf_stride", 0xffff, s.vf_stride));
  s.port_vf_offset_step = static_cast<uint16_t>(t.Uint("port_vf_offset_step", 0xffff, 0));
  s.supported_page_sizes = static_cast<uint32_t>(t.Uint("supported_page_sizes", 0xffffffff, 0x553));
  s.ari_capable_hierarchy_preserved = t.Bool("ari_capable_hierarchy_preserved", false);
  s.vf_bars = ReadBars(t, "vf_bar", true);
}

void ReadCapabilities(const TomlTable& t, DeviceProfile& p) {
  t.AllowOnly({"pm", "msix", "pcie", "aer", "ari", "sriov", "acs"});
  CapabilityOffsets& c = p.caps;
  auto std_cap = [&](const char* key, uint8_t fallback) {
    uint64_t v = t.Uint(key, 0xfc, fallback);
    if (v != 0 && (v < 0x40 || v % 4)) t.Fail(key, "must be a dword offset in 0x40..0xfc");
    return static_cast<uint8_t>(v);
  };
  auto ext_cap = [&](const char* key, uint16_t fallback) {
    uint64_t v = t.Uint(key, 0xffc, fallback);
    if (v != 0 && (v < 0x100 || v % 4)) t.Fail(key, "must be a dword offset in 0x100..0xffc");
    return static_cast<uint16_t>(v);
  };
  c.pm = std_cap("pm", c.pm);
  c.msix = std_cap("msix", c.msix);
  c.pcie = std_cap("pcie", c.pcie);
  if (c.pcie == 0) t.Fail("pcie", "a PCI Express function needs its PCIe capability");
  c.aer = ext_cap("aer", c.aer);
  c.ari = ext_cap("ari", c.ari);
  c.sriov = ext_cap("sriov", c.sriov);
  if (c.sriov == 0) t.Fail("sriov", "an SR-IOV PF needs its SR-IOV capability");
  c.acs = ext_cap("acs", 0);
  // Extended capabilities must not overlap each other.
  struct Ext {
    const char* key;
    uint16_t at;
    uint16_t size;
  };
  const Ext ext[] = {
      {"aer", c.aer, 0x48}, {"ari", c.ari, 8}, {"acs", c.acs, 8}, {"sriov", c.sriov, 0x40}};
  // The extended capability list starts at 0x100 (PCIe Base 7.6); software stops at a
  // hole there, so some capability must sit exactly at 0x100.
  bool at_start = false;
  for (const Ext& e : ext) at_start |= e.at == 0x100;
  if (!at_start)
    t.Fail("sriov", "the extended capability list must start at 0x100 (put aer there)");
  for (const Ext& a : ext)
    for (const Ext& b : ext)
      if (&a < &b && a.at && b.at && a.at < b.at + b.size && b.at < a.at + a.size)
        t.Fail(b.key, std::string("overlaps the ") + a.key + " capability");
}

std::shared_ptr<const DeviceProfile> ReadProfile(const TomlTable& root) {
  root.AllowOnly({"device", "pcie", "capabilities", "pf_bar", "sriov", "driver"});
  auto p = std::make_shared<DeviceProfile>();
  auto dev = root.Table("device");
  if (!dev) root.Fail("device", "missing [device] table");
  dev->AllowOnly({"name",         "description",          "vendor_id",       "device_id",
                  "vf_device_id", "subsystem_vendor_id",  "subsystem_id",    "revision",
                  "class",        "vendor_name",          "device_name",     "vf_device_name",
                  "ports",        "pf_msix_vectors",      "vf_msix_vectors", "msix_bar",
                  "vf_msix_bar",  "queues_per_vf",        "mac_filters",     "vlan_filters",
                  "flr",          "mf_endpoint_acs_quirk"});
  p->name = dev->String("name");
  p->description = dev->String("description", "");
  p->vendor_id = static_cast<uint16_t>(dev->Uint("vendor_id", 0xfffe));
  p->device_id = static_cast<uint16_t>(dev->Uint("device_id", 0xffff));
  p->vf_device_id = static_cast<uint16_t>(dev->Uint("vf_device_id", 0xffff));
  p->subsystem_vendor_id = static_cast<uint16_t>(dev->Uint("subsystem_vendor_id", 0xffff, 0));
  p->subsystem_id = static_cast<uint16_t>(dev->Uint("subsystem_id", 0xffff, 0));
  p->revision = static_cast<uint8_t>(dev->Uint("revision", 0xff, 0));
  p->class_code = static_cast<uint32_t>(dev->Uint("class", 0xffffff, 0x020000));
  p->vendor_name = dev->String("vendor_name", "");
  p->device_name = dev->String("device_name", "");
  p->vf_device_name = dev->String("vf_device_name", "");
  p->ports = static_cast<int>(dev->Uint("ports", 8, 1));
  if (p->ports == 0) dev->Fail("ports", "an adapter has at least one port");
  p->pf_msix_vectors = static_cast<uint16_t>(dev->Uint("pf_msix_vectors", 2048, 10));
  p->vf_msix_vectors = static_cast<uint16_t>(dev->Uint("vf_msix_vectors", 2048, 3));
  if (p->pf_msix_vectors == 0 || p->vf_msix_vectors == 0)
    dev->Fail("pf_msix_vectors", "MSI-X needs at least one vector");
  p->msix_bar = static_cast<uint8_t>(dev->Uint("msix_bar", 5, 0));
  p->vf_msix_bar = static_cast<uint8_t>(dev->Uint("vf_msix_bar", 5, 0));
  p->queues_per_vf = static_cast<uint16_t>(dev->Uint("queues_per_vf", 256, 1));
  p->mac_filters = static_cast<uint32_t>(dev->Uint("mac_filters", 1u << 20, 64));
  p->vlan_filters = static_cast<uint32_t>(dev->Uint("vlan_filters", 4096, 64));
  p->flr = dev->Bool("flr", true);
  p->mf_endpoint_acs_quirk = dev->Bool("mf_endpoint_acs_quirk", false);
  if (auto pcie = root.Table("pcie")) {
    pcie->AllowOnly({"link_speed", "link_width"});
    p->link.max_speed = static_cast<uint8_t>(pcie->Uint("link_speed", 6, 2));
    p->link.max_width = static_cast<uint8_t>(pcie->Uint("link_width", 32, 4));
  }
  if (auto caps = root.Table("capabilities")) ReadCapabilities(*caps, *p);
  p->pf_bars = ReadBars(root, "pf_bar", false);
  auto sriov = root.Table("sriov");
  if (!sriov) root.Fail("sriov", "missing [sriov] table");
  ReadSriov(*sriov, *p);
  if (auto drv = root.Table("driver")) ReadDriver(*drv, p->driver);
  if (p->driver.max_vfs > p->sriov.total_vfs)
    root.Fail("driver", "max_vfs exceeds sriov.total_vfs");
  return p;
}

}  // namespace

Result<std::shared_ptr<const DeviceProfile>> LoadProfileText(const std::string& text,
                                                             const std::string& file) {
  try {
    toml::table doc = ParseToml(text, file);
    return ReadProfile(TomlTable(doc, file, ""));
  } catch (const LoadError& e) {
    return Status::Errno(EINVAL, e.what());
  }
}

Result<std::shared_ptr<const DeviceProfile>> LoadProfileFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::Errno(ENOENT, path + ": cannot open profile file");
  std::stringstream ss;
  ss << in.rdbuf();
  return LoadProfileText(ss.str(), path);
}

Result<std::shared_ptr<const DeviceProfile>> BuiltinProfile(const std::string& name) {
  for (const EmbeddedFile& f : EmbeddedProfiles())
    if (f.name == name) return LoadProfileText(std::string(f.text), "<built-in " + name + ">");
  std::string known;
  for (const std::string& n : BuiltinProfileNames()) known += (known.empty() ? "" : ", ") + n;
  return Status::Errno(ENOENT, "no built-in profile \"" + name + "\" (built-in: " + known + ")");
}

std::vector<std::string> BuiltinProfileNames() {
  std::vector<std::string> names;
  for (const EmbeddedFile& f : EmbeddedProfiles()) names.emplace_back(f.name);
  return names;
}

}  // namespace softvf::config
