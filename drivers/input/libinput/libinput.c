/* drivers/input/libinput/libinput.c: keyboards and pointers through libinput's path
 * backend (no udev monitor: the image runs no udevd).
 *
 * Devices: the config's list, or every /dev/input/event* at open, plus any that appears
 * later (inotify on /dev/input). Without udevd each device first gets the udev database
 * entry libinput needs (drv/udevstub.h). A device that is unplugged is dropped with a
 * message on stderr: libinput reports DEVICE_REMOVED; its pressed keys and buttons are
 * released first so that no modifier or drag stays stuck.
 *
 * Keys go through the shared xkbcommon helper (drv/xkb.h). Key repeat runs on a timerfd
 * in the backend's epoll set, at the config's delay and rate.
 *
 * Threading: single thread; callbacks only from dispatch.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <libinput.h>

#include "drv/input.h"
#include "drv/udevstub.h"
#include "drv/xkb.h"

#define LI_MAX_PRESSED 16

struct li_dev {
    uint32_t id;
    char name[96];
    char path[300];
    uint32_t keys[LI_MAX_PRESSED]; /* keys held down on this device */
    int nkeys;
    uint32_t buttons[LI_MAX_PRESSED];
    int nbuttons;
    struct libinput_device *dev;
    struct li_dev *next;
};

struct drv_input {
    struct libinput *li;
    drv_input_listener listener;
    drv_xkb *xkb;
    int epfd, tfd, ifd;
    int wfd; /* eventfd: readable while libinput holds queued events (DEVICE_ADDED after
              * adding devices is queued without making libinput's own fd readable) */
    int udev_stub; /* write udev entries ourselves */
    uint32_t next_id;
    struct li_dev *devs;
    int32_t out_w, out_h;
    int repeat_delay_ms, repeat_rate_hz;
    uint32_t repeat_key; /* 0: none */
    int lost;
};

static int li_open_restricted(const char *path, int flags, void *data)
{
    (void)data;
    int fd = open(path, flags | O_CLOEXEC);
    return fd < 0 ? -errno : fd;
}

static void li_close_restricted(int fd, void *data)
{
    (void)data;
    close(fd);
}

static const struct libinput_interface li_iface = {
    .open_restricted = li_open_restricted,
    .close_restricted = li_close_restricted,
};

static uint64_t li_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void li_emit(drv_input *in, const drv_input_event *ev)
{
    if (in->listener.event)
        in->listener.event(in->listener.data, ev);
}

static void li_repeat_arm(drv_input *in, uint32_t key)
{
    in->repeat_key = key;
    struct itimerspec its = {0};
    if (key) {
        long delay = in->repeat_delay_ms, period = 1000000000L / in->repeat_rate_hz;
        its.it_value.tv_sec = delay / 1000;
        its.it_value.tv_nsec = (delay % 1000) * 1000000L;
        its.it_interval.tv_sec = period / 1000000000L;
        its.it_interval.tv_nsec = period % 1000000000L;
    }
    timerfd_settime(in->tfd, 0, &its, NULL);
}

static void li_key(drv_input *in, struct li_dev *ld, uint32_t code, uint32_t state, uint64_t t)
{
    drv_input_event ev = {.type = DRV_INPUT_KEY, .device = ld ? ld->id : 0, .time_us = t};
    if (ld && state != DRV_KEY_REPEAT) {
        /* Track held keys, for releasing them when the device goes away. */
        if (state == DRV_KEY_PRESSED && ld->nkeys < LI_MAX_PRESSED) {
            ld->keys[ld->nkeys++] = code;
        } else if (state == DRV_KEY_RELEASED) {
            for (int i = 0; i < ld->nkeys; i++)
                if (ld->keys[i] == code) {
                    ld->keys[i] = ld->keys[--ld->nkeys];
                    break;
                }
        }
    }
    if (drv_xkb_key(in->xkb, code, state, &ev))
        li_emit(in, &ev);
    if (state == DRV_KEY_PRESSED && drv_xkb_key_repeats(in->xkb, code))
        li_repeat_arm(in, code);
    else if (state == DRV_KEY_RELEASED && in->repeat_key == code)
        li_repeat_arm(in, 0);
}

