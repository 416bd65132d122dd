"""A hostile front end against a running softvf while other VFs forward.

One daemon with a cx6dx card of 3 VFs. VF0 -> VF1 traffic runs the whole time (a testpmd
txonly on VF0, a testpmd rxonly on VF1). Every attack of tests/hostile/hostile_frontend
(--list) is carried out against VF2, back to back, each repeated for ATTACK_SECONDS. For
each attack the test asserts:
  (a) the daemon keeps running: its control socket answers `softvf stats`;
  (b) the other VFs keep forwarding: VF1's receive rate DURING the attack stays above
      RATE_FRACTION of the rate measured without attack;
  (c) the offending VF is reset (connection dropped, vhost_protocol_errors up) or its
      queue stopped (vhost_queue_errors up) -- or, for a front end that stops mid-message,
      the daemon just waits and the VF is reset when it goes away (vhost_disconnects up);
  (d) the event is logged: a line in the daemon's stderr naming VF2 (its socket) and
      the reason.

Run: python3 tests/hostile/test_hostile.py (CTest runs it with SOFTVF= and
SOFTVF_HOSTILE= naming the binaries; HOSTILE_ATTACKS=a,b,... runs only those).
"""
import json
import os
import re
import subprocess
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), 'integration'))
from harness import REPO, Softvf, Testpmd, cx6dx_card, have_testpmd, workdir  # noqa: E402

A, B, C = '02:00:00:00:00:0a', '02:00:00:00:00:0b', '02:00:00:00:00:0c'
CARD = cx6dx_card([{'mac': A}, {'mac': B}, {'mac': C}])
HOSTILE = os.environ.get('SOFTVF_HOSTILE',
                         os.path.join(REPO, 'build', 'bin', 'softvf_hostile_frontend'))

ATTACK_SECONDS = 0.5   # each attack is repeated this long: the measurement window
RATE_FRACTION = 0.2    # VF1's rate during an attack, as a fraction of the rate without
BASELINE_SECONDS = 1.0

PROTOCOL, QUEUE, WAITS, NONE = 'protocol', 'queue', 'waits', 'none'

