// Copies frame bytes into a front end's receive buffer, the one copy of the data path.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#if defined(__SANITIZE_ADDRESS__)  // g++
#define SOFTVF_ASAN 1
#elif defined(__has_feature)  // clang (the fuzz targets)
#if __has_feature(address_sanitizer)
#define SOFTVF_ASAN 1
#endif
#endif

namespace softvf::virtio {

// From this many bytes on, `rep movsb` where the CPU has ERMS (fast strings).
inline constexpr size_t kRepMovsbMinBytes = 256;

// Whether this CPU has ERMS (CPUID.(EAX=7,ECX=0):EBX bit 9); read once at start-up.
extern const bool kCpuHasErms;

// A receive buffer is memory the front end's core last held, and its lines are seldom
// still in ours: each store of an ordinary copy first reads its line for ownership.
// Fast-string stores that cover whole lines can skip that read (the no-RFO protocol of
// fast-string operation, on CPUs with ERMS); at 1500 bytes that was +7-9% of the whole
// VF-to-VF rate (bench/RESULTS.md). Short copies keep memcpy: rep movsb's start-up would dominate.
// Under AddressSanitizer it stays memcpy, which ASan checks (it cannot see into asm).
inline void CopyIntoGuest(uint8_t* dst, const uint8_t* src, size_t n) {
  if (n == 0) return;  // nothing, whatever the pointers (memcpy's may not be null)
#if defined(__x86_64__) && !defined(SOFTVF_ASAN)
  if (n >= kRepMovsbMinBytes && kCpuHasErms) {
    asm volatile("rep movsb" : "+D"(dst), "+S"(src), "+c"(n) : : "memory");
    return;
  }
#endif
  std::memcpy(dst, src, n);
}

}  // namespace softvf::virtio
