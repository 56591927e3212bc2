/* drivers/display/wayland/wayland.c: Kons as a Wayland client window.
 *
 * xdg-shell toplevel; wl_shm buffers (XRGB8888, the layout of CAIRO_FORMAT_RGB24) in a
 * memfd, up to three, handed out with their age (so the client repaints only damage);
 * frame callbacks pace drawing; damage is passed on with wl_surface.damage_buffer.
 * Scale: wp_fractional_scale_v1 + wp_viewporter when the compositor offers both (buffers
 * at round(logical * scale), viewport destination = logical size); otherwise the integer
 * wl_output scale of the outputs the surface is on (wl_surface.set_buffer_scale).
 * Decorations: server-side through xdg-decoration when the compositor offers it;
 * otherwise our own title bar (a subsurface above the content: title, close box; a press
 * moves the window, a double click maximizes, the right button opens the compositor's
 * window menu; the seat input forwards presses through wl-deco.h). The window geometry
 * then includes the bar, so the compositor's sizes are the bar plus the content. Full
 * screen hides it.
 *
 * Protocol event handlers only record state and set `notify_*` flags; the listener is
 * called from dispatch (deliver), never from open/begin_frame/end_frame, as drv/display.h
 * requires. When the compositor goes away (EOF, error on the socket, protocol error) the
 * display is `lost`: the listener's lost gets one sentence and every call but close
 * returns -ENODEV. */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <wayland-client.h>

#include "drv/display.h"
#include "fractional-scale-client-protocol.h"
#include "viewporter-client-protocol.h"
#include "xdg-decoration-client-protocol.h"
#include "xdg-shell-client-protocol.h"
#include "wl-deco.h"

#include <linux/input-event-codes.h>
#include <time.h>

#define MAX_OUTPUTS 16
#define NBUF 3
#define TITLE_H 28     /* own title bar height, logical pixels */

struct shm_buf {
    struct wl_buffer *buffer;
    void *data;
    size_t size;
    int32_t w, h;
    cairo_surface_t *cs;
    bool busy;            /* attached and not yet released by the compositor */
    int frame;            /* frame number last submitted in it; -1: contents undefined */
};

struct output {
    struct wl_output *o;
    uint32_t name;
    int32_t scale;
    bool entered;
};

struct drv_display {
    drv_display_listener l;
    char name[128];
    struct wl_display *dpy;
    struct wl_registry *reg;
    struct wl_compositor *comp;
    uint32_t comp_ver;
    struct wl_shm *shm;
    struct xdg_wm_base *wm;
    struct zxdg_decoration_manager_v1 *decoman;
    struct zxdg_toplevel_decoration_v1 *deco;
    struct wp_fractional_scale_manager_v1 *fsm;
    struct wp_fractional_scale_v1 *fs;
    struct wp_viewporter *vporter;
    struct wp_viewport *viewport;
    struct wl_surface *surf;
    struct xdg_surface *xs;
    struct xdg_toplevel *top;
    struct wl_callback *frame_cb;
    /* Own decorations (when the compositor draws none). */
    struct wl_subcompositor *subcomp;
    struct wl_surface *bar;
    struct wl_subsurface *bar_sub;
    struct shm_buf bar_buf;
    bool csd;                  /* we decorate (no server-side decorations) */
    bool fullscreen, maximized, activated;
    bool pend_fullscreen, pend_maximized, pend_activated;
    uint64_t last_press_ms;
    char title[128];
    struct drv_wl_deco deco_iface;
    struct output out[MAX_OUTPUTS];
    int nout;

    int32_t req_w, req_h;      /* asked for in the config */
    int32_t w, h;              /* current logical size */
    int32_t pend_w, pend_h;    /* from the last xdg_toplevel.configure */
    double scale;              /* device pixels per logical pixel, in effect */
    uint32_t frac120;          /* preferred fractional scale in 120ths; 0: none */
    bool configured;           /* the first xdg_surface.configure has been acked */
    bool ssd;                  /* the compositor draws the decorations */

    bool notify_configure, notify_close, notify_frame, notify_lost, lost_delivered;
    bool lost;
    char lost_why[256];

    struct shm_buf buf[NBUF];
    int cur;                   /* buffer handed out by begin_frame; -1 none */
    int frame_no;
};

/* ---- scale and size ---- */

static int32_t int_scale(drv_display *d)
{
    int32_t s = 0, any = 1;
    for (int i = 0; i < d->nout; i++) {
        if (d->out[i].entered && d->out[i].scale > s)
            s = d->out[i].scale;
        if (d->out[i].scale > any)
            any = d->out[i].scale;
    }
    return s > 0 ? s : any;   /* before the surface enters an output: the largest */
}

