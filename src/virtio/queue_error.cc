#include "virtio/queue_error.h"

namespace softvf::virtio {

const char* QueueErrorName(QueueError error) {
  switch (error) {
    case QueueError::kBadRingAddress:
      return "bad_ring_address";
    case QueueError::kBadAddress:
      return "bad_address";
    case QueueError::kBadLength:
      return "bad_length";
    case QueueError::kBadHead:
      return "bad_head";
    case QueueError::kBadNext:
      return "bad_next";
    case QueueError::kBadIndex:
      return "bad_index";
    case QueueError::kLoop:
      return "loop";
    case QueueError::kTooLong:
      return "too_long";
    case QueueError::kBadIndirect:
      return "bad_indirect";
    case QueueError::kBadOrder:
      return "bad_order";
  }
  return "unknown";
}

}  // namespace softvf::virtio
