// A hostile vhost-user front end: connects to a running softvf VF's socket and carries
// out one attack (--attack NAME; --list names them all). It does not judge the daemon:
// it exits 0 when it carried the attack out, whatever the daemon did, and prints what it
// saw (replies, the daemon closing the connection) on stdout. tests/hostile/test_hostile.py
// runs every attack against a VF while other VFs forward, and judges.
//
// Ring attacks first negotiate a correct device, as a driver would: the attacker maps its
// own memfd as guest memory, gives it to the daemon with SET_MEM_TABLE, sets up the TX
// ring of queue pair 0 in it, writes the malformed descriptors and kicks.
//
// --duration S repeats the attack (a fresh connection each time) for S seconds, so that
// it lasts the caller's whole measurement window.
#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "vhost_rig.h"
#include "vhost_user/features.h"
#include "vhost_user/message.h"
#include "virtio/ring_layout.h"

namespace {

using namespace softvf::vhost_user;
namespace ring = softvf::virtio::ring;

std::string g_socket;

double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

[[noreturn]] void Fail(const std::string& what) {
  std::fprintf(stderr, "hostile_frontend: %s\n", what.c_str());
  std::exit(2);
}

void Say(const std::string& what) {
  std::printf("%s\n", what.c_str());
  std::fflush(stdout);
}

// ------------------------------------------------------------------ the connection

class Conn {
 public:
  // Connects, retrying while the daemon has not yet dropped our previous connection
  // (it serves one front end per VF; the next waits in the listen backlog).
  Conn() {
    double end = Now() + 10;
    for (;;) {
      fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
      sockaddr_un a{};
      a.sun_family = AF_UNIX;
      std::snprintf(a.sun_path, sizeof a.sun_path, "%s", g_socket.c_str());
      if (connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) return;
      int err = errno;
      close(fd_);
      if (Now() > end) Fail("connect " + g_socket + ": " + std::strerror(err));
      poll(nullptr, 0, 10);
    }
  }
  ~Conn() { Close(); }
  void Close() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }
  int fd() const { return fd_; }

  // Sends bytes with fds; false if the daemon already closed the connection.
  bool SendRaw(const void* data, size_t len, const std::vector<int>& fds = {}) {
    return softvf::testing::SendBytes(fd_, data, len, fds);
  }
  // header_size: what the header claims (default: the payload's true size).
  bool Send(uint32_t request, const void* payload, uint32_t size, const std::vector<int>& fds = {},
            uint32_t flags = kFlagVersion, std::optional<uint32_t> header_size = std::nullopt) {
    return softvf::testing::SendMessage(fd_, request, payload, size, fds, flags, header_size);
  }
  bool Send(Request r, const void* payload, uint32_t size, const std::vector<int>& fds = {},
            uint32_t flags = kFlagVersion) {
    return Send(static_cast<uint32_t>(r), payload, size, fds, flags);
  }
  bool SendU64(Request r, uint64_t v, const std::vector<int>& fds = {},
               uint32_t flags = kFlagVersion) {
    return Send(r, &v, sizeof v, fds, flags);
  }
  bool SendState(Request r, uint32_t index, uint32_t num, uint32_t flags = kFlagVersion) {
    VringState s{index, num};
    return Send(r, &s, sizeof s, {}, flags);
  }

  // Reads one reply (header + payload) within timeout_s; false on EOF or timeout.
  bool Reply(std::vector<uint8_t>* payload, double timeout_s = 5) {
    Header h{};
    if (!ReadFull(&h, sizeof h, timeout_s)) return false;
    payload->resize(h.size);
    return h.size == 0 || ReadFull(payload->data(), h.size, timeout_s);
  }
  bool ReplyU64(uint64_t* v, double timeout_s = 5) {
    std::vector<uint8_t> p;
    if (!Reply(&p, timeout_s) || p.size() != 8) return false;
    std::memcpy(v, p.data(), 8);
    return true;
  }

  // Waits until the daemon closes the connection (replies are read and thrown away).
  // True if it did within timeout_s.
  bool WaitClosed(double timeout_s = 5) {
    double end = Now() + timeout_s;
    char buf[4096];
    for (;;) {
      int left = static_cast<int>((end - Now()) * 1000);
      if (left <= 0) return false;
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, left) <= 0) continue;
      ssize_t n = recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) return true;
    }
  }

 private:
  bool ReadFull(void* buf, size_t len, double timeout_s) {
    double end = Now() + timeout_s;
    size_t done = 0;
    while (done < len) {
      int left = static_cast<int>((end - Now()) * 1000);
      if (left <= 0) return false;
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, left) <= 0) continue;
      ssize_t n = recv(fd_, static_cast<char*>(buf) + done, len - done, MSG_DONTWAIT);
      if (n == 0) return false;
      if (n < 0) {
        if (errno == EAGAIN || errno == EINTR) continue;
        return false;
      }
      done += static_cast<size_t>(n);
    }
    return true;
  }
  int fd_ = -1;
};

// Sends one message that the daemon must refuse and reports whether it closed the
// connection over it.
void ExpectDrop(Conn& c, const std::string& what) {
  bool closed = c.WaitClosed();
  Say(what + ": " + (closed ? "daemon closed the connection" : "connection still open after 5s"));
}

// ------------------------------------------------------------------ guest memory

