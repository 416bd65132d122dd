// Dataplane: the running data path of the card — one Worker per PF with attached VFs,
// started on the first attach. The control plane (daemon thread) changes it only through
// the worker's Call(), which runs between bursts.
#pragma once

#include <map>
#include <memory>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "card/card.h"
#include "common/status.h"
#include "datapath/worker.h"

namespace softvf {

class Dataplane {
 public:
  explicit Dataplane(Card& card) : card_(card) {}
  ~Dataplane();

  // Assigns VF `vf` of `port` to a vhost-user consumer (IOMMU-group viability applies),
  // opens its socket and hands it to the PF's worker.
  Status Attach(Port& port, uint16_t vf, const VhostUserAttachment& how);
  Status Detach(Port& port, uint16_t vf);
  // Every attachment recorded on the card (from the configuration file) is attached.
  Status AttachConfigured();
  // VF settings or VF count changed: the worker gets a new policy snapshot.
  void PolicyChanged(const Port& port);
  nlohmann::json Stats(const Port& port);

 private:
  Worker* WorkerFor(const Port& port, bool create);
  std::shared_ptr<const eswitch::PolicyTable> Policies(const Port& port) const;

  Card& card_;
  std::map<const Port*, std::unique_ptr<Worker>> workers_;
};

}  // namespace softvf