static void li_button(drv_input *in, struct li_dev *ld, uint32_t button, uint32_t state, uint64_t t)
{
    if (ld) {
        if (state == DRV_BUTTON_PRESSED && ld->nbuttons < LI_MAX_PRESSED) {
            ld->buttons[ld->nbuttons++] = button;
        } else if (state == DRV_BUTTON_RELEASED) {
            for (int i = 0; i < ld->nbuttons; i++)
                if (ld->buttons[i] == button) {
                    ld->buttons[i] = ld->buttons[--ld->nbuttons];
                    break;
                }
        }
    }
    drv_input_event ev = {.type = DRV_INPUT_POINTER_BUTTON, .device = ld ? ld->id : 0, .time_us = t};
    ev.button.button = button;
    ev.button.state = state;
    li_emit(in, &ev);
}

static uint32_t li_caps(struct libinput_device *dev)
{
    uint32_t caps = 0;
    if (libinput_device_has_capability(dev, LIBINPUT_DEVICE_CAP_KEYBOARD))
        caps |= DRV_DEV_KEYBOARD;
    if (libinput_device_has_capability(dev, LIBINPUT_DEVICE_CAP_POINTER))
        caps |= DRV_DEV_POINTER;
    if (libinput_device_has_capability(dev, LIBINPUT_DEVICE_CAP_TOUCH))
        caps |= DRV_DEV_TOUCH;
    if (libinput_device_has_capability(dev, LIBINPUT_DEVICE_CAP_TABLET_TOOL))
        caps |= DRV_DEV_TABLET;
    return caps;
}

/* Adds one device node; quiet when it is not a device libinput wants (e.g. a lid
 * switch it ignores), loud on real errors. Returns 0 or a negative errno. */
static int li_add_path(drv_input *in, const char *path, int quiet)
{
    for (struct li_dev *ld = in->devs; ld; ld = ld->next)
        if (strcmp(ld->path, path) == 0)
            return 0;
    if (in->udev_stub) {
        char err[256];
        if (drv_udevstub_write(path, err, sizeof err) != 0) {
            if (!quiet)
                fprintf(stderr, "libinput: %s\n", err);
            return -ENODEV;
        }
    }
    struct libinput_device *dev = libinput_path_add_device(in->li, path);
    if (!dev) {
        if (!quiet)
            fprintf(stderr, "libinput: %s is not an input device libinput can use\n", path);
        return -ENODEV;
    }
    struct li_dev *ld = calloc(1, sizeof *ld);
    if (!ld) {
        libinput_path_remove_device(dev);
        return -ENOMEM;
    }
    ld->id = ++in->next_id;
    ld->dev = libinput_device_ref(dev);
    snprintf(ld->name, sizeof ld->name, "%s", libinput_device_get_name(dev));
    snprintf(ld->path, sizeof ld->path, "%s", path);
    libinput_device_set_user_data(dev, ld);
    ld->next = in->devs;
    in->devs = ld;
    return 0;
}

/* Makes the backend's fd readable when libinput queued events without making its own fd
 * readable (device arrival), so that they come out of the next dispatch. */
static void li_kick(drv_input *in)
{
    uint64_t one = 1;
    if (write(in->wfd, &one, sizeof one) < 0 && errno != EAGAIN)
        perror("libinput: eventfd write");
}

static void li_scan(drv_input *in)
{
    DIR *d = opendir("/dev/input");
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (strncmp(de->d_name, "event", 5) != 0)
            continue;
        char path[300];
        snprintf(path, sizeof path, "/dev/input/%s", de->d_name);
        li_add_path(in, path, 1);
    }
    closedir(d);
}

