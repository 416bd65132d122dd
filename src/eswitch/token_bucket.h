// TokenBucket: a byte-rate limit in Mbit/s, the `max_tx_rate` of `ip link set ... vf N`.
//
// Time is passed in (nanoseconds from any monotonic clock); there is no clock inside, so
// tests are exact and the worker reads the clock once per burst.
//
// Arithmetic is exact integers. Credit is kept in 1/8000-byte units: a rate of R Mbit/s
// is R * 10^6 / 8 / 10^9 = R / 8000 bytes per ns, so each nanosecond adds exactly R units
// and no fraction of a token is ever lost between refills. Elapsed time is clamped to
// what refills the bucket before it is multiplied, so 100 Gbit/s (and any uint32 rate)
// after years of idleness does not overflow.
//
// Admission: a frame passes when the credit covers it; a frame bigger than the whole
// bucket passes when the bucket is full. The credit may then go negative (a debt), which
// later refills pay back, so the long-run rate is exact for any frame size (GSO frames of
// 64 KiB under a 1 ms bucket included) and frames never get stuck.
//
// Charge() takes bytes that another rule admitted (the PF's link bucket pays for traffic
// a min_tx_rate guarantee let through, veb.h). That debt is bounded: after a charge the
// debt is at most one bucket or that frame, whichever is larger, so a link whose
// guarantees add up to more than it has does not owe forever.
#pragma once

#include <cstdint>

namespace softvf::eswitch {

class TokenBucket {
 public:
  static constexpr int64_t kUnitsPerByte = 8000;
  static constexpr uint64_t kNsPerMs = 1'000'000;
  // The bucket holds at least one full-size frame (1500 MTU + 14 header + two tags) so a
  // slow rate still lets standard frames through without waiting for a debt.
  static constexpr uint64_t kMinBurstBytes = 1522;
  // Keeps every unit count far inside int64 (2^40 bytes * 8000 < 2^53).
  static constexpr uint64_t kMaxBurstBytes = uint64_t{1} << 40;

  TokenBucket() = default;  // unlimited
  // Starts full at `now_ns`. rate_mbps 0 means unlimited (as max_tx_rate 0 does).
  TokenBucket(uint32_t rate_mbps, uint64_t burst_bytes, uint64_t now_ns);

  // The default burst: 1 ms at the rate, at least kMinBurstBytes.
  static uint64_t DefaultBurst(uint32_t rate_mbps);
  // floor(rate_mbps * ns / 8000): bytes the rate allows in `ns`; saturates at UINT64_MAX.
  static uint64_t BytesIn(uint32_t rate_mbps, uint64_t ns);

  bool unlimited() const { return rate_mbps_ == 0; }
  uint32_t rate_mbps() const { return rate_mbps_; }
  uint64_t burst_bytes() const { return static_cast<uint64_t>(capacity_ / kUnitsPerByte); }

  // Refills to `now_ns`, then admits and charges `bytes` or refuses without charging.
  bool Consume(uint64_t bytes, uint64_t now_ns);
  // Whether Consume(bytes, now_ns) would admit (refills; charges nothing). Lets a worker
  // shape (leave descriptors in the ring) instead of police (drop).
  bool Conforms(uint64_t bytes, uint64_t now_ns);
  // Refills to `now_ns`, then charges `bytes` whether or not the credit covers them, into
  // bounded debt (above). Never raises the credit.
  void Charge(uint64_t bytes, uint64_t now_ns);
  // Whole bytes of credit at `now_ns` (negative while a debt is being repaid).
  int64_t CreditBytes(uint64_t now_ns);

 private:
  void Refill(uint64_t now_ns);
  int64_t Needed(uint64_t bytes) const;

  uint32_t rate_mbps_ = 0;
  int64_t capacity_ = 0;  // units
  int64_t credit_ = 0;    // units; in [-kMaxBurstBytes * 8000, capacity_]
  uint64_t last_ns_ = 0;
};

}  // namespace softvf::eswitch
