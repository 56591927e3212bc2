#!/usr/bin/env python3
"""tests/qemu/qemu_tests.py: boots the Kons image in QEMU and drives it over QMP.

    qemu_tests.py --images B/images --work DIR TEST [--boots N]

Tests (one QEMU boot each, to keep the suite's time modest under TCG):
    init      the PID-1 init with a stand-in desktop: modules, input, display device,
              the desktop started with --display=kms, clean power-off on request
    desktop   boot to the desktop; the first frame matches the golden
    typing    typing into a window changes it as the golden says
    click     clicking a presentation
    store     a blank store disk is claimed, a foreign one left untouched
    kons-img  the standalone kons.img boots through its boot loader to the first frame
`--boots N` repeats the boot N times and prints the median boot time (a measurement,
not a test; used for the numbers in the report).

Boot time = QEMU start to the line the KMS driver prints on the serial console after its
first frame, and to the first frame drawn after input. Golden images are compared as in
tests/screenshots (per-pixel tolerance, a maximum share of differing pixels, a diff image
on failure) and updated only with `--update-goldens` (an explicit command).
"""
import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "images"))
import kons_qemu  # noqa: E402

FAILS = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        FAILS.append(what)


def boot_args(extra=""):
    # quiet: the serial console is slow under TCG; kernel messages of level < 4 still show.
    return ("console=ttyS0 quiet panic=-1 " + extra).strip()


def test_init(a):
    """The PID-1 init, the KMS display and libinput with the stand-in desktop: boot,
    first frame, typed text and a click reach it, a USB keyboard unplugged is dropped
    with a message (no crash), typing `poweroff` powers off cleanly."""
    m = kons_qemu.Machine(a.work, kernel=os.path.join(a.images, "vmlinux"),
                          initrd=os.path.join(a.images, "probe.cpio"),
                          append=boot_args(), name="init",
                          extra=["-device", "qemu-xhci,id=xhci", "-device", "usb-kbd,id=ukbd,bus=xhci.0"])
    with m:
        t_pid1 = m.wait_serial(r"kons: PID 1 started", 60)
        m.wait_serial(r"kernel modules loaded", 30)
        m.wait_serial(r"input devices prepared for libinput", 30)
        m.wait_serial(r"display device /dev/dri/card0 ready", 30)
        m.wait_serial(r"kons-probe: desktop stand-in running with --display=kms "
                      r"--input=libinput", 30)
        t_frame = m.wait_serial(r"kons-probe: first frame", 30)
        m.wait_serial(r"kons-probe: device added: QEMU Virtio Keyboard", 30)
        m.wait_serial(r"kons-probe: device added: QEMU Virtio Tablet", 30)
        m.type_text("Hi!\n")
        m.wait_serial(r'key 23 text "i"', 10)
        t_input = m.wait_serial(r'key 2 text "!" mods 0x1', 10)
        m.click(640, 400)
        m.wait_serial(r"button 0x110 pressed at 640,400", 10)
        m.wait_serial(r"button 0x110 released at 640,400", 10)
        # Hot-unplug: the USB keyboard goes away; the desktop drops it and goes on.
        m.wait_serial(r"kons-probe: device added: QEMU QEMU USB Keyboard", 30)
        m.cmd("device_del", id="ukbd")
        m.wait_serial(r"libinput: device .*QEMU QEMU USB Keyboard\) removed", 30)
        m.wait_serial(r"kons-probe: device removed: QEMU QEMU USB Keyboard", 10)
        m.type_text("poweroff\n")
        m.wait_serial(r"reboot: Power down", 30)
        rc = m.wait_exit(10)
        check(rc == 0, f"QEMU powered off cleanly (exit status {rc})")
        text = m.serial()
        check("cannot load module" not in text, "every kernel module loaded")
        check("FATAL" not in text, "no fatal error")
        check("kons: power-off requested: powering off" in text, "PID 1 powered off on request")
        n_input = int(text.split(" input devices prepared")[0].rsplit(" ", 1)[-1])
        check(n_input >= 3, f"{n_input} input devices prepared (keyboard, tablet, power button)")
        print(f"boot: QEMU start to PID 1 {t_pid1:.2f} s, to the first frame {t_frame:.2f} s")
    return t_frame


FIRST_FRAME = r"kms: renderer .*first frame shown"


def desktop_machine(a, name, append="", **kw):
    return kons_qemu.Machine(a.work, kernel=os.path.join(a.images, "vmlinux"),
                             initrd=os.path.join(a.images, "initramfs.cpio"),
                             append=boot_args(append), name=name, **kw)


def screen(m, name):
    path = os.path.join(m.workdir, name)
    m.screendump(path)
    with open(path, "rb") as f:
        return f.read()