int MakeMemfd(uint64_t size) {
  int fd = memfd_create("hostile-guest", MFD_CLOEXEC);
  if (fd < 0 || ftruncate(fd, static_cast<off_t>(size)) != 0) Fail("memfd");
  return fd;
}

// The attacker's "guest": one memfd region at GPA 0, mapped here too, so that the
// attacker can write rings and descriptors like a driver.
struct Guest {
  static constexpr uint64_t kSize = 2 << 20;
  static constexpr uint32_t kQueue = 256;
  static constexpr uint64_t kDesc = 0x0, kAvail = 0x1000, kUsed = 0x2000, kIndirect = 0x4000,
                            kBuffers = 0x10000;
  int memfd = MakeMemfd(kSize);
  uint8_t* mem = static_cast<uint8_t*>(
      mmap(nullptr, kSize, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0));
  uint64_t user = reinterpret_cast<uint64_t>(mem);  // userspace_addr: our own address
  int kick = eventfd(0, EFD_CLOEXEC);
  int call = eventfd(0, EFD_CLOEXEC);

  Guest() {
    if (mem == MAP_FAILED) Fail("mmap");
  }
  ~Guest() {
    munmap(mem, kSize);
    close(memfd);
    close(kick);
    close(call);
  }
  Memory Table() const {
    Memory m{};
    m.nregions = 1;
    m.regions[0] = {0, kSize, user, 0};
    return m;
  }
  void Desc(uint64_t table, uint32_t i, uint64_t addr, uint32_t len, uint16_t flags,
            uint16_t next) {
    uint8_t* d = mem + table + 16 * i;
    std::memcpy(d, &addr, 8);
    std::memcpy(d + 8, &len, 4);
    std::memcpy(d + 12, &flags, 2);
    std::memcpy(d + 14, &next, 2);
  }
  void AvailEntry(uint32_t slot, uint16_t head) {
    std::memcpy(mem + kAvail + ring::AvailRingEntry(slot), &head, 2);
  }
  void AvailIdx(uint16_t idx) { std::memcpy(mem + kAvail + ring::kAvailIdx, &idx, 2); }
  uint16_t UsedIdx() const {
    uint16_t v;
    std::memcpy(&v, mem + kUsed + ring::kUsedIdx, 2);
    return v;
  }
};

constexpr uint64_t kDriverFeatures = Bit(kVirtioFVersion1) | Bit(kVhostUserFProtocolFeatures) |
                                     Bit(kVirtioRingFIndirectDesc) | Bit(kVirtioNetFMrgRxbuf);

// Owner, features, protocol features (REPLY_ACK, MQ), memory table: a correct start.
bool Negotiate(Conn& c, Guest& g) {
  uint64_t v = 0;
  if (!c.Send(Request::kSetOwner, nullptr, 0)) return false;
  if (!c.Send(Request::kGetFeatures, nullptr, 0) || !c.ReplyU64(&v)) return false;
  if (!c.SendU64(Request::kSetFeatures, kDriverFeatures & v)) return false;
  if (!c.Send(Request::kGetProtocolFeatures, nullptr, 0) || !c.ReplyU64(&v)) return false;
  uint64_t proto = v & ((1ull << kProtocolReplyAck) | (1ull << kProtocolMq));
  if (!c.SendU64(Request::kSetProtocolFeatures, proto)) return false;
  Memory m = g.Table();
  if (!c.Send(Request::kSetMemTable, &m, 8 + sizeof(MemoryRegion), {g.memfd},
              kFlagVersion | kFlagNeedReply) ||
      !c.ReplyU64(&v) || v != 0)
    return false;
  return true;
}

// TX ring of queue pair 0 (ring 1) at `addr` (user addresses), started and enabled.
bool StartTxRing(Conn& c, Guest& g, const VringAddr& addr) {
  if (!c.SendState(Request::kSetVringNum, 1, Guest::kQueue)) return false;
  if (!c.Send(Request::kSetVringAddr, &addr, sizeof addr)) return false;
  if (!c.SendState(Request::kSetVringBase, 1, 0)) return false;
  if (!c.SendU64(Request::kSetVringCall, 1, {g.call})) return false;
  if (!c.SendU64(Request::kSetVringKick, 1, {g.kick})) return false;
  if (!c.SendState(Request::kSetVringEnable, 1, 1)) return false;
  uint64_t one = 1;
  return write(g.kick, &one, 8) == 8;
}

VringAddr TxAddr(const Guest& g) {
  return VringAddr{1, 0, g.user + Guest::kDesc, g.user + Guest::kUsed, g.user + Guest::kAvail, 0};
}

// A round trip after the ring started: the daemon's worker has run at least one burst
// (it reads one message per VF per poll, and bursts between polls).
bool RoundTrip(Conn& c) {
  uint64_t v;
  return c.Send(Request::kGetFeatures, nullptr, 0) && c.ReplyU64(&v);
}

// Runs a ring attack: `write` fills descriptors and the avail ring; the TX ring is then
// started and kicked.
void RingAttack(const std::string& name, const std::function<void(Guest&)>& write,
                const std::function<VringAddr(Guest&)>& addr = nullptr) {
  Guest g;
  Conn c;
  if (!Negotiate(c, g)) {
    Say(name + ": negotiation failed (daemon closed the connection)");
    return;
  }
  write(g);
  if (!StartTxRing(c, g, addr ? addr(g) : TxAddr(g))) {
    Say(name + ": ring set-up refused");
    return;
  }
  bool alive = RoundTrip(c);
  Say(name + ": ring kicked; used idx " + std::to_string(g.UsedIdx()) +
      (alive ? "; connection alive" : "; daemon closed the connection"));
}

