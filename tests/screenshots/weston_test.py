#!/usr/bin/env python3
"""Run a Wayland client inside a real Weston (headless backend) and check it.

Shell: Debian's Weston 10 kiosk shell never maps a window when the compositor has no seat,
and the headless backend has none, so the client would wait forever for its first frame
callback. The tests therefore use the desktop shell with no panel (no clock to make
screenshots flaky), a fixed background and no idle fade, and clients ask for full screen.
--shell=kiosk-shell.so tries the kiosk shell anyway (for a Weston that maps without a seat).

  weston_test.py screenshot --golden G.png --out OUT.png [--update] -- CLIENT ARGS...
      start Weston, run the client until it says "shown 2", take Weston's screenshot
      (weston-screenshooter), compare it with the golden (per-channel tolerance, a maximum
      share of differing pixels; a diff image OUT-diff.png on failure). --update writes
      the golden instead of comparing: the only way goldens change (look at it first).
  weston_test.py kill -- CLIENT ARGS...
      start Weston and the client, kill Weston once a frame is shown, and check that the
      client exits by itself (no signal, no hang) with a message naming the compositor.
  weston_test.py nodisplay -- CLIENT ARGS...
      run the client with no compositor: it must fail with a clear message, exit code 1.

Weston gets a private XDG_RUNTIME_DIR and socket, so tests never touch a user's session.
Exit status: 0 pass, 1 fail, 77 skip (Weston or its headless backend missing).
"""
import argparse, os, shutil, signal, struct, subprocess, sys, tempfile, time, zlib

TOLERANCE = 8          # per channel, out of 255
MAX_DIFF_SHARE = 0.001  # share of pixels allowed to differ beyond the tolerance


def png_read(path):
    """Decode an 8-bit RGB/RGBA non-interlaced PNG (what Weston and Cairo write)."""
    data = open(path, 'rb').read()
    if data[:8] != b'\x89PNG\r\n\x1a\n':
        raise ValueError(f'{path}: not a PNG file')
    pos, idat, w = 8, [], None
    while pos < len(data):
        n, kind = struct.unpack('>I4s', data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        pos += 12 + n
        if kind == b'IHDR':
            w, h, depth, ctype, _, _, interlace = struct.unpack('>IIBBBBB', body)
            if depth != 8 or ctype not in (2, 6) or interlace:
                raise ValueError(f'{path}: unsupported PNG (depth {depth}, colour type {ctype})')
            bpp = 3 if ctype == 2 else 4
        elif kind == b'IDAT':
            idat.append(body)
        elif kind == b'IEND':
            break
    raw = zlib.decompress(b''.join(idat))
    stride = w * bpp
    out, prev = bytearray(), bytearray(stride)
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1: line[i] = (line[i] + a) & 255
            elif f == 2: line[i] = (line[i] + b) & 255
            elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        out += line
        prev = line
    # RGB only: the alpha of a screenshot carries nothing.
    rgb = bytearray()
    for i in range(0, len(out), bpp):
        rgb += out[i:i + 3]
    return w, h, rgb


def png_write(path, w, h, rgb):
    raw = b''.join(b'\x00' + bytes(rgb[y * w * 3:(y + 1) * w * 3]) for y in range(h))
    def chunk(kind, body):
        return struct.pack('>I', len(body)) + kind + body + struct.pack('>I', zlib.crc32(kind + body))
    with open(path, 'wb') as f:
        f.write(b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, 2, 0, 0, 0))
                + chunk(b'IDAT', zlib.compress(raw, 6)) + chunk(b'IEND', b''))


def compare(actual, golden, diff_path):
    aw, ah, a = png_read(actual)
    gw, gh, g = png_read(golden)
    if (aw, ah) != (gw, gh):
        return f'size {aw}x{ah} differs from the golden {gw}x{gh}'
    bad, diff = 0, bytearray(len(a))
    for i in range(0, len(a), 3):
        if max(abs(a[i] - g[i]), abs(a[i + 1] - g[i + 1]), abs(a[i + 2] - g[i + 2])) > TOLERANCE:
            bad += 1
            diff[i] = 255
        else:
            diff[i] = diff[i + 1] = diff[i + 2] = a[i] // 4
    share = bad / (aw * ah)
    if share > MAX_DIFF_SHARE:
        png_write(diff_path, aw, ah, diff)
        return f'{bad} pixels ({share:.2%}) differ by more than {TOLERANCE}; diff in {diff_path}'
    return None


