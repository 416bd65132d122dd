// Control-plane scale: a PF with ARI and 1024 VFs. How long enabling all VFs takes, and
// how long producing each view of them takes (what `link show` and `lspci` cost the daemon
// and the client). The system figures, through the real daemon and CLI, are in scale.sh.
#include <benchmark/benchmark.h>

#include <nlohmann/json.hpp>

#include "cli/link_format.h"
#include "config/card_config.h"
#include "daemon/lspci_view.h"
#include "daemon/netdevs.h"
#include "daemon/rtnl.h"
#include "sriov/sysfs.h"

namespace softvf {
namespace {

std::unique_ptr<Card> ScaleCard() {
  auto card = config::LoadCardFile(std::string(SOFTVF_SOURCE_DIR) + "/bench/scale-1024-card.toml");
  if (!card.ok()) {
    std::fprintf(stderr, "%s\n", card.status().message().c_str());
    std::abort();
  }
  return std::move(card).value();
}

void BM_EnableAllVfs(benchmark::State& state) {
  auto card = ScaleCard();
  PhysicalFunction& pf = *card->FindPort("enp59s0np0")->pf;
  for (auto _ : state) {
    if (!SysfsWrite(pf, "sriov_numvfs", "1024").ok()) state.SkipWithError("enable failed");
    state.PauseTiming();
    if (pf.enabled_vf_count() != 1024) state.SkipWithError("not 1024 VFs");
    (void)SysfsWrite(pf, "sriov_numvfs", "0");
    state.ResumeTiming();
  }
  state.counters["vfs"] = 1024;
}
BENCHMARK(BM_EnableAllVfs)->Unit(benchmark::kMillisecond);

struct Enabled {
  std::unique_ptr<Card> card = ScaleCard();
  VfNetdevs netdevs;
  Enabled() {
    (void)SysfsWrite(*card->FindPort("enp59s0np0")->pf, "sriov_numvfs", "1024");
    netdevs.Sync(*card);
  }
};

void BM_LinkShowDaemonSide(benchmark::State& state) {
  Enabled e;
  for (auto _ : state) benchmark::DoNotOptimize(PfLinkInfo(*e.card->FindPort("enp59s0np0")).dump());
}
BENCHMARK(BM_LinkShowDaemonSide)->Unit(benchmark::kMillisecond);

void BM_LinkShowRender(benchmark::State& state) {
  Enabled e;
  nlohmann::json links = nlohmann::json::array({PfLinkInfo(*e.card->FindPort("enp59s0np0"))});
  for (auto _ : state) benchmark::DoNotOptimize(cli::RenderLinksText(links));
}
BENCHMARK(BM_LinkShowRender)->Unit(benchmark::kMillisecond);

void BM_LspciDump(benchmark::State& state) {
  Enabled e;
  for (auto _ : state) benchmark::DoNotOptimize(LspciDump(*e.card));
}
BENCHMARK(BM_LspciDump)->Unit(benchmark::kMillisecond);

void BM_IommuGroups(benchmark::State& state) {
  Enabled e;
  for (auto _ : state) benchmark::DoNotOptimize(e.card->ComputeGroups());
}
BENCHMARK(BM_IommuGroups)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace softvf

BENCHMARK_MAIN();
