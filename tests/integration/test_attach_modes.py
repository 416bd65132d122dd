"""How VFs are handed to real DPDK testpmd virtio-user front ends, and what survives them:
client mode (softvf connects to a listening front end), a front end killed mid-traffic,
an idle card's CPU, detach and re-attach while connected, and VFs attached from the
configuration file. Every traffic check sends frames VF 0 -> VF 1 and compares bytes.

Run: python3 tests/integration/test_attach_modes.py (CTest runs it; SOFTVF= names the binary).
"""
import json
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (Softvf, Testpmd, cx6dx_card, ether, have_testpmd, pattern, read_pcap,
                     workdir, write_pcap)

A = '02:00:00:00:00:0a'
B = '02:00:00:00:00:0b'


def frames(seed=0, n=12):
    out = [ether(B, A, pattern(seed + i, 46 + i * 113)) for i in range(n)]
    out.append(ether('ff:ff:ff:ff:ff:ff', A, pattern(seed + 99, 300)))  # broadcast floods
    return out


def counters(sv, vf):
    return sv.vf_counters(vf)


def wait_for(what, predicate, timeout=20):
    """Polls `predicate` until true; fails the test with `what` at the deadline."""
    end = time.time() + timeout
    while not predicate():
        if time.time() > end:
            raise AssertionError('timed out waiting for ' + what)
        time.sleep(0.05)


