"""VF-to-VF traffic through softvf between two real DPDK testpmd virtio-user front ends:
payloads intact, VLAN isolation, spoof check, link state, rate limiting, two queue pairs.

Run: python3 tests/integration/test_vf_traffic.py (CTest runs it; SOFTVF= names the binary).
"""
import os
import re
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (Softvf, Testpmd, cx6dx_card, ether, have_testpmd, pattern, read_pcap,
                     workdir, write_pcap)

A = '02:00:00:00:00:0a'
B = '02:00:00:00:00:0b'
C = '02:00:00:00:00:0c'  # a MAC no VF owns

CARD = cx6dx_card([{'mac': A, 'spoofchk': True}, {'mac': B, 'spoofchk': True}])


def counters(sv, vf):
    return sv.vf_counters(vf)


def forwarding_thread_writes(pmd):
    """write(2)-family calls of testpmd's forwarding lcore (its thread rte-worker-1): it
    prints nothing, so they are its kicks."""
    task = '/proc/%d/task' % pmd.proc.pid
    for tid in os.listdir(task):
        with open('%s/%s/comm' % (task, tid)) as f:
            if f.read().strip() != 'rte-worker-1':
                continue
        with open('%s/%s/io' % (task, tid)) as f:
            return int(re.search(r'syscw: (\d+)', f.read()).group(1))
    raise AssertionError('testpmd has no rte-worker-1 thread')


def judged(c):
    """Frames the switch took from a VF: forwarded or dropped, for any reason."""
    return c['rx_packets']


