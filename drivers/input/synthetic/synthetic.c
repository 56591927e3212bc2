/* drivers/input/synthetic/synthetic.c: input events pushed by a program.
 *
 * The scenario runner and tests push events; dispatch delivers them in order. Keys go
 * through the real xkbcommon keymap (drv/xkb.h) at push time, so the keysym, text and
 * modifiers are what a real keyboard with that layout would give. The fd is an eventfd,
 * readable while the queue is non-empty. No key repeat is generated: scenarios are
 * deterministic and say every key themselves. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <xkbcommon/xkbcommon.h>

#include "drv/input.h"
#include "drv/utf8.h"
#include "drv/xkb.h"

/* A keyboard and pointer are "plugged in" when the driver opens. */
#define SYN_DEVICE 1

/* evdev codes of the modifier keys the typist presses. */
#define KEY_LEFTSHIFT 42
#define KEY_MAX_CODE 767
#define KEY_WORDS ((KEY_MAX_CODE + 64) / 64)

struct drv_input {
    drv_input_listener listener;
    drv_xkb *xkb;
    int efd;
    drv_input_event *q; /* ring-less queue: [head, len) of cap */
    size_t head, len, cap;
    char (*names)[64];  /* device names referenced by queued device events */
    size_t nnames;
    uint64_t fake_time_us; /* deterministic event times: +1000 us per event */
    /* Keys and buttons held down, so an unplugged device releases them first (the
     * contract of DRV_INPUT_DEVICE_REMOVED). */
    uint64_t keys_down[KEY_WORDS];
    uint32_t buttons_down; /* bit (button - BTN_LEFT) */
};

static int push(drv_input *in, const drv_input_event *ev)
{
    if (in->head + in->len == in->cap) {
        if (in->head > 0) {
            memmove(in->q, in->q + in->head, in->len * sizeof *in->q);
            in->head = 0;
        } else {
            size_t cap = in->cap ? in->cap * 2 : 64;
            drv_input_event *q = realloc(in->q, cap * sizeof *q);
            if (!q)
                return -ENOMEM;
            in->q = q;
            in->cap = cap;
        }
    }
    drv_input_event *e = &in->q[in->head + in->len++];
    *e = *ev;
    in->fake_time_us += 1000;
    e->time_us = in->fake_time_us;
    if (!e->device)
        e->device = SYN_DEVICE;
    uint64_t one = 1;
    if (write(in->efd, &one, sizeof one) < 0 && errno != EAGAIN)
        return -errno;
    return 0;
}

static int syn_device_event(drv_input *in, uint32_t id, const char *name, uint32_t caps,
                            int added)
{
    char(*names)[64] = realloc(in->names, (in->nnames + 1) * sizeof *names);
    if (!names)
        return -ENOMEM;
    in->names = names;
    snprintf(names[in->nnames], sizeof names[0], "%s", name ? name : "synthetic");
    drv_input_event ev = {.type = added ? DRV_INPUT_DEVICE_ADDED : DRV_INPUT_DEVICE_REMOVED,
                          .device = id};
    /* The name pointer is fixed up at delivery (the array may move until then). */
    ev.dev.name = (const char *)(uintptr_t)in->nnames;
    ev.dev.caps = caps;
    in->nnames++;
    return push(in, &ev);
}

static int syn_open(const drv_input_config *cfg, const drv_input_listener *listener,
                    drv_input **out, drv_input_err *err)
{
    drv_input *in = calloc(1, sizeof *in);
    if (!in) {
        snprintf(err->msg, sizeof err->msg, "synthetic input: out of memory");
        return -ENOMEM;
    }
    if (listener)
        in->listener = *listener;
    in->xkb = drv_xkb_new_names(cfg ? cfg->xkb_rules : NULL, cfg ? cfg->xkb_model : NULL,
                                cfg && cfg->xkb_layout ? cfg->xkb_layout : "us",
                                cfg ? cfg->xkb_variant : NULL, cfg ? cfg->xkb_options : NULL,
                                err);
    if (!in->xkb) {
        free(in);
        return -EINVAL;
    }
    in->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (in->efd < 0) {
        int e = errno;
        snprintf(err->msg, sizeof err->msg, "synthetic input: eventfd: %s", strerror(e));
        drv_xkb_free(in->xkb);
        free(in);
        return -e;
    }
    syn_device_event(in, SYN_DEVICE, "synthetic keyboard and pointer",
                     DRV_DEV_KEYBOARD | DRV_DEV_POINTER, 1);
    *out = in;
    return 0;
}

static void syn_close(drv_input *in)
{
    if (!in)
        return;
    drv_xkb_free(in->xkb);
    close(in->efd);
    free(in->q);
    free(in->names);
    free(in);
}

static int syn_get_fd(drv_input *in) { return in->efd; }

static int syn_dispatch(drv_input *in)
{
    uint64_t v;
    while (read(in->efd, &v, sizeof v) > 0)
        ;
    /* Deliver only what is queued now: a listener may push more (delivered next time). */
    size_t n = in->len;
    while (n-- > 0 && in->len > 0) {
        drv_input_event ev = in->q[in->head++];
        in->len--;
        if (ev.type == DRV_INPUT_DEVICE_ADDED || ev.type == DRV_INPUT_DEVICE_REMOVED)
            ev.dev.name = in->names[(uintptr_t)ev.dev.name];
        if (in->listener.event)
            in->listener.event(in->listener.data, &ev);
    }
    if (in->len == 0) {
        in->head = 0;
        in->nnames = 0; /* no queued device events refer to names any more */
    } else {
        uint64_t one = 1;
        if (write(in->efd, &one, sizeof one) < 0 && errno != EAGAIN)
            return -errno;
    }
    return 0;
}