# attack -> (what must happen to VF2, a substring of the logged reason)
EXPECT = {
    'baseline': (NONE, None),
    # A driver bug, not a broken ring: returned used, nothing sent, vhost_tx_bad_buffers +1.
    'tx-chain-shorter-than-header': (NONE, None),
    'mem-overlap': (PROTOCOL, 'overlaps another'),
    'mem-zero-size': (PROTOCOL, 'has size 0'),
    'mem-huge-region': (PROTOCOL, "is beyond its fd's 0x200000 bytes"),
    'mem-offset-beyond-fd': (PROTOCOL, "mmap offset 0x1000000 + size 0x1000 is beyond its fd's"),
    'mem-offset-size-overflow': (PROTOCOL, 'wraps around 2^64'),
    'mem-gpa-wraps': (PROTOCOL, 'wraps around 2^64'),
    'mem-too-many-regions': (PROTOCOL, 'SET_MEM_TABLE: 9 memory regions'),
    'mem-region-count-huge': (PROTOCOL, 'SET_MEM_TABLE: 4294967295 memory regions'),
    'mem-fd-missing': (PROTOCOL, 'SET_MEM_TABLE: 1 file descriptors (expected 2)'),
    'mem-fd-extra': (PROTOCOL, 'SET_MEM_TABLE: 3 file descriptors (expected 1)'),
    'mem-fd-not-mappable': (PROTOCOL, 'mmap of 0x1000 bytes failed'),
    'mem-shrink-after-map': (PROTOCOL, 'guest memory shrank under its mapping (SIGBUS)'),
    'vring-index-num': (PROTOCOL, 'vring index 255 (the VF has'),
    'vring-index-addr': (PROTOCOL, 'vring index 255 (the VF has'),
    'vring-index-base': (PROTOCOL, 'vring index 255 (the VF has'),
    'vring-index-get-base': (PROTOCOL, 'vring index 255 (the VF has'),
    'vring-index-enable': (PROTOCOL, 'vring index 255 (the VF has'),
    'vring-index-kick': (PROTOCOL, 'vring index 255 (the VF has'),
    'vring-index-call': (PROTOCOL, 'vring index 255 (the VF has'),
    'vring-index-err': (PROTOCOL, 'vring index 255 (the VF has'),
    'vring-num-bad': (PROTOCOL, 'vring size 0 (a power of 2 up to 32768)'),
    'log-base-overflow': (PROTOCOL, 'SET_LOG_BASE is not supported'),
    'log-fd': (PROTOCOL, 'SET_LOG_FD is not supported'),
    'log-all-feature': (PROTOCOL, 'feature bits 0x4000000 were not offered'),
    'inflight-get': (PROTOCOL, 'GET_INFLIGHT_FD is not supported'),
    'inflight-set': (PROTOCOL, 'SET_INFLIGHT_FD is not supported'),
    'ring-outside-memory': (QUEUE, 'TX queue 0 stopped: bad_ring_address: the descriptor table is outside'),
    'ring-straddles-end': (QUEUE, 'TX queue 0 stopped: bad_ring_address'),
    'ring-misaligned': (QUEUE, 'TX queue 0 stopped: virtqueue descriptor table address 0x8 is not 16-byte aligned'),
    'ring-desc-loop': (QUEUE, 'TX queue 0 stopped: loop'),
    'ring-self-loop': (QUEUE, 'TX queue 0 stopped: loop'),
    'ring-chain-too-long': (QUEUE, 'TX queue 0 stopped: too_long'),
    'ring-indirect-longer-than-ring': (QUEUE, 'TX queue 0 stopped: bad_indirect'),
    'ring-indirect-nested': (QUEUE, 'TX queue 0 stopped: bad_indirect'),
    'ring-indirect-outside-memory': (QUEUE, 'TX queue 0 stopped: bad_address'),
    'ring-indirect-loop': (QUEUE, 'TX queue 0 stopped: loop'),
    'ring-len-wraps': (QUEUE, 'TX queue 0 stopped: bad_length'),
    'ring-buffer-outside-memory': (QUEUE, 'TX queue 0 stopped: bad_address'),
    'ring-buffer-crosses-end': (QUEUE, 'TX queue 0 stopped: bad_address'),
    'ring-avail-idx-jump': (QUEUE, 'TX queue 0 stopped: bad_index'),
    'ring-head-out-of-range': (QUEUE, 'TX queue 0 stopped: bad_head'),
    'ring-next-out-of-range': (QUEUE, 'TX queue 0 stopped: bad_next'),
    'ring-write-then-read': (QUEUE, 'TX queue 0 stopped: bad_order'),
    'msg-short': (PROTOCOL, 'SET_FEATURES: payload of 4 bytes (expected 8..8)'),
    'msg-long': (PROTOCOL, 'SET_VRING_NUM: payload of 64 bytes (expected 8..8)'),
    'msg-size-over-cap': (PROTOCOL, 'payload of 1048576 bytes'),
    'msg-size-u32-max': (PROTOCOL, 'payload of 4294967295 bytes'),
    'msg-unknown-request': (PROTOCOL, 'unknown request 9999'),
    'msg-bad-version': (PROTOCOL, 'unsupported vhost-user version'),
    'msg-garbage': (PROTOCOL, 'protocol error, connection dropped'),
    'msg-truncated-close': (WAITS, 'front end disconnected'),
    'msg-truncated-hold': (WAITS, 'front end disconnected'),
    'msg-partial-header-hold': (WAITS, 'front end disconnected'),
    'msg-fd-missing': (PROTOCOL, 'SET_VRING_KICK: 0 file descriptors (expected 1)'),
    'msg-fd-extra': (PROTOCOL, 'GET_FEATURES: 3 file descriptors (expected 0)'),
    'msg-fd-too-many': (PROTOCOL, 'too many file descriptors'),
    'msg-reply-flood-no-read': (PROTOCOL, 'does not read its replies'),
    'before-owner': (PROTOCOL, 'SET_MEM_TABLE before SET_OWNER'),
    'flood': (PROTOCOL, 'vring index 200 (the VF has'),
}