static void li_drop(drv_input *in, struct li_dev *ld)
{
    uint64_t t = li_now_us();
    /* Release what the device held, newest first, so modifiers come up last. */
    while (ld->nkeys > 0)
        li_key(in, ld, ld->keys[ld->nkeys - 1], DRV_KEY_RELEASED, t);
    while (ld->nbuttons > 0)
        li_button(in, ld, ld->buttons[ld->nbuttons - 1], DRV_BUTTON_RELEASED, t);
    drv_input_event ev = {.type = DRV_INPUT_DEVICE_REMOVED, .device = ld->id, .time_us = t};
    ev.dev.name = ld->name;
    li_emit(in, &ev);
    for (struct li_dev **p = &in->devs; *p; p = &(*p)->next)
        if (*p == ld) {
            *p = ld->next;
            break;
        }
    libinput_device_set_user_data(ld->dev, NULL);
    libinput_device_unref(ld->dev);
    free(ld);
}

static void li_handle(drv_input *in, struct libinput_event *e)
{
    struct libinput_device *dev = libinput_event_get_device(e);
    struct li_dev *ld = dev ? libinput_device_get_user_data(dev) : NULL;
    enum libinput_event_type type = libinput_event_get_type(e);
    drv_input_event ev = {.device = ld ? ld->id : 0, .time_us = li_now_us()};
    switch (type) {
    case LIBINPUT_EVENT_DEVICE_ADDED:
        if (!ld)
            break;
        ev.type = DRV_INPUT_DEVICE_ADDED;
        ev.dev.name = ld->name;
        ev.dev.caps = li_caps(dev);
        fprintf(stderr, "libinput: device %s (%s):%s%s%s\n", ld->path, ld->name,
                ev.dev.caps & DRV_DEV_KEYBOARD ? " keyboard" : "",
                ev.dev.caps & DRV_DEV_POINTER ? " pointer" : "",
                ev.dev.caps & (DRV_DEV_TOUCH | DRV_DEV_TABLET) ? " touch/tablet" : "");
        li_emit(in, &ev);
        break;
    case LIBINPUT_EVENT_DEVICE_REMOVED:
        if (!ld)
            break;
        fprintf(stderr, "libinput: device %s (%s) removed\n", ld->path, ld->name);
        li_drop(in, ld);
        break;
    case LIBINPUT_EVENT_KEYBOARD_KEY: {
        struct libinput_event_keyboard *k = libinput_event_get_keyboard_event(e);
        uint32_t state = libinput_event_keyboard_get_key_state(k) == LIBINPUT_KEY_STATE_PRESSED
                             ? DRV_KEY_PRESSED : DRV_KEY_RELEASED;
        li_key(in, ld, libinput_event_keyboard_get_key(k), state,
               libinput_event_keyboard_get_time_usec(k));
        break;
    }
    case LIBINPUT_EVENT_POINTER_MOTION: {
        struct libinput_event_pointer *p = libinput_event_get_pointer_event(e);
        ev.type = DRV_INPUT_POINTER_MOTION;
        ev.time_us = libinput_event_pointer_get_time_usec(p);
        ev.motion.dx = libinput_event_pointer_get_dx(p);
        ev.motion.dy = libinput_event_pointer_get_dy(p);
        li_emit(in, &ev);
        break;
    }
    case LIBINPUT_EVENT_POINTER_MOTION_ABSOLUTE: {
        struct libinput_event_pointer *p = libinput_event_get_pointer_event(e);
        ev.type = DRV_INPUT_POINTER_ABSOLUTE;
        ev.time_us = libinput_event_pointer_get_time_usec(p);
        ev.absolute.x = libinput_event_pointer_get_absolute_x_transformed(p, (uint32_t)in->out_w);
        ev.absolute.y = libinput_event_pointer_get_absolute_y_transformed(p, (uint32_t)in->out_h);
        li_emit(in, &ev);
        break;
    }
    case LIBINPUT_EVENT_POINTER_BUTTON: {
        struct libinput_event_pointer *p = libinput_event_get_pointer_event(e);
        li_button(in, ld, libinput_event_pointer_get_button(p),
                  libinput_event_pointer_get_button_state(p) == LIBINPUT_BUTTON_STATE_PRESSED
                      ? DRV_BUTTON_PRESSED : DRV_BUTTON_RELEASED,
                  libinput_event_pointer_get_time_usec(p));
        break;
    }
    case LIBINPUT_EVENT_POINTER_SCROLL_WHEEL:
    case LIBINPUT_EVENT_POINTER_SCROLL_FINGER:
    case LIBINPUT_EVENT_POINTER_SCROLL_CONTINUOUS: {
        /* The scroll events of libinput >= 1.19 (the legacy POINTER_AXIS duplicates
         * them and is ignored). Wheel: v120 units, 120 per detent. */
        struct libinput_event_pointer *p = libinput_event_get_pointer_event(e);
        ev.type = DRV_INPUT_POINTER_AXIS;
        ev.time_us = libinput_event_pointer_get_time_usec(p);
        if (libinput_event_pointer_has_axis(p, LIBINPUT_POINTER_AXIS_SCROLL_VERTICAL)) {
            ev.axis.dy = libinput_event_pointer_get_scroll_value(p, LIBINPUT_POINTER_AXIS_SCROLL_VERTICAL);
            if (type == LIBINPUT_EVENT_POINTER_SCROLL_WHEEL)
                ev.axis.steps_y = (int32_t)(libinput_event_pointer_get_scroll_value_v120(
                                                p, LIBINPUT_POINTER_AXIS_SCROLL_VERTICAL) / 120);
        }
        if (libinput_event_pointer_has_axis(p, LIBINPUT_POINTER_AXIS_SCROLL_HORIZONTAL)) {
            ev.axis.dx = libinput_event_pointer_get_scroll_value(p, LIBINPUT_POINTER_AXIS_SCROLL_HORIZONTAL);
            if (type == LIBINPUT_EVENT_POINTER_SCROLL_WHEEL)
                ev.axis.steps_x = (int32_t)(libinput_event_pointer_get_scroll_value_v120(
                                                p, LIBINPUT_POINTER_AXIS_SCROLL_HORIZONTAL) / 120);
        }
        li_emit(in, &ev);
        break;
    }
    default:
        break;
    }
}

