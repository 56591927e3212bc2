/* drv/display.h: the display driver contract.
 *
 * A display backend puts frames drawn with Cairo on a screen: a Cairo image surface
 * (headless), a Wayland xdg-shell window with wl_shm buffers (wayland), or a DRM/KMS
 * CRTC with dumb buffers (kms). Each backend exports one `const drv_display_ops` and
 * nothing else; `os/` picks one by name through the registry at the end of this file.
 * The presentation engine (presentation/) is the only client; it knows nothing about
 * which backend runs.
 *
 * Threading: every call, and every listener callback, happens on the thread that runs
 * the event loop. Callbacks are only ever made from inside `dispatch` (never from
 * `open`, `begin_frame` or `end_frame`), so the client never sees re-entrant calls.
 *
 * Coordinates: the client draws in *logical* pixels; a frame's buffer is in *device*
 * (buffer) pixels, device = logical * scale. Cairo's device scale is already set on the
 * surface handed out by begin_frame, so the client draws in logical units; damage
 * rectangles handed back to end_frame are in device pixels (exact, no rounding in the
 * backend).
 *
 * The frame cycle (damage-driven, double-buffer aware):
 *   1. begin_frame(d, &frame): the backend hands out a buffer to draw into, with its
 *      `age`: 0 = contents undefined (redraw everything), n >= 1 = the buffer holds the
 *      frame submitted n end_frames ago (EGL_EXT_buffer_age semantics). A client that
 *      remembers the damage of its last few frames repaints only the union of the damage
 *      since that frame. Headless and single-buffered backends hand out age 1 from the
 *      second frame on; a double-buffered KMS or Wayland backend typically age 2.
 *   2. The client draws (only inside its damage, for speed) into frame.cr_surface.
 *   3. end_frame(d, damage, n): the buffer is submitted with its damage (device pixels;
 *      n == 0 with damage == NULL means "the whole buffer"). The buffer belongs to the
 *      backend again; the client must not touch the surface any more.
 *   4. The listener's frame_done is called (from dispatch) when it is a good time to
 *      draw the next frame (Wayland frame callback, KMS page-flip event; headless: on
 *      the next dispatch). Clients should not begin a new frame before it; if they do,
 *      begin_frame may fail with -EAGAIN (no free buffer).
 *
 * Errors: functions returning int return 0 on success or a negative errno value; those
 * taking `drv_display_err *err` fill it with a sentence for the user ("cannot connect to
 * the Wayland display \"wayland-0\": No such file or directory"), never NULL.
 */
#ifndef KONS_DRV_DISPLAY_H
#define KONS_DRV_DISPLAY_H

#include <stddef.h>
#include <stdint.h>

#include <cairo.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A user-facing error message filled by a failing open (and dispatch). */
typedef struct drv_display_err {
    char msg[256];
} drv_display_err;

/* A rectangle in device pixels (or logical pixels where stated); w, h >= 0. */
typedef struct drv_rect {
    int32_t x, y, w, h;
} drv_rect;

/* One open display instance; each backend defines the struct privately. */
typedef struct drv_display drv_display;

enum {
    /* Ask for the whole screen (Wayland: xdg_toplevel.set_fullscreen; KMS always is). */
    DRV_DISPLAY_FULLSCREEN = 1u << 0,
    /* KMS: prefer the GBM/EGL/GLES2 renderer over dumb buffers (falls back cleanly). */
    DRV_DISPLAY_PREFER_GL = 1u << 1,
    /* Headless: alternate two buffers (age 2), to test a client's damage history. */
    DRV_DISPLAY_HEADLESS_DOUBLE = 1u << 2,
};

typedef struct drv_display_config {
    /* Requested logical size; 0 means the backend's choice (KMS: the preferred mode;
     * Wayland: the compositor's configure, else 1024x768; headless: 1024x768). The size
     * actually obtained is reported by the first `configure` callback. */
    int32_t width, height;
    /* Requested scale for headless (1.0 if 0); other backends take it from the output. */
    double scale;
    const char *title;  /* window title (Wayland), may be NULL */
    const char *app_id; /* xdg app id (Wayland), may be NULL ("kons") */
    /* Backend-specific place: Wayland display name (NULL = $WAYLAND_DISPLAY), DRM card
     * path (NULL = "/dev/dri/card0"), unused for headless. */
    const char *device;
    uint32_t flags; /* DRV_DISPLAY_* */
} drv_display_config;