static bool fractional(drv_display *d) { return d->fs && d->viewport && d->frac120; }

static void bar_draw(drv_display *d);

static void update_scale(drv_display *d)
{
    double s = fractional(d) ? d->frac120 / 120.0 : (double)int_scale(d);
    if (s != d->scale) {
        d->scale = s;
        if (d->configured) {
            d->notify_configure = true;
            bar_draw(d);
        }
    }
}

static int32_t device_px(drv_display *d, int32_t logical)
{
    if (fractional(d))   /* fractional-scale-v1: round half away from zero */
        return (int32_t)((int64_t)logical * d->frac120 + 60) / 120;
    return logical * (int32_t)d->scale;
}

static void set_lost(drv_display *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_lost(drv_display *d, const char *fmt, ...)
{
    if (d->lost)
        return;
    d->lost = true;
    d->notify_lost = true;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->lost_why, sizeof d->lost_why, fmt, ap);
    va_end(ap);
}

/* Why the connection failed, in words. */
static void connection_failed(drv_display *d, int err)
{
    int perr = wl_display_get_error(d->dpy);
    if (perr == EPROTO) {
        const struct wl_interface *iface;
        uint32_t id;
        uint32_t code = wl_display_get_protocol_error(d->dpy, &iface, &id);
        set_lost(d, "the Wayland compositor reported a protocol error (%s#%u, code %u) and "
                    "closed the connection", iface ? iface->name : "?", id, code);
    } else {
        set_lost(d, "the Wayland compositor on \"%s\" went away (%s)", d->name,
                 strerror(perr ? perr : err ? err : EPIPE));
    }
}

/* ---- buffers ---- */

static void buffer_release(void *data, struct wl_buffer *b)
{
    struct shm_buf *sb = data;
    sb->busy = false;
}

static const struct wl_buffer_listener buffer_listener = {.release = buffer_release};

static void buf_free(struct shm_buf *b)
{
    if (b->cs)
        cairo_surface_destroy(b->cs);
    if (b->buffer)
        wl_buffer_destroy(b->buffer);
    if (b->data)
        munmap(b->data, b->size);
    memset(b, 0, sizeof *b);
    b->frame = -1;
}

static int buf_create(drv_display *d, struct shm_buf *b, int32_t w, int32_t h)
{
    int stride = cairo_format_stride_for_width(CAIRO_FORMAT_RGB24, w);
    size_t size = (size_t)stride * (size_t)h;
    int fd = memfd_create("kons-wayland-shm", MFD_CLOEXEC);
    if (fd < 0)
        return -errno;
    if (ftruncate(fd, (off_t)size) < 0) {
        int e = -errno;
        close(fd);
        return e;
    }
    void *data = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (data == MAP_FAILED) {
        int e = -errno;
        close(fd);
        return e;
    }
    struct wl_shm_pool *pool = wl_shm_create_pool(d->shm, fd, (int32_t)size);
    b->buffer = wl_shm_pool_create_buffer(pool, 0, w, h, stride, WL_SHM_FORMAT_XRGB8888);
    wl_shm_pool_destroy(pool);
    close(fd);
    wl_buffer_add_listener(b->buffer, &buffer_listener, b);
    b->data = data;
    b->size = size;
    b->w = w;
    b->h = h;
    b->frame = -1;
    b->cs = cairo_image_surface_create_for_data(data, CAIRO_FORMAT_RGB24, w, h, stride);
    if (cairo_surface_status(b->cs) != CAIRO_STATUS_SUCCESS) {
        buf_free(b);
        return -ENOMEM;
    }
    return 0;
}


/* ---- own decorations ---- */

static bool bar_visible(drv_display *d) { return d->csd && d->bar && !d->fullscreen; }

/* Draw the title bar for the current size, scale and activation, and commit it (a
 * synchronized subsurface: it appears with the next commit of the window). */
