"""images/mkdisk.py: writes build/images/kons.img, the standalone bootable disk.

Layout (MBR, 512-byte sectors):
    sector 0         syslinux's mbr.bin (boots the active partition) + partition table
    partition 1      FAT, type 0xEF (EFI system partition), active: bzImage, initrd.cpio,
                     syslinux (BIOS: ldlinux.sys in the volume boot record; UEFI:
                     EFI/BOOT/BOOTX64.EFI is syslinux.efi with ldlinux.e64)
    partition 2      the store, type 0xDA (non-FS data): blank; PID 1 claims it at the
                     first boot (named kons.store=PARTUUID=4b6f6e73-02 by the boot loader)
Everything is written into files without mounting or root: mkfs.vfat -C, mcopy (mtools),
syslinux's mtools installer run from the unpacked Debian package, sfdisk on the image.
"""
import gzip
import os
import shutil
import subprocess

SECTOR = 512
BOOT_START = 2048          # 1 MiB alignment
STORE_MB = 256


def log(msg):
    print(f"mkdisk: {msg}", flush=True)


def run(argv, **kw):
    r = subprocess.run(argv, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        raise SystemExit(f"mkdisk: error: {' '.join(argv)} failed:\n{r.stdout}{r.stderr}")
    return r


def need(tool, package):
    path = shutil.which(tool)
    if not path:
        raise SystemExit(f"mkdisk: error: {tool} is missing (Debian package {package}, in the "
                         "test set of images/debian-packages: ./tests/run installs it)")
    return path


SYSLINUX_CFG = """\
# Kons: boots straight into the image (no menu, no wait); messages on the serial port too.
SERIAL 0 115200
DEFAULT kons
PROMPT 0
TIMEOUT 0
LABEL kons
  LINUX /bzImage
  INITRD /initrd.cpio
  APPEND console=tty0 console=ttyS0 quiet panic=-1 kons.store=PARTUUID=4b6f6e73-02
"""


def build(source_root, out, debdir, root, initramfs):
    need("mkfs.vfat", "dosfstools")
    need("mcopy", "mtools")
    need("sfdisk", "fdisk")
    syslinux = os.path.join(root, "usr", "bin", "syslinux")
    lib = os.path.join(root, "usr", "lib", "syslinux")
    mbr = os.path.join(lib, "mbr", "mbr.bin")
    efi = os.path.join(root, "usr", "lib", "SYSLINUX.EFI", "efi64", "syslinux.efi")
    ldlinux_e64 = os.path.join(lib, "modules", "efi64", "ldlinux.e64")
    for f in (syslinux, mbr):
        if not os.path.exists(f):
            raise SystemExit(f"mkdisk: error: {f} missing: are syslinux and syslinux-common in "
                             "the image set of images/debian-packages?")
    bz = os.path.join(out, "bzImage")
    # The boot loader reads through the BIOS (PIO on IDE under TCG: slow), so the disk
    # carries the initramfs gzip-compressed (30 MB -> 11 MB); the kernel inflates it.
    # (The direct -kernel/-initrd boot keeps it uncompressed: there reading costs nothing
    # and inflating does.)
    gz = os.path.join(out, "initrd.cpio.gz")
    with open(initramfs, "rb") as src, gzip.open(gz, "wb", compresslevel=6) as dst:
        shutil.copyfileobj(src, dst, 1 << 20)
    files = [(bz, "bzImage"), (gz, "initrd.cpio")]
    payload = sum(os.path.getsize(f) for f, _ in files)
    boot_mb = max(64, (payload >> 20) + 16)
    fat = os.path.join(out, "boot.fat")
    if os.path.exists(fat):
        os.unlink(fat)
    # -h: hidden sectors = the partition's start, which the BIOS boot code relies on.
    run(["mkfs.vfat", "-C", "-n", "KONSBOOT", "-h", str(BOOT_START), fat, str(boot_mb * 1024)])
    cfg = os.path.join(out, "syslinux.cfg")
    with open(cfg, "w") as f:
        f.write(SYSLINUX_CFG)
    env = dict(os.environ, MTOOLS_SKIP_CHECK="1")
    for src, name in files + [(cfg, "syslinux.cfg")]:
        run(["mcopy", "-i", fat, src, "::/" + name], env=env)
    if os.path.exists(efi) and os.path.exists(ldlinux_e64):
        run(["mmd", "-i", fat, "::/EFI", "::/EFI/BOOT"], env=env)
        for src, name in [(efi, "BOOTX64.EFI"), (ldlinux_e64, "ldlinux.e64"), (cfg, "syslinux.cfg")]:
            run(["mcopy", "-i", fat, src, "::/EFI/BOOT/" + name], env=env)
        # syslinux.efi looks for the kernel relative to its own folder: point it at /.
        with open(cfg + ".efi", "w") as f:
            f.write(SYSLINUX_CFG.replace("LINUX /bzImage", "LINUX ../../bzImage")
                    .replace("INITRD /initrd.cpio", "INITRD ../../initrd.cpio"))
        run(["mcopy", "-o", "-i", fat, cfg + ".efi", "::/EFI/BOOT/syslinux.cfg"], env=env)
    else:
        log("no syslinux.efi in the packages: kons.img boots under BIOS only")
    # The BIOS boot loader: ldlinux.sys into the FAT and its volume boot record.
    run([syslinux, "--install", fat], env=env)

    img = os.path.join(out, "kons.img")
    tmp = img + ".tmp"
    boot_sectors = boot_mb * 1024 * 1024 // SECTOR
    store_start = BOOT_START + boot_sectors
    store_sectors = STORE_MB * 1024 * 1024 // SECTOR
    total = (store_start + store_sectors) * SECTOR
    with open(tmp, "wb") as f:
        f.truncate(total)
    # The disk signature is fixed ("Kons"): the boot loader names the store partition by
    # it (kons.store=PARTUUID=4b6f6e73-02), whatever the disk is called in the guest.
    table = (f"label: dos\nlabel-id: 0x4b6f6e73\n"
             f"start={BOOT_START}, size={boot_sectors}, type=ef, bootable\n"
             f"start={store_start}, size={store_sectors}, type=da\n")
    run(["sfdisk", "--no-reread", "--no-tell-kernel", "-q", tmp], input=table)
    with open(tmp, "r+b") as f:
        code = open(mbr, "rb").read()[:440]  # the boot code only; the table stays
        f.seek(0)
        f.write(code)
        f.seek(BOOT_START * SECTOR)
        with open(fat, "rb") as src:
            shutil.copyfileobj(src, f, 1 << 20)
    os.replace(tmp, img)
    os.unlink(fat)
    log(f"{img}: {total >> 20} MiB (boot partition {boot_mb} MiB, store partition {STORE_MB} MiB)")
    return img
