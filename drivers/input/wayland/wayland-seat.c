/* drivers/input/wayland/wayland-seat.c: input from the Wayland seat of the compositor
 * that shows the Kons window (drivers/display/wayland).
 *
 * It shares the display's connection (drv_display_ops.native "wl_display"): its protocol
 * objects live on the default queue, so their events are read and handled inside the
 * display's dispatch, and events go to the listener from there. Keys are translated with
 * the compositor's keymap (wl_keyboard.keymap, compiled by drv/xkb.h) and modifier state
 * (wl_keyboard.modifiers); key repeat follows wl_keyboard.repeat_info and is driven by a
 * timerfd, which is this backend's fd: when it is readable, call dispatch. Pointer
 * positions are surface-local logical pixels, as drv/input.h wants. The cursor is the
 * theme's left_ptr (libwayland-cursor falls back to built-in images without a theme).
 *
 * Events produced while opening (device added, focus) are queued and delivered by the
 * first dispatch, so no callback comes from open. Close the input before the display
 * (its protocol objects live on the display's connection). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <wayland-client.h>
#include <wayland-cursor.h>

#include "drv/display.h"
#include "drv/input.h"
#include "drv/xkb.h"
#include "wl-deco.h"

enum { DEV_KEYBOARD = 1, DEV_POINTER = 2 };
#define QUEUE_LEN 256

struct drv_input {
    drv_input_listener l;
    struct wl_display *dpy;
    struct wl_surface *win;          /* the display's surface: events elsewhere are not ours */
    struct drv_wl_deco *deco;        /* the display's own title bar, when it draws one */
    bool ptr_on_deco;
    double deco_x, deco_y;
    struct wl_registry *reg;
    struct wl_seat *seat;
    uint32_t seat_name;
    struct wl_keyboard *kbd;
    struct wl_pointer *ptr;
    struct wl_compositor *comp;
    struct wl_shm *shm;
    struct wl_cursor_theme *cursor_theme;
    struct wl_cursor *cursor;
    struct wl_surface *cursor_surf;
    int cursor_scale;                /* the integer scale the theme was loaded for */
    int cursor_px;                   /* cursor size in logical pixels */
    drv_xkb *xkb;
    int repeat_rate, repeat_delay;   /* Hz (0: no repeat), ms */
    int tfd;
    uint32_t repeat_key;             /* evdev code of the repeating key; 0 none */
    bool kbd_focus, ptr_inside;
    /* Axis events of one wl_pointer.frame. */
    double ax_dx, ax_dy;
    int32_t ax_sx, ax_sy;
    bool ax_pending;
    bool opening, lost, lost_delivered;
    char lost_why[256];
    drv_input_event queue[QUEUE_LEN];
    int qhead, qlen;
};

static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void flush_queue(drv_input *in)
{
    while (in->qlen > 0) {
        drv_input_event ev = in->queue[in->qhead];
        in->qhead = (in->qhead + 1) % QUEUE_LEN;
        in->qlen--;
        if (in->l.event)
            in->l.event(in->l.data, &ev);
    }
}

/* Deliver ev now, or queue it while opening. Device names are static strings. */
static void emit(drv_input *in, drv_input_event *ev)
{
    ev->time_us = now_us();
    if (in->opening) {
        if (in->qlen < QUEUE_LEN) {
            in->queue[(in->qhead + in->qlen) % QUEUE_LEN] = *ev;
            in->qlen++;
        }
        return;
    }
    flush_queue(in);
    if (in->l.event)
        in->l.event(in->l.data, ev);
}

static void emit_device(drv_input *in, uint32_t id, bool added)
{
    drv_input_event ev = {.type = added ? DRV_INPUT_DEVICE_ADDED : DRV_INPUT_DEVICE_REMOVED,
                          .device = id};
    ev.dev.name = id == DEV_KEYBOARD ? "wayland keyboard" : "wayland pointer";
    ev.dev.caps = id == DEV_KEYBOARD ? DRV_DEV_KEYBOARD : DRV_DEV_POINTER;
    emit(in, &ev);
}

static void repeat_arm(drv_input *in, uint32_t key)
{
    in->repeat_key = key;
    struct itimerspec its = {0};
    if (key && in->repeat_rate > 0) {
        long delay = in->repeat_delay > 0 ? in->repeat_delay : 1;
        its.it_value.tv_sec = delay / 1000;
        its.it_value.tv_nsec = (delay % 1000) * 1000000L;
        long iv = 1000000000L / in->repeat_rate;
        its.it_interval.tv_sec = iv / 1000000000L;
        its.it_interval.tv_nsec = iv % 1000000000L;
    } else {
        in->repeat_key = 0;
    }
    timerfd_settime(in->tfd, 0, &its, NULL);
}

