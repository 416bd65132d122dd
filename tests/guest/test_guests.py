"""Two QEMU guests (stock Debian kernel, virtio_net) on two VFs of a softvf card, talking
through the PF's switch: ping, port-VLAN isolation, spoof check and trust after a MAC
change, max_tx_rate under iperf3 TCP, jumbo frames; and the guests' connections surviving
a detach/attach, a driver reload in the guest and a daemon restart.

Guest A's VF is attached in softvf's server mode (QEMU connects, reconnect=1); guest B's
in client mode (QEMU listens, softvf connects). Both guests boot once for the whole class
(3-5 s each under TCG here, both at once) and take commands on their consoles; every test puts back what it
changed. The first run prepares the guest (downloads Debian's cloud kernel, ~27 MB).

Run: python3 tests/guest/test_guests.py (CTest runs it; SOFTVF= names the binary).
Guest consoles, the daemon's log and the card are in the work directory, kept when a test
fails (its path is printed) or with SOFTVF_KEEP=1. SOFTVF_GUEST_ACCEL=kvm boots with KVM where that works.
"""
import json
import os
import shutil
import sys
import time
import unittest

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), 'integration'))
sys.path.insert(0, HERE)
from harness import Netns, Softvf, cx6dx_card, workdir  # noqa: E402
from guest import Guest, have_qemu, prepare  # noqa: E402

MAC_A = '02:00:00:00:00:0a'
MAC_B = '02:00:00:00:00:0b'
MAC_T = '02:00:00:00:00:0c'  # VF 2, given to the host kernel as a TAP netdev
MAC_NEW = '02:00:00:00:00:aa'  # the address guest A changes to
IP_A = '10.0.0.1'
IP_B = '10.0.0.2'
IP_T = '10.0.0.3'  # the host's address on the TAP VF
JUMBO = 9000


def card():
    """cx6dx (it takes rate limits; igb on an I350 refuses them) with PF pf0 at MTU 9000:
    the VFs' MTU is the PF's, as on a real PF (a VF cannot exceed its PF's MTU)."""
    text = cx6dx_card([{'mac': MAC_A, 'spoofchk': True}, {'mac': MAC_B, 'spoofchk': True},
                       {'mac': MAC_T}])
    return text.replace('name = "pf0"\n', 'name = "pf0"\nmtu = %d\n' % JUMBO, 1)


def report(what):
    """Figures worth reading in the test log (CTest shows them with --output-on-failure
    or -V)."""
    sys.stderr.write('MEASURED %s\n' % what)
    sys.stderr.flush()


