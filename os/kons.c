/* os/kons.c: the `kons` desktop: picks the display and input drivers, builds the demo
 * desktop on the presentation engine, runs the event loop, and runs scenarios.
 *
 *   kons [--display=headless|wayland|kms] [--input=synthetic|wayland|libinput]
 *        [--size=WxH] [--scale=S] [--scenario=FILE] [--screenshot=OUT.png]
 *        [--output-dir=DIR] [--double-buffer] [--check-damage] [--report-frames]
 *        [--fullscreen] [--run]
 *
 * --double-buffer makes the headless display alternate two buffers (buffer age 2, as
 * KMS and Wayland); --check-damage compares every frame drawn from damage with a full
 * redraw and fails on any difference (the screenshot tests use both). --report-frames
 * prints "shown N" on stdout when the N-th frame is on screen (for test drivers).
 *
 * Flags take their value after '=' or as the next argument. Exit status: 0 success,
 * 1 a runtime failure (no display, a screenshot that cannot be written, display lost),
 * 2 a usage error (bad flag, malformed scenario).
 *
 * The demo application below is the stand-in for the Lisp applications of the "first
 * light" issue: it only reacts to the pr_events the engine queues (clicks on
 * presentations, keys, close boxes), exactly as the Lisp side will. */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <xkbcommon/xkbcommon-keysyms.h>

#include "drv/display.h"
#include "drv/input.h"
#include "pr/desktop.h"
#include "pr/editor.h"
#include "pr/loop.h"
#include "pr/output.h"
#include "pr/scenario.h"
#include "os/init.h"

/* Presentation types of the demo (the Lisp side will own this numbering). */
enum { T_EXPR = 1, T_DOCUMENT, T_SYMBOL, T_COLOR, T_PALETTE };

/* The demo's object table: a presentation's object is an index into it (handle). */
typedef struct obj {
    int type;
    const char *printed;
    const char *about;
} obj;

static const obj objects[] = {
    {0, "", ""},
    {T_EXPR, "(1 2 3)", "a list of three fixnums"},
    {T_EXPR, "42", "the fixnum 42"},
    {T_DOCUMENT, "#<DOCUMENT \"Ozymandias\">", "a poem by Percy Bysshe Shelley, genre :poem"},
    {T_DOCUMENT, "#<DOCUMENT \"Notes on CLOSOS\">", "a text document, category :notes"},
    {T_SYMBOL, "LISP", "the symbol LISP in package KONS-USER"},
    {T_SYMBOL, "PRESENTATION", "the symbol PRESENTATION in package CLIM"},
    {T_COLOR, "#<COLOR #3465A4>", "a blue"},
    {T_COLOR, "#<COLOR #CC0000>", "a red"},
    {T_COLOR, "#<COLOR #73D216>", "a green"},
    {T_COLOR, "#<COLOR #EDD400>", "a yellow"},
    {T_PALETTE, "#<PALETTE TANGO>", "a palette of four colours"},
    {T_EXPR, "\"hello\"", "a string"},
};
#define NOBJ (sizeof objects / sizeof *objects)

typedef struct app {
    const drv_display_ops *dops;
    drv_display *disp;
    const drv_input_ops *iops;
    drv_input *in;
    pr_loop *loop;
    pr_text *text;
    pr_desktop *desk;
    int configured;
    int32_t cw, ch;
    double cscale;
    int frame_pending;
    int quit;
    int exit_code;
    int s_mono, s_bold, s_gray, s_serif, s_big, s_result;
    pr_window *listener_win;
    pr_pane *listener;
    pr_editor *ed;
    pr_rec_id ed_rec;
    int evals;
    int devices_lost; /* input devices removed and not back */
    int check_damage;  /* after every frame, compare it with a full redraw */
    int frames;
    int report_frames, frames_shown;
} app;

