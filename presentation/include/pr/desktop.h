/* pr/desktop.h: the desktop, its windows and panes, input decoding, damage and
 * rendering.
 *
 * Mechanism only (DESIGN.md, presentation layer): the desktop draws, tracks damage,
 * moves/raises/resizes windows, scrolls panes, hit-tests presentations against the
 * current sensitive type set and highlights the one under the pointer. Everything that
 * is a decision of the application (what a click on a presentation means, what a key
 * does, whether a window may close) is *queued* as a pr_event for the application to
 * take with pr_desktop_next_event; nothing calls back into the application.
 *
 * Handles: windows and panes have small integer ids (pr_window_id, pr_pane_id) that
 * the Lisp face can hold; records are named by (pane id, pr_rec_id). Pointers are for
 * C callers.
 *
 * Coordinates: desktop (logical) pixels, (0,0) top left. A pane's output has document
 * coordinates; the pane shows them from its scroll position.
 *
 * Damage: every change (output appended, window moved, highlight changed, pointer moved,
 * editor edited) adds its screen rectangle to the damage region. pr_desktop_render draws
 * only the damage (plus what the display's buffer age requires), clipped, and hands the
 * rectangles to the display's end_frame.
 */
#ifndef KONS_PR_DESKTOP_H
#define KONS_PR_DESKTOP_H

#include <stdint.h>

#include "drv/display.h"
#include "drv/input.h"
#include "pr/editor.h"
#include "pr/output.h"
#include "pr/text.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pr_desktop pr_desktop;
typedef struct pr_window pr_window;
typedef struct pr_pane pr_pane;

/* Frame metrics (logical pixels). */
#define PR_TITLE_HEIGHT 24
#define PR_BORDER 1
#define PR_SCROLLBAR 8
#define PR_RESIZE_GRIP 14

typedef enum pr_event_type {
    PR_EV_KEY = 1,       /* .input is the key; window/pane: the focused ones */
    PR_EV_BUTTON,        /* .input is the button; window/pane/x/y/hit under the pointer */
    PR_EV_MOTION,        /* pointer moved (coalesced: only the latest is queued) */
    PR_EV_CLOSE,         /* the close box of .window was clicked */
    PR_EV_DEVICE,        /* .input is DRV_INPUT_DEVICE_ADDED / _REMOVED */
    PR_EV_QUIT,          /* the display asked to close or is gone */
} pr_event_type;

/* The presentation under the pointer when the event happened. */
typedef struct pr_hit {
    pr_rec_id record; /* PR_NONE when no sensitive presentation is under the pointer */
    int64_t object;
    uint16_t type;
} pr_hit;

typedef struct pr_event {
    pr_event_type type;
    uint32_t window, pane; /* ids, 0 for none */
    double x, y;           /* pointer: pane document coordinates if pane, else desktop */
    pr_hit hit;
    drv_input_event input; /* key / button / device payload */
} pr_event;

pr_desktop *pr_desktop_new(pr_text *text, int32_t width, int32_t height);
void pr_desktop_free(pr_desktop *d);
pr_text *pr_desktop_text(pr_desktop *d);
/* The display's size changed (configure): everything is damaged. */
void pr_desktop_resize(pr_desktop *d, int32_t width, int32_t height);
void pr_desktop_size(pr_desktop *d, int32_t *width, int32_t *height);
void pr_desktop_set_background(pr_desktop *d, uint32_t rgba);
/* Whether the engine draws the pointer (headless, KMS) or the compositor does. */
void pr_desktop_set_draw_pointer(pr_desktop *d, int on);
/* Replaces the sensitive type set (copied); the highlight follows at once. */
void pr_desktop_set_sensitive(pr_desktop *d, const pr_typeset *types);
void pr_desktop_pointer(pr_desktop *d, double *x, double *y);