@unittest.skipUnless(have_testpmd(), 'dpdk-testpmd (Debian dpdk-dev) is not installed')
class AttachModes(unittest.TestCase):
    def setUp(self):
        self.wd = workdir()
        self.sv = None
        self.pmds = []

    def tearDown(self):
        for p in self.pmds:
            p.quit()
        if self.sv:
            self.sv.stop()

    def start(self, vf_keys=({'mac': A, 'spoofchk': True}, {'mac': B, 'spoofchk': True})):
        self.sv = Softvf(self.wd, cx6dx_card(list(vf_keys)))
        return self.sv

    def sock(self, name):
        return os.path.join(self.wd, name + '.sock')

    def pmd(self, *args, **kw):
        p = Testpmd(*args, **kw)
        self.pmds.append(p)
        return p

    def done(self, *pmds):
        for p in pmds:
            p.quit()
            self.pmds.remove(p)

    def server_pmd(self, name, sock, attach_vf, **kw):
        """A testpmd whose virtio-user listens on `sock`; softvf attaches VF `attach_vf`
        to it in client mode (None: the configuration file already did)."""
        p = self.pmd(name, self.wd, sock, cpu=1, server=True, wait=False, **kw)
        wait_for(sock + ' to listen', lambda: os.path.exists(sock))
        if attach_vf is not None:
            self.sv.cli('attach', 'pf0', 'vf', str(attach_vf), 'vhost-user', sock, 'client')
        p.ready()
        return p

    def cross(self, tx_sock, rx_sock, sent, tx_server=None, rx_server=None, tag=''):
        """Sends `sent` from the testpmd on VF 0's socket to the one on VF 1's and returns
        what arrived. *_server: None = softvf listens (server mode); a VF index = the
        testpmd listens and softvf attaches that VF in client mode; -1 = the testpmd
        listens and the configuration file attached the VF."""
        inp, out = self.wd + '/in%s.pcap' % tag, self.wd + '/out%s.pcap' % tag
        write_pcap(inp, sent)
        before = counters(self.sv, 0).get('rx_packets', 0)  # {} before the PF's switch runs
        if rx_server is None:
            rx = self.pmd('rx' + tag, self.wd, rx_sock, cpu=1, tx_pcap=out)
        else:
            rx = self.server_pmd('rx' + tag, rx_sock, None if rx_server < 0 else rx_server, tx_pcap=out)
        if tx_server is None:
            tx = self.pmd('tx' + tag, self.wd, tx_sock, cpu=1, rx_pcap=inp)
        else:
            tx = self.server_pmd('tx' + tag, tx_sock, None if tx_server < 0 else tx_server, rx_pcap=inp)
        rx.cmd('start')
        tx.cmd('start')
        tx.wait_port(tx.vf_port, tx=len(sent))
        wait_for('the switch to judge every frame',
                 lambda: counters(self.sv, 0)['rx_packets'] - before >= len(sent))
        rx.wait_port(0, tx=len(sent))
        self.done(tx, rx)
        return read_pcap(out)

    # ------------------------------------------------------------------ (a) client mode

    def test_client_mode_front_ends_listen_and_softvf_connects(self):
        self.start()
        sent = frames()
        got = self.cross(self.sock('fe0'), self.sock('fe1'), sent, tx_server=0, rx_server=1)
        self.assertEqual(got, sent)
        self.assertEqual(counters(self.sv, 1)['tx_packets'], len(sent))
        # The attachment is saved in client mode.
        self.sv.cli('save', self.wd + '/saved.toml')
        with open(self.wd + '/saved.toml') as f:
            self.assertIn('vhost_user = "%s"\nvhost_user_mode = "client"' % self.sock('fe1'), f.read())

    def test_client_mode_waits_for_a_front_end_that_comes_later(self):
        self.start()
        # Attached before anyone listens: the worker retries once a second.
        self.sv.cli('attach', 'pf0', 'vf', '0', 'vhost-user', self.sock('late0'), 'client')
        self.sv.cli('attach', 'pf0', 'vf', '1', 'vhost-user', self.sock('late1'), 'client')
        self.assertEqual(counters(self.sv, 0)['vhost_connected'], 0)
        sent = frames(7)
        self.assertEqual(self.cross(self.sock('late0'), self.sock('late1'), sent, tx_server=-1,
                                    rx_server=-1), sent)

    # ------------------------------------------------------------------ (b) a consumer dies

    def daemon_fds(self):
        return sorted(os.listdir('/proc/%d/fd' % self.sv.proc.pid), key=int)

    def daemon_guest_maps(self):
        """Shared mappings of front-end memory (DPDK's --no-huge memory is a memfd)."""
        with open('/proc/%d/maps' % self.sv.proc.pid) as f:
            return sum(1 for line in f if 'memfd:' in line or '/dev/hugepages' in line)

    def test_front_end_killed_mid_traffic_leaves_the_vf_ready(self):
        self.start()
        for vf in (0, 1):
            self.sv.cli('attach', 'pf0', 'vf', str(vf), 'vhost-user', self.sock('vf%d' % vf))
        fds, maps = self.daemon_fds(), self.daemon_guest_maps()
        rx = self.pmd('rx', self.wd, self.sock('vf1'), cpu=1, fwd='rxonly', mac_addr=B)
        tx = self.pmd('tx', self.wd, self.sock('vf0'), cpu=1, fwd='txonly', mac_addr=A,
                      extra=['--txpkts=512', '--eth-peer=0,' + B])
        rx.cmd('start')
        tx.cmd('start')
        self.assertGreaterEqual(rx.wait_port(0, rx=5000)[0], 5000)
        self.assertGreater(self.daemon_guest_maps(), maps)  # the front ends' memory is mapped
        # Both die while frames flow: the receiver first, with its RX ring being filled.
        rx.kill()
        self.pmds.remove(rx)
        wait_for('the switch to see VF 1 go', lambda: counters(self.sv, 1)['vhost_connected'] == 0)
        tx.kill()
        self.pmds.remove(tx)
        wait_for('the switch to see VF 0 go', lambda: counters(self.sv, 0)['vhost_connected'] == 0)
        self.assertIsNone(self.sv.proc.poll(), 'the daemon died with its front ends')
        self.assertGreaterEqual(counters(self.sv, 1)['vhost_disconnects'], 1)
        # Nothing of the dead front ends is kept: every fd they passed (memory, kicks,
        # calls) is closed and every guest mapping is gone.
        self.assertEqual(self.daemon_fds(), fds)
        self.assertEqual(self.daemon_guest_maps(), maps)
        # New front ends on the same sockets: every byte gets through.
        sent = frames(3)
        self.assertEqual(self.cross(self.sock('vf0'), self.sock('vf1'), sent, tag='2'), sent)
        self.assertEqual(counters(self.sv, 1)['vhost_connects'], 2)

    # ------------------------------------------------------------------ (c) idle CPU

    def idle_share(self, window=2.0):
        c0, t0 = self.sv.cpu_seconds(), time.monotonic()
        time.sleep(window)  # the measurement window, not a synchronisation
        c1, t1 = self.sv.cpu_seconds(), time.monotonic()
        return (c1 - c0) / (t1 - t0)

    def test_an_idle_card_uses_almost_no_cpu(self):
        self.start()
        for vf in (0, 1):
            self.sv.cli('attach', 'pf0', 'vf', str(vf), 'vhost-user', self.sock('vf%d' % vf))
        sent = frames(5)
        self.assertEqual(self.cross(self.sock('vf0'), self.sock('vf1'), sent), sent)
        # Traffic over, front ends gone, VFs still attached.
        share = self.idle_share()
        print('idle, no front ends: daemon CPU %.2f%% of wall time' % (share * 100))
        self.assertLess(share, 0.02)
        # Front ends connected with their rings set up, not forwarding.
        rx = self.pmd('rx', self.wd, self.sock('vf1'), cpu=1, fwd='rxonly', mac_addr=B)
        tx = self.pmd('tx', self.wd, self.sock('vf0'), cpu=1, fwd='txonly', mac_addr=A,
                      extra=['--txpkts=64', '--eth-peer=0,' + B])
        wait_for('both VFs connected',
                 lambda: counters(self.sv, 0)['vhost_connected'] and counters(self.sv, 1)['vhost_connected'])
        share = self.idle_share()
        print('idle, testpmd connected, not sending: daemon CPU %.2f%% of wall time' % (share * 100))
        self.assertLess(share, 0.02)
        # The meter sees a busy worker (so the idle figures mean something)...
        tx.cmd('start')
        share = self.idle_share(1.0)
        print('forwarding: daemon CPU %.2f%% of wall time' % (share * 100))
        self.assertGreater(share, 0.10)
        # ...and the worker goes back to sleep when the sender stops, front ends still there.
        tx.cmd('stop')
        share = self.idle_share()
        print('traffic stopped, testpmd connected: daemon CPU %.2f%% of wall time' % (share * 100))
        self.assertLess(share, 0.02)
        # A client-mode VF whose front end is away retries once a second: still idle.
        self.done(rx, tx)
        self.sv.cli('detach', 'pf0', 'vf', '1')
        self.sv.cli('attach', 'pf0', 'vf', '1', 'vhost-user', self.sock('nobody'), 'client')
        share = self.idle_share()
        print('idle, a client-mode VF retrying: daemon CPU %.2f%% of wall time' % (share * 100))
        self.assertLess(share, 0.02)

    # ------------------------------------------------------------------ (d) detach / re-attach

    def test_detach_while_connected_then_reattach(self):
        self.start()
        for vf in (0, 1):
            self.sv.cli('attach', 'pf0', 'vf', str(vf), 'vhost-user', self.sock('vf%d' % vf))
        rx = self.pmd('rx', self.wd, self.sock('vf1'), cpu=1, fwd='rxonly', mac_addr=B)
        tx = self.pmd('tx', self.wd, self.sock('vf0'), cpu=1, fwd='txonly', mac_addr=A,
                      extra=['--txpkts=256', '--eth-peer=0,' + B])
        rx.cmd('start')
        tx.cmd('start')
        self.assertGreaterEqual(rx.wait_port(0, rx=1000)[0], 1000)
        # Detach both while connected and busy.
        self.sv.cli('detach', 'pf0', 'vf', '1')
        self.sv.cli('detach', 'pf0', 'vf', '0')
        self.assertIsNone(self.sv.proc.poll())
        stats = counters(self.sv, 1)
        self.assertNotIn('vhost_connected', stats)  # no VfPort any more
        self.done(tx, rx)
        # Detaching what is not attached is an error, and says so.
        r = self.sv.cli('detach', 'pf0', 'vf', '1', check=False)
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stderr, 'softvf: detach: VF 1 of pf0 is not attached\n')
        # Re-attach on the same paths (the stale sockets are replaced): bytes cross again.
        for vf in (0, 1):
            self.sv.cli('attach', 'pf0', 'vf', str(vf), 'vhost-user', self.sock('vf%d' % vf))
        sent = frames(11)
        self.assertEqual(self.cross(self.sock('vf0'), self.sock('vf1'), sent), sent)
        # ... and the VF switched to client mode works too.
        self.sv.cli('detach', 'pf0', 'vf', '1')
        sent = frames(13)
        self.assertEqual(self.cross(self.sock('vf0'), self.sock('vf1c'), sent, rx_server=1, tag='c'), sent)

    # ------------------------------------------------------------------ (e) the configuration file

    def test_vfs_attached_in_the_configuration_file(self):
        self.start([{'mac': A, 'spoofchk': True, 'vhost_user': self.sock('cfg0')},
                    {'mac': B, 'spoofchk': True, 'vhost_user': self.sock('cfg1'),
                     'vhost_user_mode': 'client'}])
        self.assertTrue(os.path.exists(self.sock('cfg0')), 'server-mode VF socket not created at start')
        sent = frames(17)
        self.assertEqual(self.cross(self.sock('cfg0'), self.sock('cfg1'), sent, rx_server=-1), sent)
        # ip -s link's view of the same frames: VF 0 sent them all, VF 1 received them all.
        link = json.loads(self.sv.cli('link', 'show', '-s', '-j', 'pf0').stdout)[0]
        vf0, vf1 = link['vfinfo_list'][0]['stats'], link['vfinfo_list'][1]['stats']
        self.assertEqual(vf0['tx']['tx_packets'], len(sent))
        self.assertEqual(vf0['tx']['tx_bytes'], sum(len(f) for f in sent))
        self.assertEqual(vf1['rx']['packets'], len(sent))
        self.assertEqual(vf1['rx']['bytes'], sum(len(f) for f in sent))
        self.assertEqual(vf1['rx']['broadcast'], 1)


if __name__ == '__main__':
    unittest.main(verbosity=2)
