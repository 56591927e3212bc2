/* drivers/display/headless/headless.c: a display that is a Cairo image surface.
 *
 * Deterministic: the pixels depend only on what the client draws. Events (the first
 * configure, frame_done after each end_frame) are queued and delivered by dispatch; the
 * fd is an eventfd that is readable while something is queued, so the client's event
 * loop treats this backend exactly like the real ones.
 *
 * Buffers: one by default (age 1 from the second frame on). With
 * DRV_DISPLAY_HEADLESS_DOUBLE in the config flags it alternates two buffers and hands
 * out age 2, as a double-buffered KMS or Wayland backend does, so the client's
 * damage-history code can be tested headless. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "drv/display.h"

struct drv_display {
    drv_display_listener listener;
    int efd;
    int32_t width, height; /* logical */
    double scale;
    int nbuf;                     /* 1 or 2 */
    cairo_surface_t *buf[2];
    int frames[2];                /* frame number last submitted in each buffer, -1 none */
    int cur;                      /* buffer handed out by begin_frame, -1 none */
    int last;                     /* buffer last submitted, -1 none */
    int frame_no;                 /* frames submitted so far */
    int pending_configure, pending_frame_done;
};

static void notify(drv_display *d)
{
    uint64_t one = 1;
    /* An eventfd write only fails when the counter would overflow: it is readable then. */
    if (write(d->efd, &one, sizeof one) < 0 && errno != EAGAIN)
        perror("headless: eventfd write");
}

static int hl_open(const drv_display_config *cfg, const drv_display_listener *listener,
                   drv_display **out, drv_display_err *err)
{
    int32_t w = cfg && cfg->width > 0 ? cfg->width : 1024;
    int32_t h = cfg && cfg->height > 0 ? cfg->height : 768;
    double scale = cfg && cfg->scale > 0 ? cfg->scale : 1.0;
    if (w > 16384 || h > 16384 || w * scale > 16384 || h * scale > 16384) {
        snprintf(err->msg, sizeof err->msg,
                 "headless display: size %dx%d at scale %g is larger than 16384 pixels",
                 w, h, scale);
        return -EINVAL;
    }
    drv_display *d = calloc(1, sizeof *d);
    if (!d) {
        snprintf(err->msg, sizeof err->msg, "headless display: out of memory");
        return -ENOMEM;
    }
    if (listener)
        d->listener = *listener;
    d->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (d->efd < 0) {
        int e = errno;
        snprintf(err->msg, sizeof err->msg, "headless display: eventfd: %s", strerror(e));
        free(d);
        return -e;
    }
    d->width = w;
    d->height = h;
    d->scale = scale;
    d->nbuf = cfg && (cfg->flags & DRV_DISPLAY_HEADLESS_DOUBLE) ? 2 : 1;
    d->cur = d->last = -1;
    d->frames[0] = d->frames[1] = -1;
    for (int i = 0; i < d->nbuf; i++) {
        d->buf[i] = cairo_image_surface_create(CAIRO_FORMAT_RGB24, (int)(w * scale + 0.5),
                                               (int)(h * scale + 0.5));
        if (cairo_surface_status(d->buf[i]) != CAIRO_STATUS_SUCCESS) {
            snprintf(err->msg, sizeof err->msg, "headless display: cannot create surface: %s",
                     cairo_status_to_string(cairo_surface_status(d->buf[i])));
            for (int j = 0; j <= i; j++)
                cairo_surface_destroy(d->buf[j]);
            close(d->efd);
            free(d);
            return -ENOMEM;
        }
        cairo_surface_set_device_scale(d->buf[i], scale, scale);
    }
    d->pending_configure = 1;
    notify(d);
    *out = d;
    return 0;
}

static void hl_close(drv_display *d)
{
    if (!d)
        return;
    for (int i = 0; i < d->nbuf; i++)
        cairo_surface_destroy(d->buf[i]);
    close(d->efd);
    free(d);
}

static int hl_get_fd(drv_display *d) { return d->efd; }

static int hl_dispatch(drv_display *d)
{
    uint64_t v;
    while (read(d->efd, &v, sizeof v) > 0)
        ;
    if (d->pending_configure) {
        d->pending_configure = 0;
        if (d->listener.configure)
            d->listener.configure(d->listener.data, d->width, d->height, d->scale);
    }
    if (d->pending_frame_done) {
        d->pending_frame_done = 0;
        if (d->listener.frame_done)
            d->listener.frame_done(d->listener.data, 0);
    }
    return 0;
}

static int hl_begin_frame(drv_display *d, drv_display_frame *f)
{
    if (d->cur >= 0)
        return -EBUSY; /* begin_frame twice without end_frame: a client bug */
    int b = d->nbuf == 1 ? 0 : (d->last + 1) % 2;
    d->cur = b;
    f->surface = d->buf[b];
    f->width = cairo_image_surface_get_width(d->buf[b]);
    f->height = cairo_image_surface_get_height(d->buf[b]);
    f->scale = d->scale;
    f->age = d->frames[b] < 0 ? 0 : d->frame_no - d->frames[b];
    return 0;
}

static int hl_end_frame(drv_display *d, const drv_rect *damage, int ndamage)
{
    (void)damage;
    (void)ndamage;
    if (d->cur < 0)
        return -EINVAL;
    cairo_surface_flush(d->buf[d->cur]);
    d->frames[d->cur] = d->frame_no++;
    d->last = d->cur;
    d->cur = -1;
    d->pending_frame_done = 1;
    notify(d);
    return 0;
}

static int hl_write_png(drv_display *d, const char *path, drv_display_err *err)
{
    if (d->last < 0) {
        snprintf(err->msg, sizeof err->msg, "headless display: no frame has been drawn yet");
        return -ENODATA;
    }
    cairo_status_t st = cairo_surface_write_to_png(d->buf[d->last], path);
    if (st != CAIRO_STATUS_SUCCESS) {
        snprintf(err->msg, sizeof err->msg, "cannot write %s: %s", path,
                 st == CAIRO_STATUS_WRITE_ERROR ? strerror(errno) : cairo_status_to_string(st));
        return -EIO;
    }
    return 0;
}

static cairo_surface_t *hl_snapshot(drv_display *d)
{
    return d->last < 0 ? NULL : cairo_surface_reference(d->buf[d->last]);
}

cairo_surface_t *drv_headless_surface(drv_display *d)
{
    return d->last < 0 ? NULL : d->buf[d->last];
}

static void *hl_native(drv_display *d, const char *what)
{
    (void)d;
    (void)what;
    return NULL;
}

const drv_display_ops drv_display_headless_ops = {
    .name = "headless",
    .open = hl_open,
    .close = hl_close,
    .get_fd = hl_get_fd,
    .dispatch = hl_dispatch,
    .begin_frame = hl_begin_frame,
    .end_frame = hl_end_frame,
    .write_png = hl_write_png,
    .snapshot = hl_snapshot,
    .native = hl_native,
};