def wait_stable(m, name, timeout=30, interval=0.3):
    """Screendumps until two in a row are identical (the desktop is idle); returns the
    PNG's bytes (QEMU encodes equal pixels to equal bytes)."""
    deadline = time.monotonic() + timeout
    prev = screen(m, name)
    while time.monotonic() < deadline:
        time.sleep(interval)
        cur = screen(m, name)
        if cur == prev:
            return cur
        prev = cur
    raise TimeoutError(f"the screen did not settle within {timeout} s")


def wait_change(m, before, name, timeout=20):
    """Polls screendumps until the screen differs from `before`; returns the time."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if screen(m, name) != before:
            return time.monotonic()
        time.sleep(0.02)
    raise TimeoutError(f"the screen did not change within {timeout} s")


def compare_golden(a, m, shot_name, golden_name):
    """Compares the settled screen with tests/qemu/golden/<golden_name> through the
    screenshot suite's pngdiff; --update-goldens copies it there instead."""
    actual = os.path.join(m.workdir, shot_name)
    golden = os.path.join(HERE, "golden", golden_name)
    if a.update_goldens:
        os.makedirs(os.path.dirname(golden), exist_ok=True)
        shutil.copyfile(actual, golden)
        print(f"updated tests/qemu/golden/{golden_name} (look at it before committing)")
        return
    if not os.path.exists(golden):
        check(False, f"golden {golden_name} exists (make it with tests/qemu/update-goldens)")
        return
    diff = os.path.join(m.workdir, "diff-" + golden_name)
    r = subprocess.run([a.pngdiff, golden, actual, diff], capture_output=True, text=True)
    check(r.returncode == 0, f"screen matches golden {golden_name} "
          f"({(r.stdout + r.stderr).strip() or 'identical'}; actual {actual}, diff {diff})")


def boot_to_desktop(a, name, **kw):
    m = desktop_machine(a, name, **kw)
    m.start()
    try:
        t_frame = m.wait_serial(FIRST_FRAME, 90)
        m.wait_serial(r"libinput: device .*QEMU Virtio Keyboard", 60)
        m.wait_serial(r"libinput: device .*QEMU Virtio Tablet", 60)
    except BaseException:
        m.stop()  # never leave a QEMU behind
        raise
    return m, t_frame


def test_desktop(a):
    """Boot to the desktop: the first frame, the settled screen against its golden, and
    the time to the first response to input (a key typed into the listener)."""
    m, t_frame = boot_to_desktop(a, "desktop")
    try:
        shot = wait_stable(m, "desktop.png")
        compare_golden(a, m, "desktop.png", "desktop.png")
        t_key = m.elapsed()
        m.key("x")
        t_changed = wait_change(m, shot, "desktop-key.png") - m.t0
        text = m.serial()
        check("FATAL" not in text, "no fatal error")
        print(f"boot: QEMU start to first frame {t_frame:.2f} s; to the first response to "
              f"input {t_changed:.2f} s (key to changed screen {1000 * (t_changed - t_key):.0f} ms)")
    finally:
        m.stop()
    return t_frame


def test_typing(a):
    """Typing a form into the listener and evaluating it."""
    m, t_frame = boot_to_desktop(a, "typing")
    try:
        shot = wait_stable(m, "typing-0.png")
        m.type_text("(* 6 7)")
        m.key("ret")
        wait_change(m, shot, "typing-1.png")
        wait_stable(m, "typing.png")
        compare_golden(a, m, "typing.png", "typing.png")
    finally:
        m.stop()
    return t_frame


def test_click(a):
    """Pointing at a presentation highlights it; clicking gives its object to the
    listener (the demo's "(1 2 3)" result)."""
    m, t_frame = boot_to_desktop(a, "click")
    try:
        shot = wait_stable(m, "click-0.png")
        m.pointer_abs(60, 147)
        wait_change(m, shot, "click-1.png")
        hover = wait_stable(m, "click-hover.png")
        compare_golden(a, m, "click-hover.png", "click-hover.png")
        m.click()
        wait_change(m, hover, "click-2.png")
        wait_stable(m, "click.png")
        compare_golden(a, m, "click.png", "click.png")
    finally:
        m.stop()
    return t_frame


def test_fatal(a):
    """The desktop dies: PID 1 survives, shows the error on the screen (a red screen) and
    the serial console, and powers off on Ctrl-Alt-End."""
    m = kons_qemu.Machine(a.work, kernel=os.path.join(a.images, "vmlinux"),
                          initrd=os.path.join(a.images, "probe.cpio"),
                          append=boot_args("kons.probe=crash"), name="fatal")
    with m:
        m.wait_serial(r"kons-probe: crashing on purpose", 60)
        m.wait_serial(r"FATAL: the desktop was killed by signal 6", 30)
        time.sleep(1.0)
        shot = os.path.join(m.workdir, "fatal.png")
        m.screendump(shot)
        red = png_pixel(shot, 5, 5)
        check(red[0] > 90 and red[1] < 40 and red[2] < 40, f"the screen shows the error (pixel {red})")
        m.key("ctrl", "alt", "end")
        m.wait_serial(r"Ctrl-Alt-End: powering off", 30)
        m.wait_serial(r"reboot: Power down", 30)
        check(m.wait_exit(10) == 0, "QEMU powered off cleanly after Ctrl-Alt-End")
    return None


