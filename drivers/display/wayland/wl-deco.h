/* wl-deco.h: how the Wayland seat input (drivers/input/wayland) reaches the title bar the
 * Wayland display draws itself when the compositor does not decorate windows (private to
 * the two Wayland backends; obtained with drv_display_ops.native(d, "kons_wl_deco")). */
#ifndef KONS_DRV_WL_DECO_H
#define KONS_DRV_WL_DECO_H

#include <stdint.h>

#include <wayland-client.h>

#include "drv/display.h"

struct drv_wl_deco {
    drv_display *display;
    /* The title bar's surface, or NULL when there is none (server-side decorations, or
     * full screen). Pointer events on it are the title bar's, not the client's. */
    struct wl_surface *(*surface)(drv_display *d);
    /* A button press at (x, y), logical pixels in the title bar: the close box asks the
     * client to close, a left press elsewhere moves the window (double click: maximize
     * or restore; time_ms is the event's time), a right press opens the compositor's window menu. */
    void (*press)(drv_display *d, struct wl_seat *seat, uint32_t serial, uint32_t time_ms,
                  uint32_t button, double x, double y);
    /* The window's current scale (device pixels per logical pixel), for the cursor. */
    double (*scale)(drv_display *d);
};

#endif
