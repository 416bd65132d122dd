#include "cli/lspci_runner.h"

#include <gtest/gtest.h>

namespace softvf::cli {
namespace {

TEST(LspciKernelLines, AddedAtTheEndOfEachBlockWithOrWithoutDomain) {
  nlohmann::json fns =
      nlohmann::json::array({{{"slot", "0000:31:00.1"}, {"driver", "igb"}, {"module", "igb"}},
                             {{"slot", "0000:31:10.1"}, {"driver", ""}, {"module", "igbvf"}},
                             {{"slot", "0000:30:03.1"}, {"driver", "pcieport"}}});
  std::string verbose =
      "31:00.1 Ethernet controller: X\n\tSubsystem: Y\n\tCapabilities: [40] Z\n\n"
      "31:10.1 Ethernet controller: V\n\tFlags: fast devsel\n\n";
  EXPECT_EQ(AddKernelLines(verbose, fns),
            "31:00.1 Ethernet controller: X\n\tSubsystem: Y\n\tCapabilities: [40] Z\n"
            "\tKernel driver in use: igb\n\tKernel modules: igb\n\n"
            "31:10.1 Ethernet controller: V\n\tFlags: fast devsel\n\tKernel modules: igbvf\n\n");
  std::string k =
      "0000:30:03.1 PCI bridge: A\n0000:31:00.1 Ethernet controller: X\n\tSubsystem: Y\n";
  EXPECT_EQ(AddKernelLines(k, fns),
            "0000:30:03.1 PCI bridge: A\n\tKernel driver in use: pcieport\n"
            "0000:31:00.1 Ethernet controller: X\n\tSubsystem: Y\n"
            "\tKernel driver in use: igb\n\tKernel modules: igb\n");
}

}  // namespace
}  // namespace softvf::cli