@unittest.skipUnless(have_qemu(), 'qemu-system-x86_64 (Debian qemu-system-x86) is not installed')
class TwoGuests(unittest.TestCase):
    keep = False

    @classmethod
    def setUpClass(cls):
        prepare()
        cls.t0 = time.time()
        cls.wd = workdir()
        cls.addClassCleanup(cls.cleanup)
        cls.guests = []
        # The daemon runs in its own network namespace: the TAP VF it creates lives there.
        cls.ns = Netns('svguest%d' % os.getpid())
        cls.state = os.path.join(cls.wd, 'state.toml')  # the daemon's state across restarts
        cls.sv = Softvf(cls.wd, card(), netns=cls.ns.name, state=cls.state)
        sock_a = os.path.join(cls.wd, 'vf0.sock')
        sock_b = os.path.join(cls.wd, 'vf1.sock')
        cls.sv.cli('attach', 'pf0', 'vf', '0', 'vhost-user', sock_a)
        cls.a = cls.boot(Guest('a', cls.wd, sock_a, MAC_A, IP_A + '/24'))
        cls.b = cls.boot(Guest('b', cls.wd, sock_b, MAC_B, IP_B + '/24', server=True))
        # QEMU B listens only once it is running; softvf retries its connect every second.
        cls.sv.cli('attach', 'pf0', 'vf', '1', 'vhost-user', sock_b, 'client')
        for g in cls.guests:
            g.ready()
        report('boot: guest a %.1f s, guest b %.1f s (QEMU start to eth0 up, both at once)' % (
            cls.a.boot_seconds, cls.b.boot_seconds))
        for g in cls.guests:
            g.run('iperf3 -s -D -f m --logfile /tmp/iperf3-server.log')

    @classmethod
    def boot(cls, guest):
        cls.guests.append(guest)
        return guest

    @classmethod
    def cleanup(cls):
        for g in cls.guests:
            g.stop()
        if getattr(cls, 'sv', None):
            cls.sv.stop()
        if getattr(cls, 'ns', None):
            cls.ns.close()
        if cls.keep or os.environ.get('SOFTVF_KEEP'):
            sys.stderr.write('guest test files kept in %s\n' % cls.wd)
        else:
            shutil.rmtree(cls.wd, ignore_errors=True)
        report('suite: %.1f s with the guests up' % (time.time() - cls.t0))

    def tearDown(self):
        result = getattr(getattr(self, '_outcome', None), 'result', None)
        if result is not None and (result.failures or result.errors):
            type(self).keep = True

    # ------------------------------------------------------------ helpers

    def counters(self, vf):
        return self.sv.vf_counters(vf)

    def link_set(self, vf, *settings):
        self.sv.cli('link', 'set', 'pf0', 'vf', str(vf), *settings)

    def restore(self, vf, *settings):
        """Puts a VF setting back after the test, whatever happens in it."""
        self.addCleanup(self.link_set, vf, *settings)

    def forget_neighbours(self):
        """Both guests resolve each other afresh (a cached ARP entry would hide a broken
        broadcast path)."""
        for g in (self.a, self.b):
            g.run('ip neigh flush dev eth0')

    def assertReaches(self, src, dst, count=3, size=56, options=''):
        r = src.ping(dst.ip, count, size, options)
        self.assertEqual(r['status'], 'ok', '%s cannot ping %s:\n%s' % (src.name, dst.name, r['output']))
        return r

    def assertCannotReach(self, src, dst, count=3):
        r = src.ping(dst.ip, count)
        self.assertEqual(r['count'], '0/%d' % count,
                         '%s reached %s:\n%s' % (src.name, dst.name, r['output']))
        return r

    # ------------------------------------------------------------ tests

    def test_a_ping_both_ways(self):
        self.forget_neighbours()
        before = [self.counters(vf) for vf in (0, 1)]
        r = self.assertReaches(self.a, self.b, count=10)
        report('ping a -> b: %s replies, rtt avg %s ms' % (r['count'], r['rtt_avg_ms']))
        r = self.assertReaches(self.b, self.a, count=10)
        report('ping b -> a: %s replies, rtt avg %s ms' % (r['count'], r['rtt_avg_ms']))
        after = [self.counters(vf) for vf in (0, 1)]
        # At least the requests and replies of both runs went through the switch each way.
        for vf in (0, 1):
            self.assertGreaterEqual(after[vf]['rx_packets'] - before[vf]['rx_packets'], 20)
            self.assertGreaterEqual(after[vf]['tx_packets'] - before[vf]['tx_packets'], 20)
            self.assertEqual(after[vf]['vhost_connected'], 1)
            self.assertEqual(after[vf]['vhost_queue_errors'], 0)
            self.assertEqual(after[vf]['vhost_protocol_errors'], 0)

    def test_b_port_vlans_isolate(self):
        self.restore(0, 'vlan', '0')
        self.restore(1, 'vlan', '0')
        self.link_set(0, 'vlan', '10')
        self.link_set(1, 'vlan', '20')
        self.forget_neighbours()
        self.assertCannotReach(self.a, self.b)
        self.assertCannotReach(self.b, self.a)
        # The same port VLAN joins them again: it was the VLANs that kept them apart.
        self.link_set(0, 'vlan', '20')
        self.forget_neighbours()
        self.assertReaches(self.a, self.b)

    def test_c_changed_mac_is_spoofed_until_the_vf_is_trusted(self):
        """A guest that changes its MAC with spoof check on is cut off and counted; trusting
        the VF grants the change (as i40e/ice grant a trusted VF's MAC request: the guest's
        request itself travels on its control queue, which QEMU keeps, so the switch takes
        a trusted VF's source as granted) and it talks again; withdrawing trust cuts it
        off again."""
        self.addCleanup(self.a.run, 'ip link set eth0 address %s' % MAC_A)
        self.restore(0, 'spoofchk', 'on')
        self.restore(0, 'trust', 'off')
        self.forget_neighbours()
        self.assertReaches(self.a, self.b)
        self.a.run('ip link set eth0 address %s' % MAC_NEW)
        self.forget_neighbours()
        spoofed = self.counters(0)['drop_spoofed']
        self.assertCannotReach(self.a, self.b)
        # (Its ARP requests: with no reply, ping sends no echo request at all.)
        self.assertGreater(self.counters(0)['drop_spoofed'], spoofed)
        self.assertIn('spoof checking on', self.sv.cli('link', 'show', 'pf0').stdout)
        self.link_set(0, 'trust', 'on')
        self.forget_neighbours()
        self.assertReaches(self.a, self.b)
        self.link_set(0, 'trust', 'off')
        self.forget_neighbours()
        self.assertCannotReach(self.a, self.b)

    RATE = 50  # Mbit/s, far below what two TCG guests move through softvf

    def test_d_max_tx_rate_holds_iperf3_tcp_within_10_percent(self):
        """iperf3 counts TCP payload (1448 of every 1514 bytes the bucket is charged with,
        95.6%). The VF's frames wait in its TX ring while the bucket is empty (shaping):
        TCP sees backpressure, not loss, and nothing is dropped as rate limited."""
        free = self.a.iperf3(IP_B)
        self.assertEqual(free['status'], 'ok', free['output'])
        unlimited = float(free['receiver_mbps'])
        report('iperf3 TCP a -> b, no limit: %.1f Mbit/s (sender %s)' % (unlimited, free['sender_mbps']))
        # The limit must be what holds the stream, not the guests' own speed.
        self.assertGreater(unlimited, self.RATE * 1.3, 'the guests cannot even reach the rate')
        self.restore(0, 'max_tx_rate', '0')
        self.link_set(0, 'max_tx_rate', str(self.RATE))
        limited = self.counters(0)['drop_rate_limited']
        held = self.a.iperf3(IP_B)
        self.assertEqual(held['status'], 'ok', held['output'])
        got = float(held['receiver_mbps'])
        report('iperf3 TCP a -> b, max_tx_rate %d: %.1f Mbit/s (sender %s)' % (
            self.RATE, got, held['sender_mbps']))
        self.assertEqual(self.counters(0)['drop_rate_limited'], limited)
        goodput = self.RATE * 1448 / 1514  # what iperf3 can see of the rate: 47.8 Mbit/s
        self.assertGreaterEqual(got, goodput * 0.9)
        self.assertLessEqual(got, goodput * 1.1)

    def test_e_jumbo_frames_cross(self):
        """The card's PF has MTU 9000, the VFs' limit on a real card. (softvf does not
        enforce it yet: frames over the PF's MTU cross as well.)"""
        for g in (self.a, self.b):
            self.addCleanup(g.run, 'ip link set eth0 mtu 1500')
            g.run('ip link set eth0 mtu %d' % JUMBO)
        self.forget_neighbours()
        before = self.counters(1)
        # -M do: the DF bit set and no fragmentation in A; 8000 + 28 bytes of IP in one frame.
        r = self.assertReaches(self.a, self.b, count=3, size=8000, options='-M do')
        report('ping -s 8000 -M do a -> b at MTU %d: %s, rtt avg %s ms' % (
            JUMBO, r['count'], r['rtt_avg_ms']))
        after = self.counters(1)
        # Three echo requests of 8042-byte frames (8000 + ICMP 8 + IP 20 + Ethernet 14)
        # were handed to VF 1.
        self.assertGreaterEqual(after['tx_bytes'] - before['tx_bytes'], 3 * 8042)
        self.assertReaches(self.b, self.a, count=3, size=8000, options='-M do')
        # And at 1500 the same ping is refused in the sender, so the frames above were jumbo.
        self.a.run('ip link set eth0 mtu 1500')
        r = self.a.ping(IP_B, 1, 8000, '-M do')
        self.assertEqual(r['status'], 'fail', r['output'])

    def wait_connected(self, vfs, timeout=30):
        deadline = time.time() + timeout
        while not all(self.counters(vf)['vhost_connected'] for vf in vfs):
            self.assertLess(time.time(), deadline, 'VFs %s not connected within %d s' % (vfs, timeout))
            time.sleep(0.1)  # polls a condition, bounded by the deadline

    def test_f_detach_and_attach_under_a_running_guest(self):
        """detach takes the VF from a running guest (its link to B is gone); attached
        again, QEMU (reconnect=1) comes back by itself and the guest's driver never knew."""
        sock = os.path.join(self.wd, 'vf0.sock')
        self.sv.cli('detach', 'pf0', 'vf', '0')
        try:
            self.forget_neighbours()
            self.assertCannotReach(self.a, self.b, count=2)
        finally:
            self.sv.cli('attach', 'pf0', 'vf', '0', 'vhost-user', sock)
        self.wait_connected([0])
        self.assertReaches(self.a, self.b)

    def test_g_guest_reloads_its_driver(self):
        """rmmod/insmod virtio_net in guest B (QEMU listening, softvf connected): the
        device is reset and started again (QEMU stops and restarts the vhost-user rings
        on the same connection), and traffic flows again."""
        connects = self.counters(1)['vhost_connects']
        self.b.run('rmmod virtio_net && insmod /lib/modules/virtio_net.ko && '
                   'while [ ! -e /sys/class/net/eth0 ]; do sleep 0.1; done && '
                   'ip addr add %s/24 dev eth0 && ip link set eth0 up' % IP_B)
        self.forget_neighbours()
        self.assertReaches(self.b, self.a)
        self.assertReaches(self.a, self.b)
        self.assertEqual(self.counters(1)['vhost_connects'], connects)
        self.assertEqual(self.counters(1)['vhost_protocol_errors'], 0)

    def test_h_daemon_restarts_with_its_state_and_both_guests_reconnect(self):
        """softvf restarts under running guests, stopped with SIGTERM and then killed with
        -9: the new daemon restores the VF settings, static FDB entries and attachments
        from its --state file by itself (nobody attaches again); QEMU A (client,
        reconnect=1) reconnects to the new socket, softvf connects again to QEMU B
        (server); the guests' drivers never notice, and traffic flows again."""
        steer = '02:00:00:00:00:ee'
        self.link_set(1, 'trust', 'on')
        self.addCleanup(lambda: self.link_set(1, 'trust', 'off'))
        self.sv.cli('fdb', 'add', steer, 'dev', 'pf0', 'vf', '1')
        self.addCleanup(lambda: self.sv.cli('fdb', 'del', steer, 'dev', 'pf0', check=False))
        for how in ('SIGTERM', 'SIGKILL'):
            self.sv.stop(kill=how == 'SIGKILL')
            os.rename(os.path.join(self.wd, 'softvf.log'),
                      os.path.join(self.wd, 'softvf-before-%s.log' % how))
            type(self).sv = Softvf(self.wd, card(), netns=self.ns.name, state=self.state)
            back = time.time()
            self.wait_connected([0, 1])
            connected = time.time() - back
            self.forget_neighbours()
            self.assertReaches(self.a, self.b, count=1)
            pinged = time.time() - back
            report('daemon restart after %s: both front ends connected %.2f s after the '
                   'daemon was back, first ping answered after %.2f s' % (how, connected, pinged))
            self.assertReaches(self.b, self.a)
            vf1 = [l for l in self.sv.cli('link', 'show', 'pf0').stdout.splitlines()
                   if l.strip().startswith('vf 1 ')][0]
            self.assertIn('trust on', vf1)
            self.assertIn(steer, self.sv.cli('fdb', 'show', 'dev', 'pf0').stdout)
            self.assertIn('state restored from', self.sv.startup_output)
            # QEMU 7.2's reconnect= counts whole seconds: guest A's QEMU comes back on its
            # next 1 s tick; softvf connects to guest B's QEMU at once.
            self.assertLess(connected, 2.0)

    def test_i_guest_and_the_hosts_tap_vf_exchange_traffic(self):
        """VF 2 handed to the host kernel as a TAP netdev (pf0v2, the VF's MAC), addressed
        in the guests' subnet: guest A and the host ping each other through the switch."""
        self.sv.cli('attach', 'pf0', 'vf', '2', 'tap')
        self.addCleanup(self.sv.cli, 'detach', 'pf0', 'vf', '2')
        self.ns.ip('addr', 'add', IP_T + '/24', 'dev', 'pf0v2')
        self.ns.ip('link', 'set', 'pf0v2', 'up')
        self.forget_neighbours()
        r = self.a.ping(IP_T, 3)
        self.assertEqual(r['status'], 'ok', r['output'])
        out = self.ns.run('ping', '-n', '-q', '-c', '3', '-W', '5', IP_A, check=False).stdout
        self.assertIn('3 packets transmitted, 3 received', out)
        c = self.counters(2)
        self.assertGreaterEqual(c['tap_rx_frames'], 3)
        self.assertGreaterEqual(c['tap_tx_frames'], 3)


if __name__ == '__main__':
    unittest.main(verbosity=2)