static void bar_draw(drv_display *d)
{
    if (!d->bar)
        return;
    if (!bar_visible(d) || d->w <= 0) {
        wl_surface_attach(d->bar, NULL, 0, 0);
        wl_surface_commit(d->bar);
        return;
    }
    int32_t bs = (int32_t)(d->scale + 0.999);   /* integer buffer scale, rounded up */
    if (bs < 1)
        bs = 1;
    struct shm_buf old = d->bar_buf;
    memset(&d->bar_buf, 0, sizeof d->bar_buf);
    if (buf_create(d, &d->bar_buf, d->w * bs, TITLE_H * bs) < 0) {
        d->bar_buf = old;
        return;
    }
    cairo_t *cr = cairo_create(d->bar_buf.cs);
    cairo_scale(cr, bs, bs);
    double w = d->w;
    if (d->activated)
        cairo_set_source_rgb(cr, 0.17, 0.24, 0.36);
    else
        cairo_set_source_rgb(cr, 0.42, 0.45, 0.50);
    cairo_paint(cr);
    /* The close box: an X in the rightmost square. */
    cairo_set_source_rgb(cr, 0.92, 0.92, 0.92);
    cairo_set_line_width(cr, 2);
    double c = w - TITLE_H / 2.0, r = 5;
    cairo_move_to(cr, c - r, TITLE_H / 2.0 - r);
    cairo_line_to(cr, c + r, TITLE_H / 2.0 + r);
    cairo_move_to(cr, c + r, TITLE_H / 2.0 - r);
    cairo_line_to(cr, c - r, TITLE_H / 2.0 + r);
    cairo_stroke(cr);
    /* The title, clipped before the close box. */
    cairo_rectangle(cr, 0, 0, w - TITLE_H - 4, TITLE_H);
    cairo_clip(cr);
    cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
    cairo_set_font_size(cr, 13);
    cairo_move_to(cr, 10, TITLE_H / 2.0 + 5);
    cairo_show_text(cr, d->title);
    cairo_destroy(cr);
    cairo_surface_flush(d->bar_buf.cs);
    wl_surface_set_buffer_scale(d->bar, bs);
    wl_surface_attach(d->bar, d->bar_buf.buffer, 0, 0);
    wl_surface_damage(d->bar, 0, 0, INT32_MAX, INT32_MAX);
    wl_surface_commit(d->bar);
    buf_free(&old);   /* replaced by the new buffer in the same commit */
}

/* The window geometry and the bar's place follow the decoration state. */
static void bar_layout(drv_display *d)
{
    if (d->csd && !d->bar && d->subcomp) {
        d->bar = wl_compositor_create_surface(d->comp);
        d->bar_sub = wl_subcompositor_get_subsurface(d->subcomp, d->bar, d->surf);
        wl_subsurface_set_position(d->bar_sub, 0, -TITLE_H);
    }
    if (bar_visible(d))
        xdg_surface_set_window_geometry(d->xs, 0, -TITLE_H, d->w, d->h + TITLE_H);
    else if (d->w > 0)
        xdg_surface_set_window_geometry(d->xs, 0, 0, d->w, d->h);
    bar_draw(d);
}

static struct wl_surface *deco_surface(drv_display *d) { return bar_visible(d) ? d->bar : NULL; }
static double deco_scale(drv_display *d) { return d->scale > 0 ? d->scale : 1; }

static void deco_press(drv_display *d, struct wl_seat *seat, uint32_t serial, uint32_t time_ms,
                       uint32_t button, double x, double y)
{
    if (!bar_visible(d) || d->lost)
        return;
    if (button == BTN_RIGHT) {
        xdg_toplevel_show_window_menu(d->top, seat, serial, (int32_t)x, (int32_t)y - TITLE_H);
        return;
    }
    if (button != BTN_LEFT)
        return;
    if (x >= d->w - TITLE_H) {
        d->notify_close = true;   /* delivered at the end of this dispatch */
        return;
    }
    /* Double click by the events' own times (milliseconds, wrapping), not by when we
     * happen to read them. */
    uint32_t ms = time_ms;
    if (d->last_press_ms && (uint32_t)(ms - (uint32_t)d->last_press_ms) < 400) {
        if (d->maximized)
            xdg_toplevel_unset_maximized(d->top);
        else
            xdg_toplevel_set_maximized(d->top);
        d->last_press_ms = 0;
        return;
    }
    d->last_press_ms = ms ? ms : 1;
    xdg_toplevel_move(d->top, seat, serial);
}

/* ---- protocol listeners ---- */

static void wm_ping(void *data, struct xdg_wm_base *wm, uint32_t serial)
{
    xdg_wm_base_pong(wm, serial);
}

static const struct xdg_wm_base_listener wm_listener = {.ping = wm_ping};

