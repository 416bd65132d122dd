"""Soak: the daemon under continuous use, its memory and fds sampled.

Two QEMU guests stream iperf3 TCP both ways (--bidir) through the switch for the whole run;
every second one VF setting changes (trust, max_tx_rate, spoofchk, qos on the streaming
VFs, in turn); every minute the consumer of a third VF (a DPDK testpmd) is killed with -9
and a new one connects. Every 10 s the daemon's own memory (RssAnon), its resident set and its open fds are
sampled. At the end: the daemon is alive, its fd count is what it was at 10 s and its own
memory grew by less than 2 MiB, both streams moved data, and the guests still ping.

The suite runs it for 2 minutes; the documented soak is an hour:
    SOFTVF_SOAK_MINUTES=60 python3 tests/guest/test_soak.py
Samples are printed as MEASURED lines and written to soak.csv in the work directory.
"""
import json
import os
import re
import shutil
import sys
import time
import unittest

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), 'integration'))
sys.path.insert(0, HERE)
from harness import Softvf, Testpmd, cx6dx_card, have_testpmd, workdir  # noqa: E402
from guest import Guest, have_qemu, prepare  # noqa: E402

MAC_A, MAC_B, MAC_C = '02:00:00:00:00:0a', '02:00:00:00:00:0b', '02:00:00:00:00:0c'
IP_A, IP_B = '10.0.0.1', '10.0.0.2'
MINUTES = float(os.environ.get('SOFTVF_SOAK_MINUTES', '2'))
RSS_GROWTH_LIMIT_KB = 2 * 1024  # the daemon's own (anonymous) memory
# The settings changed once a second, in turn: (vf, setting, value). Each keeps the
# streams flowing (a rate well above what TCG guests reach, trust and spoofchk on VFs whose
# guests keep their MACs, a PCP on no port VLAN is ignored).
CHANGES = [(0, 'trust', 'on'), (1, 'max_tx_rate', '5000'), (0, 'spoofchk', 'off'),
           (1, 'trust', 'on'), (0, 'trust', 'off'), (1, 'max_tx_rate', '0'),
           (0, 'spoofchk', 'on'), (1, 'trust', 'off')]


def report(what):
    sys.stderr.write('MEASURED %s\n' % what)
    sys.stderr.flush()


def sample(pid):
    """(RssAnon kB, VmRSS kB, open fds). RssAnon is the daemon's own memory (heap, stacks);
    VmRSS also counts the guests' shared memory pages the worker has touched."""
    with open('/proc/%d/status' % pid) as f:
        status = f.read()
    kb = lambda key: int(re.search(key + r':\s+(\d+) kB', status).group(1))
    return kb('RssAnon'), kb('VmRSS'), len(os.listdir('/proc/%d/fd' % pid))