static void die_usage(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("kons: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputs("\n", stderr);
    va_end(ap);
    exit(2);
}

/* ---- the demo desktop ---- */

static void present(pr_output *o, int handle, int style)
{
    int old = pr_output_style(o);
    pr_output_begin(o, handle, (uint16_t)objects[handle].type);
    pr_output_set_style(o, style);
    pr_output_write(o, objects[handle].printed, strlen(objects[handle].printed));
    pr_output_set_style(o, old);
    pr_output_end(o);
}

static void say(pr_output *o, int style, const char *s)
{
    int old = pr_output_style(o);
    pr_output_set_style(o, style);
    pr_output_write(o, s, strlen(s));
    pr_output_set_style(o, old);
}

static void listener_prompt(app *a)
{
    pr_output_set_style(pr_pane_output(a->listener), a->s_mono);
    a->ed_rec = pr_pane_add_editor(a->listener, a->ed);
    pr_pane_scroll_to_end(a->listener);
}

/* Takes the input line away so that new output goes where it was. */
static void reopen_listener(app *a, pr_output *o)
{
    const pr_rec *r = pr_output_rec(o, a->ed_rec);
    double y = r ? r->box.y0 : 0;
    pr_output_truncate(o, a->ed_rec, NULL);
    pr_output_set_cursor(o, 6, y);
}

static void build_listener(app *a, double x, double y, double w, double h)
{
    a->listener_win = pr_window_new(a->desk, "Listener", x, y, w, h);
    a->listener = pr_pane_new(a->listener_win, 0, 0xfcfcf8ff);
    pr_output *o = pr_pane_output(a->listener);
    pr_output_set_style(o, a->s_mono);
    say(o, a->s_big, "Kons\n");
    say(o, a->s_gray, "A Lisp workstation (demo desktop). ");
    say(o, a->s_gray, "Everything below is a presentation: point at it, click it.\n\n");
    say(o, a->s_mono, "> (list 1 2 3)\n");
    present(o, 1, a->s_result);
    say(o, a->s_mono, "\n> (* 6 7)\n");
    present(o, 2, a->s_result);
    say(o, a->s_mono, "\n> (find-documents :genre :poem)\n(");
    present(o, 3, a->s_result);
    say(o, a->s_mono, " ");
    present(o, 4, a->s_result);
    say(o, a->s_mono, ")\n> 'lisp\n");
    present(o, 5, a->s_result);
    pr_output_newline(o);
    pr_editor_set_prompt(a->ed, "> ");
    listener_prompt(a);
    pr_pane_focus(a->listener);
}

static void build_document(app *a, double x, double y, double w, double h)
{
    pr_window *win = pr_window_new(a->desk, "Notes on CLOSOS", x, y, w, h);
    pr_pane *p = pr_pane_new(win, 0, 0xffffffff);
    pr_output *o = pr_pane_output(p);
    static const char *const para[] = {
        "A Lisp operating system has a single address space. ",
        "Objects are not copied into files: they live in the store, ",
        "and every object on the screen is a presentation of the object itself. ",
        "Click a word such as ",
    };
    char buf[64];
    for (int i = 1; i <= 60; i++) {
        snprintf(buf, sizeof buf, "%3d  ", i);
        say(o, a->s_gray, buf);
        say(o, a->s_serif, para[i % 4]);
        if (i % 4 == 3) {
            present(o, 5, a->s_bold);
            say(o, a->s_serif, " or ");
            present(o, 6, a->s_bold);
            say(o, a->s_serif, ".");
        }
        pr_output_newline(o);
    }
}

static cairo_surface_t *make_image(void)
{
    /* A small deterministic picture: a gradient disc, the way a document shows images. */
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 64, 64);
    cairo_t *cr = cairo_create(s);
    cairo_pattern_t *g = cairo_pattern_create_radial(24, 24, 4, 32, 32, 30);
    cairo_pattern_add_color_stop_rgb(g, 0, 1, 0.95, 0.6);
    cairo_pattern_add_color_stop_rgb(g, 1, 0.8, 0.3, 0.1);
    cairo_arc(cr, 32, 32, 30, 0, 2 * M_PI);
    cairo_set_source(cr, g);
    cairo_fill(cr);
    cairo_pattern_destroy(g);
    cairo_destroy(cr);
    return s;
}

static void build_shapes(app *a, double x, double y, double w, double h)
{
    pr_window *win = pr_window_new(a->desk, "Shapes", x, y, w, h);
    pr_pane *p = pr_pane_new(win, 0, 0xf4f4f4ff);
    pr_output *o = pr_pane_output(p);
    say(o, a->s_bold, "Palette (a presentation of presentations)\n");
    static const uint32_t colors[] = {0x3465a4ff, 0xcc0000ff, 0x73d216ff, 0xedd400ff};
    pr_output_begin(o, 11, T_PALETTE);
    pr_output_rect(o, 6, 26, 4 * 44 + 8, 52, 0x888888ff, 1);
    for (int i = 0; i < 4; i++) {
        pr_output_begin(o, 7 + i, T_COLOR);
        pr_output_rect(o, 12 + i * 44, 32, 40, 40, colors[i], 0);
        pr_output_end(o);
    }
    pr_output_end(o);
    for (int i = 0; i < 8; i++)
        pr_output_line(o, 200 + i * 8, 30, 200 + i * 8 + 30, 76, 0x555753ff, 1 + i % 3);
    cairo_surface_t *img = make_image();
    pr_output_image(o, 280, 24, img);
    cairo_surface_destroy(img);
    pr_output_set_cursor(o, 6, 96);
    say(o, a->s_gray, "Drag the title bar to move, the corner to resize.\n");
}