static void xs_configure(void *data, struct xdg_surface *xs, uint32_t serial)
{
    drv_display *d = data;
    xdg_surface_ack_configure(xs, serial);
    bool states_changed = d->fullscreen != d->pend_fullscreen ||
                          d->maximized != d->pend_maximized || d->activated != d->pend_activated;
    d->fullscreen = d->pend_fullscreen;
    d->maximized = d->pend_maximized;
    d->activated = d->pend_activated;
    int32_t w = d->pend_w > 0 ? d->pend_w : d->w;
    int32_t h = d->pend_h > 0 ? d->pend_h : d->h;
    bool resized = !d->configured || w != d->w || h != d->h;
    if (resized) {
        d->w = w;
        d->h = h;
        d->notify_configure = true;
        if (d->viewport)
            wp_viewport_set_destination(d->viewport, w, h);
        struct wl_region *r = wl_compositor_create_region(d->comp);
        wl_region_add(r, 0, 0, w, h);
        wl_surface_set_opaque_region(d->surf, r);
        wl_region_destroy(r);
    }
    if (d->csd && (resized || states_changed || !d->bar))
        bar_layout(d);
    d->configured = true;
}

static const struct xdg_surface_listener xs_listener = {.configure = xs_configure};

static void top_configure(void *data, struct xdg_toplevel *t, int32_t w, int32_t h,
                          struct wl_array *states)
{
    drv_display *d = data;
    d->pend_fullscreen = d->pend_maximized = d->pend_activated = false;
    uint32_t *st;
    wl_array_for_each(st, states) {
        if (*st == XDG_TOPLEVEL_STATE_FULLSCREEN)
            d->pend_fullscreen = true;
        else if (*st == XDG_TOPLEVEL_STATE_MAXIMIZED)
            d->pend_maximized = true;
        else if (*st == XDG_TOPLEVEL_STATE_ACTIVATED)
            d->pend_activated = true;
    }
    /* The compositor sizes the window geometry: our bar is part of it. */
    if (h > 0 && d->csd && !d->pend_fullscreen)
        h = h > TITLE_H + 1 ? h - TITLE_H : 1;
    /* 0 means "the client decides": keep the current size, or the requested one. */
    d->pend_w = w > 0 ? w : d->w > 0 ? d->w : d->req_w;
    d->pend_h = h > 0 ? h : d->h > 0 ? d->h : d->req_h;
    if (d->pend_w > 16384)
        d->pend_w = 16384;
    if (d->pend_h > 16384)
        d->pend_h = 16384;
}

static void top_close(void *data, struct xdg_toplevel *t)
{
    drv_display *d = data;
    d->notify_close = true;
}

static void top_bounds(void *data, struct xdg_toplevel *t, int32_t w, int32_t h) {}
static void top_caps(void *data, struct xdg_toplevel *t, struct wl_array *caps) {}

static const struct xdg_toplevel_listener top_listener = {
    .configure = top_configure,
    .close = top_close,
    .configure_bounds = top_bounds,
    .wm_capabilities = top_caps,
};

static void deco_configure(void *data, struct zxdg_toplevel_decoration_v1 *deco, uint32_t mode)
{
    drv_display *d = data;
    d->ssd = mode == ZXDG_TOPLEVEL_DECORATION_V1_MODE_SERVER_SIDE;
    d->csd = !d->ssd;
    if (d->configured)
        bar_layout(d);   /* the mode changed after the window was shown */
}

static const struct zxdg_toplevel_decoration_v1_listener deco_listener = {
    .configure = deco_configure,
};

static void frac_preferred(void *data, struct wp_fractional_scale_v1 *fs, uint32_t scale)
{
    drv_display *d = data;
    d->frac120 = scale;
    update_scale(d);
}

static const struct wp_fractional_scale_v1_listener frac_listener = {
    .preferred_scale = frac_preferred,
};

static struct output *find_output(drv_display *d, struct wl_output *o)
{
    for (int i = 0; i < d->nout; i++)
        if (d->out[i].o == o)
            return &d->out[i];
    return NULL;
}

static void surf_enter(void *data, struct wl_surface *s, struct wl_output *o)
{
    drv_display *d = data;
    struct output *out = find_output(d, o);
    if (out) {
        out->entered = true;
        update_scale(d);
    }
}

static void surf_leave(void *data, struct wl_surface *s, struct wl_output *o)
{
    drv_display *d = data;
    struct output *out = find_output(d, o);
    if (out) {
        out->entered = false;
        update_scale(d);
    }
}

static const struct wl_surface_listener surf_listener = {.enter = surf_enter, .leave = surf_leave};