/* Events from the display to its client. Any member may be NULL. `data` is passed back. */
typedef struct drv_display_listener {
    void *data;
    /* The logical size and the output scale (device pixels per logical pixel; 1, 2, or
     * fractional such as 1.25). Called once from the first dispatch after open (so the
     * client learns the real size) and whenever either changes (window resized by the
     * compositor, moved to an output with another scale, KMS mode change). After it,
     * the next begin_frame hands out a buffer of the new size with age 0. */
    void (*configure)(void *data, int32_t width, int32_t height, double scale);
    /* The user asked to close the window (xdg_toplevel.close). The client decides. */
    void (*close_requested)(void *data);
    /* The last submitted frame is on screen / a new frame may be drawn now.
     * time_ns: presentation time (CLOCK_MONOTONIC) when known, else 0. */
    void (*frame_done)(void *data, uint64_t time_ns);
    /* The display is gone for good (compositor exited, DRM device removed). `why` is a
     * sentence for the user. After it every call fails with -ENODEV except close; the
     * client should close the display and exit (or recover) cleanly. */
    void (*lost)(void *data, const char *why);
} drv_display_listener;

/* What begin_frame hands out. */
typedef struct drv_display_frame {
    /* An image surface over the buffer (CAIRO_FORMAT_ARGB32 or RGB24), device scale
     * already set to `scale`: draw in logical pixels. Owned by the backend; valid until
     * end_frame. Do not destroy it. */
    cairo_surface_t *surface;
    int32_t width, height; /* device pixels */
    double scale;          /* device pixels per logical pixel */
    /* 0: contents undefined; n >= 1: the buffer holds the frame submitted n frames ago. */
    int age;
} drv_display_frame;

typedef struct drv_display_ops {
    const char *name; /* "headless", "wayland", "kms" */

    /* Opens the display. On success *out is set and 0 returned; on failure a negative
     * errno is returned and err->msg says why in words. `listener` is copied. */
    int (*open)(const drv_display_config *config, const drv_display_listener *listener,
                drv_display **out, drv_display_err *err);
    /* Releases everything (also after `lost`). NULL is allowed. */
    void (*close)(drv_display *d);

    /* A file descriptor to poll for readability (EPOLLIN) in the client's event loop,
     * or -1 when the backend needs no polling. When it is readable, call dispatch. */
    int (*get_fd)(drv_display *d);
    /* Reads and handles pending events without blocking, calling the listener. Returns
     * 0, or a negative errno when the display is gone (the listener's `lost` has then
     * been called). Also to be called once right after open, before the first frame. */
    int (*dispatch)(drv_display *d);

    /* See the frame cycle above. begin_frame returns -EAGAIN when no buffer is free. */
    int (*begin_frame)(drv_display *d, drv_display_frame *frame);
    int (*end_frame)(drv_display *d, const drv_rect *damage, int ndamage);

    /* Optional (may be NULL): writes the last submitted frame as a PNG file (device
     * pixels). Headless implements it; used for --screenshot. */
    int (*write_png)(drv_display *d, const char *path, drv_display_err *err);
    /* Optional (may be NULL): the last submitted frame as an image surface the caller
     * must cairo_surface_destroy (a reference or a copy). For tests and screenshots. */
    cairo_surface_t *(*snapshot)(drv_display *d);

    /* Optional (may be NULL): a backend-native handle by name, for a driver that must
     * share the connection: "wl_display" (struct wl_display *), "wl_surface",
     * "drm_fd" (an int cast through intptr_t). NULL when unknown. The Wayland seat input
     * driver uses it to listen on the display's connection. */
    void *(*native)(drv_display *d, const char *what);
} drv_display_ops;

/* The backends, each defined by its folder under drivers/display/ when built. */
extern const drv_display_ops drv_display_headless_ops;
extern const drv_display_ops drv_display_wayland_ops;
extern const drv_display_ops drv_display_kms_ops;

/* The registry (drivers/display/registry.c): the backend called `name`, or NULL.
 * drv_display_known says whether `name` is a backend Kons knows at all (so a caller can
 * tell "not built in this binary" from "no such backend"). drv_display_names lists the
 * built backends, separated by ", ", for messages. */
const drv_display_ops *drv_display_lookup(const char *name);
int drv_display_known(const char *name);
const char *drv_display_names(void);

/* Headless only: the surface of the last submitted frame (no reference taken), for
 * tests that inspect pixels without a copy. NULL before the first frame. */
cairo_surface_t *drv_headless_surface(drv_display *d);

#ifdef __cplusplus
}
#endif

#endif
