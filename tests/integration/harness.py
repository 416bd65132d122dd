"""Real-peer test harness: DPDK testpmd (virtio-user) against softvf's vhost-user VFs.

No third-party Python packages: testpmd is driven over pipes (under `stdbuf -oL`, since its
printf output is block-buffered on a pipe while its prompt is not), frames go in and out
through DPDK's pcap PMD, and pcap files are read and written here. Every wait is for an
observable condition (a prompt, a counter) with a deadline, never a fixed sleep.
"""
import atexit
import json
import os
import re
import select
import shutil
import struct
import subprocess
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


# ---------------------------------------------------------------- pcap files

def write_pcap(path, frames):
    with open(path, 'wb') as f:
        f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for i, frame in enumerate(frames):
            f.write(struct.pack('<IIII', 1, i, len(frame), len(frame)))
            f.write(frame)


def read_pcap(path):
    frames = []
    with open(path, 'rb') as f:
        data = f.read()
    if len(data) < 24:
        return frames
    magic = struct.unpack('<I', data[:4])[0]
    endian = '<' if magic in (0xa1b2c3d4, 0xa1b23c4d) else '>'
    off = 24
    while off + 16 <= len(data):
        _, _, incl, _ = struct.unpack(endian + 'IIII', data[off:off + 16])
        off += 16
        frames.append(data[off:off + incl])
        off += incl
    return frames


def mac(text):
    return bytes(int(x, 16) for x in text.split(':'))


def ether(dst, src, payload, ethertype=0x0800, vlan=None):
    """An Ethernet frame; vlan=(tpid, vid, pcp) inserts one tag."""
    hdr = mac(dst) + mac(src)
    if vlan:
        tpid, vid, pcp = vlan
        hdr += struct.pack('!HH', tpid, (pcp << 13) | vid)
    return hdr + struct.pack('!H', ethertype) + payload


def pattern(seed, size):
    return bytes(((seed * 131 + i * 7) & 0xff) for i in range(size))


# ---------------------------------------------------------------- testpmd

