#include "eswitch/token_bucket.h"

#include <algorithm>
#include <limits>

namespace softvf::eswitch {

namespace {
constexpr uint64_t kUnits = TokenBucket::kUnitsPerByte;
uint64_t ClampBytes(uint64_t bytes) {
  return std::min(bytes, TokenBucket::kMaxBurstBytes);
}
}  // namespace

TokenBucket::TokenBucket(uint32_t rate_mbps, uint64_t burst_bytes, uint64_t now_ns)
    : rate_mbps_(rate_mbps),
      capacity_(static_cast<int64_t>(std::max<uint64_t>(ClampBytes(burst_bytes), 1) * kUnits)),
      credit_(capacity_),
      last_ns_(now_ns) {}

uint64_t TokenBucket::DefaultBurst(uint32_t rate_mbps) {
  return std::max(BytesIn(rate_mbps, kNsPerMs), kMinBurstBytes);
}

uint64_t TokenBucket::BytesIn(uint32_t rate_mbps, uint64_t ns) {
  // rate * ns / 8000 = rate * q + rate * r / 8000 with ns = 8000 q + r; the second product
  // is below 2^32 * 8000 and the first saturates instead of wrapping.
  const uint64_t q = ns / kUnits;
  const uint64_t r = ns % kUnits;
  const uint64_t tail = uint64_t{rate_mbps} * r / kUnits;
  if (rate_mbps != 0 && q > (std::numeric_limits<uint64_t>::max() - tail) / rate_mbps)
    return std::numeric_limits<uint64_t>::max();
  return uint64_t{rate_mbps} * q + tail;
}

void TokenBucket::Refill(uint64_t now_ns) {
  // A clock that steps back adds nothing and does not move the reference point back.
  if (now_ns <= last_ns_) return;
  const uint64_t elapsed = now_ns - last_ns_;
  last_ns_ = now_ns;
  const uint64_t missing = static_cast<uint64_t>(capacity_ - credit_);
  // Time after which the bucket is full anyway; below it, elapsed * rate <= missing + rate.
  const uint64_t fill_ns = missing / rate_mbps_ + 1;
  if (elapsed >= fill_ns) {
    credit_ = capacity_;
  } else {
    credit_ = std::min(capacity_, credit_ + static_cast<int64_t>(elapsed * rate_mbps_));
  }
}

int64_t TokenBucket::Needed(uint64_t bytes) const {
  return std::min(static_cast<int64_t>(ClampBytes(bytes) * kUnits), capacity_);
}

bool TokenBucket::Consume(uint64_t bytes, uint64_t now_ns) {
  if (unlimited()) return true;
  Refill(now_ns);
  if (credit_ < Needed(bytes)) return false;
  credit_ -= static_cast<int64_t>(ClampBytes(bytes) * kUnits);
  return true;
}

bool TokenBucket::Conforms(uint64_t bytes, uint64_t now_ns) {
  if (unlimited()) return true;
  Refill(now_ns);
  return credit_ >= Needed(bytes);
}

void TokenBucket::Charge(uint64_t bytes, uint64_t now_ns) {
  if (unlimited()) return;
  Refill(now_ns);
  const int64_t cost = static_cast<int64_t>(ClampBytes(bytes) * kUnits);
  const int64_t floor = -std::max(capacity_, cost);
  // Both terms stay above -2 * kMaxBurstBytes * 8000, far inside int64.
  credit_ = std::max(credit_ - cost, std::min(credit_, floor));
}

int64_t TokenBucket::CreditBytes(uint64_t now_ns) {
  if (unlimited()) return std::numeric_limits<int64_t>::max();
  Refill(now_ns);
  return credit_ / static_cast<int64_t>(kUnits);
}

}  // namespace softvf::eswitch
