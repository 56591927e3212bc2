#!/usr/bin/env python3
"""Run a Wayland client inside a real Weston (headless backend) and check it.

Shell: Debian's Weston 10 kiosk shell never maps a window when the compositor has no seat,
and the headless backend has none, so the client would wait forever for its first frame
callback. The tests therefore use the desktop shell with no panel (no clock to make
screenshots flaky), a fixed background and no idle fade, and clients ask for full screen.
--shell=kiosk-shell.so tries the kiosk shell anyway (for a Weston that maps without a seat).

  weston_test.py screenshot --golden G.png --out OUT.png [--update] -- CLIENT ARGS...
      start Weston, run the client until it is ready (--ready=line:PREFIX, default
      "line:shown 2": a line of its stdout; --ready=stable: two screenshots in a row
      identical and not the bare background, for clients that print nothing), take Weston's screenshot
      (weston-screenshooter), compare it with the golden (per-channel tolerance, a maximum
      share of differing pixels; a diff image OUT-diff.png on failure). --update writes
      the golden instead of comparing: the only way goldens change (look at it first).
  weston_test.py kill -- CLIENT ARGS...
      start Weston and the client, kill Weston once a frame is shown, and check that the
      client exits by itself (no signal, no hang) with a message naming the compositor.
  weston_test.py input -- CLIENT ARGS...
      real input end to end: Weston's X11 backend on an Xvfb server gives the compositor a
      seat; xdotool moves, clicks, scrolls, types and holds a key on the X server; the
      client (wl_client) must report each of them, translated by the compositor's keymap,
      and key repeats. Skipped (77) without Xvfb or xdotool.
  weston_test.py decorations -- CLIENT ARGS...
      the title bar the Wayland display draws itself (Weston's desktop shell offers no
      server-side decorations): on the X11 backend with Xvfb, find the bar in a screenshot,
      drag it (the window must move by the drag), double-click it (maximized: the client
      must be configured to the output size less the bar), then click its close box (the
      client must report "close requested" and exit 0).
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


class Xvfb:
    """A private X server (a free display number chosen by Xvfb itself)."""
    def __init__(self):
        r, w = os.pipe()
        self.proc = subprocess.Popen(['Xvfb', '-displayfd', str(w), '-screen', '0', '1024x768x24',
                                      '-nolisten', 'tcp'], pass_fds=(w,),
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(w)
        with os.fdopen(r) as f:
            num = f.readline().strip()
        if not num:
            raise RuntimeError('Xvfb did not start')
        self.display = ':' + num

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class Weston:
    def __init__(self, width=640, height=480, shell='desktop-shell.so', scale=1, x11=None):
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
        wenv = dict(self.env, DISPLAY=x11) if x11 else self.env
        self.log = open(os.path.join(self.dir, 'weston.log'), 'w')
        backend = 'x11-backend.so' if x11 else 'headless-backend.so'
        self.proc = subprocess.Popen(
            ['weston', f'--config={ini}', f'--backend={backend}', '--use-pixman',
             f'--width={width}', f'--height={height}', f'--socket={self.socket}',
             f'--shell={shell}', f'--scale={scale}', '--idle-time=0', '--debug'],
            env=wenv, stdout=self.log, stderr=subprocess.STDOUT, cwd=self.dir)
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

    def wait_background(self, timeout=15):
        """The desktop shell's background is drawn by a helper client some time after
        start: wait for its colour (weston.ini above) so screenshots never catch a bare
        output."""
        shot = os.path.join(self.dir, 'bg.png')
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.screenshot(shot)
            _, _, px = png_read(shot)
            if tuple(px[:3]) == (0x10, 0x20, 0x30):
                return True
            time.sleep(0.2)
        return False

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


LSAN_SUPP = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lsan.supp')


def start_client(cmd, env):
    # Sanitized builds: ignore fontconfig's process-lifetime caches (tests/lsan.supp).
    env = dict(env)
    env.setdefault('LSAN_OPTIONS', f'suppressions={os.path.normpath(LSAN_SUPP)}')
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


def wait_ready(weston, client, ready, timeout=40):
    """Wait until the client is ready; returns (ok, log lines)."""
    if ready.startswith('line:'):
        lines, ok = wait_line(client, ready[5:], timeout)
        return ok, lines
    # stable: the picture stops changing (and is not Weston's empty background)
    prev, bare = None, None
    deadline = time.monotonic() + timeout
    shot = os.path.join(weston.dir, 'ready.png')
    while time.monotonic() < deadline:
        time.sleep(0.5)
        if client.poll() is not None:
            return False, [f'client exited with status {client.returncode}']
        weston.screenshot(shot)
        _, _, px = png_read(shot)
        if bare is None:
            bare = px[:3]
        if px == prev and any(px[i:i + 3] != bare for i in range(0, len(px), 3 * 997)):
            return True, []
        prev = px
    return False, ['the picture never settled']


def input_test(cmd, a):
    if not shutil.which('Xvfb') or not shutil.which('xdotool'):
        print('Xvfb or xdotool missing (images/debian-packages, set test): skipped')
        return 77
    xvfb = Xvfb()
    weston = client = None
    try:
        weston = Weston(640, 480, a.shell, 1, x11=xvfb.display)
        xenv = dict(os.environ, DISPLAY=xvfb.display)
        win = weston_x_window(xenv)
        # Put the X pointer at the window's origin before the client maps: Weston's
        # pointer starts at 0,0 and, depending on timing, Weston takes the first X motion
        # it sees as that origin; starting there makes both agree.
        subprocess.run(['xdotool', 'mousemove', '--window', win, '0', '0'], env=xenv,
                       check=True, timeout=20)
        time.sleep(0.3)
        client = start_client(cmd, weston.env)
        lines, ok = wait_line(client, 'shown 1')
        if not ok:
            print('\n'.join(lines))
            print('FAIL: the client showed no frame')
            print(weston.log_tail())
            return 1
        def xdo(*args):
            # One action at a time: the X11 backend drops motion that arrives in a burst.
            if args[0] == 'mousemove':
                args = ('mousemove', '--window', win) + args[1:]
            subprocess.run(['xdotool', *args], env=xenv, check=True, timeout=20)
            time.sleep(0.25)
        # Positions relative to Weston's X window are output coordinates, and those of the
        # full-screen client's surface.
        # Weston may lose the first X motion (its pointer then lags X's by that step):
        # pushing the pointer into the window's corner, where Weston clamps it, puts both
        # at 0,0 again.
        xdo('mousemove', '50', '50')
        xdo('mousemove', '0', '0')
        xdo('mousemove', '100', '120')
        xdo('mousemove', '200', '150')
        xdo('click', '1')
        xdo('click', '5')                      # wheel down
        xdo('type', '--delay', '60', 'hi')
        xdo('key', 'shift+a')
        xdo('key', 'Return')
        xdo('keydown', 'b')
        time.sleep(1.2)                        # > Weston's repeat delay (400 ms)
        xdo('keyup', 'b')
        time.sleep(0.5)
        client.terminate()
        out, err = client.communicate(timeout=10)
        got = lines + out.splitlines()
        print('\n'.join(got))
        expect = [
            ('keyboard added', lambda l: l == 'input device-added wayland keyboard'),
            ('pointer added', lambda l: l == 'input device-added wayland pointer'),
            ('pointer moved to 200,150', lambda l: l == 'input pointer 200.0 150.0'),
            ('left button pressed', lambda l: l == 'input button 0x110 1'),
            ('left button released', lambda l: l == 'input button 0x110 0'),
            ('scrolled down', lambda l: l.startswith('input axis') and float(l.split()[3]) > 0),
            ('typed h', lambda l: l.startswith('input key 35 ') and l.endswith('state 1 text "h"')),
            ('typed i', lambda l: l.startswith('input key 23 ') and l.endswith('state 1 text "i"')),
            ('shift+a gives A', lambda l: l.startswith('input key 30 ') and l.endswith('state 1 text "A"')),
            ('Return', lambda l: l.startswith('input key 28 sym 0xff0d state 1')),
            ('b repeats', lambda l: l.startswith('input key 48 ') and ' state 2 ' in l),
        ]
        missing = [name for name, test in expect if not any(test(l) for l in got)]
        if missing:
            print('FAIL: missing: ' + ', '.join(missing))
            return 1
        repeats = sum(1 for l in got if l.startswith('input key 48 ') and ' state 2 ' in l)
        print(f'all input arrived; {repeats} repeats of a held key')
        return 0
    finally:
        if client and client.poll() is None:
            client.kill()
            client.wait()
        if weston:
            weston.cleanup()
        xvfb.stop()


def weston_x_window(xenv):
    """The X window of Weston's X11 output: pointer positions are given relative to it,
    so they are output coordinates wherever the X server put the window."""
    r = subprocess.run(['xdotool', 'search', '--sync', '--classname', 'weston'],
                       env=xenv, capture_output=True, text=True, timeout=20)
    return r.stdout.split()[0]


BAR_ACTIVE = (43, 61, 92)   # the active title bar colour of drivers/display/wayland


def find_bar(path):
    """Top-left corner and width of the first run of title-bar pixels, or None."""
    w, h, px = png_read(path)
    for y in range(h):
        row = px[y * w * 3:(y + 1) * w * 3]
        for x in range(w):
            if all(abs(row[3 * x + k] - BAR_ACTIVE[k]) <= 2 for k in range(3)):
                n = x
                while n < w and all(abs(row[3 * n + k] - BAR_ACTIVE[k]) <= 2 for k in range(3)):
                    n += 1
                if n - x >= 100:
                    return x, y, n - x
    return None


def decorations_test(cmd, a):
    if not shutil.which('Xvfb') or not shutil.which('xdotool'):
        print('Xvfb or xdotool missing (images/debian-packages, set test): skipped')
        return 77
    xvfb = Xvfb()
    weston = client = None
    try:
        weston = Weston(800, 600, a.shell, 1, x11=xvfb.display)
        xenv = dict(os.environ, DISPLAY=xvfb.display)
        win = weston_x_window(xenv)
        subprocess.run(['xdotool', 'mousemove', '--window', win, '0', '0'], env=xenv,
                       check=True, timeout=20)   # Weston's pointer starts where X's is
        time.sleep(0.3)
        client = start_client(cmd, weston.env)
        lines, ok = wait_line(client, 'shown 2')
        if not ok:
            print('FAIL: the client showed no frame')
            return 1
        def xdo(*args):
            if args[0] == 'mousemove':
                args = ('mousemove', '--window', win) + args[1:]
            subprocess.run(['xdotool', *args], env=xenv, check=True, timeout=20)
            time.sleep(0.3)
        # As in the input test: resynchronize Weston's pointer in the corner first.
        xdo('mousemove', '50', '50')
        xdo('mousemove', '0', '0')
        # Activate the window (a click in it) so the bar has its active colour.
        xdo('mousemove', '400', '300')
        xdo('click', '1')
        shot = os.path.join(weston.dir, 'deco.png')
        weston.screenshot(shot)
        bar = find_bar(shot)
        if not bar:
            print('FAIL: no title bar on screen')
            return 1
        bx, by, bw = bar
        print(f'title bar at {bx},{by}, {bw} wide')
        # Drag by the title: the window follows the pointer.
        xdo('mousemove', str(bx + 60), str(by + 10))
        xdo('mousedown', '1')
        time.sleep(1.0)   # the client must see the press and ask for the move first
        for step in (1, 2, 3, 4):
            xdo('mousemove', str(bx + 60 + 15 * step), str(by + 10 + 10 * step))
        # Motion once more, late: a grab the compositor started late still sees it.
        time.sleep(1.0)
        xdo('mousemove', str(bx + 121), str(by + 51))
        xdo('mousemove', str(bx + 120), str(by + 50))
        xdo('mouseup', '1')
        def bar_when(cond, seconds=8):
            # The compositor and the client take their time on a loaded machine: poll.
            deadline = time.monotonic() + seconds
            while True:
                weston.screenshot(shot)
                b = find_bar(shot)
                if (b and cond(b)) or time.monotonic() > deadline:
                    return b
                time.sleep(0.3)
        moved = bar_when(lambda b: b[:2] != (bx, by))
        print(f'after the drag: {moved}')
        if not moved or (moved[0] - bx, moved[1] - by) != (60, 40):
            print('FAIL: the window did not move with the drag of its title bar')
            client.kill()
            out, err = client.communicate()
            print(out[-3000:], err[-6000:])
            return 1
        bx, by = moved[0], moved[1]
        # A double click on the title maximizes: the compositor sizes the window to the
        # 800x600 output, so the content is 800 x (600 - bar) and the client is told.
        xdo('mousemove', str(bx + 60), str(by + 10))
        xdo('click', '--repeat', '2', '--delay', '80', '1')
        maxed = bar_when(lambda b: b[:3] == (0, 0, 800))
        print(f'after the double click: {maxed}')
        if not maxed or maxed[:3] != (0, 0, 800):
            print('FAIL: a double click on the title did not maximize the window')
            return 1
        bx, by, bw = maxed
        # The close box is the rightmost square of the bar.
        xdo('mousemove', str(bx + bw - 14), str(by + 14))
        xdo('click', '1')
        try:
            out, err = client.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            print('FAIL: the client did not close')
            return 1
        print(out.strip())
        if 'configure 800 572 1' not in out:
            print('FAIL: the client was not told its maximized size (800x572)')
            return 1
        if 'close requested' not in out or client.returncode != 0:
            print(f'FAIL: no close request (exit status {client.returncode})')
            print(err[-4000:])
            return 1
        print('title bar: drag moved the window, double click maximized it, the close box closed it')
        return 0
    finally:
        if client and client.poll() is None:
            client.kill()
            client.wait()
        if weston:
            weston.cleanup()
        xvfb.stop()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('mode', choices=['screenshot', 'kill', 'input', 'decorations', 'nodisplay'])
    ap.add_argument('--golden')
    ap.add_argument('--out')
    ap.add_argument('--update', action='store_true')
    ap.add_argument('--size', default='640x480')
    ap.add_argument('--shell', default='desktop-shell.so')
    ap.add_argument('--ready', default='line:shown 2')
    ap.add_argument('--pngdiff', help='the comparison tool (tests/screenshots/pngdiff.c)')
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
    if a.mode == 'input':
        return input_test(cmd, a)
    if a.mode == 'decorations':
        return decorations_test(cmd, a)
    w, h = (int(v) for v in a.size.split('x'))
    weston = Weston(w, h, a.shell, a.scale)
    client = None
    try:
        if a.shell == 'desktop-shell.so' and not weston.wait_background():
            print('FAIL: the desktop shell never drew its background')
            return 1
        client = start_client(cmd, weston.env)
        if a.mode == 'screenshot':
            ok, lines = wait_ready(weston, client, a.ready)
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
            diff = os.path.splitext(shot)[0] + '-diff.png'
            if a.pngdiff:
                r = subprocess.run([a.pngdiff, a.golden, shot, diff], capture_output=True, text=True)
                why = None if r.returncode == 0 else (r.stdout + r.stderr).strip() or f'pngdiff failed ({r.returncode})'
            else:
                why = compare(shot, a.golden, diff)
            if why:
                print(f'FAIL: {shot} vs {a.golden}: {why}')
                return 1
            print(f'screenshot matches {a.golden}')
            return 0
        # kill: the compositor dies under the client.
        ok, lines = wait_ready(weston, client, 'line:shown 1' if a.ready == 'line:shown 2' else a.ready)
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
