#include "netdev/link_monitor.h"

#include <linux/if.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "netdev/interface.h"

namespace softvf::netdev {
namespace {

// Link messages without VF lists are ~1.5 KB; notifications come in bursts.
constexpr size_t kBufferLen = 64 * 1024;
constexpr int kOpenTimeoutMs = 1000;

}  // namespace

LinkMonitor::LinkMonitor(UniqueFd fd, int ifindex)
    : fd_(std::move(fd)), ifindex_(ifindex), buffer_(new uint8_t[kBufferLen]) {}

LinkMonitor::~LinkMonitor() = default;

Result<std::unique_ptr<LinkMonitor>> LinkMonitor::Open(int ifindex) {
  UniqueFd fd(::socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE));
  if (!fd.valid()) return ErrnoStatus(errno, "rtnetlink socket");
  sockaddr_nl local{};
  local.nl_family = AF_NETLINK;
  local.nl_groups = RTMGRP_LINK;  // subscribe before asking: no change falls in between
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&local), sizeof(local)) < 0)
    return ErrnoStatus(errno, "rtnetlink bind");

  std::unique_ptr<LinkMonitor> monitor(new LinkMonitor(std::move(fd), ifindex));
  if (!monitor->RequestLink()) return ErrnoStatus(errno, "rtnetlink RTM_GETLINK");
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kOpenTimeoutMs);
  while (!monitor->answered_) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0)
      return Status::Errno(ETIMEDOUT,
                           "rtnetlink: no answer about ifindex " + std::to_string(ifindex));
    pollfd p{monitor->fd(), POLLIN, 0};
    ::poll(&p, 1, static_cast<int>(left.count()));
    monitor->Poll();
  }
  if (monitor->answer_error_ != 0)
    return ErrnoStatus(monitor->answer_error_, "ifindex " + std::to_string(ifindex));
  return monitor;
}

bool LinkMonitor::RequestLink() {
  struct {
    nlmsghdr hdr;
    ifinfomsg ifi;
  } req{};
  req.hdr.nlmsg_len = sizeof(req);
  req.hdr.nlmsg_type = RTM_GETLINK;
  req.hdr.nlmsg_flags = NLM_F_REQUEST;
  req.hdr.nlmsg_seq = ++seq_;
  req.ifi.ifi_family = AF_UNSPEC;
  req.ifi.ifi_index = ifindex_;
  answered_ = false;
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  for (;;) {
    ssize_t n = ::sendto(fd_.get(), &req, sizeof(req), 0, reinterpret_cast<sockaddr*>(&kernel),
                         sizeof(kernel));
    if (n == static_cast<ssize_t>(sizeof(req))) return true;
    if (n < 0 && errno == EINTR) continue;
    return false;
  }
}

bool LinkMonitor::Poll() {
  LinkState before = state_;
  Drain();
  return !(state_ == before);
}

void LinkMonitor::Drain() {
  // After an overflow, ask again only once the queue is empty: while it is full the
  // kernel drops our answer too (and, the socket being congested, says nothing).
  bool lost = false;
  for (;;) {
    ssize_t n = ::recv(fd_.get(), buffer_.get(), kBufferLen, MSG_DONTWAIT | MSG_TRUNC);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == ENOBUFS) {  // the kernel dropped notifications
        ++resyncs_;
        lost = true;
        continue;
      }
      if (!lost) return;  // EAGAIN: drained
      lost = false;
      if (!RequestLink()) return;
      continue;  // the answer is queued by the time sendto returns
    }
    if (static_cast<size_t>(n) > kBufferLen) {  // a message was cut: same remedy
      ++resyncs_;
      lost = true;
      continue;
    }
    size_t len = static_cast<size_t>(n);
    for (auto* msg = reinterpret_cast<const nlmsghdr*>(buffer_.get()); NLMSG_OK(msg, len);
         msg = NLMSG_NEXT(msg, len)) {
      Apply(*msg);
    }
  }
}

void LinkMonitor::Apply(const nlmsghdr& msg) {
  // Notifications carry sequence number 0; the answer to RequestLink carries seq_.
  if (msg.nlmsg_type == NLMSG_ERROR) {
    if (msg.nlmsg_seq != seq_ || msg.nlmsg_len < NLMSG_LENGTH(sizeof(nlmsgerr))) return;
    const auto* err = static_cast<const nlmsgerr*>(NLMSG_DATA(&msg));
    answered_ = true;
    answer_error_ = -err->error;
    if (answer_error_ == ENODEV) state_ = LinkState{};  // deleted while we were not looking
    return;
  }
  if (msg.nlmsg_type != RTM_NEWLINK && msg.nlmsg_type != RTM_DELLINK) return;
  if (msg.nlmsg_len < NLMSG_LENGTH(sizeof(ifinfomsg))) return;
  const auto* ifi = static_cast<const ifinfomsg*>(NLMSG_DATA(&msg));
  // AF_BRIDGE messages (a port joining or leaving a bridge) carry the same ifindex but
  // do not create or delete the interface.
  if (ifi->ifi_index != ifindex_ || ifi->ifi_family != AF_UNSPEC) return;
  ++events_;
  if (msg.nlmsg_seq == seq_) {
    answered_ = true;
    answer_error_ = 0;
  }
  if (msg.nlmsg_type == RTM_DELLINK) {
    state_ = LinkState{};
    return;
  }
  LinkState s;
  s.present = true;
  s.admin_up = (ifi->ifi_flags & IFF_UP) != 0;
  s.carrier = (ifi->ifi_flags & IFF_LOWER_UP) != 0;
  s.mtu = state_.mtu;
  size_t attr_len = msg.nlmsg_len - NLMSG_LENGTH(sizeof(ifinfomsg));
  for (auto* rta = IFLA_RTA(ifi); RTA_OK(rta, attr_len); rta = RTA_NEXT(rta, attr_len)) {
    if (rta->rta_type == IFLA_MTU && RTA_PAYLOAD(rta) >= sizeof(uint32_t))
      std::memcpy(&s.mtu, RTA_DATA(rta), sizeof(uint32_t));
  }
  state_ = s;
}

}  // namespace softvf::netdev
