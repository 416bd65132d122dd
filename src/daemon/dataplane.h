// Dataplane: the running data path of the card — one Worker per PF, started on the first
// attach or the first static FDB entry of that PF (from `softvf fdb add` or the file). The control
// plane (daemon thread) changes it only through the worker's Call(), which runs between bursts.
#pragma once

#include <map>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>

#include "card/card.h"
#include "common/status.h"
#include "datapath/worker.h"

namespace softvf {

class Dataplane {
 public:
  explicit Dataplane(Card& card) : card_(card) {}
  ~Dataplane();

  // Assigns VF `vf` of `port` to a consumer (IOMMU-group viability applies): a vhost-user
  // front end (opens its socket) or the host kernel (creates its TAP netdev), and hands it
  // to the PF's worker.
  Status Attach(Port& port, uint16_t vf, const VfAttachment& how);
  Status Detach(Port& port, uint16_t vf);
  // Every attachment recorded on the card (from the configuration file) is attached, and
  // every port's uplink and host netdev opened.
  Status AttachConfigured();
  // VF settings or VF count changed: the worker gets a new policy snapshot, and static FDB
  // entries toward VFs that went away are removed.
  void PolicyChanged(Port& port);
  nlohmann::json Stats(const Port& port);
  // The uplink's or PF host port's switch and socket counters: {"name", "kind",
  // "counters"}; null when that port has no host object.
  nlohmann::json HostPortStats(const Port& port, eswitch::PortId id);
  // The switch counters of the PF's own host port (name -> value; {} when no switch runs).
  nlohmann::json PfHostCounters(const Port& port);

  // The PF switch's FDB, like `bridge fdb add|replace|del|show`. Add starts the PF's worker
  // if nothing runs it yet; static entries are recorded on the port (saved by `softvf
  // save`, re-applied whenever the worker starts). Errors carry the errno bridge(8)
  // reports: EEXIST, ENOSPC (table full), ENOENT (del of an absent entry), EINVAL (bad
  // VLAN, multicast MAC), ENODEV (no such VF).
  Status FdbAdd(Port& port, const StaticFdbEntry& entry, bool replace);
  // With `match_target`, only an entry pointing at key's target is deleted (as `bridge fdb
  // del MAC dev PORT` deletes only that port's entry).
  Status FdbDel(Port& port, const StaticFdbEntry& key, bool match_target);
  // {"dev", "capacity", "used", "static", "learned", "aging_time", "stats": {...},
  //  "entries": [{"mac", "vlan", ["vlan_protocol"], "port", ["vf"], "state", ["age"]}]}
  // with entries sorted by port, VLAN and MAC.
  nlohmann::json FdbShow(const Port& port);

 private:
  Worker* WorkerFor(const Port& port, bool create);
  // Static entries toward VFs that no longer exist (numvfs lowered) go with them.
  void PruneStaticFdb(Port& port);
  static std::vector<VfConfig> VfConfigs(const Port& port);
  Status AttachVhostUser(Port& port, uint16_t vf, const VfAttachment& how);
  Status AttachTap(Port& port, uint16_t vf, const std::string& ifname);
  Status AttachHostPort(Port& port, eswitch::PortId id, std::unique_ptr<netdev::HostPort> host);
  static Result<std::unique_ptr<netdev::HostPort>> OpenUplink(const Port& port);
  Status StartHostPorts(Port& port);

  Card& card_;
  std::map<const Port*, std::unique_ptr<Worker>> workers_;
};

}  // namespace softvf
