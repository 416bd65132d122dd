// Status and Result: the control plane's error type.
//
// Errors carry a Linux errno (the sysfs and rtnetlink operations this project models
// report errno values, and users see their strerror text) plus a message a person can act
// on. The data path never uses these: it counts drops instead.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace softvf {

class Status {
 public:
  Status() = default;
  static Status Ok() { return Status(); }
  static Status Errno(int errnum, std::string message = {}) {
    return Status(errnum, std::move(message));
  }

  bool ok() const { return errnum_ == 0; }
  int errnum() const { return errnum_; }
  // The person-facing message; falls back to strerror text when none was given.
  std::string message() const;
  // strerror(errnum) as glibc prints it, e.g. "Numerical result out of range".
  std::string errno_text() const;

 private:
  Status(int errnum, std::string message) : errnum_(errnum), message_(std::move(message)) {}
  int errnum_ = 0;
  std::string message_;
};

template <typename T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}         // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {}  // NOLINT: implicit by design

  bool ok() const { return v_.index() == 0; }
  const T& value() const& { return std::get<0>(v_); }
  T& value() & { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  const T& operator*() const& { return value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }
  Status status() const { return ok() ? Status::Ok() : std::get<1>(v_); }

 private:
  std::variant<T, Status> v_;
};

#define SOFTVF_RETURN_IF_ERROR(expr) \
  do {                               \
    ::softvf::Status _st = (expr);   \
    if (!_st.ok()) return _st;       \
  } while (0)

}  // namespace softvf