int drv_synthetic_key(drv_input *in, uint32_t keycode, int pressed)
{
    drv_input_event ev = {0};
    if (keycode > KEY_MAX_CODE)
        return -EINVAL;
    if (pressed)
        in->keys_down[keycode / 64] |= 1ull << (keycode % 64);
    else
        in->keys_down[keycode / 64] &= ~(1ull << (keycode % 64));
    if (!drv_xkb_key(in->xkb, keycode, pressed ? DRV_KEY_PRESSED : DRV_KEY_RELEASED, &ev))
        return 0; /* a compose sequence swallowed it */
    return push(in, &ev);
}


static int char_key(drv_input *in, uint32_t cp, uint32_t *keycode, uint32_t *mods)
{
    uint32_t sym;
    if (cp == '\n')
        sym = XKB_KEY_Return;
    else if (cp == '\t')
        sym = XKB_KEY_Tab;
    else
        sym = xkb_utf32_to_keysym(cp);
    if (sym == XKB_KEY_NoSymbol)
        return -ENOENT;
    return drv_xkb_find_keysym(in->xkb, sym, keycode, mods);
}

int drv_synthetic_type(drv_input *in, const char *utf8, size_t *bad_offset)
{
    const unsigned char *s = (const unsigned char *)utf8;
    size_t n = strlen(utf8);
    /* Check everything first, so nothing is pushed for a string that cannot be typed. */
    for (size_t i = 0; i < n;) {
        uint32_t cp = 0, kc, mods;
        size_t len = drv_utf8_next(s + i, n - i, &cp);
        if (len == 0 || char_key(in, cp, &kc, &mods) < 0) {
            if (bad_offset)
                *bad_offset = i;
            return -EINVAL;
        }
        i += len;
    }
    for (size_t i = 0; i < n;) {
        uint32_t cp = 0, kc, mods;
        i += drv_utf8_next(s + i, n - i, &cp);
        char_key(in, cp, &kc, &mods);
        int r = 0;
        if (mods & DRV_MOD_SHIFT)
            r |= drv_synthetic_key(in, KEY_LEFTSHIFT, 1);
        r |= drv_synthetic_key(in, kc, 1);
        r |= drv_synthetic_key(in, kc, 0);
        if (mods & DRV_MOD_SHIFT)
            r |= drv_synthetic_key(in, KEY_LEFTSHIFT, 0);
        if (r)
            return -ENOMEM;
    }
    return 0;
}

int drv_synthetic_keysym_key(drv_input *in, const char *name, uint32_t *keycode,
                             uint32_t *needs_mods)
{
    xkb_keysym_t sym = xkb_keysym_from_name(name, XKB_KEYSYM_NO_FLAGS);
    if (sym == XKB_KEY_NoSymbol)
        sym = xkb_keysym_from_name(name, XKB_KEYSYM_CASE_INSENSITIVE);
    if (sym == XKB_KEY_NoSymbol)
        return -ENOENT;
    return drv_xkb_find_keysym(in->xkb, sym, keycode, needs_mods);
}

int drv_synthetic_motion(drv_input *in, double dx, double dy)
{
    drv_input_event ev = {.type = DRV_INPUT_POINTER_MOTION};
    ev.motion.dx = dx;
    ev.motion.dy = dy;
    return push(in, &ev);
}

int drv_synthetic_absolute(drv_input *in, double x, double y)
{
    drv_input_event ev = {.type = DRV_INPUT_POINTER_ABSOLUTE};
    ev.absolute.x = x;
    ev.absolute.y = y;
    return push(in, &ev);
}

int drv_synthetic_button(drv_input *in, uint32_t button, int pressed)
{
    if (button >= DRV_BTN_LEFT && button < DRV_BTN_LEFT + 32) {
        uint32_t bit = 1u << (button - DRV_BTN_LEFT);
        in->buttons_down = pressed ? in->buttons_down | bit : in->buttons_down & ~bit;
    }
    drv_input_event ev = {.type = DRV_INPUT_POINTER_BUTTON};
    ev.button.button = button;
    ev.button.state = pressed ? DRV_BUTTON_PRESSED : DRV_BUTTON_RELEASED;
    return push(in, &ev);
}

int drv_synthetic_axis(drv_input *in, double dx, double dy, int steps_x, int steps_y)
{
    drv_input_event ev = {.type = DRV_INPUT_POINTER_AXIS};
    ev.axis.dx = dx;
    ev.axis.dy = dy;
    ev.axis.steps_x = steps_x;
    ev.axis.steps_y = steps_y;
    return push(in, &ev);
}

int drv_synthetic_device(drv_input *in, uint32_t id, const char *name, uint32_t caps,
                         int added)
{
    if (!added && id == SYN_DEVICE) {
        /* An unplugged device releases what it held, before it goes. */
        for (uint32_t k = 0; k <= KEY_MAX_CODE; k++)
            if (in->keys_down[k / 64] >> (k % 64) & 1)
                drv_synthetic_key(in, k, 0);
        for (uint32_t b = 0; b < 32; b++)
            if (in->buttons_down >> b & 1)
                drv_synthetic_button(in, DRV_BTN_LEFT + b, 0);
        drv_xkb_reset(in->xkb);
    }
    return syn_device_event(in, id, name, caps, added);
}

size_t drv_synthetic_pending(drv_input *in) { return in->len; }

const drv_input_ops drv_input_synthetic_ops = {
    .name = "synthetic",
    .open = syn_open,
    .close = syn_close,
    .get_fd = syn_get_fd,
    .dispatch = syn_dispatch,
    .set_output_size = NULL,
};
