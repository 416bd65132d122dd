#include "daemon/dataplane.h"

#include <cerrno>
#include <nlohmann/json.hpp>

#include "daemon/netdevs.h"
#include "eswitch/counters.h"
#include "eswitch/policy.h"

namespace softvf {

Dataplane::~Dataplane() {
  for (auto& [port, worker] : workers_) worker->Stop();
}

std::shared_ptr<const eswitch::PolicyTable> Dataplane::Policies(const Port& port) const {
  std::vector<VfConfig> vfs;
  for (const VirtualFunction& vf : port.pf->vfs()) vfs.push_back(vf.settings());
  // No wire yet (issue 4): the uplink's carrier counts as up, so link-state auto is up.
  auto table = eswitch::PolicyTable::ForPf(true, true, vfs, port.pf->host().num_vfs);
  return table.ok() ? *table : nullptr;
}

Worker* Dataplane::WorkerFor(const Port& port, bool create) {
  auto it = workers_.find(&port);
  if (it != workers_.end()) return it->second.get();
  if (!create) return nullptr;
  auto policies = Policies(port);
  if (!policies) return nullptr;
  eswitch::Veb::Options options;
  options.fdb_capacity = port.pf->profile().mac_filters;
  auto worker = std::make_unique<Worker>(policies, options);
  worker->Start();
  return (workers_[&port] = std::move(worker)).get();
}

Status Dataplane::Attach(Port& port, uint16_t vf, const VhostUserAttachment& how) {
  PhysicalFunction& pf = *port.pf;
  if (vf >= pf.host().num_vfs)
    return Status::Errno(ENODEV, port.netdev + " has no VF " + std::to_string(vf) + " (numvfs is " +
                                     std::to_string(pf.host().num_vfs) + ")");
  if (port.attachments.count(vf))
    return Status::Errno(EBUSY, "VF " + std::to_string(vf) + " is already attached to " +
                                    port.attachments[vf].path);
  SOFTVF_RETURN_IF_ERROR(card_.AssignVf(port, vf, "vhost-user:" + how.path));
  const DeviceProfile& profile = pf.profile();
  vhost_user::BackendOptions options;
  options.queue_pairs = std::min<int>(profile.queues_per_vf, vhost_user::kMaxQueuePairs);
  options.mac = VfNetdevs::NetdevMac(port, vf, 0);
  options.mtu = static_cast<uint16_t>(port.mtu);
  auto vp = std::make_unique<VfPort>(how.path, how.server ? vhost_user::Mode::kServer
                                                          : vhost_user::Mode::kClient, options);
  Status st = vp->Open();
  Worker* worker = st.ok() ? WorkerFor(port, true) : nullptr;
  if (st.ok() && !worker) st = Status::Errno(EINVAL, "no switch for " + port.netdev);
  if (st.ok()) worker->Call([&](Worker& w) { st = w.Attach(vf, std::move(vp)); });
  if (!st.ok()) {
    card_.ReleaseVf(port, vf);
    return st;
  }
  port.attachments[vf] = how;
  PolicyChanged(port);
  return Status::Ok();
}

Status Dataplane::Detach(Port& port, uint16_t vf) {
  if (!port.attachments.count(vf))
    return Status::Errno(ENODEV, "VF " + std::to_string(vf) + " of " + port.netdev + " is not attached");
  if (Worker* w = WorkerFor(port, false)) w->Call([vf](Worker& wk) { wk.Detach(vf); });
  port.attachments.erase(vf);
  return card_.ReleaseVf(port, vf);
}

Status Dataplane::AttachConfigured() {
  for (Adapter& a : card_.adapters())
    for (Port& p : a.ports) {
      std::map<uint16_t, VhostUserAttachment> wanted;
      wanted.swap(p.attachments);
      for (auto& [vf, how] : wanted) {
        // The configuration assigned the VF already (viability checked at load).
        card_.ReleaseVf(p, vf);
        Status st = Attach(p, vf, how);
        if (!st.ok())
          return Status::Errno(st.errnum(), p.netdev + " vf " + std::to_string(vf) + ": " + st.message());
      }
    }
  return Status::Ok();
}

void Dataplane::PolicyChanged(const Port& port) {
  Worker* w = WorkerFor(port, false);
  if (!w) return;
  auto policies = Policies(port);
  if (!policies) return;
  w->Call([&](Worker& wk) { (void)wk.veb().SetPolicies(policies, MonotonicNs()); });
}

nlohmann::json Dataplane::Stats(const Port& port) {
  nlohmann::json out = nlohmann::json::array();
  Worker* w = WorkerFor(port, false);
  uint16_t n = port.pf->host().num_vfs;
  auto fill = [&](Worker* wk) {
    for (uint16_t vf = 0; vf < n; ++vf) {
      nlohmann::json s;
      s["vf"] = vf;
      nlohmann::json c = nlohmann::json::object();
      if (wk) {
        eswitch::VisitCounters(wk->veb().counters(eswitch::PortId::Vf(vf)),
                               [&](const char* name, uint64_t v) { c[name] = v; });
        if (VfPort* p = wk->port(vf)) {
          const VfPortStats& ps = p->stats();
          c["vhost_connected"] = p->connected() ? 1 : 0;
          c["vhost_connects"] = ps.connects;
          c["vhost_disconnects"] = ps.disconnects;
          c["vhost_protocol_errors"] = ps.protocol_errors;
          c["vhost_queue_errors"] = ps.queue_errors;
        }
      }
      s["counters"] = c;
      out.push_back(s);
    }
  };
  if (w) w->Call([&](Worker& wk) { fill(&wk); });
  else fill(nullptr);
  return out;
}

}  // namespace softvf
