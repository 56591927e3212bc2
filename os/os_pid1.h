/* os/os_pid1.h: internals shared by the PID-1 parts of os/ (init.c, pid1_*.c). */
#ifndef KONS_OS_PID1_H
#define KONS_OS_PID1_H

#include <stddef.h>

/* A progress line on the serial console, with the time since boot. */
void os_pid1_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The value of `key=` on the kernel command line (copied into buf), or NULL. */
const char *os_pid1_cmdline(const char *key, char *buf, size_t size);
/* Reports a fatal error (serial console, kernel log, screen) and supervises until
 * power-off. Never returns. */
void os_pid1_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* pid1_input.c: writes the udev database entries libinput needs for every input device
 * present (there is no udevd in the image). */
void os_pid1_prepare_input(void);
/* pid1_store.c: finds (or claims) the store disk and sets KONS_STORE for the desktop. */
void os_pid1_find_store(void);
/* pid1_screen.c: shows a fatal message on the screen (best effort; the display may be
 * the reason). */
void os_pid1_show_fatal(const char *msg);

#endif