/* ---- keyboard ---- */

static void kbd_keymap(void *data, struct wl_keyboard *k, uint32_t format, int32_t fd, uint32_t size)
{
    drv_input *in = data;
    if (format != WL_KEYBOARD_KEYMAP_FORMAT_XKB_V1) {
        close(fd);
        return;
    }
    char *map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (map == MAP_FAILED) {
        fprintf(stderr, "kons: wayland seat: cannot map the compositor's keymap: %s\n",
                strerror(errno));
        return;
    }
    drv_input_err err;
    drv_xkb *x = drv_xkb_new_string(map, size, &err);
    munmap(map, size);
    if (!x) {
        fprintf(stderr, "kons: wayland seat: %s; keeping the previous keymap\n", err.msg);
        return;
    }
    drv_xkb_free(in->xkb);
    in->xkb = x;
}

static void kbd_enter(void *data, struct wl_keyboard *k, uint32_t serial, struct wl_surface *s,
                      struct wl_array *keys)
{
    drv_input *in = data;
    if (s != in->win)
        return;
    in->kbd_focus = true;
    drv_input_event ev = {.type = DRV_INPUT_KEYBOARD_FOCUS, .device = DEV_KEYBOARD};
    ev.focus.focused = 1;
    emit(in, &ev);
}

static void kbd_leave(void *data, struct wl_keyboard *k, uint32_t serial, struct wl_surface *s)
{
    drv_input *in = data;
    if (!in->kbd_focus)
        return;
    in->kbd_focus = false;
    repeat_arm(in, 0);
    drv_input_event ev = {.type = DRV_INPUT_KEYBOARD_FOCUS, .device = DEV_KEYBOARD};
    ev.focus.focused = 0;
    emit(in, &ev);
}

static void kbd_key(void *data, struct wl_keyboard *k, uint32_t serial, uint32_t time,
                    uint32_t key, uint32_t state)
{
    drv_input *in = data;
    if (!in->xkb || !in->kbd_focus)
        return;
    bool pressed = state == WL_KEYBOARD_KEY_STATE_PRESSED;
    drv_input_event ev = {.device = DEV_KEYBOARD};
    if (drv_xkb_key(in->xkb, key, pressed ? DRV_KEY_PRESSED : DRV_KEY_RELEASED, &ev))
        emit(in, &ev);
    if (pressed && drv_xkb_key_repeats(in->xkb, key))
        repeat_arm(in, key);
    else if (!pressed && key == in->repeat_key)
        repeat_arm(in, 0);
}

static void kbd_modifiers(void *data, struct wl_keyboard *k, uint32_t serial, uint32_t dep,
                          uint32_t latched, uint32_t locked, uint32_t group)
{
    drv_input *in = data;
    if (in->xkb)
        drv_xkb_update_mask(in->xkb, dep, latched, locked, group);
}

static void kbd_repeat_info(void *data, struct wl_keyboard *k, int32_t rate, int32_t delay)
{
    drv_input *in = data;
    in->repeat_rate = rate > 0 ? rate : 0;
    in->repeat_delay = delay > 0 ? delay : 0;
    if (in->repeat_key)
        repeat_arm(in, in->repeat_key);
}

static const struct wl_keyboard_listener kbd_listener = {
    .keymap = kbd_keymap,
    .enter = kbd_enter,
    .leave = kbd_leave,
    .key = kbd_key,
    .modifiers = kbd_modifiers,
    .repeat_info = kbd_repeat_info,
};

/* ---- pointer ---- */

/* The theme's images for the window's scale (HiDPI: larger images, buffer scale set). */
static void cursor_for_scale(drv_input *in)
{
    int s = in->deco ? (int)(in->deco->scale(in->deco->display) + 0.999) : 1;
    if (s < 1)
        s = 1;
    if (s == in->cursor_scale || !in->shm || !in->cursor_surf)
        return;
    if (in->cursor_theme)
        wl_cursor_theme_destroy(in->cursor_theme);
    in->cursor = NULL;
    in->cursor_theme = wl_cursor_theme_load(getenv("XCURSOR_THEME"), in->cursor_px * s, in->shm);
    if (in->cursor_theme)
        in->cursor = wl_cursor_theme_get_cursor(in->cursor_theme, "left_ptr");
    in->cursor_scale = s;
}