@unittest.skipUnless(have_testpmd(), 'dpdk-testpmd (Debian dpdk-dev) is not installed')
class VfTraffic(unittest.TestCase):
    def setUp(self):
        self.wd = workdir()
        self.sv = Softvf(self.wd, CARD)
        self.pmds = []
        for vf in (0, 1):
            self.sv.cli('attach', 'pf0', 'vf', str(vf), 'vhost-user', '%s/vf%d.sock' % (self.wd, vf))

    def tearDown(self):
        for p in self.pmds:
            p.quit()
        self.sv.stop()

    def pmd(self, *args, **kw):
        p = Testpmd(*args, **kw)
        self.pmds.append(p)
        return p

    def send(self, frames, expect_arrivals):
        """Sends `frames` from VF 0's testpmd; returns what VF 1's testpmd received."""
        write_pcap(self.wd + '/in.pcap', frames)
        rx = self.pmd('rx', self.wd, self.wd + '/vf1.sock', cpu=1, tx_pcap=self.wd + '/out.pcap')
        tx = self.pmd('tx', self.wd, self.wd + '/vf0.sock', cpu=1, rx_pcap=self.wd + '/in.pcap')
        rx.cmd('start')
        tx.cmd('start')
        # Every frame sent, and judged by the switch (delivered or dropped)...
        tx.wait_port(tx.vf_port, tx=len(frames))
        deadline = time.time() + 20
        while judged(counters(self.sv, 0)) < len(frames) and time.time() < deadline:
            time.sleep(0.05)
        # ...and every expected one written out on the other side.
        rx.wait_port(0, tx=expect_arrivals)
        tx.quit()
        rx.quit()
        self.pmds.clear()
        return read_pcap(self.wd + '/out.pcap')

    def test_frames_arrive_byte_for_byte(self):
        frames = [ether(B, A, pattern(i, 46 + i * 97)) for i in range(16)]
        frames.append(ether('ff:ff:ff:ff:ff:ff', A, pattern(99, 200)))  # broadcast floods
        out = self.send(frames, len(frames))
        self.assertEqual(out, frames)
        self.assertEqual(counters(self.sv, 1)['tx_packets'], len(frames))
        self.assertEqual(counters(self.sv, 0)['rx_bytes'], sum(len(f) for f in frames))

    def test_vlan_isolation(self):
        self.sv.cli('link', 'set', 'pf0', 'vf', '0', 'vlan', '100')
        self.sv.cli('link', 'set', 'pf0', 'vf', '1', 'vlan', '200')
        frames = [ether(B, A, pattern(i, 100)) for i in range(8)]
        frames.append(ether('ff:ff:ff:ff:ff:ff', A, pattern(9, 100)))
        self.assertEqual(self.send(frames, 0), [])
        self.assertEqual(counters(self.sv, 1)['tx_packets'], 0)
        # Same port VLAN: they meet, and the tag never reaches either guest.
        self.sv.cli('link', 'set', 'pf0', 'vf', '1', 'vlan', '100')
        self.assertEqual(self.send(frames, len(frames)), frames)

    def test_tagged_frame_from_a_port_vlan_vf_is_dropped(self):
        self.sv.cli('link', 'set', 'pf0', 'vf', '0', 'vlan', '100')
        self.sv.cli('link', 'set', 'pf0', 'vf', '1', 'vlan', '100')
        frames = [ether(B, A, pattern(i, 100), vlan=(0x8100, 100, 0)) for i in range(4)]
        self.assertEqual(self.send(frames, 0), [])
        self.assertEqual(counters(self.sv, 0)['drop_tagged_on_port_vlan'], 4)

    def test_spoof_check_drops_and_counts_foreign_source(self):
        frames = [ether(B, C, pattern(i, 100)) for i in range(5)]
        self.assertEqual(self.send(frames, 0), [])
        self.assertEqual(counters(self.sv, 0)['drop_spoofed'], 5)
        self.sv.cli('link', 'set', 'pf0', 'vf', '0', 'spoofchk', 'off')
        self.assertEqual(self.send(frames, len(frames)), frames)

    def test_link_state_disable(self):
        self.sv.cli('link', 'set', 'pf0', 'vf', '1', 'state', 'disable')
        frames = [ether(B, A, pattern(i, 100)) for i in range(6)]
        self.assertEqual(self.send(frames, 0), [])
        self.assertEqual(counters(self.sv, 1)['drop_link_down'], 6)
        self.sv.cli('link', 'set', 'pf0', 'vf', '1', 'state', 'enable')
        self.assertEqual(self.send(frames, len(frames)), frames)

    def test_rate_limit_holds_max_tx_rate(self):
        # The sender offers as fast as it can; what the switch lets VF 0 send is its
        # transmit rate. Only the sender and softvf poll: a third busy poller on two cores
        # would time-slice the sender and measure the scheduler, not the limit.
        rate_mbps = 50
        self.sv.cli('link', 'set', 'pf0', 'vf', '0', 'max_tx_rate', str(rate_mbps))
        # virtio-user 22.11 ignores the device's MAC: give it the VF's, as a user would.
        tx = self.pmd('tx', self.wd, self.wd + '/vf0.sock', cpu=1, fwd='txonly', mac_addr=A,
                      extra=['--txpkts=1000', '--eth-peer=0,' + B])
        tx.cmd('start')
        self.assertGreaterEqual(tx.wait_port(0, tx=1000)[1], 1000)  # traffic is flowing
        first, t0 = counters(self.sv, 0)['rx_bytes'], time.monotonic()
        time.sleep(3.0)  # the measurement window, not a synchronisation
        last, t1 = counters(self.sv, 0)['rx_bytes'], time.monotonic()
        measured = (last - first) * 8 / (t1 - t0) / 1e6
        print('offered at full speed, VF 0 sent %.2f Mbit/s under max_tx_rate %d' % (measured, rate_mbps))
        # Shaped, not policed: what waits in VF 0's ring is not dropped.
        self.assertEqual(counters(self.sv, 0)['drop_rate_limited'], 0)
        self.assertAlmostEqual(measured, rate_mbps, delta=rate_mbps * 0.10)

    def test_dpdk_front_end_negotiates_in_order(self):
        # VIRTIO_F_IN_ORDER (bit 35): softvf uses every ring's buffers in the order they
        # were made available, and virtio-user then takes its in-order paths. The other
        # tests here (payloads byte for byte, drops, rewinds under max_tx_rate) run with it.
        fe = self.pmd('fe', self.wd, [self.wd + '/vf0.sock', self.wd + '/vf1.sock'], cpu=1,
                      fwd='rxonly', mac_addr=[A, B])
        features = fe.features()
        self.assertEqual(len(features), 2, fe.startup)
        for f in features:
            self.assertTrue(f >> 35 & 1, hex(f))  # VIRTIO_F_IN_ORDER
            self.assertTrue(f >> 32 & 1, hex(f))  # VIRTIO_F_VERSION_1

    def test_polling_front_end_is_not_asked_to_kick(self):
        # A polling front end (virtio-user) kicks after a burst unless the device set
        # VRING_USED_F_NO_NOTIFY: a write(2) on the kick eventfd per burst. softvf polls
        # while traffic flows and never waits on a receive queue, so it asks for none.
        # One testpmd loops frames through both VFs (as bench/vf_to_vf.py does).
        fe = self.pmd('fe', self.wd, [self.wd + '/vf0.sock', self.wd + '/vf1.sock'], cpu=1,
                      fwd='io', mac_addr=[A, B], extra=['--eth-peer=0,' + B, '--eth-peer=1,' + A])
        fe.cmd('start tx_first 8')
        rx0 = fe.wait_port(1, rx=50000)[0]
        self.assertGreaterEqual(rx0, 50000)  # the loop runs
        kicks0 = forwarding_thread_writes(fe)
        rx1 = fe.wait_port(1, rx=rx0 + 500000)[0]
        kicks = forwarding_thread_writes(fe) - kicks0
        bursts = (rx1 - rx0) / 32
        print('%d frames looped, %d kicks from the front end' % (rx1 - rx0, kicks))
        self.assertGreaterEqual(rx1 - rx0, 500000)
        # Without NO_NOTIFY it is one or two per burst (TX and the RX refill); with it,
        # only after softvf armed the rings to sleep, when the front end was descheduled.
        self.assertLess(kicks, bursts / 20)

    def test_two_queue_pairs(self):
        rx = self.pmd('rx', self.wd, self.wd + '/vf1.sock', cpu=1, fwd='rxonly', queues=2,
                      mac_addr=B)
        tx = self.pmd('tx', self.wd, self.wd + '/vf0.sock', cpu=1, fwd='txonly', queues=2,
                      mac_addr=A, extra=['--txpkts=64', '--eth-peer=0,' + B])
        rx.cmd('start')
        tx.cmd('start')
        self.assertGreaterEqual(rx.wait_port(0, rx=10000)[0], 10000)
        xstats = rx.cmd('show port xstats 0')
        tx.cmd('stop')
        per_queue = {}
        for q in (0, 1):
            m = re.search(r'rx_q%d_good_packets:\s+(\d+)' % q, xstats)
            per_queue[q] = int(m.group(1)) if m else 0
        self.assertGreater(per_queue[0], 0, xstats)
        self.assertGreater(per_queue[1], 0, xstats)


if __name__ == '__main__':
    unittest.main(verbosity=2)
