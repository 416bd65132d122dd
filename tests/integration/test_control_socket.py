"""The control socket under bad requests: malformed, oversized, unknown, mistyped and
out-of-range ones each get a clear error, change nothing, and the daemon keeps serving.

Run: python3 tests/integration/test_control_socket.py (CTest runs it; SOFTVF= names the binary).
"""
import json
import os
import socket
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Softvf, cx6dx_card, workdir

MAX_REQUEST = 64 * 1024  # src/control/protocol.h kMaxRequestBytes


class ControlSocket(unittest.TestCase):
    def setUp(self):
        self.sv = Softvf(workdir(), cx6dx_card([{'mac': '02:00:00:00:00:0a'}, {}]))
        self.addCleanup(self.sv.stop)

    def ask(self, raw):
        """Sends raw bytes as one request; returns the daemon's parsed answer."""
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(30)
        s.connect(self.sv.socket)
        try:
            s.sendall(raw)
            data = b''
            while not data.endswith(b'\n'):
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        finally:
            s.close()
        return json.loads(data)

    def state(self):
        return (self.sv.cli('--json', 'link', 'show').stdout,
                self.sv.cli('--json', 'fdb', 'show').stdout)

    def test_bad_requests_get_clear_errors_change_nothing_and_the_daemon_serves_on(self):
        before = self.state()
        cases = [
            (b'this is not json\n', 'malformed request: not a JSON object'),
            (b'[1, 2, 3]\n', 'malformed request: not a JSON object'),
            (b'{"dev": "pf0"}\n', 'malformed request: no "op"'),
            (b'{"op": 7}\n', 'malformed request: no "op"'),
            (b'{"op": "format_disk"}\n', 'unknown op "format_disk"'),
            (b'{"op": "link_set", "dev": "pf0"}\n', 'malformed request: "vf" is required'),
            (b'{"op": "link_set", "dev": "pf0", "vf": "zero", "vlan": 5}\n', 'malformed request'),
            (b'{"op": "attach", "dev": "pf0", "vf": 0}\n', 'malformed request: "path" is required'),
            (b'{"op": "sriov_write", "dev": "pf0", "attr": "sriov_numvfs", "value": "9999"}\n',
             'Numerical result out of range'),
            (b'{"op": "fdb_add", "dev": "pf0", "mac": "01:00:5e:00:00:01", "vf": 0}\n',
             'multicast'),
            (b'{"op": "link_set", "dev": "nosuch", "vf": 0}\n', 'nosuch'),
            (b'{' + b'"x": "' + b'a' * (MAX_REQUEST + 10) + b'"}\n',
             'request larger than %d bytes' % MAX_REQUEST),
        ]
        for raw, message in cases:
            with self.subTest(request=raw[:60]):
                answer = self.ask(raw)
                self.assertFalse(answer.get('ok', False), answer)
                self.assertIn(message, answer['message'])
                self.assertIsNone(self.sv.proc.poll(), 'the daemon died')
        # A request cut off before its newline, then the connection closed: nothing at all.
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(self.sv.socket)
        s.sendall(b'{"op": "link_set", "dev": "pf0", "vf": 0, "vlan": 5')
        s.close()
        self.assertEqual(self.state(), before)
        # Bad `link set`s, refused where iproute2 and the kernel refuse them, change nothing.
        r = self.sv.cli('link', 'set', 'pf0', 'vf', '1', 'vlan', '4096', check=False)
        self.assertEqual((r.returncode, r.stderr.strip()),
                         (255, 'Error: argument "4096" is wrong: Invalid "vlan" value'))
        r = self.sv.cli('link', 'set', 'pf0', 'vf', '1', 'min_tx_rate', '100', 'max_tx_rate',
                        '50', check=False)
        self.assertEqual((r.returncode, r.stderr.strip()),
                         (1, 'Invalid min_tx_rate 100 - must be <= max_tx_rate 50'))
        r = self.sv.cli('link', 'set', 'pf0', 'vf', '7', 'trust', 'on', check=False)
        self.assertEqual(r.returncode, 2)
        self.assertIn('RTNETLINK answers:', r.stderr)
        self.assertEqual(self.state(), before)
        self.assertTrue(self.ask(b'{"op": "ping"}\n')['ok'])


if __name__ == '__main__':
    unittest.main()
