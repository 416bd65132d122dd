// TokenBucket: exact byte counts for Mbit/s rates over nanoseconds, no overflow at
// 100 Gbit/s or after long idle times, and frames larger than the bucket.
#include "eswitch/token_bucket.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

namespace softvf::eswitch {
namespace {

constexpr uint64_t kMs = 1'000'000;
constexpr uint64_t kSec = 1'000'000'000;

TEST(TokenBucket, BytesInIsExact) {
  EXPECT_EQ(TokenBucket::BytesIn(100, kMs), 12'500u);  // 100 Mbit/s for 1 ms
  EXPECT_EQ(TokenBucket::BytesIn(1, 8'000), 1u);       // 1 Mbit/s: a byte per 8 us
  EXPECT_EQ(TokenBucket::BytesIn(1, 7'999), 0u);
  EXPECT_EQ(TokenBucket::BytesIn(100'000, kSec), 12'500'000'000u);  // 100 Gbit/s for 1 s
  EXPECT_EQ(TokenBucket::BytesIn(100'000, 1), 12u);                 // 12.5 bytes per ns, floored
  EXPECT_EQ(TokenBucket::BytesIn(0, kSec), 0u);
}

TEST(TokenBucket, BytesInSaturatesInsteadOfWrapping) {
  constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
  EXPECT_EQ(TokenBucket::BytesIn(UINT32_MAX, kMax), kMax);
  // 100 Gbit/s for 100 years is 3.9e19 bytes: past uint64, so it saturates.
  EXPECT_EQ(TokenBucket::BytesIn(100'000, uint64_t{100} * 365 * 86400 * kSec), kMax);
  // One year still fits: 12.5e9 * 31536000 bytes.
  EXPECT_EQ(TokenBucket::BytesIn(100'000, 365 * 86400 * kSec), 12'500'000'000ull * 31'536'000);
}

TEST(TokenBucket, DefaultBurstIsOneMillisecondButAtLeastOneFrame) {
  EXPECT_EQ(TokenBucket::DefaultBurst(100), 12'500u);
  EXPECT_EQ(TokenBucket::DefaultBurst(100'000), 12'500'000u);
  EXPECT_EQ(TokenBucket::DefaultBurst(1), TokenBucket::kMinBurstBytes);  // 125 B < one frame
  EXPECT_EQ(TokenBucket::DefaultBurst(12), 1'522u);                      // 1500 B < 1522
}

TEST(TokenBucket, DefaultIsUnlimited) {
  TokenBucket b;
  EXPECT_TRUE(b.unlimited());
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(b.Consume(65'535, 0));
}

TEST(TokenBucket, StartsFullAndRefillsExactly) {
  TokenBucket b(100, 12'500, 0);  // 100 Mbit/s, 1 ms bucket
  EXPECT_EQ(b.burst_bytes(), 12'500u);
  EXPECT_TRUE(b.Consume(12'500, 0));
  EXPECT_FALSE(b.Consume(1, 0));
  EXPECT_EQ(b.CreditBytes(0), 0);
  // 80 ns at 100 Mbit/s is exactly one byte.
  EXPECT_FALSE(b.Consume(1, 79));
  EXPECT_TRUE(b.Consume(1, 80));
  EXPECT_FALSE(b.Consume(1, 80));
  // 1 ms later the bucket is full again, and not fuller.
  EXPECT_EQ(b.CreditBytes(80 + kMs), 12'500);
  EXPECT_EQ(b.CreditBytes(80 + 10 * kMs), 12'500);
}

TEST(TokenBucket, NoFractionOfATokenIsLostBetweenRefills) {
  TokenBucket b(1, 1'522, 0);  // 1 Mbit/s: 1/8000 byte per ns
  ASSERT_TRUE(b.Consume(1'522, 0));
  // Refill in odd steps that each add less than a byte; after 8000 ns in total: one byte.
  uint64_t t = 0;
  for (uint64_t step : {1'000u, 2'999u, 1u, 3'999u}) {
    t += step;
    EXPECT_FALSE(b.Consume(1, t)) << t;
  }
  EXPECT_TRUE(b.Consume(1, t + 1));  // t + 1 = 8000
}

TEST(TokenBucket, LongRunRateIsExact) {
  // 10 Mbit/s for 1 s with 1000-byte frames offered every 100 us (80 Mbit/s offered).
  TokenBucket b(10, TokenBucket::DefaultBurst(10), 0);
  uint64_t passed = 0;
  for (uint64_t t = 0; t < kSec; t += 100'000)
    if (b.Consume(1'000, t)) passed += 1'000;
  // The last offer is at 999.9 ms: 1522 bytes of initial bucket + 1'249'875 bytes of
  // refill = 1'251'397 bytes of credit, of which 1251 whole frames were spent.
  EXPECT_EQ(passed, 1'251'000u);
}

TEST(TokenBucket, HundredGigabitAfterYearsIdleDoesNotOverflow) {
  TokenBucket b(100'000, TokenBucket::DefaultBurst(100'000), 0);
  ASSERT_TRUE(b.Consume(12'500'000, 0));
  EXPECT_EQ(b.CreditBytes(0), 0);
  const uint64_t much_later = 10 * 365 * 86400 * kSec;  // ten years
  EXPECT_EQ(b.CreditBytes(much_later), 12'500'000);
  EXPECT_EQ(b.CreditBytes(std::numeric_limits<uint64_t>::max()), 12'500'000);
}

TEST(TokenBucket, LargestRateAndBurstStayInRange) {
  TokenBucket b(UINT32_MAX, TokenBucket::DefaultBurst(UINT32_MAX), 0);
  EXPECT_EQ(b.burst_bytes(), uint64_t{UINT32_MAX} * 125);
  EXPECT_TRUE(b.Consume(b.burst_bytes(), 0));
  EXPECT_EQ(b.CreditBytes(std::numeric_limits<uint64_t>::max()),
            static_cast<int64_t>(uint64_t{UINT32_MAX} * 125));
}

TEST(TokenBucket, ClockSteppingBackAddsNothing) {
  TokenBucket b(100, 12'500, 1'000'000);
  ASSERT_TRUE(b.Consume(12'500, 1'000'000));
  EXPECT_EQ(b.CreditBytes(0), 0);
  EXPECT_EQ(b.CreditBytes(1'000'080), 1);  // measured from the later reference point
}

TEST(TokenBucket, FrameLargerThanTheBucketPassesWhenFullAndIsRepaid) {
  TokenBucket b(8, 1'522, 0);  // 8 Mbit/s = 1 byte per us
  EXPECT_TRUE(b.Conforms(65'536, 0));
  EXPECT_TRUE(b.Consume(65'536, 0));  // full bucket: a 64 KiB GSO frame passes
  EXPECT_EQ(b.CreditBytes(0), 1'522 - 65'536);
  EXPECT_FALSE(b.Consume(60, 64'000'000 - 1));  // debt not yet repaid
  // Repaid after 64014 us, then 60 more bytes after 60 us.
  EXPECT_FALSE(b.Consume(60, 64'014'000 + 59'999));
  EXPECT_TRUE(b.Consume(60, 64'014'000 + 60'000));
}

TEST(TokenBucket, ConformsDoesNotCharge) {
  TokenBucket b(100, 12'500, 0);
  EXPECT_TRUE(b.Conforms(12'500, 0));
  EXPECT_TRUE(b.Conforms(12'500, 0));
  ASSERT_TRUE(b.Consume(12'000, 0));
  EXPECT_TRUE(b.Conforms(500, 0));
  EXPECT_FALSE(b.Conforms(501, 0));
}

TEST(TokenBucket, ChargeGoesIntoDebtBoundedByTheBucketOrTheFrame) {
  TokenBucket b(8, 10'000, 0);  // 1 byte per us
  b.Charge(4'000, 0);
  EXPECT_EQ(b.CreditBytes(0), 6'000);
  b.Charge(12'000, 0);  // charged although the credit does not cover it
  EXPECT_EQ(b.CreditBytes(0), -6'000);
  b.Charge(9'000, 0);  // the debt stops at one bucket
  EXPECT_EQ(b.CreditBytes(0), -10'000);
  b.Charge(20'000, 0);  // or at the frame, when that is larger
  EXPECT_EQ(b.CreditBytes(0), -20'000);
  b.Charge(1'000, 0);  // a charge never raises the credit, even past the bound
  EXPECT_EQ(b.CreditBytes(0), -20'000);
  // Refills repay the debt at the rate.
  EXPECT_FALSE(b.Conforms(1, 20'000'000));
  EXPECT_EQ(b.CreditBytes(20'000'000), 0);
  EXPECT_TRUE(b.Conforms(1'000, 21'000'000));
}

TEST(TokenBucket, ChargeOnAnUnlimitedBucketDoesNothing) {
  TokenBucket b;
  b.Charge(uint64_t{1} << 50, 0);
  EXPECT_TRUE(b.Conforms(1'000'000, 0));
}

}  // namespace
}  // namespace softvf::eswitch
