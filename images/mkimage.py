#!/usr/bin/env python3
"""images/mkimage.py: builds the bootable Kons image from Debian packages and the build.

    mkimage.py --source-root S --out B/images --kons B/os/kons [--flavour base|mesa]
               [--init-name NAME] [what ...]

what: kernel initramfs store disk all (default all). Outputs under --out:
    vmlinux          the uncompressed PVH kernel (QEMU -kernel; fast boots under TCG)
    bzImage          Debian's compressed kernel (for the boot loader of kons.img)
    initramfs.cpio   uncompressed newc cpio: kons as /init, its shared libraries (from its
                     ELF NEEDED entries, resolved inside the unpacked packages, including
                     the ELF interpreter), fonts, xkb keymaps, libinput quirks, the kernel
                     modules the image needs and their modules.dep
    store-blank.img  a blank (all zero, sparse) store disk
    kons.img         MBR disk: a FAT boot partition (syslinux; UEFI through syslinux.efi)
                     holding bzImage and the initramfs, and a store partition
Packages of the `image` set of images/debian-packages (plus `image-mesa` for the Mesa
flavour) are fetched with `apt-get download` into B/images/debs (a cache: rebuilds are
offline) and unpacked with `dpkg-deb -x` into B/images/root-<flavour>. Nothing is
installed on the host. Only the Python standard library is used (lzma for the kernel).
"""
import argparse
import glob
import json
import lzma
import os
import shutil
import stat
import struct
import subprocess
import sys
import time

ARCH_LIB_DIRS = ["lib/x86_64-linux-gnu", "usr/lib/x86_64-linux-gnu", "lib64", "lib", "usr/lib"]

# The kernel modules of the image: the virtio devices (QEMU's fast path), std VGA through
# bochs, the default disk controllers of QEMU's pc (IDE: ata_piix) and q35 (AHCI)
# machines, PS/2 mouse (the keyboard driver is built in), evdev for libinput, the ACPI
# power button, and USB HID. Their dependencies are added from each module's .modinfo.
MODULES = [
    "virtio_pci", "virtio_gpu", "virtio_blk", "virtio_input", "virtio_scsi",
    "bochs", "ata_piix", "ahci", "sd_mod", "psmouse", "evdev", "button",
    # USB keyboards and mice (a PC's usual ones; QEMU's usb-kbd for the unplug test)
    "xhci_pci", "ehci_pci", "usbhid", "hid_generic",
]

# Data trees copied from the unpacked packages into the initramfs (when present).
DATA_TREES = [
    "usr/share/fonts/truetype/dejavu",   # fonts-dejavu-core: the desktop's faces
    "etc/fonts",                         # fontconfig-config: fonts.conf for Pango
    "usr/share/X11/xkb",                 # xkb-data: keymaps for xkbcommon
    "usr/share/libinput",                # libinput-bin: device quirks
    "var/cache/fontconfig",              # the font cache made by font_cache() below
]
# The Mesa flavour: objects loaded with dlopen (glvnd's EGL vendor, the DRI drivers that
# GBM and EGL pick for virtio-gpu, bochs/simpledrm (kms_swrast) and software) and data.
MESA_DLOPENED = [
    "/usr/lib/x86_64-linux-gnu/libEGL_mesa.so.0",
    "/usr/lib/x86_64-linux-gnu/dri/kms_swrast_dri.so",
    "/usr/lib/x86_64-linux-gnu/dri/swrast_dri.so",
    "/usr/lib/x86_64-linux-gnu/dri/virtio_gpu_dri.so",
]
MESA_DATA_FILES = ["usr/share/glvnd/egl_vendor.d/50_mesa.json"]
# Single files (libx11-data): the compose table xkbcommon loads for C.UTF-8.
DATA_FILES = [
    "usr/share/X11/locale/compose.dir",
    "usr/share/X11/locale/locale.alias",
    "usr/share/X11/locale/locale.dir",
    "usr/share/X11/locale/en_US.UTF-8/Compose",
]