def vf_counters(sv, vf):
    return sv.vf_counters(vf)


@unittest.skipUnless(have_testpmd(), 'dpdk-testpmd (Debian dpdk-dev) is not installed')
@unittest.skipUnless(os.path.exists(HOSTILE), 'no attacker binary (SOFTVF_HOSTILE=)')
class HostileFrontEnd(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.started = time.time()
        cls.wd = workdir()
        cls.sv = Softvf(cls.wd, CARD, pin_cpu=0)
        cls.pmds = []
        try:
            for vf in (0, 1, 2):
                cls.sv.cli('attach', 'pf0', 'vf', str(vf), 'vhost-user', '%s/vf%d.sock' % (cls.wd, vf))
            # VF0 -> VF1 as bench/vf_to_vf.py runs it: one testpmd, a virtio-user port on
            # each VF, io forwarding; 256 frames (dst VF1) go round: VF0 -> switch -> VF1 ->
            # out of port 0 again. VF1's receive count is the switch's forwarding of them.
            # Own file prefix: another suite's testpmd may be running on this machine.
            cls.fe = Testpmd('hostile-fe-%d' % os.getpid(), cls.wd,
                             [cls.wd + '/vf0.sock', cls.wd + '/vf1.sock'], cpu=1, fwd='io',
                             mac_addr=[A, B],
                             extra=['--txpkts=64', '--eth-peer=0,' + B, '--eth-peer=1,' + A])
            cls.pmds.append(cls.fe)
            cls.fe.cmd('start tx_first 8')
            cls.fe.wait_port(1, rx=10000)
            cls.baseline = cls.measure_idle()
        except Exception:
            cls.tearDownClass()
            raise
        cls.log_pos = 0
        cls.last_error_line = 0.0
        cls.last_disconnect_line = 0.0
        cls.pending_lines = []
        cls.report = []

    @classmethod
    def tearDownClass(cls):
        for p in cls.pmds:
            p.quit()
        cls.sv.stop()
        for line in getattr(cls, 'report', []):
            print(line)
        print('suite wall time %.1fs' % (time.time() - cls.started))

    @classmethod
    def rx_count(cls):
        return cls.fe.port_stats(1)[0]

    @classmethod
    def reinject(cls):
        """Frames lost on the way (a ring full while testpmd was descheduled) shrink the
        loop: put 256 new ones in."""
        cls.fe.cmd('stop')
        cls.fe.cmd('start tx_first 8')

    @classmethod
    def measure_idle(cls):
        """VF1's receive rate with no attack, over BASELINE_SECONDS (a fixed window)."""
        r0, t0 = cls.rx_count(), time.time()
        time.sleep(BASELINE_SECONDS)  # the measurement window, not a synchronisation
        r1, t1 = cls.rx_count(), time.time()
        return (r1 - r0) / (t1 - t0)

    def new_log_lines(self):
        with open(self.sv.log.name, 'rb') as f:
            f.seek(self.log_pos)
            data = f.read()
        # Whole lines only: the daemon may be half-way through one.
        end = data.rfind(b'\n') + 1
        type(self).log_pos += end
        lines = data[:end].decode(errors='replace').splitlines()
        if any('protocol error' in l or 'stopped' in l for l in lines):
            type(self).last_error_line = time.time()
        if any('front end disconnected' in l for l in lines):
            type(self).last_disconnect_line = time.time()
        self.pending_lines.extend(lines)
        return lines

    def run_attacker(self, name):
        """Runs the attack for ATTACK_SECONDS; returns (process result, VF1's frames/s
        meanwhile). The log is read as it grows, so that its lines' times are known."""
        r0, t0 = self.rx_count(), time.time()
        p = subprocess.Popen(['taskset', '-c', '1', HOSTILE, '--socket', self.wd + '/vf2.sock',
                              '--attack', name, '--duration', str(ATTACK_SECONDS)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.time() + 120
        while p.poll() is None and time.time() < deadline:
            try:
                p.wait(0.05)
            except subprocess.TimeoutExpired:
                self.new_log_lines()
        out, err = p.communicate(timeout=max(1, deadline - time.time()))
        r1, t1 = self.rx_count(), time.time()
        return subprocess.CompletedProcess(p.args, p.returncode, out, err), (r1 - r0) / (t1 - t0)

    def attack(self, name):
        kind, reason = EXPECT[name]
        # Lines are rate limited to one per VF per second and kind (errors, disconnects):
        # start once the last one of the kind expected is a second old, so that this
        # attack's first event is logged.
        self.new_log_lines()
        last = self.last_disconnect_line if kind == WAITS else self.last_error_line
        wait = last + 1.05 - time.time()
        if wait > 0:
            time.sleep(wait)  # the daemon's rate-limit window, not a synchronisation
        self.new_log_lines()
        self.pending_lines.clear()
        before = vf_counters(self.sv, 2)
        p, rate = self.run_attacker(name)
        self.assertEqual(p.returncode, 0, '%s: attacker failed: %s%s' % (name, p.stdout, p.stderr))

        # (b) VF0 -> VF1 kept forwarding during the attack. Below half the baseline, look
        # again without attack: a loop that lost frames (a ring full while testpmd was
        # descheduled) or a machine busy with other work shows there too, and is refilled
        # and re-baselined; then the attack runs once more. A daemon stalled by the attack
        # reads ~0 every time; a noisy neighbour does not.
        idle = None
        ref = self.baseline
        if rate < 0.5 * self.baseline:
            idle = self.measure_idle()
            ref = min(self.baseline, idle)
            if idle < 0.5 * self.baseline:
                self.reinject()
                type(self).baseline = self.measure_idle()
                self.report.append('  (VF1 idle at %.0f/s: loop refilled, baseline now %.0f/s)'
                                   % (idle, self.baseline))
            if rate < RATE_FRACTION * ref:
                again, rate2 = self.run_attacker(name)
                self.report.append('  (%s: %.0f/s against %.0f/s: run again, %.0f/s)'
                                   % (name, rate, ref, rate2))
                rate = max(rate, rate2)
        self.assertGreaterEqual(rate, RATE_FRACTION * ref,
                                '%s: VF1 received %.0f frames/s during the attack, baseline %.0f/s%s'
                                % (name, rate, self.baseline,
                                   '' if idle is None else ', idle now %.0f/s' % idle))

        # (a) the daemon runs and answers.
        self.assertIsNone(self.sv.proc.poll(), '%s: the daemon died' % name)
        self.assertEqual(self.sv.cli('stats', check=False).returncode, 0, name)

        # (c) what happened to VF2, from its counters. Counters are final when the attacker
        # exits: the daemon counts before it closes the connection, and the attacker waited
        # for that close (or, for a ring, for a reply after the worker's burst).
        after = vf_counters(self.sv, 2)
        d = {k: after[k] - before[k] for k in after if k.startswith('vhost_') and k != 'vhost_connected'}
        if kind == PROTOCOL:
            self.assertGreater(d['vhost_protocol_errors'], 0, '%s: %s' % (name, d))
            self.assertGreater(d['vhost_disconnects'], 0, '%s: %s' % (name, d))
        elif kind == QUEUE:
            self.assertGreater(d['vhost_queue_errors'], 0, '%s: %s' % (name, d))
            self.assertEqual(d['vhost_protocol_errors'], 0, '%s: %s' % (name, d))
            # Stopped, and not restarted by the attacker's next message: one error per
            # connection (each sets the ring up once).
            self.assertEqual(d['vhost_queue_errors'], d['vhost_connects'], '%s: %s' % (name, d))
        elif kind == WAITS:
            self.assertEqual(d['vhost_protocol_errors'], 0, '%s: %s' % (name, d))
            self.assertGreater(d['vhost_disconnects'], 0, '%s: %s' % (name, d))
        else:
            self.assertEqual(d['vhost_protocol_errors'] + d['vhost_queue_errors'], 0, '%s: %s' % (name, d))
            self.assertIn('used idx 1', p.stdout, name)  # the rig's device works

        # (d) logged, naming VF2 (its socket) and the reason.
        self.new_log_lines()
        lines = [l for l in self.pending_lines if '/vf2.sock:' in l]
        others = [l for l in self.pending_lines if '/vf0.sock' in l or '/vf1.sock' in l]
        self.assertEqual(others, [], name)
        if reason:
            self.assertTrue(any(reason in l for l in lines),
                            '%s: no log line with %r in:\n%s' % (name, reason, '\n'.join(lines)))
        self.report.append('%-32s VF1 %7.0f/s (%3.0f%% of %.0f/s)  VF2 %s  log: %s' % (
            name, rate, 100 * rate / ref, ref,
            ' '.join('%s+%d' % (k[6:], v) for k, v in d.items() if v),
            next((l for l in lines if reason and reason in l), lines[0] if lines else '-')))
        return p, lines, d

    def test_every_attack(self):
        names = [l.split()[0] for l in subprocess.run(
            [HOSTILE, '--list'], capture_output=True, text=True, check=True).stdout.splitlines()]
        self.assertEqual(sorted(names), sorted(EXPECT), 'the attack list and EXPECT differ')
        # The rig first: a correct front end on VF2 works, so the attacks' device is sound.
        order = ['baseline'] + [n for n in names if n != 'baseline'] + ['baseline']
        if os.environ.get('HOSTILE_ATTACKS'):  # a subset, in the order given (debugging)
            order = os.environ['HOSTILE_ATTACKS'].split(',')
        for name in order:
            with self.subTest(attack=name):
                p, lines, d = self.attack(name)
                if name == 'flood':
                    # Hundreds of errors in the window, a handful of lines: rate limited.
                    # Every invalid message counted; at most a line a second of each kind.
                    sent = int(re.search(r'\+ (\d+) invalid', p.stdout).group(1))
                    self.assertGreaterEqual(d['vhost_protocol_errors'], sent, p.stdout)
                    errors = [l for l in lines if 'protocol error' in l]
                    self.assertLessEqual(len(errors), ATTACK_SECONDS + 3, '\n'.join(errors))
                    if sent > len(errors):
                        self.assertTrue(any('similar lines suppressed' in l for l in lines) or
                                        len(errors) == 1, '\n'.join(lines))
                # One per attacking connection (each sends the chain once), else none.
                self.assertEqual(d['vhost_tx_bad_buffers'],
                                 d['vhost_connects'] if name == 'tx-chain-shorter-than-header'
                                 else 0, '%s: %s' % (name, d))
                if name in ('msg-truncated-hold', 'msg-partial-header-hold'):
                    self.assertIn('daemon waits for the rest', p.stdout)
        # Nothing leaked a half-open state into the other VFs.
        for vf in (0, 1):
            c = vf_counters(self.sv, vf)
            self.assertEqual((c['vhost_connected'], c['vhost_protocol_errors'], c['vhost_queue_errors'],
                              c['vhost_disconnects']), (1, 0, 0, 0), 'VF%d: %s' % (vf, c))


if __name__ == '__main__':
    unittest.main(verbosity=2)