static void out_geometry(void *data, struct wl_output *o, int32_t x, int32_t y, int32_t pw,
                         int32_t ph, int32_t subpixel, const char *make, const char *model,
                         int32_t transform) {}
static void out_mode(void *data, struct wl_output *o, uint32_t flags, int32_t w, int32_t h,
                     int32_t refresh) {}
static void out_done(void *data, struct wl_output *o)
{
    update_scale(data);
}
static void out_scale(void *data, struct wl_output *o, int32_t factor)
{
    drv_display *d = data;
    struct output *out = find_output(d, o);
    if (out)
        out->scale = factor > 0 ? factor : 1;
}

static const struct wl_output_listener out_listener = {
    .geometry = out_geometry,
    .mode = out_mode,
    .done = out_done,
    .scale = out_scale,
};

static uint32_t min_u32(uint32_t a, uint32_t b) { return a < b ? a : b; }

static void reg_global(void *data, struct wl_registry *reg, uint32_t name, const char *iface,
                       uint32_t version)
{
    drv_display *d = data;
    if (!strcmp(iface, wl_compositor_interface.name)) {
        d->comp_ver = min_u32(version, 4);
        d->comp = wl_registry_bind(reg, name, &wl_compositor_interface, d->comp_ver);
    } else if (!strcmp(iface, wl_shm_interface.name)) {
        d->shm = wl_registry_bind(reg, name, &wl_shm_interface, 1);
    } else if (!strcmp(iface, wl_subcompositor_interface.name)) {
        d->subcomp = wl_registry_bind(reg, name, &wl_subcompositor_interface, 1);
    } else if (!strcmp(iface, xdg_wm_base_interface.name)) {
        d->wm = wl_registry_bind(reg, name, &xdg_wm_base_interface, min_u32(version, 5));
        xdg_wm_base_add_listener(d->wm, &wm_listener, d);
    } else if (!strcmp(iface, zxdg_decoration_manager_v1_interface.name)) {
        d->decoman = wl_registry_bind(reg, name, &zxdg_decoration_manager_v1_interface, 1);
    } else if (!strcmp(iface, wp_fractional_scale_manager_v1_interface.name)) {
        d->fsm = wl_registry_bind(reg, name, &wp_fractional_scale_manager_v1_interface, 1);
    } else if (!strcmp(iface, wp_viewporter_interface.name)) {
        d->vporter = wl_registry_bind(reg, name, &wp_viewporter_interface, 1);
    } else if (!strcmp(iface, wl_output_interface.name) && d->nout < MAX_OUTPUTS) {
        struct output *o = &d->out[d->nout++];
        o->name = name;
        o->scale = 1;
        /* Version 2 brings scale and done; later events are not needed. */
        o->o = wl_registry_bind(reg, name, &wl_output_interface, min_u32(version, 3));
        wl_output_add_listener(o->o, &out_listener, d);
    }
}

static void reg_global_remove(void *data, struct wl_registry *reg, uint32_t name)
{
    drv_display *d = data;
    for (int i = 0; i < d->nout; i++) {
        if (d->out[i].name == name) {
            if (wl_output_get_version(d->out[i].o) >= 3)
                wl_output_release(d->out[i].o);
            else
                wl_output_destroy(d->out[i].o);
            d->out[i] = d->out[--d->nout];
            update_scale(d);
            return;
        }
    }
}

static const struct wl_registry_listener reg_listener = {
    .global = reg_global,
    .global_remove = reg_global_remove,
};

static void frame_done(void *data, struct wl_callback *cb, uint32_t time_ms)
{
    drv_display *d = data;
    wl_callback_destroy(cb);
    d->frame_cb = NULL;
    d->notify_frame = true;
}

static const struct wl_callback_listener frame_listener = {.done = frame_done};

/* ---- the ops ---- */

static void wl_close_display(drv_display *d);

