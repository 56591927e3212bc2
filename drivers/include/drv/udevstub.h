/* drv/udevstub.h: the udev database entries libinput needs, written without udevd.
 *
 * libinput (through libudev) accepts a device only once udevd has "initialized" it, i.e.
 * written /run/udev/data/c<major>:<minor> with its properties. The image runs no udevd,
 * so PID 1 (and the libinput driver, for hot-plugged devices) classify each evdev device
 * by its capabilities as udev's input_id builtin would and write that file.
 */
#ifndef KONS_DRV_UDEVSTUB_H
#define KONS_DRV_UDEVSTUB_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Whether a udevd runs (its control socket exists); then nothing must be written. */
int drv_udevstub_udevd_running(void);
/* Writes the entry for one evdev node (/dev/input/eventN). Returns 0 (also when the entry
 * exists already), or a negative errno with a sentence in err. */
int drv_udevstub_write(const char *devnode, char *err, size_t errsize);

#ifdef __cplusplus
}
#endif

#endif
