#include "netdev/host_port.h"

namespace softvf::netdev {

HostPort::HostPort(std::string name, UniqueFd fd, std::unique_ptr<LinkMonitor> monitor)
    : name_(std::move(name)), fd_(std::move(fd)), monitor_(std::move(monitor)) {
  if (monitor_) link_ = monitor_->state();
}

HostPort::~HostPort() = default;

bool HostPort::PollEvents() {
  if (!monitor_ || !monitor_->Poll()) return false;
  link_ = monitor_->state();
  return true;
}

bool HostPort::SendV(const iovec* iov, int iovcnt) {
  const TxFrame frame{iov, iovcnt};
  return SendBurst({&frame, 1}) == 1;
}

bool HostPort::Send(const uint8_t* frame, size_t len) {
  const iovec iov{const_cast<uint8_t*>(frame), len};
  return SendV(&iov, 1);
}

}  // namespace softvf::netdev