static void set_cursor(drv_input *in, uint32_t serial)
{
    cursor_for_scale(in);
    if (!in->cursor || !in->cursor_surf) {
        wl_pointer_set_cursor(in->ptr, serial, NULL, 0, 0);
        return;
    }
    struct wl_cursor_image *img = in->cursor->images[0];
    struct wl_buffer *buf = wl_cursor_image_get_buffer(img);
    if (!buf)
        return;
    int s = in->cursor_scale;
    wl_pointer_set_cursor(in->ptr, serial, in->cursor_surf, (int32_t)img->hotspot_x / s,
                          (int32_t)img->hotspot_y / s);
    if (wl_surface_get_version(in->cursor_surf) >= 3)
        wl_surface_set_buffer_scale(in->cursor_surf, s);
    wl_surface_attach(in->cursor_surf, buf, 0, 0);
    wl_surface_damage(in->cursor_surf, 0, 0, (int32_t)img->width, (int32_t)img->height);
    wl_surface_commit(in->cursor_surf);
}

static void ptr_position(drv_input *in, wl_fixed_t sx, wl_fixed_t sy)
{
    drv_input_event ev = {.type = DRV_INPUT_POINTER_ABSOLUTE, .device = DEV_POINTER};
    ev.absolute.x = wl_fixed_to_double(sx);
    ev.absolute.y = wl_fixed_to_double(sy);
    emit(in, &ev);
}

static bool is_deco(drv_input *in, struct wl_surface *s)
{
    return s && in->deco && in->deco->surface(in->deco->display) == s;
}

static void ptr_enter(void *data, struct wl_pointer *p, uint32_t serial, struct wl_surface *s,
                      wl_fixed_t sx, wl_fixed_t sy)
{
    drv_input *in = data;
    if (is_deco(in, s)) {
        in->ptr_on_deco = true;
        in->deco_x = wl_fixed_to_double(sx);
        in->deco_y = wl_fixed_to_double(sy);
        set_cursor(in, serial);
        return;
    }
    if (s != in->win)
        return;
    in->ptr_inside = true;
    set_cursor(in, serial);
    ptr_position(in, sx, sy);
}

static void ptr_leave(void *data, struct wl_pointer *p, uint32_t serial, struct wl_surface *s)
{
    drv_input *in = data;
    if (in->ptr_on_deco) {
        in->ptr_on_deco = false;
        return;
    }
    if (!in->ptr_inside)
        return;
    in->ptr_inside = false;
    drv_input_event ev = {.type = DRV_INPUT_POINTER_LEAVE, .device = DEV_POINTER};
    emit(in, &ev);
}

static void ptr_motion(void *data, struct wl_pointer *p, uint32_t time, wl_fixed_t sx, wl_fixed_t sy)
{
    drv_input *in = data;
    if (in->ptr_on_deco) {
        in->deco_x = wl_fixed_to_double(sx);
        in->deco_y = wl_fixed_to_double(sy);
    } else if (in->ptr_inside) {
        ptr_position(in, sx, sy);
    }
}

static void ptr_button(void *data, struct wl_pointer *p, uint32_t serial, uint32_t time,
                       uint32_t button, uint32_t state)
{
    drv_input *in = data;
    if (in->ptr_on_deco) {
        if (state == WL_POINTER_BUTTON_STATE_PRESSED && in->seat)
            in->deco->press(in->deco->display, in->seat, serial, time, button, in->deco_x,
                            in->deco_y);
        return;
    }
    if (!in->ptr_inside)
        return;
    drv_input_event ev = {.type = DRV_INPUT_POINTER_BUTTON, .device = DEV_POINTER};
    ev.button.button = button;
    ev.button.state = state == WL_POINTER_BUTTON_STATE_PRESSED ? DRV_BUTTON_PRESSED
                                                               : DRV_BUTTON_RELEASED;
    emit(in, &ev);
}

static void axis_flush(drv_input *in)
{
    if (!in->ax_pending)
        return;
    in->ax_pending = false;
    drv_input_event ev = {.type = DRV_INPUT_POINTER_AXIS, .device = DEV_POINTER};
    ev.axis.dx = in->ax_dx;
    ev.axis.dy = in->ax_dy;
    ev.axis.steps_x = in->ax_sx;
    ev.axis.steps_y = in->ax_sy;
    in->ax_dx = in->ax_dy = 0;
    in->ax_sx = in->ax_sy = 0;
    if (in->ptr_inside)
        emit(in, &ev);
}

static void ptr_axis(void *data, struct wl_pointer *p, uint32_t time, uint32_t axis, wl_fixed_t v)
{
    drv_input *in = data;
    if (axis == WL_POINTER_AXIS_VERTICAL_SCROLL)
        in->ax_dy += wl_fixed_to_double(v);
    else
        in->ax_dx += wl_fixed_to_double(v);
    in->ax_pending = true;
    /* Before version 5 there are no frames: every axis event stands alone. */
    if (wl_pointer_get_version(p) < 5)
        axis_flush(in);
}

