// LinkMonitor: the link state of one host interface (admin up, carrier, MTU), kept current
// from the kernel's rtnetlink notifications (RTM_NEWLINK / RTM_DELLINK on RTMGRP_LINK) so
// that reading it costs nothing: the data path reads state(), and only when fd() is
// readable does it call Poll() to drain what the kernel said.
//
// The flags mean what `ip link` shows (net/core/dev.c dev_get_flags): IFF_UP is the
// administrative state (`ip link set dev X up`), IFF_LOWER_UP the carrier (NO-CARRIER
// when clear: a veth whose peer is down, a TAP with TUNSETCARRIER off, a cable pulled).
//
// If the socket's queue overflows (ENOBUFS) or a message does not fit the buffer, events
// are lost: Poll() then drains the queue and asks the kernel for the interface again
// (RTM_GETLINK), counting a resync. The interface is followed by ifindex; once deleted (present
// false) it stays gone even if an interface of the same name comes back — the owner reopens.
#pragma once

#include <cstdint>
#include <memory>

#include "common/status.h"
#include "netdev/unique_fd.h"

struct nlmsghdr;

namespace softvf::netdev {

struct LinkState {
  bool present = false;   // the interface exists
  bool admin_up = false;  // IFF_UP
  bool carrier = false;   // IFF_LOWER_UP
  uint32_t mtu = 0;

  // Frames can pass: the interface exists, is up and has carrier.
  bool up() const { return present && admin_up && carrier; }
  friend bool operator==(const LinkState&, const LinkState&) = default;
};

class LinkMonitor {
 public:
  // Subscribes to link notifications, then reads the interface's current state (waiting
  // at most a second for the kernel's answer). ENODEV when there is no such ifindex.
  static Result<std::unique_ptr<LinkMonitor>> Open(int ifindex);
  ~LinkMonitor();
  LinkMonitor(const LinkMonitor&) = delete;
  LinkMonitor& operator=(const LinkMonitor&) = delete;

  int ifindex() const { return ifindex_; }
  // Readable when the kernel has said something (about any interface: the filter is ours).
  int fd() const { return fd_.get(); }
  const LinkState& state() const { return state_; }

  // Drains every pending notification without blocking; true when state() changed.
  // No allocation: messages land in a buffer allocated at Open.
  bool Poll();

  uint64_t events() const { return events_; }    // messages about this interface
  uint64_t resyncs() const { return resyncs_; }  // times notifications were lost

 private:
  LinkMonitor(UniqueFd fd, int ifindex);
  bool RequestLink();  // sends RTM_GETLINK for ifindex_
  void Drain();
  void Apply(const nlmsghdr& msg);

  UniqueFd fd_;
  int ifindex_;
  LinkState state_;
  uint32_t seq_ = 0;
  bool answered_ = false;  // the last RTM_GETLINK got its reply
  int answer_error_ = 0;   // its NLMSG_ERROR, if any
  uint64_t events_ = 0;
  uint64_t resyncs_ = 0;
  std::unique_ptr<uint8_t[]> buffer_;
};

}  // namespace softvf::netdev
