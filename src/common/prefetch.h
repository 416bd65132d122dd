// Cache hints for the data path. Hints only: they never fault, and a wrong address costs a
// wasted line fill, nothing else.
#pragma once

namespace softvf {

inline void PrefetchForRead(const void* p) {
  __builtin_prefetch(p, 0, 3);
}

// PREFETCHW asks for the line in exclusive state, so a later store does not wait for the
// other core (a guest's) to give it up. Written as asm because GCC emits it for
// __builtin_prefetch(p, 1) only with -mprfchw; CPUs without it execute it as a NOP.
inline void PrefetchForWrite(const void* p) {
#if defined(__x86_64__)
  asm volatile("prefetchw %0" : : "m"(*static_cast<const char*>(p)));
#else
  __builtin_prefetch(p, 1, 3);
#endif
}

}  // namespace softvf