/* Feeds one input event: moves the pointer, runs window management (raise, focus,
 * move by the title bar, resize by the bottom-right grip), scrolls panes with the
 * wheel and their scroll bars (drag the thumb, click above/below it to page), updates
 * the highlight, and queues pr_events for the application (window management and
 * scroll-bar clicks are not queued). */
void pr_desktop_input(pr_desktop *d, const drv_input_event *ev);
/* Queues an event from elsewhere (the display's close request: PR_EV_QUIT). */
void pr_desktop_post(pr_desktop *d, const pr_event *ev);
/* Takes the oldest queued event; returns 0 when there is none. */
int pr_desktop_next_event(pr_desktop *d, pr_event *ev);
size_t pr_desktop_pending_events(pr_desktop *d);

/* Adds a rectangle (desktop coordinates) to the damage. */
void pr_desktop_damage(pr_desktop *d, double x, double y, double w, double h);
void pr_desktop_damage_all(pr_desktop *d);
/* Whether anything is damaged (a frame should be drawn). Also checks the editors. */
int pr_desktop_needs_frame(pr_desktop *d);
/* Draws one frame on the display: begin_frame, draw the damage (widened by the buffer
 * age), end_frame with the damage rectangles. Returns 0, -EAGAIN when the display has
 * no free buffer, or another negative errno from the display. */
int pr_desktop_render(pr_desktop *d, const drv_display_ops *ops, drv_display *disp);
/* Draws the whole desktop into cr (tests, benchmarks); leaves the damage alone. */
void pr_desktop_draw_all(pr_desktop *d, cairo_t *cr);
/* Statistics of the last pr_desktop_render: area redrawn in logical pixels, rects. */
void pr_desktop_last_frame(pr_desktop *d, double *area, int *nrects);

/* ---- windows ---- */
pr_window *pr_window_new(pr_desktop *d, const char *title, double x, double y, double w,
                         double h);
/* Removes the window and its panes (their outputs are freed). */
void pr_window_destroy(pr_window *w);
uint32_t pr_window_id(pr_window *w);
pr_window *pr_desktop_window(pr_desktop *d, uint32_t id);
void pr_window_set_title(pr_window *w, const char *title);
void pr_window_move(pr_window *w, double x, double y);
void pr_window_resize(pr_window *w, double width, double height);
void pr_window_geometry(pr_window *w, double *x, double *y, double *width, double *height);
void pr_window_raise(pr_window *w);
void pr_window_focus(pr_window *w);
pr_window *pr_desktop_focused(pr_desktop *d);

/* ---- panes: stacked top to bottom in their window's content area ---- */
/* height 0: takes the space the fixed-height panes leave. */
pr_pane *pr_pane_new(pr_window *w, double height, uint32_t background);
uint32_t pr_pane_id(pr_pane *p);
pr_pane *pr_desktop_pane(pr_desktop *d, uint32_t id);
pr_window *pr_pane_window(pr_pane *p);
pr_output *pr_pane_output(pr_pane *p);
/* The pane's rectangle on the desktop. */
void pr_pane_rect(pr_pane *p, double *x, double *y, double *w, double *h);
void pr_pane_scroll_to(pr_pane *p, double x, double y);
void pr_pane_scroll_by(pr_pane *p, double dx, double dy);
void pr_pane_scroll(pr_pane *p, double *x, double *y);
/* Scrolls so the end of the output is visible (a listener after output). */
void pr_pane_scroll_to_end(pr_pane *p);
/* Adds an editor line at the output's cursor and watches it for changes (damage). The
 * editor is not owned by the pane. Giving the pane the keyboard focus focuses it. */
pr_rec_id pr_pane_add_editor(pr_pane *p, pr_editor *ed);
void pr_pane_focus(pr_pane *p);
pr_pane *pr_desktop_focused_pane(pr_desktop *d);
/* The presentation highlighted under the pointer (record PR_NONE if none). */
pr_hit pr_desktop_highlight(pr_desktop *d, uint32_t *pane);

#ifdef __cplusplus
}
#endif

#endif