static int fail_open(drv_display *d, drv_display_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail_open(drv_display *d, drv_display_err *err, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    wl_close_display(d);
    return code;
}

static int wl_open(const drv_display_config *cfg, const drv_display_listener *listener,
                   drv_display **out, drv_display_err *err)
{
    *out = NULL;
    drv_display *d = calloc(1, sizeof *d);
    if (!d) {
        snprintf(err->msg, sizeof err->msg, "wayland display: out of memory");
        return -ENOMEM;
    }
    if (listener)
        d->l = *listener;
    d->cur = -1;
    for (int i = 0; i < NBUF; i++)
        d->buf[i].frame = -1;
    d->req_w = cfg && cfg->width > 0 ? cfg->width : 1024;
    d->req_h = cfg && cfg->height > 0 ? cfg->height : 768;
    if (d->req_w > 16384 || d->req_h > 16384)
        return fail_open(d, err, -EINVAL, "wayland display: size %dx%d is larger than 16384",
                         d->req_w, d->req_h);
    const char *name = cfg && cfg->device ? cfg->device : getenv("WAYLAND_DISPLAY");
    snprintf(d->name, sizeof d->name, "%s", name ? name : "wayland-0");
    d->dpy = wl_display_connect(cfg ? cfg->device : NULL);
    if (!d->dpy) {
        int e = errno ? errno : ENOENT;
        const char *rt = getenv("XDG_RUNTIME_DIR");
        return fail_open(d, err, -e, "cannot connect to the Wayland display \"%s\"%s: %s",
                         d->name, rt ? "" : " (XDG_RUNTIME_DIR is not set)", strerror(e));
    }
    d->reg = wl_display_get_registry(d->dpy);
    wl_registry_add_listener(d->reg, &reg_listener, d);
    /* Globals, then the events of the objects bound (output scales). */
    if (wl_display_roundtrip(d->dpy) < 0 || wl_display_roundtrip(d->dpy) < 0)
        return fail_open(d, err, -EPIPE, "the Wayland compositor on \"%s\" closed the connection",
                         d->name);
    if (!d->comp || !d->shm || !d->wm)
        return fail_open(d, err, -ENOTSUP,
                         "the Wayland compositor on \"%s\" lacks %s (Kons needs wl_compositor, "
                         "wl_shm and xdg-shell)", d->name,
                         !d->comp ? "wl_compositor" : !d->shm ? "wl_shm" : "xdg_wm_base (xdg-shell)");
    d->surf = wl_compositor_create_surface(d->comp);
    wl_surface_add_listener(d->surf, &surf_listener, d);
    if (d->fsm && d->vporter) {
        d->viewport = wp_viewporter_get_viewport(d->vporter, d->surf);
        d->fs = wp_fractional_scale_manager_v1_get_fractional_scale(d->fsm, d->surf);
        wp_fractional_scale_v1_add_listener(d->fs, &frac_listener, d);
    }
    d->xs = xdg_wm_base_get_xdg_surface(d->wm, d->surf);
    xdg_surface_add_listener(d->xs, &xs_listener, d);
    d->top = xdg_surface_get_toplevel(d->xs);
    xdg_toplevel_add_listener(d->top, &top_listener, d);
    snprintf(d->title, sizeof d->title, "%s", cfg && cfg->title ? cfg->title : "Kons");
    xdg_toplevel_set_title(d->top, d->title);
    d->csd = !d->decoman;   /* until the decoration manager says otherwise */
    /* Smaller than this no desktop is usable (window geometry: with our bar). */
    xdg_toplevel_set_min_size(d->top, 200, 150 + (d->csd ? TITLE_H : 0));
    d->deco_iface = (struct drv_wl_deco){.display = d, .surface = deco_surface,
                                         .press = deco_press, .scale = deco_scale};
    xdg_toplevel_set_app_id(d->top, cfg && cfg->app_id ? cfg->app_id : "kons");
    if (cfg && (cfg->flags & DRV_DISPLAY_FULLSCREEN))
        xdg_toplevel_set_fullscreen(d->top, NULL);
    if (d->decoman) {
        d->deco = zxdg_decoration_manager_v1_get_toplevel_decoration(d->decoman, d->top);
        zxdg_toplevel_decoration_v1_add_listener(d->deco, &deco_listener, d);
        zxdg_toplevel_decoration_v1_set_mode(d->deco, ZXDG_TOPLEVEL_DECORATION_V1_MODE_SERVER_SIDE);
    }
    update_scale(d);
    /* The initial commit without a buffer; the compositor answers with a configure. */
    wl_surface_commit(d->surf);
    while (!d->configured) {
        if (wl_display_roundtrip(d->dpy) < 0)
            return fail_open(d, err, -EPIPE,
                             "the Wayland compositor on \"%s\" closed the connection", d->name);
    }
    *out = d;
    return 0;
}

static void wl_close_display(drv_display *d)
{
    if (!d)
        return;
    for (int i = 0; i < NBUF; i++)
        buf_free(&d->buf[i]);
    if (d->dpy) {
        if (d->frame_cb)
            wl_callback_destroy(d->frame_cb);
        buf_free(&d->bar_buf);
        if (d->bar_sub)
            wl_subsurface_destroy(d->bar_sub);
        if (d->bar)
            wl_surface_destroy(d->bar);
        if (d->subcomp)
            wl_subcompositor_destroy(d->subcomp);
        if (d->deco)
            zxdg_toplevel_decoration_v1_destroy(d->deco);
        if (d->top)
            xdg_toplevel_destroy(d->top);
        if (d->xs)
            xdg_surface_destroy(d->xs);
        if (d->fs)
            wp_fractional_scale_v1_destroy(d->fs);
        if (d->viewport)
            wp_viewport_destroy(d->viewport);
        if (d->surf)
            wl_surface_destroy(d->surf);
        for (int i = 0; i < d->nout; i++)
            wl_output_destroy(d->out[i].o);
        if (d->decoman)
            zxdg_decoration_manager_v1_destroy(d->decoman);
        if (d->fsm)
            wp_fractional_scale_manager_v1_destroy(d->fsm);
        if (d->vporter)
            wp_viewporter_destroy(d->vporter);
        if (d->wm)
            xdg_wm_base_destroy(d->wm);
        if (d->shm)
            wl_shm_destroy(d->shm);
        if (d->comp)
            wl_compositor_destroy(d->comp);
        if (d->reg)
            wl_registry_destroy(d->reg);
        if (!d->lost)
            wl_display_flush(d->dpy);
        wl_display_disconnect(d->dpy);
    }
    free(d);
}

static int wl_get_fd(drv_display *d) { return wl_display_get_fd(d->dpy); }

/* Call the listener for what the protocol handlers recorded. */
static void deliver(drv_display *d)
{
    if (d->notify_lost && !d->lost_delivered) {
        d->lost_delivered = true;
        d->notify_lost = false;
        if (d->l.lost)
            d->l.lost(d->l.data, d->lost_why);
        return;
    }
    if (d->lost)
        return;
    if (d->notify_configure && d->configured) {
        d->notify_configure = false;
        if (d->l.configure)
            d->l.configure(d->l.data, d->w, d->h, d->scale);
    }
    if (d->notify_close) {
        d->notify_close = false;
        if (d->l.close_requested)
            d->l.close_requested(d->l.data);
    }
    if (d->notify_frame) {
        d->notify_frame = false;
        if (d->l.frame_done)
            d->l.frame_done(d->l.data, 0);
    }
}

static int wl_dispatch(drv_display *d)
{
    if (!d->lost) {
        int failed = 0, e = 0;
        while (!failed && wl_display_prepare_read(d->dpy) != 0)
            if (wl_display_dispatch_pending(d->dpy) < 0)
                failed = 1, e = errno;
        if (!failed) {
            if (wl_display_flush(d->dpy) < 0 && errno != EAGAIN) {
                e = errno;
                wl_display_cancel_read(d->dpy);
                failed = 1;
            } else {
                struct pollfd p = {.fd = wl_display_get_fd(d->dpy), .events = POLLIN};
                if (poll(&p, 1, 0) > 0) {
                    if (wl_display_read_events(d->dpy) < 0)
                        failed = 1, e = errno;
                } else {
                    wl_display_cancel_read(d->dpy);
                }
                if (!failed && wl_display_dispatch_pending(d->dpy) < 0)
                    failed = 1, e = errno;
            }
        }
        if (failed)
            connection_failed(d, e);
    }
    deliver(d);
    return d->lost ? -ENODEV : 0;
}

static int wl_begin_frame(drv_display *d, drv_display_frame *f)
{
    if (d->lost)
        return -ENODEV;
    if (d->cur >= 0)
        return -EBUSY;
    if (!d->configured)
        return -EAGAIN;
    int32_t dw = device_px(d, d->w), dh = device_px(d, d->h);
    int best = -1, spare = -1;
    for (int i = 0; i < NBUF; i++) {
        struct shm_buf *b = &d->buf[i];
        if (b->busy)
            continue;
        if (b->buffer && b->w == dw && b->h == dh) {
            if (best < 0 || b->frame > d->buf[best].frame)
                best = i;   /* the most recent contents: the least to repaint */
        } else if (spare < 0 || !b->buffer) {
            spare = i;
        }
    }
    if (best < 0 && spare >= 0) {
        /* Only allocate a new buffer when no free one of the right size exists. */
        buf_free(&d->buf[spare]);
        int e = buf_create(d, &d->buf[spare], dw, dh);
        if (e < 0)
            return e;
        best = spare;
    }
    if (best < 0)
        return -EAGAIN;
    struct shm_buf *b = &d->buf[best];
    d->cur = best;
    cairo_surface_set_device_scale(b->cs, d->scale, d->scale);
    f->surface = b->cs;
    f->width = dw;
    f->height = dh;
    f->scale = d->scale;
    f->age = b->frame < 0 ? 0 : d->frame_no - b->frame;
    return 0;
}

static int wl_end_frame(drv_display *d, const drv_rect *damage, int ndamage)
{
    if (d->cur < 0)
        return -EINVAL;
    struct shm_buf *b = &d->buf[d->cur];
    d->cur = -1;
    if (d->lost)
        return -ENODEV;
    cairo_surface_flush(b->cs);
    wl_surface_attach(d->surf, b->buffer, 0, 0);
    if (fractional(d)) {
        wl_surface_set_buffer_scale(d->surf, 1);
    } else if (d->comp_ver >= 3) {
        wl_surface_set_buffer_scale(d->surf, (int32_t)d->scale);
    }
    if (!damage || ndamage <= 0) {
        if (d->comp_ver >= 4)
            wl_surface_damage_buffer(d->surf, 0, 0, INT32_MAX, INT32_MAX);
        else
            wl_surface_damage(d->surf, 0, 0, INT32_MAX, INT32_MAX);
    } else {
        for (int i = 0; i < ndamage; i++) {
            if (d->comp_ver >= 4) {
                wl_surface_damage_buffer(d->surf, damage[i].x, damage[i].y, damage[i].w,
                                         damage[i].h);
            } else {
                /* Surface coordinates: widen to whole logical pixels. */
                int32_t s = (int32_t)d->scale;
                wl_surface_damage(d->surf, damage[i].x / s, damage[i].y / s,
                                  (damage[i].w + 2 * s - 1) / s, (damage[i].h + 2 * s - 1) / s);
            }
        }
    }
    if (!d->frame_cb) {
        d->frame_cb = wl_surface_frame(d->surf);
        wl_callback_add_listener(d->frame_cb, &frame_listener, d);
    }
    wl_surface_commit(d->surf);
    b->busy = true;
    b->frame = d->frame_no++;
    if (wl_display_flush(d->dpy) < 0 && errno != EAGAIN) {
        connection_failed(d, errno);
        return -ENODEV;   /* `lost` is delivered by the next dispatch */
    }
    return 0;
}

static cairo_surface_t *wl_snapshot(drv_display *d)
{
    int last = -1;
    for (int i = 0; i < NBUF; i++)
        if (d->buf[i].buffer && d->buf[i].frame >= 0 &&
            (last < 0 || d->buf[i].frame > d->buf[last].frame))
            last = i;
    if (last < 0)
        return NULL;
    /* A copy: the buffer itself goes back to the compositor. */
    struct shm_buf *b = &d->buf[last];
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, b->w, b->h);
    cairo_t *cr = cairo_create(s);
    cairo_set_source_surface(cr, b->cs, 0, 0);
    cairo_set_operator(cr, CAIRO_OPERATOR_SOURCE);
    cairo_paint(cr);
    cairo_destroy(cr);
    return s;
}

