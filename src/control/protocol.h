// The control protocol between `softvf` (the CLI) and the daemon: one JSON object per
// line over a Unix stream socket. A request is {"op": NAME, ...arguments}; a response is
// {"ok": true, ...} or {"ok": false, "errno": N, "error": strerror(N), "message": TEXT}.
// Requests are bounded (kMaxRequestBytes) and validated before any handler runs.
#pragma once

#include <cstddef>

namespace softvf::control {

inline constexpr const char* kDefaultSocketPath = "/run/softvf/control.sock";
inline constexpr size_t kMaxRequestBytes = 64 * 1024;
inline constexpr int kSocketMode = 0660;

}  // namespace softvf::control
