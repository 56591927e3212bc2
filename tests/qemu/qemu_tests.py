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
import statistics
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
    first frame, typed text and a click reach it, typing `poweroff` powers off cleanly."""
    m = kons_qemu.Machine(a.work, kernel=os.path.join(a.images, "vmlinux"),
                          initrd=os.path.join(a.images, "probe.cpio"),
                          append=boot_args(), name="init")
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


TESTS = {"init": test_init}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--images", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--boots", type=int, default=1)
    ap.add_argument("--update-goldens", action="store_true")
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
