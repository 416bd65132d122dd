#!/usr/bin/env python3
"""VF-to-VF forwarding: softvf against DPDK testpmd's vhost PMD, with the same front end.

  front end: one dpdk-testpmd with two virtio-user ports (port 0 on VF/socket 0, port 1 on
             VF/socket 1), io forwarding, `start tx_first 8`: 256 frames (dst = port 1's
             MAC) go out port 0, cross the switch to port 1, are sent out port 0 again, and
             so on. Port 1's receive rate is the switch's forwarding rate, one direction.
  switch A:  softvf, two VFs of one PF (one copy: sender's buffers -> receiver's buffers)
  switch B:  dpdk-testpmd with two net_vhost ports, --forward-mode=io (dequeue into an
             mbuf, enqueue from it: two copies)

Placement (2 cores): the switch on CPU 0, the front end on CPU 1, for both (DPDK's own
virtio-user loopback layout). Prints both rates per frame size and softvf/testpmd.
--queue-size sets the front end's ring size (virtio-user queue_size, 256 by default as in
DPDK and QEMU): with 1500-byte frames it decides whether the buffers in circulation fit
in the switch core's cache (bench/RESULTS.md).
Before, between and after the two halves of each pair it runs build/bin/softvf_core_to_core
(if built): the time one cache line takes between CPU 0 and CPU 1. A VM's host may place
the two vCPUs near or far from run to run, and every frame's descriptors, ring entries and
buffers cross once, so each pair is labelled near, far or mixed (the host moved them during
the pair), and the pairwise ratios are summarised per label.
Usage: bench/vf_to_vf.py [--seconds N] [--sizes 64,1500] [--runs R] [--queue-size Q]
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'integration'))
from harness import REPO, Softvf, Testpmd, cx6dx_card, workdir  # noqa: E402

A, B = '02:00:00:00:00:0a', '02:00:00:00:00:0b'
CARD = cx6dx_card([{'mac': A}, {'mac': B}])


def measure(wd, sock0, sock1, size, seconds, queue_size):
    fe = Testpmd('fe', wd, [sock0, sock1], cpu=1, fwd='io', mac_addr=[A, B],
                 extra=['--txpkts=%d' % size, '--eth-peer=0,' + B, '--eth-peer=1,' + A],
                 devargs='queue_size=%d' % queue_size)
    try:
        fe.cmd('start tx_first 8')
        fe.wait_port(1, rx=100000)
        fe.cmd('show port stats 1')  # starts the averaging window
        time.sleep(seconds)          # the measurement window
        out = fe.cmd('show port stats 1')
        return int(re.search(r'Rx-pps:\s+(\d+)', out).group(1))
    finally:
        fe.quit()


def run_softvf(size, seconds, queue_size=256):
    wd = workdir()
    os.environ.setdefault('SOFTVF', os.path.join(REPO, 'build', 'bin', 'softvf'))
    sv = Softvf(wd, CARD, pin_cpu=0)
    try:
        for vf in (0, 1):
            sv.cli('attach', 'pf0', 'vf', str(vf), 'vhost-user', '%s/vf%d.sock' % (wd, vf))
        return measure(wd, wd + '/vf0.sock', wd + '/vf1.sock', size, seconds, queue_size)
    finally:
        sv.stop()


def run_testpmd_switch(size, seconds, queue_size=256):
    wd = workdir()
    s0, s1 = wd + '/vh0.sock', wd + '/vh1.sock'
    sw = subprocess.Popen(['dpdk-testpmd', '--lcores', '0@0,1@0', '--no-pci', '--file-prefix', 'sw',
                           '--no-huge', '-m', '1024',
                           '--vdev', 'net_vhost0,iface=%s,queues=1' % s0,
                           '--vdev', 'net_vhost1,iface=%s,queues=1' % s1,
                           '--', '--nb-cores=1', '--forward-mode=io', '--auto-start',
                           '--stats-period=0'],
                          stdin=subprocess.PIPE, stdout=open(wd + '/sw.log', 'wb'),
                          stderr=subprocess.STDOUT)
    try:
        deadline = time.time() + 30
        while not (os.path.exists(s0) and os.path.exists(s1)):
            if time.time() > deadline or sw.poll() is not None:
                raise RuntimeError('testpmd vhost switch did not come up')
            time.sleep(0.05)
        return measure(wd, s0, s1, size, seconds, queue_size)
    finally:
        sw.terminate()
        sw.wait(30)


def core_to_core_ns():
    probe = os.path.join(REPO, 'build', 'bin', 'softvf_core_to_core')
    if not os.path.exists(probe):
        return None
    return int(subprocess.run([probe, '0', '1'], capture_output=True, text=True, check=True).stdout)


# A pair counts as near or far only if the line's trip read the same side of this bound
# before, between and after its two halves: the host may move the vCPUs during a pair.
NEAR_FAR_BOUND_NS = 150


def placement(lines):
    if any(n is None for n in lines):
        return 'unknown'
    if all(n < NEAR_FAR_BOUND_NS for n in lines):
        return 'near'
    if all(n >= NEAR_FAR_BOUND_NS for n in lines):
        return 'far'
    return 'mixed'


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--seconds', type=float, default=5)
    ap.add_argument('--sizes', default='64,1500')
    ap.add_argument('--runs', type=int, default=5)
    ap.add_argument('--queue-size', type=int, default=256)
    args = ap.parse_args()
    print('machine: %d cores, %s' % (os.cpu_count(), open('/proc/cpuinfo').read().split('model name')[1].split('\n')[0].strip(': \t')))
    print('front end: testpmd io, two virtio-user ports, queue_size=%d' % args.queue_size)
    print('%6s %16s %16s %8s' % ('size', 'softvf pps', 'testpmd pps', 'ratio'))
    for size in [int(s) for s in args.sizes.split(',')]:
        # Interleaved, so a noisy host (this VM shares one) weighs on both alike; which
        # switch goes first alternates, so a drift does not favour one of them.
        sv, tp, pairs = [], [], []
        for run in range(args.runs):
            halves = [(sv, run_softvf), (tp, run_testpmd_switch)]
            lines = [core_to_core_ns()]
            for rates, run_switch in (halves if run % 2 == 0 else halves[::-1]):
                rates.append(run_switch(size, args.seconds, args.queue_size))
                lines.append(core_to_core_ns())
            where = placement(lines)
            ratio = sv[-1] / tp[-1] if tp[-1] else 0
            pairs.append((where, ratio))
            print('  run %d: %d B softvf %.2f Mpps, testpmd %.2f Mpps, ratio %.2f, core-to-core line %s ns (%s)'
                  % (run + 1, size, sv[-1] / 1e6, tp[-1] / 1e6, ratio,
                     '/'.join('?' if n is None else str(n) for n in lines), where), flush=True)
        s, t = statistics.median(sv), statistics.median(tp)
        print('%6d %16d %16d %8.2f   (medians of %d interleaved runs)' % (size, s, t, s / t if t else 0, args.runs), flush=True)
        for where in ('near', 'far', 'mixed', 'unknown'):
            rs = sorted(r for w, r in pairs if w == where)
            if rs:
                print('        %s: %d pairs, softvf/testpmd median %.2f (each: %s)'
                      % (where, len(rs), statistics.median(rs), ' '.join('%.2f' % r for r in rs)), flush=True)


if __name__ == '__main__':
    main()