static void ptr_frame(void *data, struct wl_pointer *p) { axis_flush(data); }
static void ptr_axis_source(void *data, struct wl_pointer *p, uint32_t source) {}
static void ptr_axis_stop(void *data, struct wl_pointer *p, uint32_t time, uint32_t axis) {}

static void ptr_axis_discrete(void *data, struct wl_pointer *p, uint32_t axis, int32_t steps)
{
    drv_input *in = data;
    if (axis == WL_POINTER_AXIS_VERTICAL_SCROLL)
        in->ax_sy += steps;
    else
        in->ax_sx += steps;
    in->ax_pending = true;
}

static const struct wl_pointer_listener ptr_listener = {
    .enter = ptr_enter,
    .leave = ptr_leave,
    .motion = ptr_motion,
    .button = ptr_button,
    .axis = ptr_axis,
    .frame = ptr_frame,
    .axis_source = ptr_axis_source,
    .axis_stop = ptr_axis_stop,
    .axis_discrete = ptr_axis_discrete,
};

/* ---- seat ---- */

static void seat_caps(void *data, struct wl_seat *seat, uint32_t caps)
{
    drv_input *in = data;
    bool want_kbd = caps & WL_SEAT_CAPABILITY_KEYBOARD, want_ptr = caps & WL_SEAT_CAPABILITY_POINTER;
    if (want_kbd && !in->kbd) {
        in->kbd = wl_seat_get_keyboard(seat);
        wl_keyboard_add_listener(in->kbd, &kbd_listener, in);
        emit_device(in, DEV_KEYBOARD, true);
    } else if (!want_kbd && in->kbd) {
        kbd_leave(in, in->kbd, 0, NULL);
        if (wl_keyboard_get_version(in->kbd) >= 3)
            wl_keyboard_release(in->kbd);
        else
            wl_keyboard_destroy(in->kbd);
        in->kbd = NULL;
        if (in->xkb)
            drv_xkb_reset(in->xkb);
        emit_device(in, DEV_KEYBOARD, false);
    }
    if (want_ptr && !in->ptr) {
        in->ptr = wl_seat_get_pointer(seat);
        wl_pointer_add_listener(in->ptr, &ptr_listener, in);
        emit_device(in, DEV_POINTER, true);
    } else if (!want_ptr && in->ptr) {
        ptr_leave(in, in->ptr, 0, NULL);
        if (wl_pointer_get_version(in->ptr) >= 3)
            wl_pointer_release(in->ptr);
        else
            wl_pointer_destroy(in->ptr);
        in->ptr = NULL;
        emit_device(in, DEV_POINTER, false);
    }
}

static void seat_name(void *data, struct wl_seat *seat, const char *name) {}

static const struct wl_seat_listener seat_listener = {
    .capabilities = seat_caps,
    .name = seat_name,
};

static void reg_global(void *data, struct wl_registry *reg, uint32_t name, const char *iface,
                       uint32_t version)
{
    drv_input *in = data;
    if (!strcmp(iface, wl_seat_interface.name) && !in->seat) {
        /* The first seat. Version 5 brings pointer frames and discrete axis steps. */
        in->seat_name = name;
        in->seat = wl_registry_bind(reg, name, &wl_seat_interface, version < 5 ? version : 5);
        wl_seat_add_listener(in->seat, &seat_listener, in);
    } else if (!strcmp(iface, wl_compositor_interface.name) && !in->comp) {
        /* Version 3 for the cursor's buffer scale. */
        in->comp = wl_registry_bind(reg, name, &wl_compositor_interface, version < 3 ? version : 3);
    } else if (!strcmp(iface, wl_shm_interface.name) && !in->shm) {
        in->shm = wl_registry_bind(reg, name, &wl_shm_interface, 1);
    }
}

static void reg_global_remove(void *data, struct wl_registry *reg, uint32_t name)
{
    drv_input *in = data;
    if (in->seat && name == in->seat_name) {
        seat_caps(in, in->seat, 0);   /* releases the devices, with their events */
        wl_seat_destroy(in->seat);
        in->seat = NULL;
    }
}

static const struct wl_registry_listener reg_listener = {
    .global = reg_global,
    .global_remove = reg_global_remove,
};

/* ---- the ops ---- */

static void ws_close(drv_input *in);