def png_pixel(path, x, y):
    """(r, g, b) of one pixel of an 8-bit RGB/RGBA PNG (QEMU's screendump)."""
    import struct
    import zlib
    data = open(path, "rb").read()
    pos, idat, w, h, ctype = 8, b"", 0, 0, 2
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, _, ctype = struct.unpack(">IIBB", body[:10])
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    bpp = 4 if ctype == 6 else 3
    raw = zlib.decompress(idat)
    stride = w * bpp
    prev = bytearray(stride)
    for row in range(y + 1):
        f = raw[row * (stride + 1)]
        line = bytearray(raw[row * (stride + 1) + 1:(row + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - bpp] if i >= bpp else 0
            up = prev[i]
            ul = prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + left) & 255
            elif f == 2:
                line[i] = (line[i] + up) & 255
            elif f == 3:
                line[i] = (line[i] + (left + up) // 2) & 255
            elif f == 4:
                p = left + up - ul
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - ul)
                pr = left if pa <= pb and pa <= pc else up if pb <= pc else ul
                line[i] = (line[i] + pr) & 255
        prev = line
    return tuple(prev[x * bpp:x * bpp + 3])


def sha256(path):
    import hashlib
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def test_store(a):
    """PID 1's store search without kons.store=: of two disks, the blank one is claimed
    (it then carries a Kons superblock, checked on the host with kons-store) and the
    foreign one (bytes of another system) is reported and left byte for byte as it was."""
    blank = os.path.join(a.work, "store-blank.img")
    foreign = os.path.join(a.work, "store-foreign.img")
    with open(blank, "wb") as f:
        f.truncate(64 << 20)
    with open(foreign, "wb") as f:
        f.write(b"\x7fNOT A KONS STORE: another system's data " * 1000)
        f.write(os.urandom(1 << 20))
        f.truncate(64 << 20)
    before = sha256(foreign)
    m = kons_qemu.Machine(a.work, kernel=os.path.join(a.images, "vmlinux"),
                          initrd=os.path.join(a.images, "probe.cpio"),
                          append=boot_args("kons.probe=poweroff"), name="store",
                          drives=[kons_qemu.Drive(foreign), kons_qemu.Drive(blank)])
    with m:
        m.wait_serial(r"store: /dev/vda is foreign, left untouched", 60)
        m.wait_serial(r"store: claimed the blank disk /dev/vdb as the new Kons store", 30)
        m.wait_serial(r"store disk: /dev/vdb", 30)
        m.wait_serial(r"kons-probe: desktop stand-in running .*; store /dev/vdb", 30)
        m.wait_serial(r"reboot: Power down", 60)
        check(m.wait_exit(10) == 0, "QEMU powered off cleanly")
    check(sha256(foreign) == before, "the foreign disk is unchanged")
    r = subprocess.run([a.kons_store, "probe", blank], capture_output=True, text=True)
    check(r.returncode == 0 and r.stdout.startswith("kons: Kons store"),
          f"the blank disk now is a Kons store (kons-store probe: {r.stdout.strip()})")
    # Booting again finds the store it claimed and claims nothing else.
    m = kons_qemu.Machine(a.work, kernel=os.path.join(a.images, "vmlinux"),
                          initrd=os.path.join(a.images, "probe.cpio"),
                          append=boot_args("kons.probe=poweroff"), name="store2",
                          drives=[kons_qemu.Drive(foreign), kons_qemu.Drive(blank)])
    with m:
        m.wait_serial(r"store: /dev/vdb is the Kons store", 60)
        m.wait_serial(r"reboot: Power down", 60)
    check(sha256(foreign) == before, "the foreign disk is still unchanged")
    check("claimed" not in m.serial(), "nothing claimed on the second boot")
    os.unlink(foreign)
    os.unlink(blank)
    return None


def boot_kons_img(a, name, kw):
    """The standalone kons.img through its boot loader, to the first frame. Works on a
    copy, so the build's image stays blank."""
    img = os.path.join(a.work, name + ".img")
    shutil.copyfile(os.path.join(a.images, "kons.img"), img)
    m = kons_qemu.Machine(a.work, name=name, **kw(img))
    with m:
        t_frame = m.wait_serial(FIRST_FRAME, 120)
        text = m.serial()
        check("FATAL" not in text, "no fatal error")
        m.wait_serial(r"libinput: device .*keyboard", 30)
        text = m.serial()
        check(re.search(r"claimed the blank disk /dev/[sv]da2 as the new Kons store", text) is not None,
              "the image's blank store partition was claimed")
        check(re.search(r"PARTUUID=4b6f6e73-02 is /dev/[sv]da2", text) is not None,
              "the boot loader named the store partition")
        print(f"boot: QEMU start to first frame through the boot loader {t_frame:.2f} s")
    os.unlink(img)
    return t_frame


def test_kons_img(a):
    """Plain `qemu-system-x86_64 -m 1G -drive file=kons.img,format=raw`: the pc machine,
    IDE disk, std VGA (bochs DRM), PS/2 keyboard and mouse, SeaBIOS + syslinux."""
    return boot_kons_img(a, "kons-img", lambda img: dict(drives=[kons_qemu.Drive(img, interface="ide")],
                                        machine="pc", gpu="std"))


def test_kons_img_virtio(a):
    """kons.img as a virtio disk with a virtio GPU, keyboard and tablet (q35)."""
    return boot_kons_img(a, "kons-img-virtio", lambda img: dict(drives=[kons_qemu.Drive(img)]))


def measure_renderers(a):
    """A measurement, not a test (needs `meson compile -C build images-mesa`): boots the
    desktop with dumb buffers and with the GL renderer (llvmpipe) and types 64 keys into
    the listener; prints the KMS driver's frame statistics for each."""
    runs = [("dumb", "initramfs.cpio", ""), ("gl", "initramfs-mesa.cpio", "kons.renderer=gl")]
    for label, initrd, extra in [r for r in runs if not a.only or r[0] == a.only]:
        m = kons_qemu.Machine(a.work, kernel=os.path.join(a.images, "vmlinux"),
                              initrd=os.path.join(a.images, initrd),
                              append=boot_args(extra + " KONS_KMS_STATS=1"), name="renderer-" + label)
        with m:
            t = m.wait_serial(FIRST_FRAME, 240)
            m.wait_serial(r"libinput: device .*QEMU Virtio Keyboard", 60)
            wait_stable(m, "renderer.png")
            m.type_text("abcdefgh" * 8, pause=0.15)
            wait_stable(m, "renderer.png", timeout=180, interval=1.0)
            stats = [l for l in m.serial().splitlines() if "kms: stats" in l]
            print(f"renderer {label}: first frame {t:.1f} s; " + (" | ".join(stats) or "no stats"))
    return None


OVMF_CODE = "/usr/share/OVMF/OVMF_CODE.fd"


def test_kons_img_uefi(a):
    """kons.img under UEFI (OVMF, package ovmf): the firmware starts EFI/BOOT/BOOTX64.EFI
    (syslinux.efi) from the boot partition. Skipped when OVMF is not installed."""
    if not os.path.exists(OVMF_CODE):
        print(f"SKIP: no {OVMF_CODE} (Debian package ovmf)")
        sys.exit(77)
    return boot_kons_img(a, "kons-img-uefi", lambda img: dict(
        drives=[kons_qemu.Drive(img)],
        extra=["-drive", f"if=pflash,format=raw,readonly=on,file={OVMF_CODE}"]))


TESTS = {"init": test_init, "kons-img-uefi": test_kons_img_uefi, "renderers": measure_renderers, "store": test_store, "fatal": test_fatal, "kons-img": test_kons_img, "kons-img-virtio": test_kons_img_virtio, "desktop": test_desktop, "typing": test_typing,
         "click": test_click}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--images", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--boots", type=int, default=1)
    ap.add_argument("--update-goldens", action="store_true")
    ap.add_argument("--pngdiff", help="the screenshot suite's comparison tool")
    ap.add_argument("--kons-store", help="ckpt's kons-store tool (store test)")
    ap.add_argument("--only", help="renderers: only this one (dumb or gl)")
    ap.add_argument("test", choices=sorted(TESTS))
    a = ap.parse_args()
    a.images = os.path.abspath(a.images)
    os.makedirs(a.work, exist_ok=True)
    if not kons_qemu.which_qemu():
        print("qemu-system-x86_64 is not installed (package qemu-system-x86)")
        return 1
    times = []
    for i in range(a.boots):
        t = TESTS[a.test](a)
        if t is not None:
            times.append(t)
    if a.boots > 1 and times:
        print(f"boot times ({a.test}): {', '.join(f'{t:.2f}' for t in times)} s; "
              f"median {statistics.median(times):.2f} s")
    if FAILS:
        print(f"{len(FAILS)} checks failed")
        return 1
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (TimeoutError, kons_qemu.QmpError) as e:
        print(f"FAIL {e}")
        sys.exit(1)
