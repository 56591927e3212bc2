/* Unit tests for the desktop (pr/desktop.h) on the headless display: damage stays small
 * and exact (every damage frame equals a full redraw, also with buffer age 2),
 * highlight follows the sensitive set, input becomes queued events. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "drv/display.h"
#include "pr/desktop.h"

static const drv_display_ops *ops;
static drv_display *disp;
static pr_desktop *desk;

static int frame_matches_full_redraw(void)
{
    cairo_surface_t *got = ops->snapshot(disp);
    int w = cairo_image_surface_get_width(got), h = cairo_image_surface_get_height(got);
    cairo_surface_t *want = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);
    cairo_t *cr = cairo_create(want);
    pr_desktop_draw_all(desk, cr);
    cairo_destroy(cr);
    cairo_surface_flush(want);
    long bad = 0;
    for (int y = 0; y < h; y++) {
        uint32_t *p = (uint32_t *)(cairo_image_surface_get_data(got) + y * cairo_image_surface_get_stride(got));
        uint32_t *q = (uint32_t *)(cairo_image_surface_get_data(want) + y * cairo_image_surface_get_stride(want));
        for (int x = 0; x < w; x++)
            for (int c = 0; c < 24; c += 8)
                if (abs((int)((p[x] >> c) & 0xff) - (int)((q[x] >> c) & 0xff)) > 8) {
                    bad++;
                    break;
                }
    }
    cairo_surface_destroy(want);
    cairo_surface_destroy(got);
    return bad == 0;
}

/* Renders one frame; returns the area redrawn. */
static double frame(void)
{
    CHECK_EQ_INT(pr_desktop_render(desk, ops, disp), 0);
    ops->dispatch(disp); /* frame_done */
    double area;
    pr_desktop_last_frame(desk, &area, NULL);
    CHECK(frame_matches_full_redraw());
    CHECK(!pr_desktop_needs_frame(desk));
    return area;
}

static drv_input_event absolute(double x, double y)
{
    drv_input_event ev = {.type = DRV_INPUT_POINTER_ABSOLUTE};
    ev.absolute.x = x;
    ev.absolute.y = y;
    return ev;
}

static drv_input_event button(int pressed)
{
    drv_input_event ev = {.type = DRV_INPUT_POINTER_BUTTON};
    ev.button.button = DRV_BTN_LEFT;
    ev.button.state = pressed;
    return ev;
}

/* Scrolling on a single-buffered display moves the pane's pixels (only the new rows
 * are drawn) unless a window covers the pane; either way the frame is exact. */
static void test_scroll_blit(pr_text *text)
{
    drv_display *save_disp = disp;
    pr_desktop *save_desk = desk;
    drv_display_config cfg = {.width = 400, .height = 300};
    drv_display_err derr;
    CHECK_EQ_INT(ops->open(&cfg, &(drv_display_listener){0}, &disp, &derr), 0);
    desk = pr_desktop_new(text, 400, 300);
    pr_window *win = pr_window_new(desk, "Scroll", 10, 10, 300, 250);
    pr_pane *pane = pr_pane_new(win, 0, 0xffffffff);
    pr_output *o = pr_pane_output(pane);
    char line[32];
    for (int i = 0; i < 100; i++) {
        snprintf(line, sizeof line, "line %d\n", i);
        pr_output_write(o, line, strlen(line));
    }
    double px, py, pw, ph;
    pr_pane_rect(pane, &px, &py, &pw, &ph);
    drv_input_event ev = absolute(px + 40, py + 40); /* the pointer over the pane */
    pr_desktop_input(desk, &ev);
    frame();
    for (int i = 0; i < 4; i++) {
        pr_pane_scroll_by(pane, 0, i == 2 ? -25 : 17);
        double area = frame();
        CHECK(area < pw * ph / 2); /* moved, not redrawn */
    }
    pr_window *top = pr_window_new(desk, "Over", 100, 100, 150, 120);
    frame();
    pr_pane_scroll_by(pane, 0, 17);
    CHECK(frame() >= pw * ph - 1); /* covered: the pane is redrawn */
    pr_window_destroy(top);
    frame();
    pr_event pe;
    while (pr_desktop_next_event(desk, &pe))
        ;
    pr_desktop_free(desk);
    ops->close(disp);
    disp = save_disp;
    desk = save_desk;
}

