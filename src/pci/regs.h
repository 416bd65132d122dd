// Register offsets and bits of PCI configuration space, named as Linux names them in
// include/uapi/linux/pci_regs.h. Offsets of capability registers are relative to the
// capability's start; code reaches them only through the typed views.
#pragma once

#include <cstdint>

namespace softvf::pci {

// Type-0/1 common header.
inline constexpr uint16_t kVendorId = 0x00;
inline constexpr uint16_t kDeviceId = 0x02;
inline constexpr uint16_t kCommand = 0x04;
inline constexpr uint16_t kStatus = 0x06;
inline constexpr uint16_t kRevisionId = 0x08;
inline constexpr uint16_t kClassProg = 0x09;
inline constexpr uint16_t kClassDevice = 0x0a;  // base class << 8 | sub class
inline constexpr uint16_t kCacheLineSize = 0x0c;
inline constexpr uint16_t kHeaderType = 0x0e;
inline constexpr uint16_t kBar0 = 0x10;
inline constexpr uint16_t kSubsystemVendorId = 0x2c;
inline constexpr uint16_t kSubsystemId = 0x2e;
inline constexpr uint16_t kCapabilityList = 0x34;
inline constexpr uint16_t kInterruptLine = 0x3c;
inline constexpr uint16_t kInterruptPin = 0x3d;
// Type-1 (bridge) header.
inline constexpr uint16_t kPrimaryBus = 0x18;
inline constexpr uint16_t kSecondaryBus = 0x19;
inline constexpr uint16_t kSubordinateBus = 0x1a;

inline constexpr uint16_t kCommandMemory = 0x0002;
inline constexpr uint16_t kCommandMaster = 0x0004;
inline constexpr uint16_t kStatusCapList = 0x0010;
inline constexpr uint8_t kHeaderTypeNormal = 0x00;
inline constexpr uint8_t kHeaderTypeBridge = 0x01;
inline constexpr uint8_t kHeaderTypeMultiFunction = 0x80;

inline constexpr uint32_t kBarMemType64 = 0x04;
inline constexpr uint32_t kBarMemPrefetch = 0x08;

// Standard capability IDs.
inline constexpr uint8_t kCapIdPm = 0x01;
inline constexpr uint8_t kCapIdMsi = 0x05;
inline constexpr uint8_t kCapIdExp = 0x10;
inline constexpr uint8_t kCapIdMsix = 0x11;

// Extended capability IDs.
inline constexpr uint16_t kExtCapIdAer = 0x0001;
inline constexpr uint16_t kExtCapIdAcs = 0x000d;
inline constexpr uint16_t kExtCapIdAri = 0x000e;
inline constexpr uint16_t kExtCapIdSriov = 0x0010;
inline constexpr uint16_t kExtCapStart = 0x100;

// PCI Express capability: device/port types (PCI_EXP_TYPE_*).
enum class PcieType : uint8_t {
  kEndpoint = 0x0,
  kLegacyEndpoint = 0x1,
  kRootPort = 0x4,
  kUpstreamPort = 0x5,
  kDownstreamPort = 0x6,
  kRcIntegratedEndpoint = 0x9,
};

}  // namespace softvf::pci
