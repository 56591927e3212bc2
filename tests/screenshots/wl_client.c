/* wl_client.c: a small real client of the Wayland display and seat drivers, for the tests
 * that run inside Weston (tests/screenshots/weston_test.py). It draws a fixed picture with
 * Cairo (no text: fonts are the presentation layer's business), prints what happens on
 * stdout, one line per fact, and exits cleanly with a message when the compositor goes
 * away.
 *   wl_client [--size WxH] [--fullscreen] [--frames N]
 * stdout: "configure W H SCALE", "shown N" after the N-th frame is on screen, "input ..."
 * for each input event, "close requested". Exit: 0 on close request, 3 when the
 * compositor went away (with "wl_client: <why>" on stderr), 1 on other errors. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drv/display.h"
#include "drv/input.h"

struct app {
    const drv_display_ops *dops;
    drv_display *d;
    int32_t w, h;
    double scale;
    int frames_wanted, frames_drawn, frames_shown;
    int can_draw, need_draw, done, status;
};

static void draw(struct app *a)
{
    drv_display_frame f;
    int e = a->dops->begin_frame(a->d, &f);
    if (e == -EAGAIN)
        return;
    if (e < 0) {
        fprintf(stderr, "wl_client: begin_frame: %s\n", strerror(-e));
        a->done = 1, a->status = 1;
        return;
    }
    cairo_t *cr = cairo_create(f.surface);
    /* Logical coordinates: the backend set the device scale. */
    cairo_set_source_rgb(cr, 0.93, 0.91, 0.86);
    cairo_paint(cr);
    cairo_set_source_rgb(cr, 0.20, 0.33, 0.55);
    cairo_rectangle(cr, 0, 0, a->w, 28);
    cairo_fill(cr);
    static const double col[4][3] = {{0.8, 0.2, 0.2}, {0.2, 0.6, 0.3}, {0.9, 0.7, 0.1}, {0.4, 0.3, 0.7}};
    for (int i = 0; i < 4; i++) {
        cairo_set_source_rgb(cr, col[i][0], col[i][1], col[i][2]);
        cairo_rectangle(cr, 40 + i * 90, 70, 70, 70);
        cairo_fill(cr);
    }
    cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
    cairo_set_line_width(cr, 4);
    cairo_arc(cr, a->w / 2.0, a->h / 2.0 + 60, 50, 0, 6.283185307179586);
    cairo_stroke(cr);
    cairo_rectangle(cr, 2, 2, a->w - 4, a->h - 4);   /* the frame shows the size is right */
    cairo_stroke(cr);
    cairo_destroy(cr);
    a->dops->end_frame(a->d, NULL, 0);
    a->frames_drawn++;
    a->can_draw = 0;
    a->need_draw = a->frames_drawn < a->frames_wanted;
}

static void on_configure(void *data, int32_t w, int32_t h, double scale)
{
    struct app *a = data;
    a->w = w, a->h = h, a->scale = scale;
    printf("configure %d %d %g\n", w, h, scale);
    a->need_draw = 1;
}

static void on_close(void *data)
{
    struct app *a = data;
    printf("close requested\n");
    a->done = 1;
}

static void on_frame(void *data, uint64_t t)
{
    struct app *a = data;
    a->can_draw = 1;
    printf("shown %d\n", ++a->frames_shown);
}

static void on_lost(void *data, const char *why)
{
    struct app *a = data;
    fprintf(stderr, "wl_client: %s\n", why);
    a->done = 1, a->status = 3;
}

static void on_input(void *data, const drv_input_event *ev)
{
    switch (ev->type) {
    case DRV_INPUT_DEVICE_ADDED: printf("input device-added %s\n", ev->dev.name); break;
    case DRV_INPUT_DEVICE_REMOVED: printf("input device-removed %s\n", ev->dev.name); break;
    case DRV_INPUT_KEY:
        printf("input key %u sym %#x state %u text \"%s\"\n", ev->key.keycode, ev->key.keysym,
               ev->key.state, ev->key.text);
        break;
    case DRV_INPUT_POINTER_ABSOLUTE: printf("input pointer %.1f %.1f\n", ev->absolute.x, ev->absolute.y); break;
    case DRV_INPUT_POINTER_BUTTON: printf("input button %#x %u\n", ev->button.button, ev->button.state); break;
    case DRV_INPUT_POINTER_AXIS: printf("input axis %.1f %.1f\n", ev->axis.dx, ev->axis.dy); break;
    case DRV_INPUT_KEYBOARD_FOCUS: printf("input focus %d\n", ev->focus.focused); break;
    default: printf("input event %d\n", ev->type); break;
    }
}

static void on_input_lost(void *data, const char *why)
{
    fprintf(stderr, "wl_client: input: %s\n", why);
}

int main(int argc, char **argv)
{
    struct app a = {.frames_wanted = 2};
    drv_display_config cfg = {.width = 640, .height = 480, .title = "Kons wl_client"};
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--size") && i + 1 < argc &&
            sscanf(argv[i + 1], "%dx%d", &cfg.width, &cfg.height) == 2)
            i++;
        else if (!strcmp(argv[i], "--fullscreen"))
            cfg.flags |= DRV_DISPLAY_FULLSCREEN;
        else if (!strcmp(argv[i], "--frames") && i + 1 < argc)
            a.frames_wanted = atoi(argv[++i]);
        else {
            fprintf(stderr, "usage: wl_client [--size WxH] [--fullscreen] [--frames N]\n");
            return 1;
        }
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    a.dops = drv_display_lookup("wayland");
    const drv_input_ops *iops = drv_input_lookup("wayland");
    if (!a.dops || !iops) {
        fprintf(stderr, "wl_client: the Wayland backends are not built\n");
        return 1;
    }
    drv_display_listener dl = {.data = &a, .configure = on_configure, .close_requested = on_close,
                               .frame_done = on_frame, .lost = on_lost};
    drv_display_err derr;
    int e = a.dops->open(&cfg, &dl, &a.d, &derr);
    if (e < 0) {
        fprintf(stderr, "wl_client: %s\n", derr.msg);
        return 1;
    }
    drv_input_config icfg = {.display = a.d, .display_ops = a.dops};
    drv_input_listener il = {.data = &a, .event = on_input, .lost = on_input_lost};
    drv_input *in = NULL;
    drv_input_err ierr;
    if (iops->open(&icfg, &il, &in, &ierr) < 0) {
        fprintf(stderr, "wl_client: %s\n", ierr.msg);
        a.dops->close(a.d);
        return 1;
    }
    a.can_draw = 1;
    a.dops->dispatch(a.d);
    iops->dispatch(in);
    while (!a.done) {
        if (a.need_draw && a.can_draw)
            draw(&a);
        struct pollfd p[2] = {{.fd = a.dops->get_fd(a.d), .events = POLLIN},
                              {.fd = iops->get_fd(in), .events = POLLIN}};
        if (poll(p, 2, 1000) < 0 && errno != EINTR)
            break;
        a.dops->dispatch(a.d);
        iops->dispatch(in);
    }
    iops->close(in);
    a.dops->close(a.d);
    return a.status;
}