int main(void)
{
    pr_err err;
    pr_text *text = pr_text_new(NULL, &err);
    CHECK(text != NULL);
    if (!text)
        return check_report();
    ops = drv_display_lookup("headless");
    drv_display_config cfg = {.width = 400, .height = 300, .flags = DRV_DISPLAY_HEADLESS_DOUBLE};
    drv_display_err derr;
    CHECK_EQ_INT(ops->open(&cfg, &(drv_display_listener){0}, &disp, &derr), 0);
    desk = pr_desktop_new(text, 400, 300);
    pr_window *win = pr_window_new(desk, "Test", 20, 20, 300, 200);
    pr_pane *pane = pr_pane_new(win, 0, 0xffffffff);
    pr_output *o = pr_pane_output(pane);
    pr_output_write(o, "first line\n", 11);
    pr_rec_id pres = pr_output_begin(o, 99, 4);
    pr_output_write(o, "clickable", 9);
    pr_output_end(o);
    pr_output_newline(o);
    pr_typeset ts = {{0}};
    pr_typeset_add(&ts, 4);
    pr_desktop_set_sensitive(desk, &ts);
    CHECK(pr_desktop_needs_frame(desk));
    CHECK_EQ_INT((int)frame(), 400 * 300); /* first frame: everything */
    CHECK_EQ_INT((int)frame(), 400 * 300); /* the second buffer was never drawn (age 0) */
    CHECK_EQ_INT((int)frame(), 0);         /* nothing changed since: nothing drawn */
    double px, py, pw, ph;
    pr_pane_rect(pane, &px, &py, &pw, &ph);

    /* New visible output: only its line (and the scroll bar strip) is redrawn; with
     * buffer age 2 the next frame also repaints the previous frame's damage. */
    pr_output_write(o, "more", 4);
    double a1 = frame();
    CHECK(a1 > 0 && a1 < pw * 30 + PR_SCROLLBAR * ph);

    /* Output far below the viewport damages only the scroll bar. */
    pr_output_set_cursor(o, 6, 5000);
    pr_output_write(o, "far away", 8);
    double a2 = frame();
    CHECK(a2 <= PR_SCROLLBAR * ph + a1 + 1);

    /* The pointer over the presentation highlights it; a click queues it. */
    const pr_rec *r = pr_output_rec(o, pres);
    double cx = px + (r->box.x0 + r->box.x1) / 2, cy = py + (r->box.y0 + r->box.y1) / 2;
    drv_input_event ev = absolute(cx, cy);
    pr_desktop_input(desk, &ev);
    ev = absolute(cx + 1, cy); /* a second motion is coalesced into the first */
    pr_desktop_input(desk, &ev);
    uint32_t hp;
    pr_hit h = pr_desktop_highlight(desk, &hp);
    CHECK_EQ_INT(h.record, pres);
    CHECK_EQ_INT(h.object, 99);
    CHECK_EQ_INT(hp, pr_pane_id(pane));
    double a3 = frame();
    CHECK(a3 < 400 * 300 / 4);
    ev = button(1);
    pr_desktop_input(desk, &ev);
    ev = button(0);
    pr_desktop_input(desk, &ev);
    pr_event pe;
    CHECK(pr_desktop_next_event(desk, &pe));
    CHECK_EQ_INT(pe.type, PR_EV_MOTION);
    CHECK(pr_desktop_next_event(desk, &pe));
    CHECK_EQ_INT(pe.type, PR_EV_BUTTON);
    CHECK_EQ_INT(pe.hit.object, 99);
    CHECK_EQ_INT(pe.hit.type, 4);
    CHECK_EQ_INT(pe.pane, pr_pane_id(pane));
    CHECK(pr_desktop_next_event(desk, &pe));
    CHECK_EQ_INT(pe.input.button.state, DRV_BUTTON_RELEASED);
    CHECK(!pr_desktop_next_event(desk, &pe));

    /* An empty sensitive set: no highlight, clicks carry no presentation. */
    pr_typeset none = {{0}};
    pr_desktop_set_sensitive(desk, &none);
    CHECK_EQ_INT(pr_desktop_highlight(desk, NULL).record, PR_NONE);
    frame();

    /* An editor: a key's change redraws about one line. */
    pr_editor *ed = pr_editor_new();
    pr_output_set_cursor(o, 6, 60);
    pr_pane_add_editor(pane, ed);
    pr_pane_focus(pane);
    frame();
    pr_editor_insert_text(ed, "x", 1);
    double a4 = frame();
    CHECK(a4 > 0 && a4 < pw * 24);

    /* Scrolling redraws the pane; the thumb moves. */
    pr_pane_scroll_by(pane, 0, 100);
    double sx, sy;
    pr_pane_scroll(pane, &sx, &sy);
    CHECK_EQ_INT((int)sy, 100);
    frame();
    pr_pane_scroll_to(pane, 0, -50); /* clamped */
    pr_pane_scroll(pane, &sx, &sy);
    CHECK_EQ_INT((int)sy, 0);
    frame();

    /* Scrolling under another window (the pixels cannot just move) and with the
     * pointer over the pane (its copy must be erased): still exact. */
    for (int i = 0; i < 60; i++)
        pr_output_write(o, "filler line\n", 12);
    pr_window *top = pr_window_new(desk, "Over", 100, 100, 150, 120);
    frame();
    for (int i = 0; i < 3; i++) {
        pr_pane_scroll_by(pane, 0, 17);
        frame();
    }
    pr_window_destroy(top);
    frame();
    ev = absolute(px + 50, py + 60);
    pr_desktop_input(desk, &ev);
    frame();
    for (int i = 0; i < 3; i++) {
        pr_pane_scroll_by(pane, 0, i == 1 ? -30 : 23);
        frame();
    }
    while (pr_desktop_next_event(desk, &pe))
        ;

    /* Title bar: a drag moves the window; the close box queues a close request. */
    ev = absolute(100, 30);
    pr_desktop_input(desk, &ev);
    ev = button(1);
    pr_desktop_input(desk, &ev);
    ev = absolute(130, 50);
    pr_desktop_input(desk, &ev);
    ev = button(0);
    pr_desktop_input(desk, &ev);
    double wx, wy, ww, wh;
    pr_window_geometry(win, &wx, &wy, &ww, &wh);
    CHECK_EQ_INT((int)wx, 50);
    CHECK_EQ_INT((int)wy, 40);
    frame();
    while (pr_desktop_next_event(desk, &pe))
        ;
    ev = absolute(wx + ww - 5, wy + 5);
    pr_desktop_input(desk, &ev);
    ev = button(1);
    pr_desktop_input(desk, &ev);
    int closes = 0;
    while (pr_desktop_next_event(desk, &pe))
        closes += pe.type == PR_EV_CLOSE && pe.window == pr_window_id(win);
    CHECK_EQ_INT(closes, 1);
    pr_window_destroy(win);
    CHECK(pr_desktop_window(desk, 1) == NULL);
    frame();
    pr_editor_free(ed);
    pr_desktop_free(desk);
    ops->close(disp);
    test_scroll_blit(text);
    pr_text_free(text);
    return check_report();
}
