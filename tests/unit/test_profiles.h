// Helpers shared by the unit tests: built-in profiles by value (so a test may change a
// field and keep the copy alive for the PFs that point to it) and a PF wired up the way
// Card::AddAdapter wires one.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "config/profile_loader.h"
#include "sriov/physical_function.h"
#include "sriov/profile.h"

namespace softvf::testing {

inline DeviceProfile Builtin(const std::string& name) {
  auto p = config::BuiltinProfile(name);
  if (!p.ok()) {
    ADD_FAILURE() << "built-in profile " << name << ": " << p.status().message();
    return DeviceProfile{};
  }
  return **p;
}

// A PF of `profile` at `bdf` (port = function number), after Linux's sriov_init.
struct TestPf {
  explicit TestPf(const DeviceProfile& profile, Bdf bdf, int ports = 1,
                  IovEnvironment env = IovEnvironment{})
      : mmio(0xa0000000),
        pf(std::make_unique<PhysicalFunction>(profile, bdf, bdf.function(), ports, mmio, io)) {
    env.lowest_pf = bdf.function() == 0;
    init = pf->SriovInit(env);
  }
  PhysicalFunction* operator->() { return pf.get(); }
  PhysicalFunction& operator*() { return *pf; }

  MmioAllocator mmio;
  MmioAllocator io{0x3000};
  std::unique_ptr<PhysicalFunction> pf;
  Status init;
};

// Host configuration writes to the PF's SR-IOV capability registers.
inline void WriteSriov16(PhysicalFunction& pf, uint16_t reg, uint16_t value) {
  pf.ConfigWrite(pf.sriov().offset() + reg, value, 2);
}
inline void WriteSriov32(PhysicalFunction& pf, uint16_t reg, uint32_t value) {
  pf.ConfigWrite(pf.sriov().offset() + reg, value, 4);
}

}  // namespace softvf::testing
