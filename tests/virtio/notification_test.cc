// Notification suppression (virtio 1.x 2.7.7 and 2.7.10): vring_need_event vectors,
// used-buffer notifications with and without VIRTIO_F_EVENT_IDX, and enabling/disabling
// available-buffer notifications (kicks).
#include <gtest/gtest.h>

#include "driver_queue.h"
#include "fake_guest_memory.h"
#include "virtio/event_idx.h"
#include "virtio/ring_layout.h"
#include "virtio/split_queue.h"

namespace softvf::virtio {
namespace {

using testing::DriverQueue;
using testing::FakeGuestMemory;

// The spec's example (2.7.10 note): used_event 0 asks for a notification after the first
// buffer, and again only after the 65536th.
static_assert(VringNeedEvent(0, 1, 0));
static_assert(!VringNeedEvent(0, 2, 1));

struct NeedEventCase {
  uint16_t event, new_idx, old_idx;
  bool notify;
};

TEST(VringNeedEventTest, Vectors) {
  const NeedEventCase cases[] = {
      {0, 1, 0, true},           // wrote entry 0, the one asked for
      {0, 0, 0, false},          // nothing written
      {4, 5, 0, true},           // event inside [old, new)
      {5, 5, 0, false},          // event == new: not written yet
      {0, 5, 1, false},          // event before old: already signalled
      {1, 5, 1, true},           // event == old: its entry was written in this batch
      {65535, 2, 65534, true},   // batch wraps 65534..1, event at 65535
      {0, 2, 65534, true},       // event at 0 inside the wrapped batch
      {1, 2, 65534, true},       // event at 1, the last entry written
      {2, 2, 65534, false},      // event == new after wrap
      {65533, 2, 65534, false},  // event just before old
      {65535, 0, 65535, true},   // one entry, exactly at the wrap point
      {100, 50, 40, false},      // event far ahead
      {45, 50, 40, true},
  };
  for (const NeedEventCase& c : cases) {
    EXPECT_EQ(VringNeedEvent(c.event, c.new_idx, c.old_idx), c.notify)
        << "event " << c.event << " new " << c.new_idx << " old " << c.old_idx;
  }
}

class NotificationTest : public ::testing::Test {
 protected:
  static constexpr uint32_t kSize = 16;
  FakeGuestMemory mem_{{{0, 1024 * 1024}}};
  DriverQueue driver_{mem_, kSize, 0x0, 0x10000, 0x80000};
  SplitQueue queue_;
  DescriptorChain chain_;
  const GuestMemoryMap& map() const { return mem_.map(); }

  // Offers n chains, pops them, pushes and publishes them.
  void Complete(int n) {
    for (int i = 0; i < n; ++i) driver_.OfferChain({{driver_.AllocData(8), 8, true}});
    for (int i = 0; i < n; ++i) {
      ASSERT_TRUE(queue_.Pop(map(), &chain_));
      ASSERT_TRUE(queue_.PushUsed(map(), chain_.head(), 8));
    }
    queue_.PublishUsed(map());
  }
};

TEST_F(NotificationTest, WithoutEventIdxTheNoInterruptFlagDecides) {
  ASSERT_TRUE(queue_.Configure(driver_.config(/*event_idx=*/false)).ok());
  EXPECT_FALSE(queue_.NeedsNotify(map())) << "nothing published";
  Complete(1);
  EXPECT_TRUE(queue_.NeedsNotify(map()));
  EXPECT_FALSE(queue_.NeedsNotify(map())) << "already decided for this used idx";
  driver_.SetAvailFlags(ring::kAvailFNoInterrupt);
  Complete(1);
  EXPECT_FALSE(queue_.NeedsNotify(map()));
  driver_.SetAvailFlags(0);
  driver_.SetUsedEvent(100);  // ignored without EVENT_IDX
  Complete(1);
  EXPECT_TRUE(queue_.NeedsNotify(map()));
}

TEST_F(NotificationTest, WithEventIdxUsedEventDecides) {
  ASSERT_TRUE(queue_.Configure(driver_.config(/*event_idx=*/true)).ok());
  driver_.SetAvailFlags(ring::kAvailFNoInterrupt);  // 2.7.7: ignored with EVENT_IDX
  driver_.SetUsedEvent(0);
  Complete(1);  // used idx 0 -> 1 wrote entry 0
  EXPECT_TRUE(queue_.NeedsNotify(map()));
  Complete(1);  // 1 -> 2: entry 0 was already signalled
  EXPECT_FALSE(queue_.NeedsNotify(map()));
  driver_.SetUsedEvent(4);
  Complete(2);  // 2 -> 4: entry 4 not yet written
  EXPECT_FALSE(queue_.NeedsNotify(map()));
  Complete(3);  // 4 -> 7 covers entry 4
  EXPECT_TRUE(queue_.NeedsNotify(map()));
}

TEST_F(NotificationTest, EventIdxAcrossTheWrap) {
  driver_.SetAvailIdx(65534);
  SplitQueueConfig c = driver_.config(/*event_idx=*/true);
  c.used_idx = 65534;
  ASSERT_TRUE(queue_.Configure(c).ok());
  driver_.SetUsedEvent(65535);
  Complete(4);  // 65534 -> 2
  EXPECT_EQ(queue_.used_idx(), 2);
  EXPECT_TRUE(queue_.NeedsNotify(map()));
  driver_.SetUsedEvent(2);
  Complete(0);
  EXPECT_FALSE(queue_.NeedsNotify(map()));
  Complete(1);  // 2 -> 3 writes entry 2
  EXPECT_TRUE(queue_.NeedsNotify(map()));
}

TEST_F(NotificationTest, KicksWithoutEventIdxUseTheUsedFlags) {
  ASSERT_TRUE(queue_.Configure(driver_.config(/*event_idx=*/false)).ok());
  queue_.DisableNotifications(map());
  EXPECT_EQ(driver_.used_flags(), ring::kUsedFNoNotify);
  EXPECT_FALSE(queue_.EnableNotifications(map())) << "ring drained: safe to sleep";
  EXPECT_EQ(driver_.used_flags(), 0);
  // A buffer offered while notifications were off: enabling reports it.
  queue_.DisableNotifications(map());
  driver_.OfferChain({{driver_.AllocData(8), 8}});
  EXPECT_TRUE(queue_.EnableNotifications(map()));
}

TEST_F(NotificationTest, KicksWithEventIdxUseAvailEvent) {
  ASSERT_TRUE(queue_.Configure(driver_.config(/*event_idx=*/true)).ok());
  Complete(3);
  queue_.DisableNotifications(map());
  EXPECT_EQ(driver_.used_flags(), 0) << "2.7.10: flags stay 0 with EVENT_IDX";
  EXPECT_FALSE(queue_.EnableNotifications(map()));
  EXPECT_EQ(driver_.avail_event(), 3) << "kick me when you write entry 3";
  driver_.OfferChain({{driver_.AllocData(8), 8}});
  EXPECT_TRUE(queue_.EnableNotifications(map()));
  // The driver's side of the same test: it must kick for entry 3.
  EXPECT_TRUE(VringNeedEvent(driver_.avail_event(), 4, 3));
}

}  // namespace
}  // namespace softvf::virtio