static void build_demo(app *a)
{
    int32_t W, H;
    pr_desktop_size(a->desk, &W, &H);
    double sx = W / 1024.0, sy = H / 768.0;
    build_document(a, 610 * sx, 60 * sy, 390 * sx, 640 * sy);
    build_shapes(a, 60 * sx, 470 * sy, 460 * sx, 240 * sy);
    build_listener(a, 30 * sx, 30 * sy, 560 * sx, 420 * sy);
    pr_typeset ts = {{0}};
    for (int t = T_EXPR; t <= T_PALETTE; t++)
        pr_typeset_add(&ts, (unsigned)t);
    pr_desktop_set_sensitive(a->desk, &ts);
}

/* The listener "evaluates" its line: echoes it and presents what it refers to. */
static void listener_activate(app *a)
{
    pr_output *o = pr_pane_output(a->listener);
    reopen_listener(a, o);
    size_t len;
    const char *line = pr_editor_display_text(a->ed, &len);
    say(o, a->s_mono, "> ");
    pr_output_set_style(o, a->s_mono);
    pr_output_write(o, line, len);
    pr_output_newline(o);
    int refs = 0;
    for (size_t i = 0; i < pr_editor_length(a->ed); i++) {
        pr_editor_ref r;
        if (pr_editor_cell(a->ed, i, NULL, &r) && r.object > 0 && (size_t)r.object < NOBJ) {
            if (refs++)
                say(o, a->s_mono, " ");
            present(o, (int)r.object, a->s_result);
        }
    }
    if (!refs && len) {
        /* Plain text reads as a string: show it as one (a fresh string presentation). */
        pr_output_begin(o, 12, T_EXPR);
        pr_output_set_style(o, a->s_result);
        say(o, a->s_result, "\"");
        pr_output_write(o, line, len);
        say(o, a->s_result, "\"");
        pr_output_end(o);
    }
    pr_output_newline(o);
    pr_editor_clear(a->ed);
    a->evals++;
    listener_prompt(a);
}

static void describe(app *a, const pr_hit *h)
{
    if (h->object <= 0 || (size_t)h->object >= NOBJ)
        return;
    pr_output *o = pr_pane_output(a->listener);
    reopen_listener(a, o);
    present(o, (int)h->object, a->s_result);
    say(o, a->s_gray, " is ");
    say(o, a->s_gray, objects[h->object].about);
    pr_output_newline(o);
    listener_prompt(a);
}

static void handle_events(app *a)
{
    pr_event ev;
    while (pr_desktop_next_event(a->desk, &ev)) {
        switch (ev.type) {
        case PR_EV_KEY:
            if (ev.input.key.state == DRV_KEY_RELEASED)
                break;
            if ((ev.input.key.modifiers & DRV_MOD_CTRL) && ev.input.key.keysym == XKB_KEY_q) {
                a->quit = 1;
                break;
            }
            if (a->listener && ev.pane == pr_pane_id(a->listener)) {
                if (pr_editor_handle_key(a->ed, &ev.input) == PR_EDITOR_ACTIVATE)
                    listener_activate(a);
            }
            break;
        case PR_EV_BUTTON:
            if (ev.input.button.state != DRV_BUTTON_PRESSED || !a->listener)
                break;
            if (ev.hit.record == PR_NONE) {
                /* A click on the input line puts its cursor there. */
                const pr_rec *r = pr_output_rec(pr_pane_output(a->listener), a->ed_rec);
                if (ev.pane == pr_pane_id(a->listener) && r && ev.x >= r->box.x0 &&
                    ev.x < r->box.x1 && ev.y >= r->box.y0 && ev.y < r->box.y1)
                    pr_editor_set_cursor(a->ed, pr_editor_index_at(a->ed, a->text, r->style,
                                                                    ev.x - r->box.x0), 0);
                break;
            }
            if (ev.input.button.button == DRV_BTN_LEFT) {
                /* As CLIM's accept: a click on a presentation gives its object as input. */
                if (ev.hit.object > 0 && (size_t)ev.hit.object < NOBJ)
                    pr_editor_insert_object(a->ed, ev.hit.object, ev.hit.type,
                                            objects[ev.hit.object].printed);
                pr_pane_focus(a->listener);
            } else if (ev.input.button.button == DRV_BTN_RIGHT) {
                describe(a, &ev.hit);
            }
            break;
        case PR_EV_CLOSE: {
            pr_window *w = pr_desktop_window(a->desk, ev.window);
            if (w == a->listener_win) {
                a->listener_win = NULL;
                a->listener = NULL;
            }
            if (w)
                pr_window_destroy(w);
            break;
        }
        case PR_EV_DEVICE:
            /* Devices present at start are not news; a removal (and a later return) is. */
            if (ev.input.type == DRV_INPUT_DEVICE_REMOVED) {
                fprintf(stderr, "kons: input device %u was removed; carrying on\n",
                        ev.input.device);
                a->devices_lost++;
            } else if (a->devices_lost) {
                fprintf(stderr, "kons: input device %u is back\n", ev.input.device);
                a->devices_lost--;
            }
            break;
        case PR_EV_QUIT:
            a->quit = 1;
            break;
        default:
            break;
        }
    }
}