static int wl_write_png(drv_display *d, const char *path, drv_display_err *err)
{
    cairo_surface_t *s = wl_snapshot(d);
    if (!s) {
        snprintf(err->msg, sizeof err->msg, "wayland display: no frame has been drawn yet");
        return -ENODATA;
    }
    cairo_status_t st = cairo_surface_write_to_png(s, path);
    cairo_surface_destroy(s);
    if (st != CAIRO_STATUS_SUCCESS) {
        snprintf(err->msg, sizeof err->msg, "cannot write %s: %s", path,
                 st == CAIRO_STATUS_WRITE_ERROR ? strerror(errno) : cairo_status_to_string(st));
        return -EIO;
    }
    return 0;
}

static void *wl_native(drv_display *d, const char *what)
{
    if (!strcmp(what, "wl_display"))
        return d->dpy;
    if (!strcmp(what, "wl_surface"))
        return d->surf;
    if (!strcmp(what, "kons_wl_deco"))
        return &d->deco_iface;
    return NULL;
}

const drv_display_ops drv_display_wayland_ops = {
    .name = "wayland",
    .open = wl_open,
    .close = wl_close_display,
    .get_fd = wl_get_fd,
    .dispatch = wl_dispatch,
    .begin_frame = wl_begin_frame,
    .end_frame = wl_end_frame,
    .write_png = wl_write_png,
    .snapshot = wl_snapshot,
    .native = wl_native,
};
