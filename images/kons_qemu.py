"""images/kons_qemu.py: starts QEMU on the Kons image and drives it over QMP.

Used by ./images/run (through images/boot.py) and by the tests in tests/qemu. Python's
standard library only.

    m = Machine(out_dir, workdir, kernel="vmlinux", initrd="initramfs.cpio",
                append="...", drives=[Drive(path)], gpu="virtio", size=(1280, 800))
    m.start()
    t = m.wait_serial(r"first frame", timeout=30)   # seconds since QEMU started
    m.screendump("shot.png")
    m.type_text("hello"); m.key("ret"); m.pointer_abs(100, 200); m.click()
    m.stop()

Facts this relies on (shared/notes/image-facts.md): KVM does not work on the CI machines
(detected, never assumed); screendump needs device=gpu0 with virtio-gpu; input-send-event
takes absolute positions in 0..0x7fff and names the display console, not the device.
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time


def kvm_works():
    """Whether KVM can run a guest here. /dev/kvm may exist while guests only spin (the
    CI machines), so a real guest is run: a boot sector that writes 0x42 to QEMU's
    isa-debug-exit port, which ends QEMU with status (0x42 << 1) | 1. A spinning KVM
    never gets there, and one that crawls (measured here: 4 s for this sector, where TCG
    takes 0.1 s, and Linux then never boots) takes too long: the probe gives up after
    1.5 s. KONS_KVM=0 skips the probe, KONS_KVM=1 forces KVM."""
    if os.environ.get("KONS_KVM") in ("1", "yes"):
        return True
    if os.environ.get("KONS_KVM") in ("0", "no"):
        return False
    if not os.access("/dev/kvm", os.R_OK | os.W_OK) or not which_qemu():
        return False
    import tempfile
    sector = bytes([0xB0, 0x42, 0xE6, 0xF4, 0xF4, 0xEB, 0xFE])  # mov al,0x42; out 0xf4,al; hlt; jmp $
    sector += bytes(510 - len(sector)) + b"\x55\xaa"
    with tempfile.NamedTemporaryFile(suffix=".img") as f:
        f.write(sector)
        f.flush()
        try:
            p = subprocess.run(
                ["qemu-system-x86_64", "-enable-kvm", "-m", "32M", "-display", "none",
                 "-nodefaults", "-no-reboot", "-device", "isa-debug-exit,iobase=0xf4,iosize=4",
                 "-drive", f"file={f.name},format=raw,if=ide"],
                stdin=subprocess.DEVNULL, capture_output=True, timeout=1.5)
        except (subprocess.TimeoutExpired, OSError):
            return False
    return p.returncode == (0x42 << 1) | 1


class Drive:
    def __init__(self, path, interface="virtio", fmt="raw", readonly=False):
        self.path, self.interface, self.fmt, self.readonly = path, interface, fmt, readonly

    def args(self, index):
        opts = f"file={self.path},format={self.fmt},if={self.interface}"
        if self.interface == "virtio":
            opts += ",cache=none,aio=threads"
        if self.readonly:
            opts += ",readonly=on"
        return ["-drive", opts]


class QmpError(Exception):
    pass


class Machine:
    def __init__(self, workdir, kernel=None, initrd=None, append="", drives=(),
                 gpu="virtio", size=(1280, 800), memory="1G", display="none",
                 vnc=None, machine="q35", kvm=None, extra=(), name="kons"):
        self.workdir = workdir
        os.makedirs(workdir, exist_ok=True)
        self.kernel, self.initrd, self.append = kernel, initrd, append
        self.drives = list(drives)
        self.gpu, self.size, self.memory = gpu, size, memory
        self.display, self.vnc, self.machine = display, vnc, machine
        self.kvm = kvm_works() if kvm is None else kvm
        self.extra = list(extra)
        self.serial_path = os.path.join(workdir, name + "-serial.log")
        self.qmp_path = os.path.join(workdir, name + "-qmp.sock")
        self.proc = None
        self.sock = None
        self.t0 = None
        self._buf = b""
        self._serial_seen = 0

    # ---- life cycle ------------------------------------------------------------------

    def argv(self):
        # -nodefaults: no CD-ROM (its AHCI probe), no NIC; every device is named below.
        a = ["qemu-system-x86_64", "-nodefaults", "-machine", self.machine, "-m", self.memory,
             "-no-reboot", "-serial", "file:" + self.serial_path,
             "-qmp", f"unix:{self.qmp_path},server=on,wait=off"]
        if self.kvm:
            a += ["-enable-kvm", "-cpu", "host", "-smp", "2"]
        elif os.environ.get("KONS_QEMU_SMP"):
            a += ["-smp", os.environ["KONS_QEMU_SMP"]]
        if self.gpu == "virtio":
            w, h = self.size
            a += ["-vga", "none", "-device", f"virtio-gpu-pci,id=gpu0,xres={w},yres={h}",
                  "-device", "virtio-keyboard-pci", "-device", "virtio-tablet-pci"]
        elif self.gpu == "std":
            # Plain QEMU: std VGA (bochs DRM), PS/2 keyboard and mouse.
            a += ["-vga", "std"]
        if self.kernel:
            a += ["-kernel", self.kernel]
        if self.initrd:
            a += ["-initrd", self.initrd]
        if self.append:
            a += ["-append", self.append]
        for i, d in enumerate(self.drives):
            a += d.args(i)
        if self.display == "none":
            a += ["-display", "none"]
        elif self.display:
            a += ["-display", self.display]
        if self.vnc:
            a += ["-vnc", self.vnc]
        return a + self.extra

    def start(self):
        for p in (self.serial_path, self.qmp_path):
            if os.path.exists(p):
                os.unlink(p)
        self.t0 = time.monotonic()
        self.proc = subprocess.Popen(self.argv(), stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        deadline = time.monotonic() + 10
        while True:
            try:
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.connect(self.qmp_path)
                break
            except OSError:
                s.close()
                if self.proc.poll() is not None:
                    out = self.proc.stdout.read().decode(errors="replace")
                    raise QmpError(f"QEMU exited at start ({self.proc.returncode}): {out}")
                if time.monotonic() > deadline:
                    raise QmpError("QEMU's QMP socket did not appear within 10 s")
                time.sleep(0.02)
        self.sock = s
        self.sock.settimeout(30)
        self._read_msg()  # greeting
        self.cmd("qmp_capabilities")
        return self

    def elapsed(self):
        return time.monotonic() - self.t0

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def wait_exit(self, timeout):
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self):
        """Ends QEMU: QMP quit, then SIGTERM, then SIGKILL (never leaves it running)."""
        if not self.proc:
            return
        if self.proc.poll() is None:
            try:
                self.cmd("quit")
            except (OSError, QmpError):
                pass
            if self.wait_exit(3) is None:
                self.proc.terminate()
                if self.wait_exit(3) is None:
                    self.proc.kill()
                    self.proc.wait()
        if self.sock:
            self.sock.close()
            self.sock = None
        if self.proc.stdout:
            self.proc.stdout.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # ---- QMP -------------------------------------------------------------------------

    def _read_msg(self):
        while b"\n" not in self._buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise QmpError("QMP connection closed (QEMU exited?)")
            self._buf += chunk
        line, self._buf = self._buf.split(b"\n", 1)
        return json.loads(line)

    def cmd(self, name, **args):
        msg = {"execute": name}
        if args:
            msg["arguments"] = args
        self.sock.sendall(json.dumps(msg).encode() + b"\n")
        while True:
            r = self._read_msg()
            if "return" in r:
                return r["return"]
            if "error" in r:
                raise QmpError(f"{name}: {r['error'].get('desc', r['error'])}")
            # events (e.g. SHUTDOWN, POWERDOWN) are ignored here

    def screendump(self, path):
        args = {"filename": os.path.abspath(path), "format": "png"}
        if self.gpu == "virtio":
            args["device"] = "gpu0"
        self.cmd("screendump", **args)
        return path

    # ---- the serial console ----------------------------------------------------------

    def serial(self):
        try:
            with open(self.serial_path, "rb") as f:
                return f.read().decode(errors="replace")
        except FileNotFoundError:
            return ""

    def wait_serial(self, pattern, timeout, since_last=False):
        """Waits until the serial console shows pattern (a regex); returns the time since
        QEMU started. Raises TimeoutError with the console's tail otherwise."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            text = self.serial()
            start = self._serial_seen if since_last else 0
            m = rx.search(text, start)
            if m:
                self._serial_seen = m.end()
                return self.elapsed()
            if not self.running():
                raise TimeoutError(f"QEMU exited before the console showed /{pattern}/; "
                                   f"console tail:\n{text[-3000:]}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"no /{pattern}/ on the console within {timeout} s; "
                                   f"console tail:\n{text[-3000:]}")
            time.sleep(0.02)

    # ---- input -----------------------------------------------------------------------

    _QCODE = {" ": "spc", "\n": "ret", "\t": "tab", "-": "minus", "=": "equal",
              "[": "bracket_left", "]": "bracket_right", ";": "semicolon",
              "'": "apostrophe", "`": "grave_accent", "\\": "backslash", ",": "comma",
              ".": "dot", "/": "slash"}
    _SHIFTED = {"!": "1", "@": "2", "#": "3", "$": "4", "%": "5", "^": "6", "&": "7",
                "*": "8", "(": "9", ")": "0", "_": "minus", "+": "equal", "{": "bracket_left",
                "}": "bracket_right", ":": "semicolon", '"': "apostrophe", "~": "grave_accent",
                "|": "backslash", "<": "comma", ">": "dot", "?": "slash"}

    def key(self, *qcodes, hold_ms=30):
        """Presses the keys together (a chord: "ctrl", "alt", "delete") and releases them."""
        self.cmd("send-key", keys=[{"type": "qcode", "data": q} for q in qcodes],
                 **{"hold-time": hold_ms})

    def type_text(self, text, pause=0.08):  # noqa: C901
        """Types US-layout text key by key."""
        for ch in text:
            if ch.isalpha() and ch.isascii():
                keys = ["shift", ch.lower()] if ch.isupper() else [ch]
            elif ch.isdigit():
                keys = [ch]
            elif ch in self._QCODE:
                keys = [self._QCODE[ch]]
            elif ch in self._SHIFTED:
                s = self._SHIFTED[ch]
                keys = ["shift", self._QCODE.get(s, s)]
            else:
                raise ValueError(f"no US key types {ch!r}")
            self.key(*keys)
            time.sleep(pause)

    def _events(self, events):
        args = {"events": events}
        if self.gpu == "virtio":
            args["device"] = "gpu0"
        self.cmd("input-send-event", **args)

    def pointer_abs(self, x, y):
        """Moves the (tablet) pointer to screen pixel (x, y)."""
        w, h = self.size
        sx = max(0, min(0x7FFF, round(x * 0x7FFF / max(1, w - 1))))
        sy = max(0, min(0x7FFF, round(y * 0x7FFF / max(1, h - 1))))
        self._events([{"type": "abs", "data": {"axis": "x", "value": sx}},
                      {"type": "abs", "data": {"axis": "y", "value": sy}}])

    def button(self, pressed, button="left"):
        self._events([{"type": "btn", "data": {"down": pressed, "button": button}}])

    def click(self, x=None, y=None, button="left"):
        if x is not None:
            self.pointer_abs(x, y)
            time.sleep(0.05)
        self.button(True, button)
        time.sleep(0.05)
        self.button(False, button)


def which_qemu():
    return shutil.which("qemu-system-x86_64")


def kill_group(proc):
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