/* ---- drivers and the loop ---- */

static void on_configure(void *data, int32_t w, int32_t h, double scale)
{
    app *a = data;
    a->configured = 1;
    a->cw = w;
    a->ch = h;
    a->cscale = scale;
    if (a->desk)
        pr_desktop_resize(a->desk, w, h);
    if (a->iops && a->iops->set_output_size && a->in)
        a->iops->set_output_size(a->in, w, h);
}

static void on_close(void *data)
{
    app *a = data;
    a->quit = 1;
}

static void on_frame_done(void *data, uint64_t t)
{
    (void)t;
    app *a = data;
    if (a->frame_pending && a->report_frames) {
        /* For test drivers (tests/screenshots/weston_test.py waits for "shown 2"). */
        printf("shown %d\n", ++a->frames_shown);
        fflush(stdout);
        /* Draw the first frame once more, so that a driver waiting for "shown 2" knows
         * the first one is on screen whatever the compositor's buffer handling. */
        if (a->frames_shown == 1 && a->desk)
            pr_desktop_damage_all(a->desk);
    }
    a->frame_pending = 0;
}

static void on_lost(void *data, const char *why)
{
    app *a = data;
    fprintf(stderr, "kons: the display is gone: %s\n", why);
    a->quit = 1;
    a->exit_code = 1;
}

static void on_input(void *data, const drv_input_event *ev)
{
    app *a = data;
    if (a->desk)
        pr_desktop_input(a->desk, ev);
}

static void on_input_lost(void *data, const char *why)
{
    app *a = data;
    /* Input going away is not fatal: the desktop stays up and can be closed otherwise. */
    fprintf(stderr, "kons: input is gone: %s\n", why);
    if (a->iops && a->in) {
        int fd = a->iops->get_fd(a->in);
        if (fd >= 0)
            pr_loop_remove_fd(a->loop, fd);
    }
}

static void display_readable(void *data, int fd)
{
    (void)fd;
    app *a = data;
    if (a->dops->dispatch(a->disp) < 0) {
        pr_loop_remove_fd(a->loop, fd);
        a->quit = 1;
        if (!a->exit_code)
            a->exit_code = 1;
    }
}

static void input_readable(void *data, int fd)
{
    app *a = data;
    if (a->iops->dispatch(a->in) < 0)
        pr_loop_remove_fd(a->loop, fd);
}

static void signal_readable(void *data, int fd)
{
    struct signalfd_siginfo si;
    if (read(fd, &si, sizeof si) > 0) {
        fprintf(stderr, "kons: %s, quitting\n", strsignal((int)si.ssi_signo));
        ((app *)data)->quit = 1;
    }
}

/* --check-damage: the frame drawn from damage alone must equal a full redraw;
 * otherwise some change did not damage its rectangle (or the buffer age logic is
 * wrong). Writes both images next to each other for a look. */
static int channel_diff(uint32_t p, uint32_t q)
{
    int m = 0;
    for (int c = 0; c < 24; c += 8) {
        int d = abs((int)((p >> c) & 0xff) - (int)((q >> c) & 0xff));
        m = d > m ? d : m;
    }
    return m;
}

/* Cairo composites antialiased edges through a clip with slightly different rounding
 * (off by 1-2 levels), so only differences above 8 levels count: a missed damage
 * leaves stale pixels, which differ far more. */