// One frame of 12-byte header + 60 bytes: a sane chain at buffer b.
void SaneFrame(Guest& g, uint32_t desc, uint64_t b) {
  std::memset(g.mem + b, 0, 12);
  uint8_t* eth = g.mem + b + 12;
  const uint8_t dst[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  const uint8_t src[6] = {0x02, 0, 0, 0, 0, 0x0c};
  std::memcpy(eth, dst, 6);
  std::memcpy(eth + 6, src, 6);
  eth[12] = 0x88;
  eth[13] = 0xb5;  // local experimental ethertype
  g.Desc(Guest::kDesc, desc, b, 72, 0, 0);
}

// ------------------------------------------------------------------ attacks

struct Attack {
  const char* name;
  const char* what;
  std::function<void()> run;
};

// Index attacks: each value on a fresh connection (the first refusal drops it).
const uint32_t kBadIndices[] = {255, 256, 0xffffffff};

void IndexAttack(const std::string& name, const std::function<bool(Conn&, uint32_t)>& send) {
  for (uint32_t idx : kBadIndices) {
    Conn c;
    c.Send(Request::kSetOwner, nullptr, 0);
    bool sent = send(c, idx);
    ExpectDrop(c, name + " index " + std::to_string(idx) + (sent ? "" : " (send failed)"));
  }
}

void MemTableAttack(const std::string& name, const Memory& m, uint32_t nregions_sent,
                    std::vector<int> fds, bool owner = true) {
  Conn c;
  if (owner) c.Send(Request::kSetOwner, nullptr, 0);
  c.Send(Request::kSetMemTable, &m, 8 + nregions_sent * sizeof(MemoryRegion), fds,
         kFlagVersion | kFlagNeedReply);
  ExpectDrop(c, name);
}

std::vector<Attack> Attacks() {
  std::vector<Attack> a;
  // The rig's check, not an attack: a correct device sends one frame (used idx -> 1).
  a.push_back({"baseline", "a correct device sending one broadcast frame", [] {
                 RingAttack("baseline", [](Guest& g) {
                   SaneFrame(g, 0, Guest::kBuffers);
                   g.AvailEntry(0, 0);
                   g.AvailIdx(1);
                 });
               }});

  a.push_back({"tx-chain-shorter-than-header", "a TX chain of 8 bytes (the header is 12)", [] {
                 RingAttack("tx-chain-shorter-than-header", [](Guest& g) {
                   g.Desc(Guest::kDesc, 0, Guest::kBuffers, 8, 0, 0);
                   g.AvailEntry(0, 0);
                   g.AvailIdx(1);
                 });
               }});

  // ---- memory tables
  a.push_back({"mem-overlap", "two regions overlapping in guest physical space", [] {
                 int f1 = MakeMemfd(1 << 20), f2 = MakeMemfd(1 << 20);
                 Memory m{};
                 m.nregions = 2;
                 m.regions[0] = {0, 1 << 20, 0x7f0000000000, 0};
                 m.regions[1] = {0x80000, 1 << 20, 0x7f1000000000, 0};
                 MemTableAttack("mem-overlap", m, 2, {f1, f2});
                 close(f1);
                 close(f2);
               }});
  a.push_back({"mem-zero-size", "a region of size 0", [] {
                 int f = MakeMemfd(1 << 20);
                 Memory m{};
                 m.nregions = 1;
                 m.regions[0] = {0, 0, 0x7f0000000000, 0};
                 MemTableAttack("mem-zero-size", m, 1, {f});
                 close(f);
               }});
  a.push_back({"mem-huge-region", "a 64 TiB region on a 2 MiB memfd", [] {
                 int f = MakeMemfd(2 << 20);
                 Memory m{};
                 m.nregions = 1;
                 m.regions[0] = {0, 1ull << 46, 0x100000000000, 0};
                 MemTableAttack("mem-huge-region", m, 1, {f});
                 close(f);
               }});
  a.push_back({"mem-offset-beyond-fd", "mmap offset past the end of the fd", [] {
                 int f = MakeMemfd(2 << 20);
                 Memory m{};
                 m.nregions = 1;
                 m.regions[0] = {0, 4096, 0x7f0000000000, 16 << 20};
                 MemTableAttack("mem-offset-beyond-fd", m, 1, {f});
                 close(f);
               }});
  a.push_back({"mem-offset-size-overflow", "mmap offset + size wraps 2^64", [] {
                 int f = MakeMemfd(2 << 20);
                 Memory m{};
                 m.nregions = 1;
                 m.regions[0] = {0, 0x2000, 0x7f0000000000, 0xfffffffffffff000ull};
                 MemTableAttack("mem-offset-size-overflow", m, 1, {f});
                 close(f);
               }});
  a.push_back({"mem-gpa-wraps", "guest address + size wraps 2^64", [] {
                 int f = MakeMemfd(2 << 20);
                 Memory m{};
                 m.nregions = 1;
                 m.regions[0] = {0xfffffffffffff000ull, 0x2000, 0x7f0000000000, 0};
                 MemTableAttack("mem-gpa-wraps", m, 1, {f});
                 close(f);
               }});
  a.push_back({"mem-too-many-regions", "nregions 9 (the protocol allows 8), 8 fds", [] {
                 std::vector<int> fds;
                 Memory m{};
                 m.nregions = 9;
                 for (int i = 0; i < 8; ++i) {
                   fds.push_back(MakeMemfd(4096));
                   m.regions[i] = {uint64_t(i) << 20, 4096, 0x7f0000000000 + (uint64_t(i) << 20), 0};
                 }
                 MemTableAttack("mem-too-many-regions", m, 8, fds);
                 for (int f : fds) close(f);
               }});
  a.push_back({"mem-region-count-huge", "nregions 0xffffffff", [] {
                 int f = MakeMemfd(4096);
                 Memory m{};
                 m.nregions = 0xffffffff;
                 MemTableAttack("mem-region-count-huge", m, 1, {f});
                 close(f);
               }});
  a.push_back({"mem-fd-missing", "2 regions, 1 fd", [] {
                 int f = MakeMemfd(1 << 20);
                 Memory m{};
                 m.nregions = 2;
                 m.regions[0] = {0, 4096, 0x7f0000000000, 0};
                 m.regions[1] = {1 << 20, 4096, 0x7f0000100000, 0};
                 MemTableAttack("mem-fd-missing", m, 2, {f});
                 close(f);
               }});
  a.push_back({"mem-fd-extra", "1 region, 3 fds", [] {
                 int f = MakeMemfd(1 << 20);
                 Memory m{};
                 m.nregions = 1;
                 m.regions[0] = {0, 4096, 0x7f0000000000, 0};
                 MemTableAttack("mem-fd-extra", m, 1, {f, f, f});
                 close(f);
               }});
  a.push_back({"mem-fd-not-mappable", "a pipe as the region's fd", [] {
                 int p[2];
                 if (pipe2(p, O_CLOEXEC) != 0) Fail("pipe");
                 Memory m{};
                 m.nregions = 1;
                 m.regions[0] = {0, 4096, 0x7f0000000000, 0};
                 MemTableAttack("mem-fd-not-mappable", m, 1, {p[0]});
                 close(p[0]);
                 close(p[1]);
               }});

  a.push_back({"mem-shrink-after-map",
               "a correct device, then the memfd is truncated to 0 under the daemon's mapping", [] {
                 Guest g;
                 Conn c;
                 if (!Negotiate(c, g)) return Say("negotiation failed");
                 SaneFrame(g, 0, Guest::kBuffers);
                 g.AvailEntry(0, 0);
                 g.AvailIdx(1);
                 if (!StartTxRing(c, g, TxAddr(g))) return Say("ring set-up refused");
                 bool alive = RoundTrip(c);
                 Say("ring running (used idx " + std::to_string(g.UsedIdx()) + ")");
                 // From here on our own mapping is gone too: touch nothing.
                 if (ftruncate(g.memfd, 0) != 0) Fail("ftruncate");
                 uint64_t one = 1;
                 alive = write(g.kick, &one, 8) == 8 && RoundTrip(c);
                 Say(std::string("memfd truncated under the daemon: ") +
                     (alive ? "connection alive" : "daemon closed the connection or died"));
                 if (ftruncate(g.memfd, Guest::kSize) != 0) Fail("ftruncate");
               }});

  // ---- vring indices (CVE-2020-10723/10725 class)
  a.push_back({"vring-index-num", "SET_VRING_NUM index 255/256/0xffffffff", [] {
                 IndexAttack("SET_VRING_NUM",
                             [](Conn& c, uint32_t i) { return c.SendState(Request::kSetVringNum, i, 256); });
               }});
  a.push_back({"vring-index-addr", "SET_VRING_ADDR index 255/256/0xffffffff", [] {
                 IndexAttack("SET_VRING_ADDR", [](Conn& c, uint32_t i) {
                   VringAddr va{i, 0, 0x1000, 0x3000, 0x2000, 0};
                   return c.Send(Request::kSetVringAddr, &va, sizeof va);
                 });
               }});
  a.push_back({"vring-index-base", "SET_VRING_BASE index 255/256/0xffffffff", [] {
                 IndexAttack("SET_VRING_BASE",
                             [](Conn& c, uint32_t i) { return c.SendState(Request::kSetVringBase, i, 0); });
               }});
  a.push_back({"vring-index-get-base", "GET_VRING_BASE index 255/256/0xffffffff", [] {
                 IndexAttack("GET_VRING_BASE",
                             [](Conn& c, uint32_t i) { return c.SendState(Request::kGetVringBase, i, 0); });
               }});
  a.push_back({"vring-index-enable", "SET_VRING_ENABLE index 255/256/0xffffffff", [] {
                 IndexAttack("SET_VRING_ENABLE",
                             [](Conn& c, uint32_t i) { return c.SendState(Request::kSetVringEnable, i, 1); });
               }});
  for (auto [name, req] : {std::pair{"vring-index-kick", Request::kSetVringKick},
                           std::pair{"vring-index-call", Request::kSetVringCall},
                           std::pair{"vring-index-err", Request::kSetVringErr}}) {
    std::string n = name;
    Request r = req;
    a.push_back({name, "SET_VRING_KICK/CALL/ERR payload 255/256/0xffffffff with an eventfd", [n, r] {
                   IndexAttack(n, [r](Conn& c, uint32_t i) {
                     int e = eventfd(0, EFD_CLOEXEC);
                     bool ok = c.SendU64(r, i, {e});
                     close(e);
                     return ok;
                   });
                 }});
  }
  a.push_back({"vring-num-bad", "SET_VRING_NUM 0, 3, 65536 on a valid ring", [] {
                 for (uint32_t num : {0u, 3u, 65536u}) {
                   Conn c;
                   c.Send(Request::kSetOwner, nullptr, 0);
                   c.SendState(Request::kSetVringNum, 1, num);
                   ExpectDrop(c, "SET_VRING_NUM " + std::to_string(num));
                 }
               }});

  // ---- dirty log (CVE-2020-10722 class) and inflight (CVE-2020-10726 class)
  a.push_back({"log-base-overflow", "SET_LOG_BASE with size/offset that wrap, a memfd", [] {
                 Conn c;
                 c.Send(Request::kSetOwner, nullptr, 0);
                 int f = MakeMemfd(4096);
                 Log l{0xffffffffffffffffull, 0xfffffffffffff000ull};
                 c.Send(Request::kSetLogBase, &l, sizeof l, {f});
                 close(f);
                 ExpectDrop(c, "SET_LOG_BASE");
               }});
  a.push_back({"log-fd", "SET_LOG_FD with an eventfd", [] {
                 Conn c;
                 c.Send(Request::kSetOwner, nullptr, 0);
                 int e = eventfd(0, EFD_CLOEXEC);
                 c.Send(Request::kSetLogFd, nullptr, 0, {e});
                 close(e);
                 ExpectDrop(c, "SET_LOG_FD");
               }});
  a.push_back({"log-all-feature", "SET_FEATURES with VHOST_F_LOG_ALL (not offered)", [] {
                 Conn c;
                 c.Send(Request::kSetOwner, nullptr, 0);
                 c.SendU64(Request::kSetFeatures, kDriverFeatures | (1ull << 26));
                 ExpectDrop(c, "SET_FEATURES LOG_ALL");
               }});
  a.push_back({"inflight-get", "GET_INFLIGHT_FD with huge num_queues/queue_size", [] {
                 Conn c;
                 c.Send(Request::kSetOwner, nullptr, 0);
#pragma pack(push, 1)
                 struct {
                   uint64_t mmap_size, mmap_offset;
                   uint16_t num_queues, queue_size;
                 } in{~0ull, ~0ull, 0xffff, 0xffff};
#pragma pack(pop)
                 c.Send(Request::kGetInflightFd, &in, sizeof in);
                 ExpectDrop(c, "GET_INFLIGHT_FD");
               }});
  a.push_back({"inflight-set", "SET_INFLIGHT_FD with an fd smaller than its size", [] {
                 Conn c;
                 c.Send(Request::kSetOwner, nullptr, 0);
                 int f = MakeMemfd(4096);
#pragma pack(push, 1)
                 struct {
                   uint64_t mmap_size, mmap_offset;
                   uint16_t num_queues, queue_size;
                 } in{1ull << 40, 0xfffffffffffff000ull, 0xffff, 0xffff};
#pragma pack(pop)
                 c.Send(Request::kSetInflightFd, &in, sizeof in, {f});
                 close(f);
                 ExpectDrop(c, "SET_INFLIGHT_FD");
               }});

  // ---- malformed rings on a correctly negotiated device
  using G = Guest;
  a.push_back({"ring-outside-memory", "TX ring addresses outside every region", [] {
                 RingAttack("ring-outside-memory", [](Guest&) {}, [](Guest& g) {
                   return VringAddr{1, 0, g.user + (64ull << 20), g.user + (65ull << 20),
                                    g.user + (66ull << 20), 0};
                 });
               }});
  a.push_back({"ring-straddles-end", "used ring starting 8 bytes before the region's end", [] {
                 RingAttack("ring-straddles-end", [](Guest&) {}, [](Guest& g) {
                   VringAddr v = TxAddr(g);
                   v.used_user_addr = g.user + G::kSize - 8;
                   return v;
                 });
               }});
  a.push_back({"ring-misaligned", "descriptor table 8-byte aligned (16 required)", [] {
                 RingAttack("ring-misaligned", [](Guest&) {}, [](Guest& g) {
                   VringAddr v = TxAddr(g);
                   v.desc_user_addr += 8;
                   return v;
                 });
               }});
  a.push_back({"ring-desc-loop", "descriptor 0 -> 1 -> 0", [] {
                 RingAttack("ring-desc-loop", [](Guest& g) {
                   g.Desc(G::kDesc, 0, G::kBuffers, 64, ring::kDescFNext, 1);
                   g.Desc(G::kDesc, 1, G::kBuffers, 64, ring::kDescFNext, 0);
                   g.AvailEntry(0, 0);
                   g.AvailIdx(1);
                 });
               }});
  a.push_back({"ring-self-loop", "descriptor 5 -> 5", [] {
                 RingAttack("ring-self-loop", [](Guest& g) {
                   g.Desc(G::kDesc, 5, G::kBuffers, 64, ring::kDescFNext, 5);
                   g.AvailEntry(0, 5);
                   g.AvailIdx(1);
                 });
               }});
  a.push_back({"ring-chain-too-long", "a chain of all 256 descriptors (more segments than a frame has)", [] {
                 RingAttack("ring-chain-too-long", [](Guest& g) {
                   for (uint32_t i = 0; i < G::kQueue; ++i)
                     g.Desc(G::kDesc, i, G::kBuffers + 64 * i, 64,
                            i + 1 < G::kQueue ? ring::kDescFNext : 0, static_cast<uint16_t>(i + 1));
                   g.AvailEntry(0, 0);
                   g.AvailIdx(1);
                 });
               }});
  a.push_back({"ring-indirect-longer-than-ring", "an indirect table of 512 entries on a 256 ring", [] {
                 RingAttack("ring-indirect-longer-than-ring", [](Guest& g) {
                   for (uint32_t i = 0; i < 512; ++i)
                     g.Desc(G::kIndirect, i, G::kBuffers, 16, i + 1 < 512 ? ring::kDescFNext : 0,
                            static_cast<uint16_t>(i + 1));
                   g.Desc(G::kDesc, 0, G::kIndirect, 512 * 16, ring::kDescFIndirect, 0);
                   g.AvailEntry(0, 0);
                   g.AvailIdx(1);
                 });
               }});
  a.push_back({"ring-indirect-nested", "an indirect table whose entry is indirect", [] {
                 RingAttack("ring-indirect-nested", [](Guest& g) {
                   g.Desc(G::kIndirect, 0, G::kIndirect, 16, ring::kDescFIndirect, 0);
                   g.Desc(G::kDesc, 0, G::kIndirect, 16, ring::kDescFIndirect, 0);
                   g.AvailEntry(0, 0);
                   g.AvailIdx(1);
                 });
               }});
  a.push_back({"ring-indirect-outside-memory", "an indirect table at 1 GiB (memory is 2 MiB)", [] {
                 RingAttack("ring-indirect-outside-memory", [](Guest& g) {
                   g.Desc(G::kDesc, 0, 1ull << 30, 64, ring::kDescFIndirect, 0);
                   g.AvailEntry(0, 0);
                   g.AvailIdx(1);
                 });
               }});
  a.push_back({"ring-indirect-loop", "indirect entries 0 -> 1 -> 0", [] {
                 RingAttack("ring-indirect-loop", [](Guest& g) {
                   g.Desc(G::kIndirect, 0, G::kBuffers, 64, ring::kDescFNext, 1);
                   g.Desc(G::kIndirect, 1, G::kBuffers, 64, ring::kDescFNext, 0);
                   g.Desc(G::kDesc, 0, G::kIndirect, 32, ring::kDescFIndirect, 0);
                   g.AvailEntry(0, 0);
                   g.AvailIdx(1);
                 });
               }});
  a.push_back({"ring-len-wraps", "buffer addr 0xfffffffffffff000 len 0x2000 (addr + len wraps)", [] {
                 RingAttack("ring-len-wraps", [](Guest& g) {
                   g.Desc(G::kDesc, 0, 0xfffffffffffff000ull, 0x2000, 0, 0);
                   g.AvailEntry(0, 0);
                   g.AvailIdx(1);
                 });
               }});
  a.push_back({"ring-buffer-outside-memory", "a buffer at 1 GiB", [] {
                 RingAttack("ring-buffer-outside-memory", [](Guest& g) {
                   g.Desc(G::kDesc, 0, 1ull << 30, 64, 0, 0);
                   g.AvailEntry(0, 0);
                   g.AvailIdx(1);
                 });
               }});
  a.push_back({"ring-buffer-crosses-end", "a buffer running 64 bytes past the region's end", [] {
                 RingAttack("ring-buffer-crosses-end", [](Guest& g) {
                   g.Desc(G::kDesc, 0, G::kSize - 64, 128, 0, 0);
                   g.AvailEntry(0, 0);
                   g.AvailIdx(1);
                 });
               }});
  a.push_back({"ring-avail-idx-jump", "avail idx 1000 on a 256-entry ring", [] {
                 RingAttack("ring-avail-idx-jump", [](Guest& g) {
                   for (uint32_t i = 0; i < G::kQueue; ++i) {
                     SaneFrame(g, i, G::kBuffers + 128 * i);
                     g.AvailEntry(i, static_cast<uint16_t>(i));
                   }
                   g.AvailIdx(1000);
                 });
               }});
  a.push_back({"ring-head-out-of-range", "avail ring entry 0xffff", [] {
                 RingAttack("ring-head-out-of-range", [](Guest& g) {
                   g.AvailEntry(0, 0xffff);
                   g.AvailIdx(1);
                 });
               }});
  a.push_back({"ring-next-out-of-range", "a next field of 999", [] {
                 RingAttack("ring-next-out-of-range", [](Guest& g) {
                   g.Desc(G::kDesc, 0, G::kBuffers, 64, ring::kDescFNext, 999);
                   g.AvailEntry(0, 0);
                   g.AvailIdx(1);
                 });
               }});
  a.push_back({"ring-write-then-read", "a device-readable descriptor after a writable one", [] {
                 RingAttack("ring-write-then-read", [](Guest& g) {
                   g.Desc(G::kDesc, 0, G::kBuffers, 64, ring::kDescFWrite | ring::kDescFNext, 1);
                   g.Desc(G::kDesc, 1, G::kBuffers + 64, 64, 0, 0);
                   g.AvailEntry(0, 0);
                   g.AvailIdx(1);
                 });
               }});

  // ---- message framing
  a.push_back({"msg-short", "SET_FEATURES with a 4-byte payload", [] {
                 Conn c;
                 uint32_t v = 0;
                 c.Send(Request::kSetFeatures, &v, 4);
                 ExpectDrop(c, "short SET_FEATURES");
               }});
  a.push_back({"msg-long", "SET_VRING_NUM with a 64-byte payload", [] {
                 Conn c;
                 c.Send(Request::kSetOwner, nullptr, 0);
                 uint8_t buf[64] = {};
                 c.Send(Request::kSetVringNum, buf, sizeof buf);
                 ExpectDrop(c, "long SET_VRING_NUM");
               }});
  a.push_back({"msg-size-over-cap", "header size 1 MiB (cap 4096) followed by 8 KiB", [] {
                 Conn c;
                 std::vector<uint8_t> junk(8192, 0x41);
                 c.Send(static_cast<uint32_t>(Request::kSetMemTable), junk.data(), 8192, {},
                        kFlagVersion, 1u << 20);
                 ExpectDrop(c, "size 1 MiB");
               }});
  a.push_back({"msg-size-u32-max", "header size 0xffffffff", [] {
                 Conn c;
                 c.Send(static_cast<uint32_t>(Request::kSetFeatures), nullptr, 0, {}, kFlagVersion,
                        0xffffffffu);
                 ExpectDrop(c, "size 0xffffffff");
               }});
  a.push_back({"msg-unknown-request", "request 9999 and request 0", [] {
                 for (uint32_t r : {9999u, 0u}) {
                   Conn c;
                   c.Send(r, nullptr, 0);
                   ExpectDrop(c, "request " + std::to_string(r));
                 }
               }});
  a.push_back({"msg-bad-version", "flags version 2", [] {
                 Conn c;
                 c.Send(static_cast<uint32_t>(Request::kGetFeatures), nullptr, 0, {}, 0x2);
                 ExpectDrop(c, "version 2");
               }});
  a.push_back({"msg-garbage", "4 KiB of random bytes", [] {
                 Conn c;
                 std::vector<uint8_t> junk(4096);
                 unsigned s = 12345;
                 for (auto& b : junk) b = static_cast<uint8_t>((s = s * 1103515245 + 12345) >> 16);
                 c.SendRaw(junk.data(), junk.size());
                 ExpectDrop(c, "garbage");
               }});
  a.push_back({"msg-truncated-close", "SET_VRING_ADDR header (40 bytes) with 10, then close", [] {
                 Conn c;
                 c.Send(Request::kSetOwner, nullptr, 0);
                 uint8_t part[10] = {};
                 c.Send(static_cast<uint32_t>(Request::kSetVringAddr), part, sizeof part, {},
                        kFlagVersion, sizeof(VringAddr));
                 c.Close();
                 Say("truncated SET_VRING_ADDR sent, connection closed");
               }});
  a.push_back({"msg-truncated-hold", "10 of SET_VRING_ADDR's 40 payload bytes, then silence", [] {
                 Conn c;
                 c.Send(Request::kSetOwner, nullptr, 0);
                 uint8_t part[10] = {};
                 c.Send(static_cast<uint32_t>(Request::kSetVringAddr), part, sizeof part, {},
                        kFlagVersion, sizeof(VringAddr));
                 bool closed = c.WaitClosed(0.5);
                 Say(std::string("truncated SET_VRING_ADDR held 0.5s: ") +
                     (closed ? "daemon closed" : "daemon waits for the rest"));
               }});
  a.push_back({"msg-partial-header-hold", "5 bytes of a header, then silence", [] {
                 Conn c;
                 Header h{static_cast<uint32_t>(Request::kGetFeatures), kFlagVersion, 0};
                 c.SendRaw(&h, 5);
                 bool closed = c.WaitClosed(0.5);
                 Say(std::string("5-byte header held 0.5s: ") +
                     (closed ? "daemon closed" : "daemon waits for the rest"));
               }});
  a.push_back({"msg-fd-missing", "SET_VRING_KICK without NOFD and without an fd", [] {
                 Conn c;
                 c.Send(Request::kSetOwner, nullptr, 0);
                 c.SendU64(Request::kSetVringKick, 1);
                 ExpectDrop(c, "kick without fd");
               }});
  a.push_back({"msg-fd-extra", "GET_FEATURES carrying 3 fds", [] {
                 Conn c;
                 int e = eventfd(0, EFD_CLOEXEC);
                 c.Send(Request::kGetFeatures, nullptr, 0, {e, e, e});
                 close(e);
                 ExpectDrop(c, "fds on GET_FEATURES");
               }});
  a.push_back({"msg-fd-too-many", "SET_MEM_TABLE of 1 region with 64 fds", [] {
                 Conn c;
                 c.Send(Request::kSetOwner, nullptr, 0);
                 int f = MakeMemfd(4096);
                 Memory m{};
                 m.nregions = 1;
                 m.regions[0] = {0, 4096, 0x7f0000000000, 0};
                 c.Send(Request::kSetMemTable, &m, 8 + sizeof(MemoryRegion), std::vector<int>(64, f));
                 close(f);
                 ExpectDrop(c, "64 fds");
               }});
  a.push_back({"msg-reply-flood-no-read", "GET_FEATURES pipelined, replies never read", [] {
                 Conn c;
                 Header h{static_cast<uint32_t>(Request::kGetFeatures), kFlagVersion, 0};
                 std::vector<Header> batch(1024, h);
                 int sent = 0;
                 double end = Now() + 10;
                 // Our sends block once the daemon stops reading; a failed send means it
                 // dropped us.
                 int flags = fcntl(c.fd(), F_GETFL);
                 fcntl(c.fd(), F_SETFL, flags | O_NONBLOCK);
                 while (Now() < end) {
                   ssize_t n = send(c.fd(), batch.data(), batch.size() * sizeof h, MSG_NOSIGNAL);
                   if (n < 0 && errno == EAGAIN) {
                     pollfd p{c.fd(), POLLOUT, 0};
                     poll(&p, 1, 50);
                     // Not reading replies; still, a closed socket shows as POLLHUP/ERR.
                     if (p.revents & (POLLHUP | POLLERR)) break;
                     continue;
                   }
                   if (n < 0) break;
                   sent += static_cast<int>(n / sizeof h);
                 }
                 Say("pipelined " + std::to_string(sent) + " GET_FEATURES without reading; " +
                     (Now() < end ? "daemon closed the connection" : "still open after 10s"));
               }});

  // ---- order and volume
  a.push_back({"before-owner", "ring and memory requests before SET_OWNER", [] {
                 {
                   Conn c;
                   Guest g;
                   Memory m = g.Table();
                   c.Send(Request::kSetMemTable, &m, 8 + sizeof(MemoryRegion), {g.memfd});
                   ExpectDrop(c, "SET_MEM_TABLE before SET_OWNER");
                 }
                 {
                   Conn c;
                   c.SendState(Request::kSetVringNum, 1, 256);
                   ExpectDrop(c, "SET_VRING_NUM before SET_OWNER");
                 }
                 {
                   Conn c;
                   int e = eventfd(0, EFD_CLOEXEC);
                   c.SendU64(Request::kSetVringKick, 1, {e});
                   close(e);
                   ExpectDrop(c, "SET_VRING_KICK before SET_OWNER");
                 }
               }});
  a.push_back({"flood", "valid and invalid messages as fast as possible, reconnecting", [] {
                 double end = Now() + 1.0;
                 uint64_t valid = 0, invalid = 0, conns = 0;
                 double start = Now();
                 while (Now() < end) {
                   Conn c;
                   ++conns;
                   c.Send(Request::kSetOwner, nullptr, 0);
                   bool ok = true;
                   for (int i = 0; i < 4 && ok; ++i) {
                     uint64_t v;
                     ok = c.Send(Request::kGetFeatures, nullptr, 0) &&
                          c.SendU64(Request::kSetFeatures, kDriverFeatures) &&
                          c.Send(Request::kGetQueueNum, nullptr, 0) && c.ReplyU64(&v) &&
                          c.ReplyU64(&v);
                     if (ok) valid += 3;
                   }
                   c.SendState(Request::kSetVringNum, 200, 256);  // invalid: dropped
                   ++invalid;
                   c.WaitClosed(2);
                 }
                 double t = Now() - start;
                 char buf[160];
                 std::snprintf(buf, sizeof buf,
                               "flood: %llu valid + %llu invalid messages on %llu connections in "
                               "%.2fs (%.0f msg/s)",
                               static_cast<unsigned long long>(valid),
                               static_cast<unsigned long long>(invalid),
                               static_cast<unsigned long long>(conns), t, (valid + invalid) / t);
                 Say(buf);
               }});
  return a;
}

}  // namespace

