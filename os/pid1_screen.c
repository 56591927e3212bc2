/* os/pid1_screen.c: a fatal message on the screen, drawn by PID 1 itself through the KMS
 * display driver (the desktop is gone, so the DRM device is free again). Best effort: when
 * the display is the reason, the message is on the serial console and in the kernel log
 * (which fbcon shows) only. The display stays open so that the message stays up. */
#include <stdio.h>
#include <string.h>

#include <cairo.h>

#include "drv/display.h"
#include "os_pid1.h"

static drv_display *screen_d;

/* Draws `text` word-wrapped into width w from (x, *y), advancing *y. */
static void screen_wrap(cairo_t *cr, const char *text, double x, double *y, double w, double lh)
{
    char line[1024] = "", word[256];
    const char *p = text;
    while (*p) {
        size_t n = strcspn(p, " ");
        if (n >= sizeof word)
            n = sizeof word - 1;
        memcpy(word, p, n);
        word[n] = 0;
        p += n;
        while (*p == ' ')
            p++;
        char trial[1300];
        snprintf(trial, sizeof trial, "%s%s%s", line, line[0] ? " " : "", word);
        cairo_text_extents_t ext;
        cairo_text_extents(cr, trial, &ext);
        if (ext.x_advance > w && line[0]) {
            cairo_move_to(cr, x, *y);
            cairo_show_text(cr, line);
            *y += lh;
            snprintf(line, sizeof line, "%s", word);
        } else {
            snprintf(line, sizeof line, "%.1000s", trial);
        }
    }
    if (line[0]) {
        cairo_move_to(cr, x, *y);
        cairo_show_text(cr, line);
        *y += lh;
    }
}

void os_pid1_show_fatal(const char *msg)
{
    const drv_display_ops *ops = drv_display_lookup("kms");
    if (!ops)
        return;
    drv_display_err err;
    drv_display_config cfg = {0};
    if (!screen_d && ops->open(&cfg, NULL, &screen_d, &err) != 0) {
        os_pid1_log("cannot show the error on the screen: %s", err.msg);
        screen_d = NULL;
        return;
    }
    ops->dispatch(screen_d);
    drv_display_frame f;
    if (ops->begin_frame(screen_d, &f) != 0)
        return;
    cairo_t *cr = cairo_create(f.surface);
    cairo_set_source_rgb(cr, 0.45, 0.05, 0.05);
    cairo_paint(cr);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
    double size = f.height / 30.0 < 14 ? 14 : f.height / 30.0;
    cairo_set_font_size(cr, size * 1.4);
    double x = size * 2, y = size * 4, w = f.width - 4 * size;
    screen_wrap(cr, "Kons stopped", x, &y, w, size * 2.2);
    cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, size);
    y += size;
    screen_wrap(cr, msg, x, &y, w, size * 1.5);
    y += size;
    screen_wrap(cr, "Ctrl-Alt-Delete reboots. Ctrl-Alt-End or the power button powers off.",
                x, &y, w, size * 1.5);
    cairo_destroy(cr);
    ops->end_frame(screen_d, NULL, 0);
}