static int check_frame(app *a)
{
    cairo_surface_t *got = a->dops->snapshot ? a->dops->snapshot(a->disp) : NULL;
    if (!got)
        return 0;
    int w = cairo_image_surface_get_width(got), h = cairo_image_surface_get_height(got);
    cairo_surface_t *want = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);
    cairo_surface_set_device_scale(want, a->cscale, a->cscale);
    cairo_t *cr = cairo_create(want);
    pr_desktop_draw_all(a->desk, cr);
    cairo_destroy(cr);
    cairo_surface_flush(want);
    cairo_surface_flush(got);
    long bad = 0;
    int bx = 0, by = 0;
    for (int y = 0; y < h; y++) {
        const uint32_t *p = (const uint32_t *)(cairo_image_surface_get_data(got) +
                                               y * cairo_image_surface_get_stride(got));
        const uint32_t *q = (const uint32_t *)(cairo_image_surface_get_data(want) +
                                               y * cairo_image_surface_get_stride(want));
        for (int x = 0; x < w; x++)
            if (channel_diff(p[x], q[x]) > 8) {
                if (!bad++) {
                    bx = x;
                    by = y;
                }
            }
    }
    if (bad) {
        fprintf(stderr, "kons: damage check failed at frame %d: %ld pixels differ from a full "
                "redraw, the first at (%d,%d); see kons-damage-got.png and "
                "kons-damage-want.png\n", a->frames, bad, bx, by);
        cairo_surface_write_to_png(got, "kons-damage-got.png");
        cairo_surface_write_to_png(want, "kons-damage-want.png");
    }
    cairo_surface_destroy(want);
    cairo_surface_destroy(got);
    return bad ? -1 : 0;
}

/* After the loop ran: let the application take its events, then draw if needed. */
static void settle(app *a)
{
    handle_events(a);
    if (!a->frame_pending && pr_desktop_needs_frame(a->desk)) {
        int r = pr_desktop_render(a->desk, a->dops, a->disp);
        if (r == 0) {
            a->frame_pending = 1;
            a->frames++;
            if (a->check_damage && check_frame(a) < 0) {
                a->quit = 1;
                a->exit_code = 1;
            }
        }
        else if (r != -EAGAIN) {
            fprintf(stderr, "kons: drawing a frame failed: %s\n", strerror(-r));
            a->quit = 1;
            a->exit_code = 1;
        }
    }
}

static int idle(app *a)
{
    size_t pending = a->in && a->iops == &drv_input_synthetic_ops ? drv_synthetic_pending(a->in) : 0;
    return pending == 0 && pr_desktop_pending_events(a->desk) == 0 && !a->frame_pending &&
           !pr_desktop_needs_frame(a->desk);
}

/* Runs the loop until idle (or quit). Returns 0, or -ETIMEDOUT after 20 s. */
static int run_until_idle(app *a)
{
    uint64_t deadline = pr_now_us() + 20 * 1000000ull;
    settle(a);
    while (!a->quit && !idle(a)) {
        if (pr_now_us() > deadline)
            return -ETIMEDOUT;
        int r = pr_loop_run_once(a->loop, 100);
        if (r < 0)
            return r;
        settle(a);
    }
    return 0;
}

static int screenshot(app *a, const char *path)
{
    drv_display_err err;
    if (a->dops->write_png) {
        if (a->dops->write_png(a->disp, path, &err) < 0) {
            fprintf(stderr, "kons: %s\n", err.msg);
            return -1;
        }
        return 0;
    }
    cairo_surface_t *s = a->dops->snapshot ? a->dops->snapshot(a->disp) : NULL;
    if (!s) {
        fprintf(stderr, "kons: the %s display cannot take screenshots\n", a->dops->name);
        return -1;
    }
    cairo_status_t st = cairo_surface_write_to_png(s, path);
    cairo_surface_destroy(s);
    if (st != CAIRO_STATUS_SUCCESS) {
        fprintf(stderr, "kons: cannot write %s: %s\n", path, cairo_status_to_string(st));
        return -1;
    }
    return 0;
}

static int key_chord(app *a, const pr_step *st)
{
    uint32_t kc, need;
    if (drv_synthetic_keysym_key(a->in, st->text, &kc, &need) < 0) {
        fprintf(stderr, "kons: scenario line %d: no key of the keymap gives '%s'\n", st->line,
                st->text);
        return -1;
    }
    static const struct { uint32_t mod, key; } mk[] = {
        {DRV_MOD_CTRL, 29}, {DRV_MOD_SHIFT, 42}, {DRV_MOD_ALT, 56}, {DRV_MOD_SUPER, 125}};
    uint32_t mods = st->mods | need;
    for (size_t i = 0; i < 4; i++)
        if (mods & mk[i].mod)
            drv_synthetic_key(a->in, mk[i].key, 1);
    drv_synthetic_key(a->in, kc, 1);
    drv_synthetic_key(a->in, kc, 0);
    for (size_t i = 4; i-- > 0;)
        if (mods & mk[i].mod)
            drv_synthetic_key(a->in, mk[i].key, 0);
    return 0;
}

