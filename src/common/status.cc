#include "common/status.h"

#include <cstring>

namespace softvf {

std::string Status::errno_text() const {
  if (errnum_ == 0) return "Success";
  return std::strerror(errnum_);
}

std::string Status::message() const {
  return message_.empty() ? errno_text() : message_;
}

}  // namespace softvf