@unittest.skipUnless(have_qemu() and have_testpmd(), 'needs qemu-system-x86_64 and dpdk-testpmd')
class Soak(unittest.TestCase):
    def setUp(self):
        prepare()
        self.wd = workdir()
        self.guests, self.pmds = [], []
        card = cx6dx_card([{'mac': MAC_A}, {'mac': MAC_B}, {'mac': MAC_C}])
        self.sv = Softvf(self.wd, card)
        self.addCleanup(self.cleanup)
        sock = lambda vf: os.path.join(self.wd, 'vf%d.sock' % vf)
        self.sv.cli('attach', 'pf0', 'vf', '0', 'vhost-user', sock(0))
        self.a = Guest('a', self.wd, sock(0), MAC_A, IP_A + '/24')
        self.guests.append(self.a)
        self.b = Guest('b', self.wd, sock(1), MAC_B, IP_B + '/24', server=True)
        self.guests.append(self.b)
        self.sv.cli('attach', 'pf0', 'vf', '1', 'vhost-user', sock(1), 'client')
        self.sv.cli('attach', 'pf0', 'vf', '2', 'vhost-user', sock(2))
        for g in self.guests:
            g.ready()
        self.consumer = None
        self.reconnect_consumer()

    def cleanup(self):
        for p in self.pmds:
            p.quit()
        for g in self.guests:
            g.stop()
        self.sv.stop()
        if not os.environ.get('SOFTVF_KEEP'):
            shutil.rmtree(self.wd, ignore_errors=True)

    def counters(self, vf):
        return self.sv.vf_counters(vf)

    def reconnect_consumer(self):
        """The third VF's consumer dies (kill -9) and a new one takes the VF."""
        if self.consumer:
            self.consumer.kill()
            self.pmds.remove(self.consumer)
        n = getattr(self, 'generation', 0)
        self.generation = n + 1
        self.consumer = Testpmd('c%d' % n, self.wd, os.path.join(self.wd, 'vf2.sock'), cpu=1,
                                fwd='rxonly', mac_addr=MAC_C)
        self.pmds.append(self.consumer)
        self.consumer.cmd('start')

    def test_soak(self):
        seconds = int(MINUTES * 60)
        self.b.run('iperf3 -s -D -f m --logfile /tmp/iperf3-server.log')
        self.a.run('iperf3 -c %s -t %d --bidir -f m --logfile /tmp/soak-iperf3.log &' % (IP_B, seconds))
        csv = open(os.path.join(self.wd, 'soak.csv'), 'w')
        csv.write('seconds,rss_anon_kb,vm_rss_kb,fds\n')
        self.addCleanup(csv.close)
        first = None
        t0 = time.time()
        tick = 0
        reconnects = 0
        while time.time() - t0 < seconds:
            vf, setting, value = CHANGES[tick % len(CHANGES)]
            self.sv.cli('link', 'set', 'pf0', 'vf', str(vf), setting, value)
            if tick % 10 == 0:
                anon, rss, fds = sample(self.sv.proc.pid)
                # After the first touch of the guests' rings and buffers. (The `link set`
                # just answered holds no fd: the CLI returns once the daemon closed it.)
                if tick == 10:
                    first = (anon, fds)
                csv.write('%d,%d,%d,%d\n' % (tick, anon, rss, fds))
                report('soak t=%ds rss_anon=%d kB vm_rss=%d kB fds=%d' % (tick, anon, rss, fds))
            if tick and tick % 60 == 0:
                self.reconnect_consumer()
                reconnects += 1
            tick += 1
            # Pacing, not synchronisation: one change per second for the soak's length.
            time.sleep(max(0.0, t0 + tick - time.time()))
        self.assertIsNone(self.sv.proc.poll(), 'the daemon died')
        # Back to the first sample's shape (the consumer connected), then compare.
        deadline = time.time() + 10
        while not self.counters(2)['vhost_connected'] and time.time() < deadline:
            time.sleep(0.1)  # bounded wait on a condition
        anon, rss, fds = sample(self.sv.proc.pid)
        csv.write('%d,%d,%d,%d\n' % (tick, anon, rss, fds))
        report('soak %.0f min: at 10 s rss_anon=%d kB fds=%d; at the end rss_anon=%d kB '
               'vm_rss=%d kB fds=%d; %d consumer reconnects, %d setting changes' % (
                   MINUTES, first[0], first[1], anon, rss, fds, reconnects, tick))
        self.assertEqual(fds, first[1])
        self.assertLess(anon - first[0], RSS_GROWTH_LIMIT_KB)
        # Both directions of the stream moved data the whole time.
        _, out = self.a.run('while ! grep -q "iperf Done" /tmp/soak-iperf3.log; do sleep 1; done; '
                            'cat /tmp/soak-iperf3.log', timeout=90)
        summary = [l for l in out if re.search(r'\[(TX|RX)-C\].*(sender|receiver)', l)]
        report('soak iperf3 --bidir summary: %s' % ' | '.join(' '.join(l.split()) for l in summary))
        rates = [float(m.group(1)) for l in summary
                 for m in [re.search(r'([\d.]+) Mbits/sec', l)] if m]
        self.assertEqual(len(rates), 4, '\n'.join(out))
        self.assertTrue(all(r > 1 for r in rates), rates)
        self.assertEqual(self.counters(0)['vhost_protocol_errors'], 0)
        self.assertEqual(self.a.ping(IP_B, 3)['status'], 'ok')


if __name__ == '__main__':
    unittest.main(verbosity=2)