static int run_scenario(app *a, const pr_scenario *sc, const char *outdir)
{
    for (size_t i = 0; i < pr_scenario_count(sc) && !a->quit; i++) {
        const pr_step *st = pr_scenario_step(sc, i);
        switch (st->kind) {
        case PR_STEP_TYPE: {
            size_t bad;
            if (drv_synthetic_type(a->in, st->text, &bad) < 0) {
                fprintf(stderr, "kons: scenario line %d: character at byte %zu of the text "
                        "cannot be typed on this keymap\n", st->line, bad + 1);
                return 1;
            }
            break;
        }
        case PR_STEP_KEY:
            if (key_chord(a, st) < 0)
                return 1;
            break;
        case PR_STEP_MOVE:
            drv_synthetic_absolute(a->in, st->x0, st->y0);
            break;
        case PR_STEP_CLICK:
            if (st->has_pos)
                drv_synthetic_absolute(a->in, st->x0, st->y0);
            drv_synthetic_button(a->in, st->button, 1);
            drv_synthetic_button(a->in, st->button, 0);
            break;
        case PR_STEP_PRESS:
        case PR_STEP_RELEASE:
            drv_synthetic_button(a->in, st->button, st->kind == PR_STEP_PRESS);
            break;
        case PR_STEP_DRAG:
            drv_synthetic_absolute(a->in, st->x0, st->y0);
            drv_synthetic_button(a->in, st->button, 1);
            for (int k = 1; k <= st->count; k++)
                drv_synthetic_absolute(a->in, st->x0 + (st->x1 - st->x0) * k / st->count,
                                       st->y0 + (st->y1 - st->y0) * k / st->count);
            drv_synthetic_button(a->in, st->button, 0);
            break;
        case PR_STEP_SCROLL:
            drv_synthetic_axis(a->in, 0, 0, (int)st->x0, (int)st->y0);
            break;
        case PR_STEP_WAIT_IDLE:
        case PR_STEP_SCREENSHOT:
            break;
        case PR_STEP_UNPLUG:
        case PR_STEP_PLUG:
            drv_synthetic_device(a->in, 1, "synthetic keyboard and pointer",
                                 DRV_DEV_KEYBOARD | DRV_DEV_POINTER, st->kind == PR_STEP_PLUG);
            break;
        }
        int r = run_until_idle(a);
        if (r < 0) {
            fprintf(stderr, "kons: scenario line %d: the desktop did not become idle: %s\n",
                    st->line, strerror(-r));
            return 1;
        }
        if (st->kind == PR_STEP_SCREENSHOT) {
            char path[4096];
            if (st->text[0] == '/' || !outdir)
                snprintf(path, sizeof path, "%s", st->text);
            else
                snprintf(path, sizeof path, "%s/%s", outdir, st->text);
            if (screenshot(a, path) < 0)
                return 1;
        }
    }
    return 0;
}

/* ---- main ---- */

static const char usage[] =
    "usage: kons [--display=headless|wayland|kms] [--input=synthetic|wayland|libinput]\n"
    "            [--size=WxH] [--scale=S] [--scenario=FILE] [--screenshot=OUT.png]\n"
    "            [--output-dir=DIR] [--double-buffer] [--check-damage] [--report-frames]\n"
    "            [--fullscreen] [--run]\n"
    "            [--renderer=gl] (kms: GBM/EGL/GLES2 when Mesa can, else dumb buffers)\n"
    "Shows the demo desktop. Headless without --run draws one frame and exits.\n"
    "--scenario runs a script of input events (format: presentation/README.md).\n"
    "Flags take their value after '=' or as the next argument.\n";