def log(msg):
    print(f"mkimage: {msg}", flush=True)


def die(msg):
    print(f"mkimage: error: {msg}", file=sys.stderr, flush=True)
    sys.exit(1)


# ---- packages -----------------------------------------------------------------------

def read_package_sets(source_root, sets):
    pkgs = []
    with open(os.path.join(source_root, "images", "debian-packages")) as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 2 and not parts[0].startswith("#") and parts[0] in sets:
                pkgs.append(parts[1])
    return pkgs


def deb_files(debdir, pkg):
    # Debian file names: <name>_<version with : as %3a>_<arch>.deb
    return sorted(p for p in glob.glob(os.path.join(debdir, glob.escape(pkg) + "_*.deb"))
                  if os.path.basename(p).split("_")[0] == pkg)


def deb_depends(deb):
    out = subprocess.run(["dpkg-deb", "-f", deb, "Depends"], capture_output=True, text=True)
    deps = []
    for alt in out.stdout.split(","):
        name = alt.split("|")[0].strip().split(" ")[0].split(":")[0]
        if name:
            deps.append(name)
    return deps


_meta_cache = {}


def deb_is_meta(deb):
    """A metapackage ships nothing but its documentation (answers cached beside the
    .debs: listing 50 packages on every build costs seconds)."""
    cache_file = os.path.join(os.path.dirname(deb), "meta-cache.json")
    if not _meta_cache and os.path.exists(cache_file):
        _meta_cache.update(json.load(open(cache_file)))
    key = os.path.basename(deb)
    if key not in _meta_cache:
        out = subprocess.run(["dpkg-deb", "-c", deb], capture_output=True, text=True, check=True)
        meta = True
        for line in out.stdout.splitlines():
            path = line.split()[-1] if line.split() else ""
            if line.startswith("-") and not path.startswith(("./usr/share/doc/", "./usr/share/bug/",
                                                             "./usr/share/lintian/")):
                meta = False
                break
        _meta_cache[key] = meta
        with open(cache_file, "w") as f:
            json.dump(_meta_cache, f)
    return _meta_cache[key]


def fetch(pkg, debdir):
    """The .deb of pkg, from the cache or fetched with apt-get download."""
    have = deb_files(debdir, pkg)
    if have:
        return have[-1]
    log(f"apt-get download {pkg}")
    r = subprocess.run(["apt-get", "download", "-q", pkg], cwd=debdir,
                       capture_output=True, text=True)
    have = deb_files(debdir, pkg)
    if r.returncode != 0 or not have:
        die(f"cannot download the Debian package {pkg} (apt-get download {pkg}):\n"
            f"{r.stderr.strip()}\n(run `apt-get update` when the package lists are empty)")
    return have[-1]


def fetch_all(pkgs, debdir):
    """The .debs for pkgs; a metapackage (linux-image-amd64) is replaced by what it
    depends on, recursively."""
    os.makedirs(debdir, exist_ok=True)
    debs, seen = [], set()
    todo = list(pkgs)
    while todo:
        pkg = todo.pop(0)
        if pkg in seen:
            continue
        seen.add(pkg)
        deb = fetch(pkg, debdir)
        if deb_is_meta(deb):
            todo[:0] = deb_depends(deb)
        else:
            debs.append(deb)
    return debs


def unpack(debs, root):
    stamp = os.path.join(root, ".kons-unpacked")
    want = "\n".join(os.path.basename(d) for d in debs) + "\n"
    if os.path.exists(stamp) and open(stamp).read() == want:
        return
    if os.path.exists(root):
        shutil.rmtree(root)
    os.makedirs(root)
    for d in debs:
        subprocess.run(["dpkg-deb", "-x", d, root], check=True)
    with open(stamp, "w") as f:
        f.write(want)
    log(f"unpacked {len(debs)} packages into {root}")


