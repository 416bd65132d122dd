"""min_tx_rate as a guaranteed share under contention, with real DPDK testpmd senders.

The PF's link is 100 Mbit/s (a profile file derived from the ConnectX-6 Dx). VF 0 (served
first by the switch) has no guarantee, VF 1 has min_tx_rate 60; both offer far more than
the link. VF 1 must get at least its 60 Mbit/s, and the two together the link's 100.

The 40 Mbit/s beyond the guarantee go first come, first served (eswitch/veb.h), so how
they split depends on when each sender's frames reach the switch: on one machine VF 1 got
59.5 and VF 0 the rest, on another VF 1 66 and VF 0 28. The test holds what is promised:
VF 1's guarantee (a lower bound, not a cap), the link's total, and VF 0 not starved.
"""
import json
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import REPO, Softvf, Testpmd, cx6dx_card, have_testpmd, workdir

A, B, C = '02:00:00:00:00:0a', '02:00:00:00:00:0b', '02:00:00:00:00:0c'


def card(profile_path):
    return cx6dx_card([{'mac': A}, {'mac': B, 'min_tx_rate': 60}, {'mac': C}], profile_path)


def admitted_bytes(sv):
    out = json.loads(sv.cli('--json', 'stats', 'pf0').stdout)
    return {v['vf']: v['counters']['rx_bytes'] for v in out[0]['vfs']}


@unittest.skipUnless(have_testpmd(), 'dpdk-testpmd (Debian dpdk-dev) is not installed')
class MinRate(unittest.TestCase):
    def test_guarantee_holds_under_contention(self):
        wd = workdir()
        with open(os.path.join(REPO, 'profiles', 'cx6dx.toml')) as f:
            profile = f.read()
        profile = profile.replace('link_speed_mbps = 100000', 'link_speed_mbps = 100')
        self.assertIn('link_speed_mbps = 100\n', profile)
        with open(wd + '/cx6dx-100m.toml', 'w') as f:
            f.write(profile)
        sv = Softvf(wd, card(wd + '/cx6dx-100m.toml'), pin_cpu=0)
        pmd = None
        try:
            for vf in (0, 1):
                sv.cli('attach', 'pf0', 'vf', str(vf), 'vhost-user', '%s/vf%d.sock' % (wd, vf))
            pmd = Testpmd('senders', wd, [wd + '/vf0.sock', wd + '/vf1.sock'], cpu=1,
                          fwd='txonly', mac_addr=[A, B],
                          extra=['--txpkts=1000', '--eth-peer=0,' + C, '--eth-peer=1,' + C])
            pmd.cmd('start')
            self.assertGreaterEqual(pmd.wait_port(1, tx=1000)[1], 1000)
            first, t0 = admitted_bytes(sv), time.monotonic()
            time.sleep(3.0)  # the measurement window, not a synchronisation
            last, t1 = admitted_bytes(sv), time.monotonic()
            rate = {vf: (last[vf] - first[vf]) * 8 / (t1 - t0) / 1e6 for vf in (0, 1)}
            print('link 100 Mbit/s: VF0 (no guarantee) %.1f, VF1 (min 60) %.1f Mbit/s'
                  % (rate[0], rate[1]))
            drops = json.loads(sv.cli('--json', 'stats', 'pf0').stdout)[0]['vfs'][0]['counters']
            self.assertGreater(drops['drop_oversubscribed'], 0)
            self.assertGreaterEqual(rate[1], 60 * 0.9)  # the guarantee
            self.assertAlmostEqual(rate[0] + rate[1], 100, delta=10)  # the link
            self.assertGreaterEqual(rate[0], 10)  # served first, it wins part of the rest
        finally:
            if pmd:
                pmd.quit()
            sv.stop()


if __name__ == '__main__':
    unittest.main(verbosity=2)