static void li_close(drv_input *in)
{
    if (!in)
        return;
    while (in->devs) {
        struct li_dev *ld = in->devs;
        in->devs = ld->next;
        libinput_device_set_user_data(ld->dev, NULL);
        libinput_device_unref(ld->dev);
        free(ld);
    }
    if (in->li)
        libinput_unref(in->li);
    if (in->xkb)
        drv_xkb_free(in->xkb);
    if (in->epfd >= 0)
        close(in->epfd);
    if (in->tfd >= 0)
        close(in->tfd);
    if (in->ifd >= 0)
        close(in->ifd);
    if (in->wfd >= 0)
        close(in->wfd);
    free(in);
}

static int li_open(const drv_input_config *cfg, const drv_input_listener *listener,
                   drv_input **out, drv_input_err *err)
{
    drv_input_config none = {0};
    if (!cfg)
        cfg = &none;
    drv_input *in = calloc(1, sizeof *in);
    if (!in) {
        snprintf(err->msg, sizeof err->msg, "out of memory");
        return -ENOMEM;
    }
    in->epfd = in->tfd = in->ifd = in->wfd = -1;
    if (listener)
        in->listener = *listener;
    in->out_w = 1024;
    in->out_h = 768;
    in->repeat_delay_ms = cfg->repeat_delay_ms > 0 ? cfg->repeat_delay_ms : 600;
    in->repeat_rate_hz = cfg->repeat_rate_hz > 0 ? cfg->repeat_rate_hz : 25;
    in->xkb = drv_xkb_new_names(cfg->xkb_rules, cfg->xkb_model, cfg->xkb_layout,
                                cfg->xkb_variant, cfg->xkb_options, err);
    if (!in->xkb) {
        li_close(in);
        return -EINVAL;
    }
    in->li = libinput_path_create_context(&li_iface, in);
    if (!in->li) {
        snprintf(err->msg, sizeof err->msg, "cannot create a libinput context");
        li_close(in);
        return -ENOMEM;
    }
    in->udev_stub = !drv_udevstub_udevd_running();
    in->epfd = epoll_create1(EPOLL_CLOEXEC);
    in->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    in->wfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (in->epfd < 0 || in->tfd < 0 || in->wfd < 0) {
        int e = errno;
        snprintf(err->msg, sizeof err->msg, "libinput: epoll/timerfd: %s", strerror(e));
        li_close(in);
        return -e;
    }
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = 0};
    epoll_ctl(in->epfd, EPOLL_CTL_ADD, libinput_get_fd(in->li), &ev);
    ev.data.u32 = 1;
    epoll_ctl(in->epfd, EPOLL_CTL_ADD, in->tfd, &ev);
    ev.data.u32 = 3;
    epoll_ctl(in->epfd, EPOLL_CTL_ADD, in->wfd, &ev);
    if (cfg->devices) {
        for (const char *const *p = cfg->devices; *p; p++)
            if (li_add_path(in, *p, 0) != 0) {
                snprintf(err->msg, sizeof err->msg, "cannot use the input device %s "
                         "(see the message above)", *p);
                li_close(in);
                return -ENODEV;
            }
    } else {
        /* Hot-plug: watch for new nodes before scanning, so none is missed. */
        in->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        if (in->ifd >= 0 && inotify_add_watch(in->ifd, "/dev/input", IN_CREATE | IN_ATTRIB) >= 0) {
            ev.data.u32 = 2;
            epoll_ctl(in->epfd, EPOLL_CTL_ADD, in->ifd, &ev);
        }
        li_scan(in);
        if (!in->devs)
            fprintf(stderr, "libinput: no input devices yet (waiting for some to appear)\n");
    }
    li_kick(in);
    *out = in;
    return 0;
}

