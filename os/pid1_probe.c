/* os/pid1_probe.c: `kons-probe`, a stand-in desktop for the image's PID-1 init, the KMS
 * display and libinput without the presentation engine (tests/qemu 'init', bring-up).
 *
 * As PID 1 it runs os_init_pid1(). Its "desktop" opens the display and input named by
 * --display= and --input= (the init passes kms and libinput), draws a blue screen with the
 * text typed so far, and reports on stderr (the serial console): the first frame, each
 * key with its text, pointer buttons and positions, device arrival and removal. Typing
 * "poweroff" and Return asks PID 1 to power off; so does kons.probe=poweroff on the
 * kernel command line, right after the first frame; kons.probe=crash aborts there (to
 * test PID 1's fatal-error screen).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "drv/display.h"
#include "drv/input.h"
#include "os/init.h"

struct probe {
    const drv_display_ops *dops;
    drv_display *d;
    const drv_input_ops *iops;
    drv_input *in;
    int32_t w, h;
    int dirty, can_draw, frames;
    char line[256];
    double px, py;
    int poweroff_after_frame, crash_after_frame;
};

static double probe_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void probe_configure(void *data, int32_t w, int32_t h, double scale)
{
    struct probe *p = data;
    (void)scale;
    p->w = w;
    p->h = h;
    p->dirty = 1;
    if (p->in && p->iops->set_output_size)
        p->iops->set_output_size(p->in, w, h);
}

static void probe_frame_done(void *data, uint64_t t)
{
    struct probe *p = data;
    (void)t;
    p->can_draw = 1;
}

static void probe_lost(void *data, const char *why)
{
    (void)data;
    fprintf(stderr, "kons-probe: display lost: %s\n", why);
    exit(1);
}

static void probe_event(void *data, const drv_input_event *ev)
{
    struct probe *p = data;
    switch (ev->type) {
    case DRV_INPUT_DEVICE_ADDED:
        fprintf(stderr, "kons-probe: device added: %s\n", ev->dev.name);
        break;
    case DRV_INPUT_DEVICE_REMOVED:
        fprintf(stderr, "kons-probe: device removed: %s\n", ev->dev.name);
        break;
    case DRV_INPUT_KEY:
        if (ev->key.state == DRV_KEY_RELEASED)
            break;
        fprintf(stderr, "kons-probe: key %u text \"%s\" mods %#x\n", ev->key.keycode,
                ev->key.text, ev->key.modifiers);
        if (ev->key.keysym == 0xff0d /* XKB_KEY_Return */) {
            if (strcmp(p->line, "poweroff") == 0)
                os_request_shutdown(0);
            p->line[0] = 0;
        } else if (ev->key.keysym == 0xff08 /* XKB_KEY_BackSpace */) {
            size_t n = strlen(p->line);
            if (n)
                p->line[n - 1] = 0;
        } else if ((unsigned char)ev->key.text[0] >= ' ' && strlen(p->line) + strlen(ev->key.text) < sizeof p->line) {
            strcat(p->line, ev->key.text);
        }
        p->dirty = 1;
        break;
    case DRV_INPUT_POINTER_ABSOLUTE:
        p->px = ev->absolute.x;
        p->py = ev->absolute.y;
        p->dirty = 1;
        break;
    case DRV_INPUT_POINTER_MOTION:
        p->px += ev->motion.dx;
        p->py += ev->motion.dy;
        p->dirty = 1;
        break;
    case DRV_INPUT_POINTER_BUTTON:
        fprintf(stderr, "kons-probe: button %#x %s at %.0f,%.0f\n", ev->button.button,
                ev->button.state ? "pressed" : "released", p->px, p->py);
        break;
    default:
        break;
    }
}

