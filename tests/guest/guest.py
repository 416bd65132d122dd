"""QEMU test guests on softvf's VFs: preparation, boot, and a command channel on the console.

A guest is tests/guest/run-guest.sh (QEMU, TCG by default) booting the kernel and the
busybox initramfs that prepare-guest.sh caches outside the repository. Its serial console
is QEMU's stdin/stdout: a reader thread copies every line to a log file (the record of the
run) and keeps it for the waits. The guest's init (init.sh) prints markers and, in its
default `agent` mode, runs the commands written to the console one at a time:

    host -> guest   "7 ping -c 1 10.0.0.2"
    guest -> host   "SOFTVF-BEGIN 7", the command's output, "SOFTVF-END 7 rc=0"

Every wait is for a marker with a deadline; nothing sleeps to synchronise.
"""
import os
import re
import shutil
import subprocess
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def have_qemu():
    return shutil.which(os.environ.get('QEMU', 'qemu-system-x86_64')) is not None


def prepare():
    """Runs prepare-guest.sh (downloads the kernel the first time); returns the cache dir."""
    r = subprocess.run([os.path.join(HERE, 'prepare-guest.sh')], capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError('prepare-guest.sh failed (exit %d):\n%s' % (r.returncode, r.stderr))
    return r.stdout.strip().splitlines()[-1]


class GuestError(RuntimeError):
    pass


class Guest:
    """One QEMU guest whose virtio-net NIC is a VF's vhost-user socket.

    server=False: QEMU connects to `socket` (the VF attached in softvf's default server
    mode) and reconnects every second if softvf goes away. server=True: QEMU listens on
    `socket` and the VF is attached in client mode; QEMU's start-up waits until softvf
    connects. Either way the constructor returns at once: call ready()."""

    def __init__(self, name, workdir, socket, mac, ip, server=False, mtu=None, run=None,
                 peer=None, queues=1, extra=()):
        self.name = name
        self.mac = mac
        self.ip = ip.split('/')[0]
        self.log_path = os.path.join(workdir, 'guest-%s.log' % name)
        args = [os.path.join(HERE, 'run-guest.sh'), '--socket', socket, '--mac', mac, '--ip', ip]
        if server:
            args.append('--server')
        if mtu:
            args += ['--mtu', str(mtu)]
        if run:
            args += ['--run', run]
        if peer:
            args += ['--peer', peer]
        if queues > 1:
            args += ['--queues', str(queues)]
        if extra:
            args += ['--'] + list(extra)
        self.log = open(self.log_path, 'w')
        self.log.write('# %s\n' % ' '.join(args))
        self.lines = []
        self.cond = threading.Condition()
        self.closed = False
        self.next_id = 1
        self.t0 = time.time()
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        self.boot_seconds = None

    def _read(self):
        pending = b''
        while True:
            data = os.read(self.proc.stdout.fileno(), 65536)
            if not data:
                break
            pending += data
            *complete, pending = pending.split(b'\n')
            with self.cond:
                for raw in complete:
                    line = raw.decode(errors='replace').rstrip('\r')
                    self.log.write('%8.3f %s\n' % (time.time() - self.t0, line))
                    self.lines.append(line)
                self.log.flush()
                self.cond.notify_all()
        with self.cond:
            if pending:
                self.lines.append(pending.decode(errors='replace').rstrip('\r'))
            self.closed = True
            self.cond.notify_all()

    def tail(self, n=40):
        with self.cond:
            return '\n'.join(self.lines[-n:])

    def wait_for(self, pattern, timeout, start=0):
        """Waits until a console line from index `start` on matches `pattern`; returns
        (match, index). Raises GuestError at the deadline, or at once if the guest
        reports SOFTVF-ERROR or QEMU exits."""
        regex = re.compile(pattern)
        end = time.time() + timeout
        with self.cond:
            i = start
            while True:
                while i < len(self.lines):
                    line = self.lines[i]
                    m = regex.search(line)
                    if m:
                        return m, i
                    if line.startswith('SOFTVF-ERROR'):
                        raise GuestError('%s: %s\n--- console:\n%s' % (self.name, line, self.tail()))
                    i += 1
                if self.closed:
                    raise GuestError('%s: QEMU exited (%s) waiting for /%s/\n--- console:\n%s' % (
                        self.name, self.proc.poll(), pattern, self.tail()))
                left = end - time.time()
                if left <= 0:
                    raise GuestError('%s: no /%s/ within %ss\n--- console:\n%s' % (
                        self.name, pattern, timeout, self.tail()))
                self.cond.wait(left)

    def ready(self, timeout=120):
        """Waits for the agent; returns the seconds from QEMU's start to SOFTVF-READY."""
        m, i = self.wait_for(r'^SOFTVF-READY ', timeout)
        self.boot_seconds = time.time() - self.t0
        self.wait_for(r'^SOFTVF-AGENT listening', timeout, i)
        return self.boot_seconds

    def run(self, command, timeout=30, check=True):
        """Runs `command` (one line of sh) in the guest; returns (rc, output lines)."""
        assert '\n' not in command
        with self.cond:
            cid = self.next_id
            self.next_id += 1
            start = len(self.lines)
            self.log.write('%8.3f >>> %d %s\n' % (time.time() - self.t0, cid, command))
        try:
            self.proc.stdin.write(('%d %s\n' % (cid, command)).encode())
            self.proc.stdin.flush()
        except BrokenPipeError:
            raise GuestError('%s: QEMU is gone (%s)\n--- console:\n%s' % (
                self.name, self.proc.poll(), self.tail()))
        _, b = self.wait_for(r'^SOFTVF-BEGIN %d$' % cid, timeout, start)
        m, e = self.wait_for(r'^SOFTVF-END %d rc=(\d+)$' % cid, timeout, b)
        rc = int(m.group(1))
        with self.cond:
            out = self.lines[b + 1:e]
        if check and rc != 0:
            raise GuestError('%s: `%s` exited %d:\n%s' % (self.name, command, rc, '\n'.join(out)))
        return rc, out

    def result(self, command, timeout=60):
        """Runs a softvf-test command; returns its SOFTVF-RESULT line's words as a dict
        (e.g. {'test': 'ping', 'status': 'ok', 'count': '5/5', 'rtt_avg_ms': '0.5'})
        with the full output under 'output'."""
        _, out = self.run(command, timeout)
        for line in out:
            if line.startswith('SOFTVF-RESULT '):
                words = line.split()[1:]
                r = {'test': words[0], 'status': words[1], 'output': '\n'.join(out)}
                for w in words[2:]:
                    if '=' in w:
                        k, v = w.split('=', 1)
                        r[k] = v
                    else:
                        r['count'] = w
                return r
        raise GuestError('%s: no SOFTVF-RESULT from `%s`:\n%s' % (self.name, command, '\n'.join(out)))

    def ping(self, peer, count=5, size=56, options=''):
        return self.result('softvf-test ping %s %d %d %s' % (peer, count, size, options),
                           timeout=count * 2 + 30)

    def iperf3(self, peer, seconds=5):
        return self.result('softvf-test iperf3 %s %d' % (peer, seconds), timeout=seconds * 3 + 30)

    def stop(self):
        """Kills QEMU (nothing in the guest needs a clean shutdown) and closes the log."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.reader.join(10)
        try:
            self.proc.stdin.close()
        except BrokenPipeError:
            pass
        self.proc.stdout.close()
        self.log.close()