static int li_get_fd(drv_input *in)
{
    return in->epfd;
}

static int li_dispatch(drv_input *in)
{
    if (in->lost)
        return -ENODEV;
    uint64_t ticks = 0;
    if (in->ifd >= 0) {
        char buf[2048] __attribute__((aligned(8)));
        ssize_t len;
        int changed = 0;
        while ((len = read(in->ifd, buf, sizeof buf)) > 0)
            changed = 1;
        if (changed)
            li_scan(in);
    }
    if (read(in->wfd, &ticks, sizeof ticks) < 0 && errno != EAGAIN)
        perror("libinput: eventfd read");
    if (libinput_dispatch(in->li) != 0) {
        in->lost = 1;
        if (in->listener.lost)
            in->listener.lost(in->listener.data, "libinput failed to read its devices");
        return -ENODEV;
    }
    struct libinput_event *e;
    while ((e = libinput_get_event(in->li))) {
        li_handle(in, e);
        libinput_event_destroy(e);
    }
    /* Repeats last: a release already queued (a busy client reads late) disarms the
     * timer first, so a slow frame never turns one key press into several. */
    if (read(in->tfd, &ticks, sizeof ticks) == sizeof ticks && in->repeat_key)
        for (uint64_t i = 0; i < ticks && i < 8; i++)
            li_key(in, NULL, in->repeat_key, DRV_KEY_REPEAT, li_now_us());
    return 0;
}

static void li_set_output_size(drv_input *in, int32_t w, int32_t h)
{
    if (w > 0 && h > 0) {
        in->out_w = w;
        in->out_h = h;
    }
}

const drv_input_ops drv_input_libinput_ops = {
    .name = "libinput",
    .open = li_open,
    .close = li_close,
    .get_fd = li_get_fd,
    .dispatch = li_dispatch,
    .set_output_size = li_set_output_size,
};