class Weston:
    def __init__(self, width=640, height=480, shell='desktop-shell.so', scale=1):
        self.dir = tempfile.mkdtemp(prefix='kons-weston-')
        os.chmod(self.dir, 0o700)
        ini = os.path.join(self.dir, 'weston.ini')
        with open(ini, 'w') as f:
            f.write('[core]\nidle-time=0\n[shell]\npanel-position=none\n'
                    'background-color=0xff102030\nlocking=false\nanimation=none\n'
                    'startup-animation=none\n')
        self.socket = f'kons-test-{os.getpid()}'
        self.env = dict(os.environ, XDG_RUNTIME_DIR=self.dir, WAYLAND_DISPLAY=self.socket)
        self.env.pop('DISPLAY', None)
        self.log = open(os.path.join(self.dir, 'weston.log'), 'w')
        self.proc = subprocess.Popen(
            ['weston', f'--config={ini}', '--backend=headless-backend.so', '--use-pixman',
             f'--width={width}', f'--height={height}', f'--socket={self.socket}',
             f'--shell={shell}', f'--scale={scale}', '--idle-time=0', '--debug'],
            env=self.env, stdout=self.log, stderr=subprocess.STDOUT, cwd=self.dir)
        path = os.path.join(self.dir, self.socket)
        deadline = time.monotonic() + 15
        while not os.path.exists(path):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError('weston did not start:\n' + self.log_tail())
            time.sleep(0.05)

    def log_tail(self):
        self.log.flush()
        return ''.join(open(os.path.join(self.dir, 'weston.log')).readlines()[-15:])

    def screenshot(self, out):
        for f in os.listdir(self.dir):
            if f.startswith('wayland-screenshot'):
                os.unlink(os.path.join(self.dir, f))
        subprocess.run(['weston-screenshooter'], env=self.env, cwd=self.dir, check=True, timeout=20)
        shots = [f for f in os.listdir(self.dir) if f.startswith('wayland-screenshot')]
        if not shots:
            raise RuntimeError('weston-screenshooter wrote no file')
        shutil.copy(os.path.join(self.dir, shots[0]), out)

    def stop(self, sig=signal.SIGTERM):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def cleanup(self):
        self.stop()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def start_client(cmd, env):
    return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_line(proc, prefix, timeout=30):
    """Read the client's stdout until a line starting with prefix; returns all lines."""
    import selectors
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    lines, deadline = [], time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not sel.select(timeout=0.2):
            if proc.poll() is not None:
                break
            continue
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line.rstrip('\n'))
        if line.startswith(prefix):
            return lines, True
    return lines, False


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('mode', choices=['screenshot', 'kill', 'nodisplay'])
    ap.add_argument('--golden')
    ap.add_argument('--out')
    ap.add_argument('--update', action='store_true')
    ap.add_argument('--size', default='640x480')
    ap.add_argument('--shell', default='desktop-shell.so')
    ap.add_argument('--scale', type=int, default=1, help='output scale (HiDPI)')
    argv = sys.argv[1:]
    if '--' not in argv:
        ap.error('no client command (after --)')
    cut = argv.index('--')
    a = ap.parse_args(argv[:cut])
    cmd = argv[cut + 1:]
    if not cmd:
        ap.error('no client command')

    if a.mode == 'nodisplay':
        d = tempfile.mkdtemp(prefix='kons-nodisplay-')
        env = dict(os.environ, XDG_RUNTIME_DIR=d, WAYLAND_DISPLAY='kons-no-such-display')
        r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=20)
        shutil.rmtree(d, ignore_errors=True)
        print(r.stderr.strip())
        ok = r.returncode == 1 and 'cannot connect to the Wayland display' in r.stderr
        return 0 if ok else 1

    if not shutil.which('weston') or not shutil.which('weston-screenshooter'):
        print('weston or weston-screenshooter missing: skipped')
        return 77
    w, h = (int(v) for v in a.size.split('x'))
    weston = Weston(w, h, a.shell, a.scale)
    client = None
    try:
        client = start_client(cmd, weston.env)
        if a.mode == 'screenshot':
            lines, ok = wait_line(client, 'shown 2')
            print('\n'.join(lines))
            if not ok:
                print('FAIL: the client showed no frame; its stderr:', client.stderr.read() if client.poll() is not None else '')
                print(weston.log_tail())
                return 1
            shot = a.out or os.path.join(weston.dir, 'shot.png')
            weston.screenshot(shot)
            if a.update:
                shutil.copy(shot, a.golden)
                print(f'golden written: {a.golden} (look at it before committing)')
                return 0
            if not os.path.exists(a.golden):
                print(f'FAIL: no golden {a.golden}; create it with --update after looking at {shot}')
                return 1
            why = compare(shot, a.golden, os.path.splitext(shot)[0] + '-diff.png')
            if why:
                print(f'FAIL: {shot} vs {a.golden}: {why}')
                return 1
            print(f'screenshot matches {a.golden}')
            return 0
        # kill: the compositor dies under the client.
        lines, ok = wait_line(client, 'shown 1')
        print('\n'.join(lines))
        if not ok:
            print('FAIL: the client showed no frame')
            return 1
        weston.stop(signal.SIGKILL)
        try:
            out, err = client.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            client.kill()
            out, err = client.communicate()
            print('FAIL: the client hung after the compositor died')
            return 1
        print(out.strip())
        print(err.strip())
        if client.returncode < 0:
            print(f'FAIL: the client died of signal {-client.returncode}')
            return 1
        if 'compositor' not in err:
            print('FAIL: no message about the compositor on stderr')
            return 1
        print(f'client exited with status {client.returncode} and a message')
        return 0
    finally:
        if client and client.poll() is None:
            client.kill()
            client.wait()
        weston.cleanup()


if __name__ == '__main__':
    sys.exit(main())
