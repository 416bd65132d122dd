// How long one cache line takes to move between two CPUs: two threads, pinned, hand a
// line back and forth; half a round trip is one transfer. The VF-to-VF benchmark's figures
// depend on it (every descriptor, ring entry and buffer the front end writes crosses
// once), and a VM's host may place its two vCPUs near (one core complex: ~55 ns here) or
// far (~235 ns here) from run to run, so bench/vf_to_vf.py prints it beside each pair.
// Usage: softvf_core_to_core [CPU_A CPU_B]   (default 0 1); prints nanoseconds.
#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

namespace {

bool Pin(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return pthread_setaffinity_np(pthread_self(), sizeof set, &set) == 0;
}

// Round trips of `rounds`, averaged; the line holds a counter each side advances in turn.
double OneWayNs(int cpu_a, int cpu_b, long rounds) {
  alignas(64) std::atomic<long> line{0};
  std::thread other([&] {
    Pin(cpu_b);
    for (long i = 0; i < rounds; ++i) {
      while (line.load(std::memory_order_acquire) != 2 * i + 1) {
      }
      line.store(2 * i + 2, std::memory_order_release);
    }
  });
  Pin(cpu_a);
  const auto t0 = std::chrono::steady_clock::now();
  for (long i = 0; i < rounds; ++i) {
    line.store(2 * i + 1, std::memory_order_release);
    while (line.load(std::memory_order_acquire) != 2 * i + 2) {
    }
  }
  const auto t1 = std::chrono::steady_clock::now();
  other.join();
  return std::chrono::duration<double, std::nano>(t1 - t0).count() / rounds / 2;
}

}  // namespace

int main(int argc, char** argv) {
  const int a = argc > 2 ? std::atoi(argv[1]) : 0;
  const int b = argc > 2 ? std::atoi(argv[2]) : 1;
  if (!Pin(a) || !Pin(b)) {
    std::fprintf(stderr, "softvf_core_to_core: cannot run on CPUs %d and %d\n", a, b);
    return 1;
  }
  std::vector<double> samples;  // the median of 5 resists one descheduled sample
  for (int k = 0; k < 5; ++k) samples.push_back(OneWayNs(a, b, 100000));
  std::nth_element(samples.begin(), samples.begin() + 2, samples.end());
  std::printf("%.0f\n", samples[2]);
  return 0;
}
