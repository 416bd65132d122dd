"""The wire and the host: VFs as host TAP netdevs, PF uplinks (AF_PACKET on a veth, UDP
tunnel), the PF's own host netdev, and the seed's provider network — two hosts (network
namespaces), each running softvf with an I350, joined by their uplinks on one VLAN trunk.

Front ends are real DPDK testpmd virtio-user apps ("VMs or DPDK apps" on the VFs); the host
side is the real kernel: TAPs, veth pairs, VLAN subinterfaces, ping.

Run: python3 tests/integration/test_wire.py (CTest runs it; SOFTVF= names the binary).
"""
import json
import os
import re
import select
import subprocess
import time
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (Netns, Softvf, Testpmd, cx6dx_card, ether, have_testpmd, pattern,
                     read_pcap, workdir, write_pcap)

A0, A1 = '02:00:00:00:0a:00', '02:00:00:00:0a:01'  # host A's VFs
B0, B1 = '02:00:00:00:0b:00', '02:00:00:00:0b:01'  # host B's VFs
PF_A, PF_B = '3c:fd:fe:9e:6b:a1', '3c:fd:fe:9e:6b:b1'  # the PFs' own MACs (host netdevs)


def vf_counters(sv, vf, dev='pf0'):
    return sv.vf_counters(vf, dev)


def pf_stats(sv, dev):
    return json.loads(sv.cli('--json', 'stats', dev).stdout)[0]


def ping(ns, *args):
    """Runs ping in `ns`; returns (sent, received)."""
    r = ns.run('ping', '-n', '-q', *args, check=False)
    m = re.search(r'(\d+) packets transmitted, (\d+) received', r.stdout)
    if not m:
        raise RuntimeError('ping %s: %s%s' % (' '.join(args), r.stdout, r.stderr))
    return int(m.group(1)), int(m.group(2))