int main(int argc, char **argv)
{
    /* In the image kons is PID 1: init the machine; the desktop continues in a child. */
    if (getpid() == 1)
        os_init_pid1(&argc, &argv);
    const char *display = NULL, *input = NULL, *size = NULL, *scenario = NULL, *shot = NULL;
    const char *outdir = NULL, *scale_s = NULL;
    int run = 0, dbl = 0, a_check_damage = 0, a_report = 0, fullscreen = 0;
    static const struct { const char *name; const char **val; } opts_v[] = {
        {"display", NULL}, {"input", NULL}, {"size", NULL}, {"scenario", NULL},
        {"screenshot", NULL}, {"output-dir", NULL}, {"scale", NULL}, {"renderer", NULL}};
    const char *renderer = NULL; /* kms: "gl" prefers GBM/EGL/GLES2 (image branch) */
    const char **vals[] = {&display, &input, &size, &scenario, &shot, &outdir, &scale_s,
                           &renderer};
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
            fputs(usage, stdout);
            return 0;
        }
        if (!strcmp(arg, "--run")) {
            run = 1;
            continue;
        }
        if (!strcmp(arg, "--fullscreen")) {
            fullscreen = 1;
            continue;
        }
        if (!strcmp(arg, "--report-frames")) {
            a_report = 1;
            continue;
        }
        if (!strcmp(arg, "--check-damage")) {
            a_check_damage = 1;
            continue;
        }
        if (!strcmp(arg, "--double-buffer")) {
            dbl = 1;
            continue;
        }
        if (strncmp(arg, "--", 2) != 0)
            die_usage("unexpected argument '%s'\n%s", arg, usage);
        const char *name = arg + 2, *eq = strchr(name, '=');
        size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
        size_t k;
        for (k = 0; k < sizeof opts_v / sizeof *opts_v; k++)
            if (strlen(opts_v[k].name) == nlen && !strncmp(opts_v[k].name, name, nlen))
                break;
        if (k == sizeof opts_v / sizeof *opts_v)
            die_usage("unknown flag '%s'\n%s", arg, usage);
        if (eq)
            *vals[k] = eq + 1;
        else if (i + 1 < argc)
            *vals[k] = argv[++i];
        else
            die_usage("flag '%s' needs a value", arg);
    }
    int32_t w = 1024, h = 768;
    if (size) {
        char *end;
        long lw = strtol(size, &end, 10), lh = 0;
        if (*end == 'x')
            lh = strtol(end + 1, &end, 10);
        if (*end || lw < 200 || lh < 150 || lw > 8192 || lh > 8192)
            die_usage("--size must be WxH with 200<=W<=8192 and 150<=H<=8192 (got '%s')", size);
        w = (int32_t)lw;
        h = (int32_t)lh;
    }
    double scale = 1;
    if (scale_s) {
        char *end;
        scale = strtod(scale_s, &end);
        if (*end || !(scale >= 0.5 && scale <= 4))
            die_usage("--scale must be a number from 0.5 to 4 (got '%s')", scale_s);
    }
    if (!display)
        display = getenv("WAYLAND_DISPLAY") ? "wayland" : "headless";
    if (!input)
        input = scenario || !strcmp(display, "headless") ? "synthetic"
                : !strcmp(display, "wayland")            ? "wayland"
                                                         : "libinput";
    app a = {0};
    a.check_damage = a_check_damage;
    a.report_frames = a_report;
    a.dops = drv_display_lookup(display);
    if (!a.dops) {
        if (drv_display_known(display))
            fprintf(stderr, "kons: the %s display backend is not built into this binary "
                    "(built: %s)\n", display, drv_display_names());
        else
            fprintf(stderr, "kons: unknown display '%s' (built: %s)\n", display,
                    drv_display_names());
        return drv_display_known(display) ? 1 : 2;
    }
    a.iops = drv_input_lookup(input);
    if (!a.iops) {
        fprintf(stderr, "kons: the %s input backend is %s (built: %s)%s\n", input,
                drv_input_known(input) ? "not built into this binary" : "unknown",
                drv_input_names(), scenario ? "" : "; running without input");
        if (!drv_input_known(input))
            return 2;
        if (scenario)
            return 1;
    }
    if (scenario && a.iops != &drv_input_synthetic_ops)
        die_usage("--scenario needs the synthetic input (not --input=%s)", input);

    /* Parse the scenario before opening anything: a malformed one changes nothing. */
    pr_scenario *sc = NULL;
    if (scenario) {
        pr_err perr = {{0}};
        sc = pr_scenario_load(scenario, &perr);
        if (!sc) {
            if (perr.line)
                fprintf(stderr, "kons: %s:%d:%d: %s\n", scenario, perr.line, perr.col, perr.msg);
            else
                fprintf(stderr, "kons: %s\n", perr.msg);
            return 2;
        }
    }

    pr_err terr;
    a.text = pr_text_new(NULL, &terr);
    if (!a.text) {
        fprintf(stderr, "kons: %s\n", terr.msg);
        pr_scenario_free(sc);
        return 1;
    }
    a.loop = pr_loop_new();
    drv_display_config cfg = {.width = w, .height = h, .scale = scale, .title = "Kons",
                              .app_id = "kons", .flags = (dbl ? DRV_DISPLAY_HEADLESS_DOUBLE : 0u) |
                                       (fullscreen ? DRV_DISPLAY_FULLSCREEN : 0u)};
    if (!size && !strcmp(a.dops->name, "kms"))
        cfg.width = cfg.height = 0; /* KMS: the display's preferred mode */
    if (renderer && !strcmp(renderer, "gl"))
        cfg.flags |= DRV_DISPLAY_PREFER_GL;
    drv_display_listener dl = {.data = &a, .configure = on_configure,
                               .close_requested = on_close, .frame_done = on_frame_done,
                               .lost = on_lost};
    drv_display_err derr;
    if (a.dops->open(&cfg, &dl, &a.disp, &derr) < 0) {
        fprintf(stderr, "kons: %s\n", derr.msg);
        pr_loop_free(a.loop);
        pr_text_free(a.text);
        pr_scenario_free(sc);
        return 1;
    }
    int status = 0;
    /* The first configure tells the real size (a compositor or a KMS mode decides). */
    uint64_t deadline = pr_now_us() + 10 * 1000000ull;
    int dfd = a.dops->get_fd(a.disp);
    if (dfd >= 0)
        pr_loop_add_fd(a.loop, dfd, display_readable, &a);
    a.dops->dispatch(a.disp);
    while (!a.configured && !a.quit && pr_now_us() < deadline)
        pr_loop_run_once(a.loop, 100);
    if (!a.configured) {
        fprintf(stderr, "kons: the %s display never said its size\n", a.dops->name);
        status = 1;
        goto out;
    }
    a.desk = pr_desktop_new(a.text, a.cw, a.ch);
    pr_desktop_set_draw_pointer(a.desk, strcmp(a.dops->name, "wayland") != 0);
    a.ed = pr_editor_new();
    a.s_mono = pr_text_style(a.text, "DejaVu Sans Mono 10", 0x202020ff);
    a.s_bold = pr_text_style(a.text, "DejaVu Sans Bold 10", 0x204a87ff);
    a.s_gray = pr_text_style(a.text, "DejaVu Sans 10", 0x666666ff);
    a.s_serif = pr_text_style(a.text, "DejaVu Serif 10", 0x202020ff);
    a.s_big = pr_text_style(a.text, "DejaVu Sans Bold 16", 0x204a87ff);
    a.s_result = pr_text_style(a.text, "DejaVu Sans Mono 10", 0x4e9a06ff);
    build_demo(&a);

    if (a.iops) {
        drv_input_config icfg = {.display = a.disp, .display_ops = a.dops};
        drv_input_listener il = {.data = &a, .event = on_input, .lost = on_input_lost};
        drv_input_err ierr;
        if (a.iops->open(&icfg, &il, &a.in, &ierr) < 0) {
            fprintf(stderr, "kons: %s%s\n", ierr.msg, sc ? "" : "; running without input");
            a.in = NULL;
            if (sc) {
                status = 1;
                goto out;
            }
        } else {
            int ifd = a.iops->get_fd(a.in);
            if (ifd >= 0)
                pr_loop_add_fd(a.loop, ifd, input_readable, &a);
            if (a.iops->set_output_size)
                a.iops->set_output_size(a.in, a.cw, a.ch);
        }
    }
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    sigprocmask(SIG_BLOCK, &sigs, NULL);
    int sfd = signalfd(-1, &sigs, SFD_NONBLOCK | SFD_CLOEXEC);
    if (sfd >= 0)
        pr_loop_add_fd(a.loop, sfd, signal_readable, &a);

    if (sc) {
        status = run_scenario(&a, sc, outdir);
    } else if (!run && !strcmp(a.dops->name, "headless")) {
        if (run_until_idle(&a) < 0)
            status = 1;
    } else {
        /* Draw first (the first frame must not wait for an event), then sleep. */
        for (settle(&a); !a.quit; settle(&a))
            if (pr_loop_run_once(a.loop, -1) < 0)
                break;
    }
    if (status == 0 && !a.exit_code && run_until_idle(&a) < 0 && !a.quit)
        status = 1;
    if (status == 0 && shot && screenshot(&a, shot) < 0)
        status = 1;
    if (status == 0)
        status = a.exit_code;
    if (sfd >= 0)
        close(sfd);
out:
    if (a.in)
        a.iops->close(a.in);
    pr_desktop_free(a.desk);
    pr_editor_free(a.ed);
    a.dops->close(a.disp);
    pr_loop_free(a.loop);
    pr_text_free(a.text);
    pr_scenario_free(sc);
    return status;
}