static void probe_draw(struct probe *p)
{
    drv_display_frame f;
    if (p->dops->begin_frame(p->d, &f) != 0)
        return;
    double t0 = probe_now();
    cairo_t *cr = cairo_create(f.surface);
    cairo_set_source_rgb(cr, 0.10, 0.20, 0.45);
    cairo_paint(cr);
    double t1 = probe_now();
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, 28);
    cairo_move_to(cr, 40, 60);
    cairo_show_text(cr, "kons-probe: KMS and libinput");
    cairo_move_to(cr, 40, 120);
    cairo_show_text(cr, "> ");
    cairo_show_text(cr, p->line);
    cairo_rectangle(cr, p->px - 4, p->py - 4, 8, 8);
    cairo_fill(cr);
    cairo_destroy(cr);
    double t2 = probe_now();
    p->dops->end_frame(p->d, NULL, 0);
    if (p->frames == 0)
        fprintf(stderr, "kons-probe: paint %.0f ms, text %.0f ms, submit %.0f ms\n", (t1 - t0) * 1e3,
                (t2 - t1) * 1e3, (probe_now() - t2) * 1e3);
    p->can_draw = 0;
    p->dirty = 0;
    if (p->frames++ == 0) {
        fprintf(stderr, "kons-probe: first frame (%.3f s after boot)\n", probe_now());
        if (p->poweroff_after_frame)
            os_request_shutdown(0);
        if (p->crash_after_frame) {
            fprintf(stderr, "kons-probe: crashing on purpose (kons.probe=crash)\n");
            abort();
        }
    }
}

int main(int argc, char **argv)
{
    if (getpid() == 1)
        os_init_pid1(&argc, &argv);
    const char *dname = "headless", *iname = "synthetic";
    for (int i = 1; i < argc; i++) {
        if (strncmp(argv[i], "--display=", 10) == 0)
            dname = argv[i] + 10;
        else if (strncmp(argv[i], "--input=", 8) == 0)
            iname = argv[i] + 8;
    }
    struct probe p = {.can_draw = 1};
    const char *store = os_store_device();
    fprintf(stderr, "kons-probe: desktop stand-in running with --display=%s --input=%s; store %s\n",
            dname, iname, store ? store : "(none)");
    char cmdline[4096] = {0};
    FILE *f = fopen("/proc/cmdline", "re");
    if (f) {
        if (!fgets(cmdline, sizeof cmdline, f))
            cmdline[0] = 0;
        fclose(f);
    }
    p.poweroff_after_frame = strstr(cmdline, "kons.probe=poweroff") != NULL;
    p.crash_after_frame = strstr(cmdline, "kons.probe=crash") != NULL;
    p.dops = drv_display_lookup(dname);
    p.iops = drv_input_lookup(iname);
    if (!p.dops || !p.iops) {
        fprintf(stderr, "kons-probe: no display %s or input %s in this build\n", dname, iname);
        return 2;
    }
    drv_display_listener dl = {.data = &p, .configure = probe_configure,
                               .frame_done = probe_frame_done, .lost = probe_lost};
    drv_display_err derr;
    drv_display_config dc = {0};
    if (p.dops->open(&dc, &dl, &p.d, &derr) != 0) {
        fprintf(stderr, "kons-probe: %s\n", derr.msg);
        return 1;
    }
    fprintf(stderr, "kons-probe: display open (%.3f s after boot)\n", probe_now());
    drv_input_listener il = {.data = &p, .event = probe_event};
    drv_input_err ierr;
    drv_input_config ic = {0};
    if (p.iops->open(&ic, &il, &p.in, &ierr) != 0) {
        fprintf(stderr, "kons-probe: %s\n", ierr.msg);
        return 1;
    }
    p.dops->dispatch(p.d);
    fprintf(stderr, "kons-probe: display and input open (%.3f s after boot)\n", probe_now());
    for (;;) {
        if (p.dirty && p.can_draw)
            probe_draw(&p);
        struct pollfd fds[2] = {{.fd = p.dops->get_fd(p.d), .events = POLLIN},
                                {.fd = p.iops->get_fd(p.in), .events = POLLIN}};
        if (poll(fds, 2, -1) < 0 && errno != EINTR)
            return 1;
        if (fds[0].revents && p.dops->dispatch(p.d) != 0)
            return 1;
        if (fds[1].revents)
            p.iops->dispatch(p.in);
    }
}