class Testpmd:
    """One interactive dpdk-testpmd on a VF (virtio-user). With rx_pcap/tx_pcap it also has
    a pcap port (port 0, the VF is port 1) bridged by io forwarding: frames from `rx_pcap`
    go out through the VF, frames the VF receives are written to `tx_pcap`. Without, the VF
    is port 0 and `fwd` (txonly, rxonly...) says what testpmd does with it."""

    def __init__(self, name, workdir, socket, cpu, rx_pcap=None, tx_pcap=None, queues=1,
                 mac_addr=None, fwd='io', extra=(), server=False, wait=True, devargs=''):
        """server=True: virtio-user listens on the socket (`server=1`) for softvf to connect
        (a VF attached in client mode); testpmd then blocks in its probe until softvf
        connects, so pass wait=False, attach, and call ready(). devargs: more virtio-user
        arguments for every VF port (`queue_size=128`, say)."""
        self.name = name
        # One VF (socket) or several (a list: ports 0, 1, ... in order, with mac_addr a list).
        sockets = socket if isinstance(socket, list) else [socket]
        macs = mac_addr if isinstance(mac_addr, list) else [mac_addr] * len(sockets)
        virtio = []
        for i, (path, m) in enumerate(zip(sockets, macs)):
            virtio += ['--vdev', 'net_virtio_user%d,path=%s,queues=%d%s%s%s' % (
                i, path, queues, ',mac=' + m if m else '', ',server=1' if server else '',
                ',' + devargs if devargs else '')]
        vdevs = []
        if rx_pcap or tx_pcap:  # port 0 = pcap, port 1 = the VF
            pcap_args = (['rx_pcap=' + rx_pcap] if rx_pcap else []) + \
                        (['tx_pcap=' + tx_pcap] if tx_pcap else [])
            vdevs += ['--vdev', 'net_pcap0,' + ','.join(pcap_args)]
            self.vf_port = 1
        else:  # port 0 = the VF
            self.vf_port = 0
        vdevs += virtio
        # virtio init at debug level: the features each port negotiated (features()).
        args = ['stdbuf', '-oL', 'dpdk-testpmd', '--lcores', '0@%d,1@%d' % (cpu, cpu), '--no-pci',
                '--log-level=pmd.net.virtio.init:debug',
                '--file-prefix', '%s-%d' % (name, os.getpid()), '--no-huge', '-m', '1024'] + vdevs + \
               ['--', '-i', '--nb-cores=1', '--forward-mode=' + fwd, '--no-flush-rx',
                '--rxq=%d' % queues, '--txq=%d' % queues] + list(extra)
        self.log = open(os.path.join(workdir, name + '.log'), 'wb')
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT)
        self.buf = b''
        self.startup = ''
        if wait:
            self.ready()

    def ready(self, timeout=60):
        """Waits for the first prompt (after wait=False)."""
        self.startup = self._until(b'testpmd> ', timeout)

    def features(self):
        """The virtio feature bits each virtio-user port negotiated, in port order."""
        return [int(x, 16) for x in re.findall(r'features after negotiate = ([0-9a-f]+)', self.startup)]

    def _until(self, token, timeout):
        end = time.time() + timeout
        while token not in self.buf:
            left = end - time.time()
            ready, _, _ = select.select([self.proc.stdout], [], [], max(0, left))
            if not ready:
                raise RuntimeError('%s: no %r within %ss; last output:\n%s' % (
                    self.name, token, timeout, self.buf[-3000:].decode(errors='replace')))
            data = os.read(self.proc.stdout.fileno(), 65536)
            if not data:
                raise RuntimeError('%s exited:\n%s' % (self.name, self.buf[-3000:].decode(errors='replace')))
            self.log.write(data)
            self.buf += data
        out, _, self.buf = self.buf.partition(token)
        return out.decode(errors='replace')

    def cmd(self, line, timeout=30):
        self.proc.stdin.write(line.encode() + b'\n')
        self.proc.stdin.flush()
        return self._until(b'testpmd> ', timeout)

    def port_stats(self, port):
        out = self.cmd('show port stats %d' % port)
        rx = re.search(r'RX-packets:\s+(\d+)', out)
        tx = re.search(r'TX-packets:\s+(\d+)', out)
        return int(rx.group(1)) if rx else 0, int(tx.group(1)) if tx else 0

    def wait_port(self, port, rx=None, tx=None, timeout=30):
        """Waits until port `port` has counted at least `rx` received / `tx` sent."""
        end = time.time() + timeout
        while True:
            got_rx, got_tx = self.port_stats(port)
            if (rx is None or got_rx >= rx) and (tx is None or got_tx >= tx):
                return got_rx, got_tx
            if time.time() > end:
                return got_rx, got_tx
            # Let the forwarding core run; bounded by the deadline, re-checked each round.
            select.select([], [], [], 0.05)

    def kill(self):
        """SIGKILL: the front end dies without a word to the back end."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.quit()

    def quit(self):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write(b'stop\nquit\n')
                self.proc.stdin.flush()
                self.proc.wait(30)
            except (BrokenPipeError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()
        for f in (self.proc.stdin, self.proc.stdout):
            try:
                f.close()
            except BrokenPipeError:
                pass
        self.log.close()


# ---------------------------------------------------------------- softvf

class Softvf:
    """The softvf daemon on a card configuration, and its CLI."""

    def __init__(self, workdir, config_text, pin_cpu=None, netns=None, state=None):
        """netns: run the daemon inside that network namespace (its TAPs appear there).
        state: the daemon's --state file (kept across restarts)."""
        self.workdir = workdir
        self.binary = os.environ.get('SOFTVF', os.path.join(REPO, 'build', 'bin', 'softvf'))
        self.socket = os.path.join(workdir, 'control.sock')
        self.config = os.path.join(workdir, 'card.toml')
        with open(self.config, 'w') as f:
            f.write(config_text)
        self.log = open(os.path.join(workdir, 'softvf.log'), 'wb')
        pin = ['taskset', '-c', str(pin_cpu)] if pin_cpu is not None else []
        if netns:
            pin = ['ip', 'netns', 'exec', netns] + pin
        self.proc = subprocess.Popen(pin + [self.binary, 'daemon', '--config', self.config,
                                            '--control', self.socket] +
                                     (['--state', state] if state else []),
                                     stdout=subprocess.PIPE, stderr=self.log)
        # Read the raw fd: a buffered readline would hide the second line from select().
        end = time.time() + 30
        seen = b''
        while b'control socket' not in seen:
            ready, _, _ = select.select([self.proc.stdout], [], [], max(0, end - time.time()))
            if not ready:
                raise RuntimeError('softvf daemon did not come up')
            data = os.read(self.proc.stdout.fileno(), 4096)
            if not data:
                self.log.flush()
                raise RuntimeError('softvf daemon exited: ' + open(self.log.name).read())
            seen += data
        self.startup_output = seen.decode(errors='replace')

    def cli(self, *args, check=True):
        r = subprocess.run([self.binary, '--control', self.socket] + list(args),
                           capture_output=True, text=True)
        if check and r.returncode != 0:
            raise RuntimeError('softvf %s: exit %d: %s' % (' '.join(args), r.returncode, r.stderr))
        return r

    def vf_counters(self, vf, dev='pf0'):
        """VF `vf`'s counters as `softvf --json stats DEV` gives them."""
        for pf in json.loads(self.cli('--json', 'stats', dev).stdout):
            for v in pf['vfs']:
                if v['vf'] == vf:
                    return v['counters']
        raise KeyError(vf)

    def cpu_seconds(self):
        """utime + stime of the daemon, all its threads (/proc/PID/stat fields 14 and 15)."""
        with open('/proc/%d/stat' % self.proc.pid) as f:
            fields = f.read().rsplit(')', 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')

    def stop(self, kill=False):
        """SIGTERM (the daemon stops between requests), or SIGKILL with kill=True. A
        daemon built with sanitizers that reported anything (a leak at exit included)
        fails the test here."""
        if self.proc.poll() is None:
            if kill:
                self.proc.kill()
            else:
                self.proc.terminate()
            self.proc.wait(30)
        self.proc.stdout.close()
        self.log.close()
        with open(self.log.name, errors='replace') as f:
            log = f.read()
        for marker in ('ERROR: AddressSanitizer', 'ERROR: LeakSanitizer', 'runtime error:'):
            if marker in log:
                raise AssertionError('sanitizer report in %s:\n%s' % (self.log.name, log[-6000:]))


class Netns:
    """A network namespace for the test's own use, deleted (with what is in it) at close."""

    def __init__(self, name):
        self.name = name
        subprocess.run(['ip', 'netns', 'del', name], capture_output=True)
        subprocess.run(['ip', 'netns', 'add', name], check=True)
        self.ip('link', 'set', 'lo', 'up')

    def run(self, *args, check=True):
        r = subprocess.run(['ip', 'netns', 'exec', self.name] + list(args), capture_output=True,
                           text=True)
        if check and r.returncode != 0:
            raise RuntimeError('%s: %s: exit %d: %s%s' % (self.name, ' '.join(args), r.returncode,
                                                          r.stdout, r.stderr))
        return r

    def ip(self, *args, check=True):
        return self.run('ip', *args, check=check)

    def close(self):
        subprocess.run(['ip', 'netns', 'del', self.name], capture_output=True)


def cx6dx_card(vfs, profile_file=None):
    """A card with one ConnectX-6 Dx PF "pf0" behind a root port, numvfs = len(vfs).
    vfs: one dict of [[adapter.port.vf]] keys per VF (mac, spoofchk, min_tx_rate...)."""
    def value(v):
        if isinstance(v, bool):
            return 'true' if v else 'false'
        return '"%s"' % v if isinstance(v, str) else str(v)
    profile = 'profile_file = "%s"' % profile_file if profile_file else 'profile = "cx6dx"'
    text = ('[[bridge]]\nbdf = "0000:3a:00.0"\nsecondary_bus = 0x3b\nsubordinate_bus = 0x3c\n\n'
            '[[adapter]]\n%s\nslot = "0000:3b:00"\n\n'
            '[[adapter.port]]\nfunction = 0\nname = "pf0"\nnumvfs = %d\n' % (profile, len(vfs)))
    for i, keys in enumerate(vfs):
        text += '\n[[adapter.port.vf]]\nindex = %d\n' % i
        text += ''.join('%s = %s\n' % (k, value(v)) for k, v in keys.items())
    return text


def have_testpmd():
    return shutil.which('dpdk-testpmd') is not None


def workdir():
    """A fresh directory for one daemon's or testpmd's sockets and logs, removed when the
    test process exits (SOFTVF_KEEP_WORKDIRS=1 keeps them to read the logs)."""
    path = tempfile.mkdtemp(prefix='softvf-it-')
    if os.environ.get('SOFTVF_KEEP_WORKDIRS') != '1':
        atexit.register(shutil.rmtree, path, True)
    return path
