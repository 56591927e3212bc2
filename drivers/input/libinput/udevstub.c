/* drivers/input/libinput/udevstub.c: see drv/udevstub.h.
 *
 * The classification follows udev's input_id builtin closely enough for libinput:
 * keyboards (ID_INPUT_KEYBOARD: has the letter keys), key devices (ID_INPUT_KEY: any key
 * below BTN_MISC, e.g. the ACPI power button), mice (ID_INPUT_MOUSE: relative X/Y with a
 * button, or absolute X/Y with a mouse button and no pen or touch: QEMU's tablets),
 * touchscreens and tablets. The file is written to a temporary name and renamed, so
 * libudev never reads half of it. */
#include <errno.h>
#include <fcntl.h>
#include <linux/input.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "drv/udevstub.h"

#define UDS_LONGS(n) (((n) + 8 * sizeof(long) - 1) / (8 * sizeof(long)))
#define UDS_TEST(bits, b) (((bits)[(b) / (8 * sizeof(long))] >> ((b) % (8 * sizeof(long)))) & 1)

int drv_udevstub_udevd_running(void)
{
    return access("/run/udev/control", F_OK) == 0;
}

int drv_udevstub_write(const char *devnode, char *err, size_t errsize)
{
    struct stat st;
    if (stat(devnode, &st) != 0 || !S_ISCHR(st.st_mode)) {
        int e = errno ? errno : ENODEV;
        snprintf(err, errsize, "%s is not an input device node: %s", devnode, strerror(e));
        return -e;
    }
    char path[96], tmp[112];
    snprintf(path, sizeof path, "/run/udev/data/c%u:%u", major(st.st_rdev), minor(st.st_rdev));
    if (access(path, F_OK) == 0)
        return 0;
    int fd = open(devnode, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        snprintf(err, errsize, "cannot open %s: %s", devnode, strerror(e));
        return -e;
    }
    unsigned long ev[UDS_LONGS(EV_CNT)] = {0}, key[UDS_LONGS(KEY_CNT)] = {0},
                  rel[UDS_LONGS(REL_CNT)] = {0}, abs_[UDS_LONGS(ABS_CNT)] = {0},
                  prop[UDS_LONGS(INPUT_PROP_CNT)] = {0};
    ioctl(fd, EVIOCGBIT(0, sizeof ev), ev);
    ioctl(fd, EVIOCGBIT(EV_KEY, sizeof key), key);
    ioctl(fd, EVIOCGBIT(EV_REL, sizeof rel), rel);
    ioctl(fd, EVIOCGBIT(EV_ABS, sizeof abs_), abs_);
    ioctl(fd, EVIOCGPROP(sizeof prop), prop);
    close(fd);

    int any_key = 0;
    for (int k = KEY_ESC; k < BTN_MISC; k++)
        if (UDS_TEST(key, k)) {
            any_key = 1;
            break;
        }
    int keyboard = 1;
    for (int k = KEY_Q; k <= KEY_P; k++) /* the top letter row, as udev checks 1..31 */
        keyboard &= (int)UDS_TEST(key, k);
    int mouse_button = UDS_TEST(key, BTN_LEFT) || UDS_TEST(key, BTN_RIGHT) ||
                       UDS_TEST(key, BTN_MIDDLE);
    int rel_xy = UDS_TEST(ev, EV_REL) && UDS_TEST(rel, REL_X) && UDS_TEST(rel, REL_Y);
    int abs_xy = UDS_TEST(ev, EV_ABS) && UDS_TEST(abs_, ABS_X) && UDS_TEST(abs_, ABS_Y);
    int pen = UDS_TEST(key, BTN_TOOL_PEN) || UDS_TEST(key, BTN_STYLUS);
    int finger = UDS_TEST(key, BTN_TOOL_FINGER);
    int touch = UDS_TEST(key, BTN_TOUCH);
    int direct = UDS_TEST(prop, INPUT_PROP_DIRECT);
    int mouse = (rel_xy && mouse_button) || (abs_xy && mouse_button && !pen && !finger && !touch);
    int tablet = abs_xy && pen;
    int touchpad = abs_xy && finger && !direct && !pen;
    int touchscreen = abs_xy && touch && direct && !pen;
    int wheel = UDS_TEST(ev, EV_REL) && (UDS_TEST(rel, REL_WHEEL) || UDS_TEST(rel, REL_HWHEEL));

    mkdir("/run/udev", 0755);
    mkdir("/run/udev/data", 0755);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "we");
    if (!f) {
        int e = errno;
        snprintf(err, errsize, "cannot write %s: %s", tmp, strerror(e));
        return -e;
    }
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    fprintf(f, "I:%llu\n", (unsigned long long)ts.tv_sec * 1000000ull + (unsigned long long)ts.tv_nsec / 1000);
    fprintf(f, "E:ID_INPUT=1\n");
    if (any_key)
        fprintf(f, "E:ID_INPUT_KEY=1\n");
    if (keyboard)
        fprintf(f, "E:ID_INPUT_KEYBOARD=1\n");
    if (mouse)
        fprintf(f, "E:ID_INPUT_MOUSE=1\n");
    if (tablet)
        fprintf(f, "E:ID_INPUT_TABLET=1\n");
    if (touchpad)
        fprintf(f, "E:ID_INPUT_TOUCHPAD=1\n");
    if (touchscreen)
        fprintf(f, "E:ID_INPUT_TOUCHSCREEN=1\n");
    if (wheel)
        fprintf(f, "E:ID_INPUT_SCROLLWHEEL=1\n");
    fprintf(f, "G:seat\nQ:seat\nV:1\n");
    if (fclose(f) != 0 || rename(tmp, path) != 0) {
        int e = errno;
        snprintf(err, errsize, "cannot write %s: %s", path, strerror(e));
        unlink(tmp);
        return -e;
    }
    return 0;
}
