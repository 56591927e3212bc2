#!/usr/bin/env python3
"""images/boot.py: boots the built Kons image in QEMU (called by ./images/run).

    boot.py --build BUILD [--store PATH] [--size WxH] [--memory SIZE] [--mesa]
            [--disk] [--headless] [--screenshot PATH] [--serial]

- The user's store disk lives OUTSIDE the build folder (default
  $XDG_DATA_HOME/kons/store.img, i.e. ~/.local/share/kons/store.img; --store or
  $KONS_STORE to change it), so rebuilding never touches it. It is created blank (sparse,
  256 MiB) when missing; PID 1 claims a blank disk at boot.
- The kernel and initramfs are given to QEMU directly (the fast path); --disk boots the
  standalone build/images/kons.img through its boot loader instead (its own store
  partition; the user's store is not used then).
- A window when a display is available ($DISPLAY or $WAYLAND_DISPLAY), otherwise
  headless: VNC on 127.0.0.1 and a screenshot of the first settled screen (path printed).
- KVM when it works here (probed), TCG otherwise.
"""
import argparse
import os
import signal
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kons_qemu  # noqa: E402


def free_vnc_display():
    for n in range(0, 100):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", 5900 + n))
                return n
            except OSError:
                continue
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", required=True, help="the meson build folder")
    data = os.environ.get("XDG_DATA_HOME") or os.path.expanduser("~/.local/share")
    ap.add_argument("--store", default=os.environ.get("KONS_STORE") or os.path.join(data, "kons", "store.img"),
                    help="the store disk image (default: %(default)s)")
    ap.add_argument("--size", default="1280x800", help="screen size WxH (default %(default)s)")
    ap.add_argument("--memory", default="1G", help="guest memory (default %(default)s)")
    ap.add_argument("--mesa", action="store_true", help="the Mesa flavour: GBM/EGL/GLES2 renderer (llvmpipe)")
    ap.add_argument("--disk", action="store_true", help="boot build/images/kons.img through its boot loader")
    ap.add_argument("--headless", action="store_true", help="no window even when a display is available")
    ap.add_argument("--screenshot", help="where the headless screenshot goes (default BUILD/images/screen.png)")
    ap.add_argument("--serial", action="store_true", help="copy the serial console to this terminal")
    a = ap.parse_args()

    images = os.path.join(os.path.abspath(a.build), "images")
    try:
        w, h = (int(v) for v in a.size.lower().split("x"))
    except ValueError:
        ap.error(f"--size must be WxH (got {a.size!r})")
    work = os.path.join(images, "run")
    drives, append = [], "console=ttyS0 quiet panic=-1"
    kernel = initrd = None
    if a.disk:
        img = os.path.join(images, "kons.img")
        if not os.path.exists(img):
            sys.exit(f"boot: {img} is not built (meson compile -C {a.build} images)")
        drives.append(kons_qemu.Drive(img))
        append = ""
        print(f"boot: booting {img} through its boot loader (store: its own partition)")
    else:
        kernel = os.path.join(images, "vmlinux")
        initrd = os.path.join(images, "initramfs-mesa.cpio" if a.mesa else "initramfs.cpio")
        for f in (kernel, initrd):
            if not os.path.exists(f):
                sys.exit(f"boot: {f} is not built (meson compile -C {a.build} images"
                         f"{' images-mesa' if a.mesa else ''})")
        store = os.path.abspath(os.path.expanduser(a.store))
        if os.path.commonpath([store, os.path.abspath(a.build)]) == os.path.abspath(a.build):
            sys.exit(f"boot: the store {store} must live outside the build folder "
                     "(rebuilding would touch it); choose another --store")
        if not os.path.exists(store):
            os.makedirs(os.path.dirname(store), exist_ok=True)
            with open(store, "wb") as f:
                f.truncate(256 << 20)
            print(f"boot: created a blank store disk {store} (256 MiB, sparse)")
        drives.append(kons_qemu.Drive(store))
        append += " kons.store=/dev/vda"
        if a.mesa:
            append += " kons.renderer=gl"
        print(f"boot: store disk {store}")
    windowed = not a.headless and (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    vnc = None
    if windowed:
        display = "gtk"
    else:
        display = "none"
        n = free_vnc_display()
        vnc = f"127.0.0.1:{n}" if n is not None else None
    kvm = kons_qemu.kvm_works()
    m = kons_qemu.Machine(work, kernel=kernel, initrd=initrd, append=append, drives=drives,
                          size=(w, h), memory=a.memory, display=display, vnc=vnc, kvm=kvm,
                          name="run")
    print(f"boot: QEMU with {'KVM' if kvm else 'TCG (no working KVM)'}, {a.memory}, {w}x{h}; "
          f"serial console log {m.serial_path}")
    # SIGTERM/SIGHUP (a closed terminal, `timeout`) end QEMU too: it runs in its own
    # session and would otherwise be left behind.
    def stop(signum, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGHUP, stop)
    m.start()
    if vnc:
        print(f"boot: headless: VNC on {vnc} (port {5900 + int(vnc.split(':')[1])})")
    shot = a.screenshot or os.path.join(images, "screen.png")
    try:
        t = m.wait_serial(r"kms: renderer .*first frame shown|FATAL", 300)
        if "FATAL" in m.serial():
            print("boot: the image reported a fatal error:\n" + m.serial()[-2000:])
        else:
            print(f"boot: first frame {t:.1f} s after QEMU started")
            if not windowed:
                time.sleep(2)
                m.screendump(shot)
                print(f"boot: screenshot {shot}")
        print("boot: running; Ctrl-C ends QEMU (in the guest: Ctrl-Alt-End powers off, "
              "Ctrl-Alt-Delete reboots)")
        seen = 0
        while m.running():
            if a.serial:
                text = m.serial()
                sys.stdout.write(text[seen:])
                sys.stdout.flush()
                seen = len(text)
            time.sleep(0.5)
    except KeyboardInterrupt:
        print("\nboot: stopping QEMU")
    except TimeoutError as e:
        print(f"boot: {e}")
    finally:
        m.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