def font_cache(root):
    """Builds fontconfig's cache for the image's fonts with the host's fc-cache
    --sysroot: without it the first text drawn in the guest scans every font (1 s under
    TCG). fontconfig validates a cache by its directory's mtime, so the font directories
    get mtime 0 here, which is what the initramfs (whose entries all say 0) gives them."""
    fc = shutil.which("fc-cache")
    if not fc:
        log("no fc-cache on this host (package fontconfig): the guest builds its font cache at boot")
        return
    for dirpath, _, _ in os.walk(os.path.join(root, "usr", "share", "fonts")):
        os.utime(dirpath, (0, 0))
    shutil.rmtree(os.path.join(root, "var", "cache", "fontconfig"), ignore_errors=True)
    r = subprocess.run([fc, "--sysroot=" + root, "-s"], capture_output=True, text=True)
    if r.returncode != 0:
        log(f"fc-cache failed ({r.stderr.strip()}): the guest builds its font cache at boot")


# ---- the kernel ---------------------------------------------------------------------

def kernel(root, out):
    vmlinuz = sorted(glob.glob(os.path.join(root, "boot", "vmlinuz-*")))
    if not vmlinuz:
        die("no boot/vmlinuz-* in the unpacked packages: is linux-image-amd64 in the image set?")
    release = os.path.basename(vmlinuz[-1])[len("vmlinuz-"):]
    bz = os.path.join(out, "bzImage")
    vml = os.path.join(out, "vmlinux")
    if not (os.path.exists(vml) and os.path.getmtime(vml) >= os.path.getmtime(vmlinuz[-1])):
        data = open(vmlinuz[-1], "rb").read()
        # The bzImage carries the kernel as an xz stream after the setup code; the kernel
        # has CONFIG_PVH, so the decompressed ELF boots directly with QEMU's -kernel.
        at = data.find(b"\xfd7zXZ\x00")
        if at < 0:
            die(f"{vmlinuz[-1]}: no xz stream found (not an xz-compressed bzImage?)")
        dec = lzma.LZMADecompressor(format=lzma.FORMAT_XZ)
        elf = dec.decompress(data[at:])
        if elf[:4] != b"\x7fELF":
            die(f"{vmlinuz[-1]}: the xz stream is not an ELF kernel")
        tmp = vml + ".tmp"
        with open(tmp, "wb") as f:
            f.write(elf)
        os.replace(tmp, vml)
        shutil.copyfile(vmlinuz[-1], bz)
        log(f"kernel {release}: vmlinux {len(elf) >> 20} MB (PVH), bzImage {len(data) >> 20} MB")
    return release


# ---- ELF ----------------------------------------------------------------------------

