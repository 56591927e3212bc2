/* os/init.h: Kons as PID 1 in the bootable image.
 *
 * When `kons` runs as PID 1 (the initramfs's /init), its main calls os_init_pid1() first.
 * That call prepares the machine (mounts, kernel modules, input devices, the store disk)
 * and then splits in two:
 *   - the parent stays PID 1 forever: a small supervisor that reaps every child, watches
 *     the power button and the key chords (Ctrl-Alt-Delete reboots, Ctrl-Alt-End and the
 *     ACPI power button power off), and, when the desktop dies, shows why on the screen
 *     and on the serial console and waits for power-off. It never returns and never exits
 *     (an exiting PID 1 panics the kernel).
 *   - the child returns from os_init_pid1() with argc and argv replaced by the arguments the
 *     desktop should run with (`--display=kms --input=libinput` plus what the kernel
 *     command line asks for: kons.size=WxH, kons.renderer=gl), and main goes on to run
 *     the desktop as usual.
 * A fatal error before the fork (no display device, ...) is reported the same way and
 * PID 1 waits for power-off.
 *
 * Kernel command line (read from /proc/cmdline; the kernel keeps dotted words to itself):
 *   kons.store=/dev/vdb   the store disk (else: found by its magic, or a blank disk)
 *   kons.size=1280x800    the screen size to ask the display for
 *   kons.renderer=gl      prefer the GBM/EGL/GLES2 renderer
 *   kons.debug=1          more messages on the serial console
 */
#ifndef KONS_OS_INIT_H
#define KONS_OS_INIT_H

#ifdef __cplusplus
extern "C" {
#endif

/* See above. Only call when getpid() == 1. Returns in the desktop's process only. */
void os_init_pid1(int *argc, char ***argv);

/* Asks PID 1 to power off (reboot = 0) or reboot (1) cleanly: it stops the desktop
 * (SIGTERM, then SIGKILL after a grace period), syncs the disks and powers off. Safe to
 * call from the desktop process; outside the image (no PID-1 Kons) returns -1. */
int os_request_shutdown(int reboot);

/* The store disk PID 1 chose (a device path such as /dev/vdb or /dev/sda2), or NULL.
 * In the desktop's process it comes from the environment variable KONS_STORE. */
const char *os_store_device(void);

#ifdef __cplusplus
}
#endif

#endif