@unittest.skipUnless(have_testpmd(), 'dpdk-testpmd (Debian dpdk-dev) is not installed')
class TapVf(unittest.TestCase):
    """A VF handed to the host kernel: `softvf attach PF vf N tap [IFNAME]`."""

    def setUp(self):
        self.wd = workdir()
        self.ns = Netns('svtap%d' % os.getpid())
        card = cx6dx_card([{'mac': A0}, {'mac': A1}]).replace(
            'numvfs = 2\n', 'numvfs = 2\nmtu = 9000\n')
        self.sv = Softvf(self.wd, card, netns=self.ns.name)
        self.pmds = []

    def tearDown(self):
        for p in self.pmds:
            p.quit()
        self.sv.stop()
        self.ns.close()

    def links(self):
        return {l['ifname']: l for l in json.loads(self.ns.ip('-j', 'link', 'show').stdout)}

    def test_tap_vf_is_named_like_the_vf_netdev_with_its_mac_and_goes_on_detach(self):
        self.sv.cli('attach', 'pf0', 'vf', '1', 'tap')
        link = self.links()['pf0v1']
        self.assertEqual(link['address'], A1)
        self.assertEqual(link['mtu'], 9000)
        self.assertNotIn('UP', link['flags'])  # a fresh netdev is down until the host ups it
        r = self.sv.cli('attach', 'pf0', 'vf', '1', 'tap', check=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn('already attached to tap:pf0v1', r.stderr)
        self.sv.cli('detach', 'pf0', 'vf', '1')
        self.assertNotIn('pf0v1', self.links())
        self.sv.cli('attach', 'pf0', 'vf', '1', 'tap', 'myvf1')
        self.assertIn('myvf1', self.links())

    def test_host_and_a_dpdk_app_exchange_traffic_through_a_tap_vf(self):
        self.sv.cli('attach', 'pf0', 'vf', '0', 'vhost-user', self.wd + '/vf0.sock')
        self.sv.cli('attach', 'pf0', 'vf', '1', 'tap')
        app = Testpmd('echo', self.wd, self.wd + '/vf0.sock', cpu=1, fwd='icmpecho', mac_addr=A0)
        self.pmds.append(app)
        app.cmd('start')
        self.ns.ip('addr', 'add', '10.77.0.1/24', 'dev', 'pf0v1')
        self.ns.ip('link', 'set', 'pf0v1', 'up')
        # testpmd's icmpecho answers ARP and echo requests: a real round trip, both ways.
        self.assertEqual(ping(self.ns, '-c', '3', '-W', '5', '10.77.0.2'), (3, 3))
        c = vf_counters(self.sv, 1)
        self.assertGreaterEqual(c['tap_rx_frames'], 4)  # ARP + 3 echo requests from the host
        self.assertGreaterEqual(c['tap_tx_frames'], 4)  # ARP reply + 3 echo replies to it


class TapVfOnTheWire(unittest.TestCase):
    """A TAP VF and an AF_PACKET uplink on one card: the host's VF netdev reaches a host
    behind the wire (a veth peer in another namespace) with 9000-byte frames."""

    def setUp(self):
        tag = os.getpid()
        self.host, self.far = Netns('svh%d' % tag), Netns('svf%d' % tag)
        self.addCleanup(self.far.close)
        self.addCleanup(self.host.close)
        subprocess.run(['ip', 'link', 'add', 'wire', 'netns', self.host.name, 'mtu', '9000', 'type',
                        'veth', 'peer', 'name', 'wire', 'netns', self.far.name, 'mtu', '9000'],
                       check=True)
        for ns in (self.host, self.far):
            ns.ip('link', 'set', 'wire', 'up')
        self.far.ip('addr', 'add', '10.5.0.2/24', 'dev', 'wire')
        card = cx6dx_card([{'mac': A0}]).replace(
            'numvfs = 1\n', 'numvfs = 1\nmtu = 9000\nuplink = { type = "af_packet", '
            'interface = "wire" }\n')
        self.sv = Softvf(workdir(), card, netns=self.host.name)
        self.addCleanup(self.sv.stop)

    def test_tap_vf_reaches_the_wire_with_jumbo_frames(self):
        self.sv.cli('attach', 'pf0', 'vf', '0', 'tap')
        self.host.ip('addr', 'add', '10.5.0.1/24', 'dev', 'pf0v0')
        self.host.ip('link', 'set', 'pf0v0', 'up')
        self.assertEqual(ping(self.host, '-c', '3', '-W', '5', '10.5.0.2'), (3, 3))
        self.assertEqual(ping(self.host, '-c', '3', '-W', '5', '-M', 'do', '-s', '8972',
                              '10.5.0.2'), (3, 3))
        up = pf_stats(self.sv, 'pf0')['uplink']['counters']
        self.assertGreaterEqual(up['af_packet_tx_frames'], 6)


@unittest.skipUnless(have_testpmd(), 'dpdk-testpmd (Debian dpdk-dev) is not installed')
class TapUplink(unittest.TestCase):
    """The wire as a TAP softvf creates: the host on its far end reaches a DPDK app on a VF."""

    def setUp(self):
        self.wd = workdir()
        self.ns = Netns('svtu%d' % os.getpid())
        self.addCleanup(self.ns.close)
        card = cx6dx_card([{'mac': A0}]).replace(
            'numvfs = 1\n', 'numvfs = 1\nuplink = { type = "tap", interface = "wire0" }\n')
        self.sv = Softvf(self.wd, card, netns=self.ns.name)
        self.addCleanup(self.sv.stop)

    def test_host_behind_a_tap_uplink_pings_a_vm(self):
        self.sv.cli('attach', 'pf0', 'vf', '0', 'vhost-user', self.wd + '/vf0.sock')
        echo = Testpmd('echo', self.wd, self.wd + '/vf0.sock', cpu=1, fwd='icmpecho', mac_addr=A0)
        self.addCleanup(echo.quit)
        echo.cmd('start')
        self.ns.ip('addr', 'add', '10.6.0.1/24', 'dev', 'wire0')
        self.assertEqual(ping(self.ns, '-c', '3', '-W', '5', '10.6.0.2'), (3, 3))
        up = pf_stats(self.sv, 'pf0')['uplink']
        self.assertEqual((up['name'], up['kind']), ('wire0', 'tap'))
        self.assertEqual(up['counters']['link_up'], 1)


class ProviderNetwork:
    """The seed's physnet: hosts A and B (network namespaces), each a softvf with an I350
    whose PF enp49s0f1 has VFs in VLANs 1000 and 1001, joined by a trunk between their
    uplinks. Subclasses say what the trunk is."""

    uplink = None  # {'type': ...}

    def card(self, side, vf_macs, pf_mac):
        up = ', '.join('%s = "%s"' % kv for kv in self.uplink_keys(side).items())
        text = ('[[bridge]]\nbdf = "0000:30:03.1"\ntype = "root_port"\nsecondary_bus = 0x31\n'
                'subordinate_bus = 0x31\nacs = true\n\n'
                '[[adapter]]\nprofile = "i350"\nslot = "0000:31:00"\n\n'
                '[[adapter.port]]\nfunction = 1\nname = "enp49s0f1"\nmac = "%s"\nmtu = 9000\n'
                'numvfs = 2\nuplink = { %s }\nhost_netdev = true\nhost_vlan = 1000\n'
                % (pf_mac, up))
        for i, (m, vlan) in enumerate(zip(vf_macs, (1000, 1001))):
            text += '\n[[adapter.port.vf]]\nindex = %d\nmac = "%s"\nvlan = %d\n' % (i, m, vlan)
        # The seed's "FDB extension": the host's own MAC in VLAN 1000 points at the PF.
        text += '\n[[adapter.port.fdb]]\nmac = "%s"\nport = "pf"\nvlan = 1000\n' % pf_mac
        return text

    def setUp(self):
        tag = os.getpid()
        self.wd = workdir()
        self.a, self.b = Netns('svA%d' % tag), Netns('svB%d' % tag)
        self.pmds = []
        self.svs = []
        # The trunk: a veth pair, one end in each host, jumbo-sized.
        subprocess.run(['ip', 'link', 'add', 'trunk', 'netns', self.a.name, 'mtu', '9000', 'type',
                        'veth', 'peer', 'name', 'trunk', 'netns', self.b.name, 'mtu', '9000'],
                       check=True)
        for i, ns in enumerate((self.a, self.b)):
            ns.ip('addr', 'add', '192.168.77.%d/24' % (i + 1), 'dev', 'trunk')
            ns.ip('link', 'set', 'trunk', 'up')
        self.wd_a, self.wd_b = self.wd + '/a', self.wd + '/b'
        os.makedirs(self.wd_a)
        os.makedirs(self.wd_b)
        self.sv_a = Softvf(self.wd_a, self.card('a', (A0, A1), PF_A), netns=self.a.name)
        self.svs.append(self.sv_a)
        self.sv_b = Softvf(self.wd_b, self.card('b', (B0, B1), PF_B), netns=self.b.name)
        self.svs.append(self.sv_b)
        for sv, wd in ((self.sv_a, self.wd_a), (self.sv_b, self.wd_b)):
            for vf in (0, 1):
                sv.cli('attach', 'enp49s0f1', 'vf', str(vf), 'vhost-user', '%s/vf%d.sock' % (wd, vf))
        # Each host's own netdev in VLAN 1000. This machine's kernel has no 8021q (no VLAN
        # subinterfaces), so the PF's host port is VLAN 1000's access port (host_vlan).
        for i, ns in enumerate((self.a, self.b)):
            ns.ip('addr', 'add', '10.100.0.%d/24' % (i + 1), 'dev', 'enp49s0f1')
            ns.ip('link', 'set', 'enp49s0f1', 'up')

    def tearDown(self):
        for p in self.pmds:
            p.quit()
        for sv in self.svs:
            sv.stop()
        self.a.close()
        self.b.close()

    def pmd(self, *args, **kw):
        p = Testpmd(*args, **kw)
        self.pmds.append(p)
        return p

    def test_vms_in_vlan_1000_reach_each_other_across_the_wire_and_vlan_1001_does_not(self):
        frames = [ether(A0, B0, pattern(i, 60 + 300 * i)) for i in range(5)]
        frames.append(ether('ff:ff:ff:ff:ff:ff', B0, pattern(9, 100)))
        write_pcap(self.wd + '/in.pcap', frames)
        got0 = self.pmd('a0', self.wd_a, self.wd_a + '/vf0.sock', cpu=1, mac_addr=A0,
                        tx_pcap=self.wd + '/a0.pcap')
        got1 = self.pmd('a1', self.wd_a, self.wd_a + '/vf1.sock', cpu=1, mac_addr=A1,
                        tx_pcap=self.wd + '/a1.pcap')
        for p in (got0, got1):
            p.cmd('start')
        send = self.pmd('b0', self.wd_b, self.wd_b + '/vf0.sock', cpu=0, mac_addr=B0,
                        rx_pcap=self.wd + '/in.pcap')
        send.cmd('start')
        got0.wait_port(got0.vf_port, rx=len(frames))
        send.cmd('stop')
        # The broadcast reached every VLAN 1000 port in the same pass: VLAN 1001's VF got
        # nothing then, and the switch says it delivered it nothing.
        self.assertEqual(vf_counters(self.sv_a, 1, 'enp49s0f1')['tx_packets'], 0)
        got0.quit()
        got1.quit()
        # Host A's own netdev shares VLAN 1000 (its IPv6 multicast reaches VF 0 too): keep B0's.
        got = [f for f in read_pcap(self.wd + '/a0.pcap') if f[6:12] == bytes.fromhex(B0.replace(':', ''))]
        self.assertEqual(got, frames)
        self.assertEqual(read_pcap(self.wd + '/a1.pcap'), [])
        # On the wire the frames were tagged 1000: host A's switch took them in VLAN 1000.
        up = pf_stats(self.sv_a, 'enp49s0f1')['uplink']['counters']
        self.assertGreaterEqual(up['rx_packets'], len(frames))

    def test_host_netdevs_reach_a_vm_and_each_other_across_the_wire_with_jumbo_frames(self):
        echo = self.pmd('echo', self.wd_a, self.wd_a + '/vf0.sock', cpu=1, fwd='icmpecho',
                        mac_addr=A0)
        echo.cmd('start')
        # Host B's own netdev -> PF host port -> trunk -> host A's switch -> VF 0 (VLAN 1000).
        self.assertEqual(ping(self.b, '-c', '3', '-W', '5', '10.100.0.9'), (3, 3))
        # Host to host through both switches and the trunk, 9000-byte frames, no fragments.
        self.assertEqual(ping(self.b, '-c', '3', '-W', '5', '-M', 'do', '-s', '8972',
                              '10.100.0.1'), (3, 3))
        host_b = pf_stats(self.sv_b, 'enp49s0f1')['host']['counters']
        self.assertGreaterEqual(host_b['tap_rx_frames'], 6)


class AfPacketTrunk(ProviderNetwork, unittest.TestCase):
    """Uplinks are AF_PACKET sockets on the two ends of a veth pair."""

    def uplink_keys(self, side):
        return {'type': 'af_packet', 'interface': 'trunk'}

    def test_wire_down_takes_link_state_auto_vfs_down(self):
        write_pcap(self.wd + '/in.pcap', [ether(B0, A0, pattern(1, 80))] * 4)
        send = self.pmd('a0', self.wd_a, self.wd_a + '/vf0.sock', cpu=1, mac_addr=A0,
                        rx_pcap=self.wd + '/in.pcap')
        self.b.ip('link', 'set', 'trunk', 'down')  # host A's wire loses its carrier
        uplink_up = lambda: pf_stats(self.sv_a, 'enp49s0f1')['uplink']['counters']['link_up']
        deadline = time.time() + 10
        while uplink_up() and time.time() < deadline:
            select.select([], [], [], 0.05)  # the daemon hears it from rtnetlink; re-checked
        self.assertEqual(uplink_up(), 0)
        send.cmd('start')
        send.wait_port(send.vf_port, tx=4)
        send.cmd('stop')
        dropped = lambda: vf_counters(self.sv_a, 0, 'enp49s0f1')['drop_link_down']
        deadline = time.time() + 10
        while dropped() < 4 and time.time() < deadline:  # the switch judges what testpmd sent
            select.select([], [], [], 0.05)
        self.assertEqual(dropped(), 4, vf_counters(self.sv_a, 0, 'enp49s0f1'))
        # Carrier back: link-state auto VFs come back with it.
        self.b.ip('link', 'set', 'trunk', 'up')
        deadline = time.time() + 10
        while not uplink_up() and time.time() < deadline:
            select.select([], [], [], 0.05)
        self.assertEqual(uplink_up(), 1)


class UdpTrunk(ProviderNetwork, unittest.TestCase):
    """Uplinks are a UDP tunnel between the hosts' addresses (one datagram per frame)."""

    def uplink_keys(self, side):
        me, peer = ('1', '2') if side == 'a' else ('2', '1')
        return {'type': 'udp', 'local': '192.168.77.%s:4789' % me,
                'remote': '192.168.77.%s:4789' % peer}


if __name__ == '__main__':
    unittest.main()