def elf_deps(path):
    """(interpreter or None, [DT_NEEDED names]) of an ELF64 little-endian file."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] != b"\x7fELF" or data[4] != 2:
        return None, []
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    interp, dyn, loads = None, None, []
    for i in range(phnum):
        p_type, _, p_offset, p_vaddr, _, p_filesz, _, _ = struct.unpack_from(
            "<IIQQQQQQ", data, phoff + i * phentsize)
        if p_type == 3:  # PT_INTERP
            interp = data[p_offset:p_offset + p_filesz].rstrip(b"\0").decode()
        elif p_type == 2:  # PT_DYNAMIC
            dyn = (p_offset, p_filesz)
        elif p_type == 1:  # PT_LOAD
            loads.append((p_vaddr, p_offset, p_filesz))
    if not dyn:
        return interp, []
    needed, strtab = [], None
    for off in range(dyn[0], dyn[0] + dyn[1], 16):
        tag, val = struct.unpack_from("<qQ", data, off)
        if tag == 0:
            break
        if tag == 1:
            needed.append(val)
        elif tag == 5:
            strtab = val
    for vaddr, off, size in loads:  # DT_STRTAB is an address: map it to the file
        if vaddr <= strtab < vaddr + size:
            stroff = strtab - vaddr + off
            break
    else:
        die(f"{path}: DT_STRTAB outside the loaded segments")
    names = []
    for n in needed:
        end = data.index(b"\0", stroff + n)
        names.append(data[stroff + n:end].decode())
    return interp, names


def in_root(root, path):
    """Resolves path (absolute inside the guest) through symlinks inside root; returns
    (guest path of the final file, host path) or None."""
    guest = path.lstrip("/")
    for _ in range(40):
        host = os.path.join(root, guest)
        if os.path.islink(host):
            target = os.readlink(host)
            guest = os.path.normpath(os.path.join(os.path.dirname(guest), target)
                                     if not target.startswith("/") else target.lstrip("/"))
            continue
        if os.path.isfile(host):
            return "/" + guest, host
        # usrmerge: /lib is /usr/lib on the host; the packages may ship either.
        if guest.startswith("lib"):
            alt = os.path.join(root, "usr", guest)
            if os.path.exists(alt) or os.path.islink(alt):
                guest = "usr/" + guest
                continue
        return None
    return None


def host_package_hint(name):
    for d in ["/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu"]:
        p = os.path.join(d, name)
        if os.path.exists(p):
            r = subprocess.run(["dpkg", "-S", os.path.realpath(p)], capture_output=True, text=True)
            if r.returncode != 0:
                r = subprocess.run(["dpkg", "-S", p], capture_output=True, text=True)
            if r.returncode == 0:
                return r.stdout.split(":")[0]
    return None


def library_closure(root, binary, dlopened=()):
    """{guest path: host path} for the ELF interpreter and every shared library binary
    needs (transitively), found in the unpacked packages, not on the host. `dlopened`
    are guest paths of objects loaded at run time (Mesa's drivers): included at their
    path, with what they need."""
    found, missing = {}, []
    interp, needed = elf_deps(binary)
    for g in dlopened:
        r = in_root(root, g)
        if not r:
            die(f"{g} is not in the unpacked packages (image-mesa set)")
        found[g] = r[1]
        needed = needed + elf_deps(r[1])[1]
    if interp:
        r = in_root(root, interp)
        if not r:
            die(f"the ELF interpreter {interp} of {binary} is not in the unpacked packages (libc6)")
        found[interp] = r[1]  # at the path the kernel looks for it
    todo, seen = list(needed), set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        for d in ARCH_LIB_DIRS:
            r = in_root(root, "/" + d + "/" + name)
            if r:
                # Installed under its soname (the dynamic loader looks it up by that name).
                found["/lib/x86_64-linux-gnu/" + name] = r[1]
                todo.extend(elf_deps(r[1])[1])
                break
        else:
            missing.append(name)
    if missing:
        hints = []
        for m in missing:
            h = host_package_hint(m)
            hints.append(f"{m} (on this host in the package {h})" if h else m)
        die("shared libraries needed by " + binary + " are not in the image package set:\n  "
            + "\n  ".join(hints) + "\nadd their packages to images/debian-packages (set image)")
    return found


# ---- kernel modules -----------------------------------------------------------------

def modinfo(path):
    data = open(path, "rb").read()
    # The .modinfo section is a run of NUL-separated key=value strings; depends= is one.
    info = {}
    for key in (b"depends=", b"name="):
        at = data.find(b"\0" + key)
        if at >= 0:
            end = data.index(b"\0", at + 1)
            info[key[:-1].decode()] = data[at + 1 + len(key):end].decode()
    return info


def modules(root, release, names):
    """[(relative path, [relative dep paths])] for names and their dependencies."""
    base = os.path.join(root, "lib", "modules", release)
    if not os.path.isdir(base):
        base = os.path.join(root, "usr", "lib", "modules", release)
    bymod = {}
    for dirpath, _, files in os.walk(os.path.join(base, "kernel")):
        for fn in files:
            if fn.endswith(".ko"):
                bymod[fn[:-3].replace("-", "_")] = os.path.relpath(os.path.join(dirpath, fn), base)
    builtin = set()
    bi = os.path.join(base, "modules.builtin")
    if os.path.exists(bi):
        for line in open(bi):
            builtin.add(os.path.basename(line.strip())[:-3].replace("-", "_"))
    result, order = {}, []

    def add(name):
        name = name.replace("-", "_")
        if name in result or name in builtin:
            return
        if name not in bymod:
            die(f"kernel module {name} is not in the kernel package")
        rel = bymod[name]
        deps = [d for d in modinfo(os.path.join(base, rel)).get("depends", "").split(",") if d]
        result[name] = None
        for d in deps:
            add(d)
        result[name] = (rel, [bymod[d.replace("-", "_")] for d in deps
                              if d.replace("-", "_") not in builtin])
        order.append(name)

    for n in names:
        add(n)
    return base, [result[n] for n in order]


# ---- cpio (newc) --------------------------------------------------------------------

class Cpio:
    """An uncompressed newc archive, written without root: device nodes and ownership are
    recorded in the headers, not created on the host."""

    def __init__(self, path):
        self.f = open(path, "wb")
        self.ino = 1
        self.dirs = set()
        self.size = 0

    def _entry(self, name, mode, data=b"", rdev=(0, 0), mtime=0):
        name_b = name.lstrip("/").encode() + b"\0"
        hdr = b"070701" + b"".join(b"%08X" % v for v in (
            self.ino, mode, 0, 0, 1, mtime, len(data), 0, 0, rdev[0], rdev[1],
            len(name_b), 0))
        self.ino += 1
        out = hdr + name_b
        out += b"\0" * (-len(out) % 4)
        out += data
        out += b"\0" * (-len(out) % 4)
        self.f.write(out)
        self.size += len(out)

    def mkdirs(self, path):
        parts = path.strip("/").split("/")
        for i in range(1, len(parts) + 1):
            d = "/".join(parts[:i])
            if d and d not in self.dirs:
                self.dirs.add(d)
                self._entry(d, stat.S_IFDIR | 0o755)

    def file(self, path, data, mode=0o644):
        self.mkdirs(os.path.dirname(path))
        self._entry(path, stat.S_IFREG | mode, data)

    def symlink(self, path, target):
        self.mkdirs(os.path.dirname(path))
        self._entry(path, stat.S_IFLNK | 0o777, target.encode())

    def chardev(self, path, major, minor, mode=0o600):
        self.mkdirs(os.path.dirname(path))
        self._entry(path, stat.S_IFCHR | mode, rdev=(major, minor))

    def tree(self, host_dir, guest_dir):
        for dirpath, dirnames, files in os.walk(host_dir):
            dirnames.sort()
            rel = os.path.relpath(dirpath, host_dir)
            gdir = guest_dir if rel == "." else guest_dir + "/" + rel
            self.mkdirs(gdir)
            for fn in sorted(files + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]):
                hp = os.path.join(dirpath, fn)
                if os.path.islink(hp):
                    self.symlink(gdir + "/" + fn, os.readlink(hp))
                elif os.path.isfile(hp):
                    self.file(gdir + "/" + fn, open(hp, "rb").read(),
                              0o755 if os.access(hp, os.X_OK) else 0o644)

    def close(self):
        self._entry("TRAILER!!!", 0)
        self.f.write(b"\0" * (-self.size % 512))
        self.f.close()


def initramfs(root, out, release, kons, init_name, flavour="base"):
    path = os.path.join(out, init_name + ".cpio")
    tmp = path + ".tmp"
    c = Cpio(tmp)
    for d in ["dev", "proc", "sys", "run", "tmp", "etc", "root"]:
        c.mkdirs(d)
    c.chardev("dev/console", 5, 1)
    c.chardev("dev/null", 1, 3, 0o666)
    # kons itself, with its debug information stripped (the symbols stay for backtraces).
    stripped = os.path.join(out, init_name + ".stripped")
    r = subprocess.run(["strip", "--strip-debug", "-o", stripped, kons], capture_output=True, text=True)
    binary = stripped if r.returncode == 0 else kons
    c.file("init", open(binary, "rb").read(), 0o755)
    libs = library_closure(root, kons, MESA_DLOPENED if flavour == "mesa" else ())
    stored = {}  # Mesa's DRI drivers are one file under several names: store it once
    for guest, host in sorted(libs.items()):
        key = (os.stat(host).st_dev, os.stat(host).st_ino)
        if key in stored:
            c.symlink(guest, stored[key])
            continue
        stored[key] = guest
        c.file(guest, open(host, "rb").read(), 0o755)
    c.mkdirs("lib64")
    if "/lib64/ld-linux-x86-64.so.2" not in libs:
        c.symlink("lib64/ld-linux-x86-64.so.2", "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2")
    for t in DATA_FILES + (MESA_DATA_FILES if flavour == "mesa" else []):
        hp = os.path.join(root, t)
        if os.path.isfile(hp):
            c.file(t, open(hp, "rb").read())
    for t in DATA_TREES:
        hp = os.path.join(root, t)
        if os.path.isdir(hp):
            c.tree(hp, t)
    base, mods = modules(root, release, MODULES)
    mdir = f"lib/modules/{release}"
    dep_lines = []
    for rel, deps in mods:
        c.file(mdir + "/" + rel, open(os.path.join(base, rel), "rb").read())
        dep_lines.append(rel + ":" + "".join(" " + d for d in deps) + "\n")
    c.file(mdir + "/modules.dep", "".join(dep_lines).encode())
    c.file("etc/kons-image", f"kernel {release}\nbuilt {time.strftime('%Y-%m-%d %H:%M:%S')}\n".encode())
    c.close()
    os.replace(tmp, path)
    log(f"{path}: {os.path.getsize(path) / 1e6:.1f} MB ({len(libs)} libraries, {len(mods)} modules)")
    return path


# ---- disks --------------------------------------------------------------------------

STORE_MB = 256


def store_blank(out):
    path = os.path.join(out, "store-blank.img")
    if not os.path.exists(path):
        with open(path, "wb") as f:
            f.truncate(STORE_MB << 20)
        log(f"{path}: blank store disk, {STORE_MB} MiB (sparse)")
    return path


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--source-root", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--kons", required=True, help="the kons binary that becomes /init")
    ap.add_argument("--init-name", default="initramfs", help="name of the cpio (without .cpio)")
    ap.add_argument("--flavour", choices=["base", "mesa"], default="base")
    ap.add_argument("--stamp", help="file touched when done (for meson)")
    ap.add_argument("what", nargs="*", default=["all"])
    a = ap.parse_args()
    what = set(a.what)
    if "all" in what:
        what = {"kernel", "initramfs", "store", "disk"}
    out = os.path.abspath(a.out)
    os.makedirs(out, exist_ok=True)
    sets = ["image"] + (["image-mesa"] if a.flavour == "mesa" else [])
    debs = fetch_all(read_package_sets(a.source_root, sets), os.path.join(out, "debs"))
    root = os.path.join(out, "root-" + a.flavour)
    unpack(debs, root)
    font_cache(root)
    release = kernel(root, out)
    if "initramfs" in what or "disk" in what:
        initramfs(root, out, release, a.kons, a.init_name, a.flavour)
    if "store" in what:
        store_blank(out)
    if "disk" in what:
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        import mkdisk
        mkdisk.build(a.source_root, out, os.path.join(out, "debs"), root,
                     os.path.join(out, a.init_name + ".cpio"))
    if a.stamp:
        with open(a.stamp, "w") as f:
            f.write("ok\n")


if __name__ == "__main__":
    main()