static int ws_open(const drv_input_config *cfg, const drv_input_listener *listener,
                   drv_input **out, drv_input_err *err)
{
    *out = NULL;
    struct wl_display *dpy = NULL;
    struct wl_surface *win = NULL;
    if (cfg && cfg->display && cfg->display_ops && cfg->display_ops->native) {
        dpy = cfg->display_ops->native(cfg->display, "wl_display");
        win = cfg->display_ops->native(cfg->display, "wl_surface");
    }
    struct drv_wl_deco *deco = dpy ? cfg->display_ops->native(cfg->display, "kons_wl_deco") : NULL;
    if (!dpy || !win) {
        snprintf(err->msg, sizeof err->msg,
                 "the Wayland seat input needs the Wayland display (--display=wayland)");
        return -EINVAL;
    }
    drv_input *in = calloc(1, sizeof *in);
    if (!in) {
        snprintf(err->msg, sizeof err->msg, "wayland seat: out of memory");
        return -ENOMEM;
    }
    if (listener)
        in->l = *listener;
    in->dpy = dpy;
    in->win = win;
    in->deco = deco;
    in->repeat_rate = cfg->repeat_rate_hz > 0 ? cfg->repeat_rate_hz : 25;
    in->repeat_delay = cfg->repeat_delay_ms > 0 ? cfg->repeat_delay_ms : 600;
    in->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (in->tfd < 0) {
        int e = errno;
        snprintf(err->msg, sizeof err->msg, "wayland seat: timerfd: %s", strerror(e));
        free(in);
        return -e;
    }
    const char *size = getenv("XCURSOR_SIZE");
    in->cursor_px = size && atoi(size) > 0 ? atoi(size) : 24;   /* before any pointer enter */
    in->opening = true;
    in->reg = wl_display_get_registry(dpy);
    wl_registry_add_listener(in->reg, &reg_listener, in);
    /* Globals, then the seat's capabilities, then the keyboard's keymap. */
    for (int i = 0; i < 3; i++) {
        if (wl_display_roundtrip(dpy) < 0) {
            snprintf(err->msg, sizeof err->msg,
                     "wayland seat: the compositor closed the connection");
            ws_close(in);
            return -EPIPE;
        }
    }
    if (!in->seat)
        fprintf(stderr, "kons: the Wayland compositor has no seat: no keyboard or pointer input\n");
    if (in->comp && in->shm) {
        in->cursor_surf = wl_compositor_create_surface(in->comp);
        cursor_for_scale(in);
    }
    in->opening = false;
    *out = in;
    return 0;
}

static void ws_close(drv_input *in)
{
    if (!in)
        return;
    /* Proxies must be destroyed before the display disconnects: close input first. */
    if (in->kbd)
        wl_keyboard_destroy(in->kbd);
    if (in->ptr)
        wl_pointer_destroy(in->ptr);
    if (in->seat)
        wl_seat_destroy(in->seat);
    if (in->cursor_surf)
        wl_surface_destroy(in->cursor_surf);
    if (in->comp)
        wl_compositor_destroy(in->comp);
    if (in->shm)
        wl_shm_destroy(in->shm);
    if (in->reg)
        wl_registry_destroy(in->reg);
    if (in->cursor_theme)
        wl_cursor_theme_destroy(in->cursor_theme);
    drv_xkb_free(in->xkb);
    close(in->tfd);
    free(in);
}

static int ws_get_fd(drv_input *in) { return in->tfd; }

static int ws_dispatch(drv_input *in)
{
    int perr = wl_display_get_error(in->dpy);
    if (perr) {
        if (!in->lost) {
            in->lost = true;
            snprintf(in->lost_why, sizeof in->lost_why,
                     "the Wayland compositor went away (%s): no more input", strerror(perr));
        }
        if (!in->lost_delivered) {
            in->lost_delivered = true;
            if (in->l.lost)
                in->l.lost(in->l.data, in->lost_why);
        }
        return -ENODEV;
    }
    flush_queue(in);
    uint64_t n = 0;
    if (read(in->tfd, &n, sizeof n) == (ssize_t)sizeof n && in->repeat_key && in->xkb &&
        in->kbd_focus) {
        /* One event per expiry, capped so that a stalled loop does not flood. */
        if (n > 4)
            n = 4;
        for (uint64_t i = 0; i < n; i++) {
            drv_input_event ev = {.device = DEV_KEYBOARD};
            if (drv_xkb_key(in->xkb, in->repeat_key, DRV_KEY_REPEAT, &ev))
                emit(in, &ev);
        }
    }
    return 0;
}

const drv_input_ops drv_input_wayland_ops = {
    .name = "wayland",
    .open = ws_open,
    .close = ws_close,
    .get_fd = ws_get_fd,
    .dispatch = ws_dispatch,
    .set_output_size = NULL,
};
