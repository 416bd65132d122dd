#include "netdev/packet_port.h"

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <net/if_arp.h>

#include <cerrno>
#include <cstring>

#include "netdev/interface.h"
#include "netdev/socket_burst.h"
#include "netdev/wire_frame.h"

namespace softvf::netdev {
namespace {

constexpr uint32_t kEthHeaderLen = 14;

Status SetOption(int fd, int level, int name, int value, std::string_view what) {
  if (::setsockopt(fd, level, name, &value, sizeof(value)) < 0) return ErrnoStatus(errno, what);
  return Status::Ok();
}

}  // namespace

PacketPort::PacketPort(std::string name, UniqueFd fd, std::unique_ptr<LinkMonitor> monitor,
                       int ifindex)
    : HostPort(std::move(name), std::move(fd), std::move(monitor)), ifindex_(ifindex) {
  for (size_t i = 0; i < kMaxBurst; ++i) {
    rx_iov_[i][0] = {&rx_vnet_[i], sizeof(PacketVnetHeader)};
    msghdr& rx = rx_msgs_[i].msg_hdr;
    rx.msg_iov = rx_iov_[i].data();
    rx.msg_iovlen = 2;
    rx.msg_control = rx_control_[i].bytes;
    tx_iov_[i][0] = {const_cast<PacketVnetHeader*>(&tx_vnet_), sizeof(PacketVnetHeader)};
    tx_msgs_[i].msg_hdr.msg_iov = tx_iov_[i].data();
  }
}

PacketPort::~PacketPort() = default;

Result<std::unique_ptr<PacketPort>> PacketPort::Open(const PacketPortConfig& config) {
  const std::string& name = config.interface;
  auto info = QueryInterface(name);
  if (!info.ok()) return info.status();
  if (info->hw_type != ARPHRD_ETHER)
    return Status::Errno(EINVAL, name + ": not an Ethernet interface");

  // Protocol 0 until bind: no frame of another interface slips in meanwhile.
  UniqueFd fd(::socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return ErrnoStatus(errno, "af_packet socket");
  const int s = fd.get();
  SOFTVF_RETURN_IF_ERROR(SetOption(s, SOL_PACKET, PACKET_VNET_HDR, 1, "PACKET_VNET_HDR"));
  SOFTVF_RETURN_IF_ERROR(SetOption(s, SOL_PACKET, PACKET_AUXDATA, 1, "PACKET_AUXDATA"));
  SOFTVF_RETURN_IF_ERROR(
      SetOption(s, SOL_PACKET, PACKET_IGNORE_OUTGOING, 1, "PACKET_IGNORE_OUTGOING"));
  SOFTVF_RETURN_IF_ERROR(SetOption(s, SOL_SOCKET, SO_RXQ_OVFL, 1, "SO_RXQ_OVFL"));
  SetSocketBuffers(s, config.socket_buffer);

  sockaddr_ll addr{};
  addr.sll_family = AF_PACKET;
  addr.sll_protocol = htons(ETH_P_ALL);
  addr.sll_ifindex = info->ifindex;
  if (::bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) < 0)
    return ErrnoStatus(errno, name);
  if (config.promiscuous) {
    packet_mreq mreq{};
    mreq.mr_ifindex = info->ifindex;
    mreq.mr_type = PACKET_MR_PROMISC;
    if (::setsockopt(s, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mreq, sizeof(mreq)) < 0)
      return ErrnoStatus(errno, name + ": promiscuous mode");
  }
  auto monitor = LinkMonitor::Open(info->ifindex);
  if (!monitor.ok()) return monitor.status();
  return std::unique_ptr<PacketPort>(
      new PacketPort(name, std::move(fd), std::move(monitor).value(), info->ifindex));
}

size_t PacketPort::ReceiveBurst(std::span<RxSlot> slots) {
  const size_t want = slots.size() < kMaxBurst ? slots.size() : kMaxBurst;
  for (size_t i = 0; i < want; ++i) {
    RxSlot& slot = slots[i];
    const uint32_t room = slot.capacity > kRxHeadroom ? slot.capacity - kRxHeadroom : 0;
    rx_iov_[i][1] = {slot.buffer + kRxHeadroom, room};
    msghdr& msg = rx_msgs_[i].msg_hdr;
    msg.msg_controllen = kControlLen;
    msg.msg_flags = 0;
  }
  const size_t got = ReceiveMessages(fd(), rx_msgs_.data(), want, counters_);
  size_t n = 0;
  for (size_t i = 0; i < got; ++i) {
    if (!Restore(i, slots[i])) continue;
    if (n != i) {  // keep frames in [0, n): the dropped frame's buffer moves back
      std::swap(slots[n].buffer, slots[i].buffer);
      std::swap(slots[n].capacity, slots[i].capacity);
      slots[n].offset = slots[i].offset;
      slots[n].len = slots[i].len;
    }
    ++counters_.rx_frames;
    counters_.rx_bytes += slots[n].len;
    ++n;
  }
  return n;
}

bool PacketPort::Restore(size_t i, RxSlot& slot) {
  const msghdr& msg = rx_msgs_[i].msg_hdr;
  const PacketVnetHeader& vnet = rx_vnet_[i];
  const int64_t drops = DropCount(msg);
  if (drops >= 0) counters_.rx_dropped = static_cast<uint64_t>(drops);
  if (msg.msg_flags & MSG_TRUNC || vnet.gso_type != PacketVnetHeader::kGsoNone) {
    ++counters_.rx_errors;
    ++counters_.rx_oversize;
    return false;
  }
  const uint32_t received = rx_msgs_[i].msg_len;
  if (received < sizeof(PacketVnetHeader) + kEthHeaderLen || msg.msg_flags & MSG_CTRUNC) {
    ++counters_.rx_errors;  // a runt, or its tag metadata lost
    return false;
  }
  slot.offset = kRxHeadroom;
  slot.len = received - static_cast<uint32_t>(sizeof(PacketVnetHeader));
  uint32_t tag_len = 0;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr;
       c = CMSG_NXTHDR(const_cast<msghdr*>(&msg), c)) {
    if (c->cmsg_level != SOL_PACKET || c->cmsg_type != PACKET_AUXDATA ||
        c->cmsg_len < CMSG_LEN(sizeof(tpacket_auxdata)))
      continue;
    tpacket_auxdata aux;
    std::memcpy(&aux, CMSG_DATA(c), sizeof(aux));
    if (aux.tp_status & TP_STATUS_VLAN_VALID) {
      const uint16_t tpid =
          (aux.tp_status & TP_STATUS_VLAN_TPID_VALID) ? aux.tp_vlan_tpid : ETH_P_8021Q;
      ReinsertVlanTag(slot.buffer, slot.offset, slot.len, tpid, aux.tp_vlan_tci);
      tag_len = 4;
    }
  }
  if (vnet.flags & PacketVnetHeader::kNeedsCsum) {
    // csum_start counts from the frame the kernel had, without the tag it held apart.
    if (!CompleteChecksum(slot.buffer + slot.offset, slot.len, vnet.csum_start + tag_len,
                          vnet.csum_offset)) {
      ++counters_.rx_errors;
      return false;
    }
    ++counters_.rx_csum_completed;
  }
  return true;
}

size_t PacketPort::SendBurst(std::span<const TxFrame> frames) {
  size_t count = 0;
  for (const TxFrame& frame : frames) {
    if (count == kMaxBurst) {
      ++counters_.tx_dropped;
      continue;
    }
    const int64_t len = FrameLength(frame.iov, frame.iovcnt, kMaxFrameLen);
    if (len < kEthHeaderLen) {
      ++counters_.tx_errors;
      continue;
    }
    std::copy(frame.iov, frame.iov + frame.iovcnt, tx_iov_[count].begin() + 1);
    msghdr& msg = tx_msgs_[count].msg_hdr;
    msg.msg_iovlen = static_cast<size_t>(frame.iovcnt) + 1;
    tx_len_[count] = static_cast<uint32_t>(len);
    ++count;
  }
  return SendMessages(fd(), tx_msgs_.data(), count, tx_len_.data(), counters_);
}

}  // namespace softvf::netdev