int main(int argc, char** argv) {
  std::string attack;
  double duration = 0;
  bool list = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--socket" && i + 1 < argc)
      g_socket = argv[++i];
    else if (arg == "--attack" && i + 1 < argc)
      attack = argv[++i];
    else if (arg == "--duration" && i + 1 < argc)
      duration = std::atof(argv[++i]);
    else if (arg == "--list")
      list = true;
    else {
      std::fprintf(stderr,
                   "usage: hostile_frontend --socket PATH --attack NAME [--duration S] | --list\n");
      return 2;
    }
  }
  std::vector<Attack> attacks = Attacks();
  if (list) {
    for (const Attack& a : attacks) std::printf("%-32s %s\n", a.name, a.what);
    return 0;
  }
  if (g_socket.empty() || attack.empty()) Fail("--socket and --attack are required (or --list)");
  for (const Attack& a : attacks) {
    if (attack != a.name) continue;
    double end = Now() + duration;
    int rounds = 0;
    do {
      a.run();
      ++rounds;
      // A breath between rounds, so that a repeated attack does not become a CPU hog
      // competing with the traffic it is measured against (the floods are floods).
      if (attack != "flood" && attack != "msg-reply-flood-no-read") poll(nullptr, 0, 1);
    } while (Now() < end);
    Say(attack + ": " + std::to_string(rounds) + " round(s)");
    return 0;
  }
  Fail("no attack named " + attack + " (--list names them)");
}
