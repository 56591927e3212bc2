/* presentation/desktop.c: windows, panes, input decoding, damage and rendering
 * (pr/desktop.h).
 *
 * Invariants:
 * - d->wins is the stacking order, bottom first; the focused window is d->focus.
 * - d->damage holds every screen rectangle changed since the last frame; d->hist[i]
 *   holds the damage of the frame drawn i+1 frames ago, for buffer-age repaint.
 * - The highlight (hl_pane, hl_rec) is the innermost sensitive presentation under the
 *   pointer, recomputed after every pointer move, scroll, output change and at every
 *   frame; its box (widened by 2 pixels) is damaged whenever it changes.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pr/desktop.h"

#define HIST 4
#define MIN_W 120
#define MIN_H 60

typedef struct watched_editor {
    pr_pane *pane;
    pr_rec_id rec;
    pr_editor *ed;
    uint64_t version;
} watched_editor;

struct pr_pane {
    pr_desktop *d;
    pr_window *win;
    uint32_t id;
    double height; /* requested; 0 = fill */
    double x, y, w, h; /* on the desktop, set by layout */
    double sx, sy;     /* scroll position */
    /* Scrolled since the last frame by pend_dy (whole pixels, vertical only): the frame
     * may move the pixels already on screen instead of redrawing the pane. pend_full:
     * the scroll cannot be done by moving pixels (horizontal, too far): the pane is
     * damaged whole. */
    double pend_dy;
    int pend, pend_full;
    uint32_t bg;
    pr_output *out;
};

struct pr_window {
    pr_desktop *d;
    uint32_t id;
    char *title;
    PangoLayout *title_layout;
    double x, y, w, h;
    pr_pane **panes;
    size_t npanes;
};

typedef enum { DRAG_NONE, DRAG_MOVE, DRAG_RESIZE, DRAG_SCROLL } drag_mode;

struct pr_desktop {
    pr_text *text;
    int title_style;
    int32_t width, height;
    uint32_t bg;
    int draw_pointer;
    int ptr_drawn;          /* the pointer is in the last frame, at ptr_x, ptr_y */
    double ptr_x, ptr_y;
    long blits;             /* scrolls done by moving pixels (statistics) */
    pr_window **wins;
    size_t nwins, cwins;
    pr_window *focus;
    pr_pane *focus_pane;
    uint32_t next_id;
    double px, py;
    uint32_t buttons; /* bit per pressed button (BTN_LEFT + i) */
    drag_mode drag;
    pr_window *drag_win;
    pr_pane *drag_pane; /* DRAG_SCROLL: the pane whose scroll thumb is dragged */
    double drag_sy;
    double drag_px, drag_py, drag_x, drag_y, drag_w, drag_h;
    pr_typeset sensitive;
    pr_pane *hl_pane;
    pr_rec_id hl_rec;
    cairo_region_t *damage;
    cairo_region_t *hist[HIST];
    double last_area;
    int last_rects;
    pr_event *q;
    size_t qhead, qlen, qcap;
    watched_editor *eds;
    size_t neds, ceds;
};

/* ---- damage ---- */

void pr_desktop_damage(pr_desktop *d, double x, double y, double w, double h)
{
    if (w <= 0 || h <= 0)
        return;
    double x0 = floor(x), y0 = floor(y), x1 = ceil(x + w), y1 = ceil(y + h);
    if (x0 < 0) x0 = 0;
    if (y0 < 0) y0 = 0;
    if (x1 > d->width) x1 = d->width;
    if (y1 > d->height) y1 = d->height;
    if (x1 <= x0 || y1 <= y0)
        return;
    cairo_rectangle_int_t r = {(int)x0, (int)y0, (int)(x1 - x0), (int)(y1 - y0)};
    cairo_region_union_rectangle(d->damage, &r);
}

void pr_desktop_damage_all(pr_desktop *d)
{
    pr_desktop_damage(d, 0, 0, d->width, d->height);
}

static void damage_window(pr_window *w) { pr_desktop_damage(w->d, w->x, w->y, w->w, w->h); }

static void damage_pane(pr_pane *p) { pr_desktop_damage(p->d, p->x, p->y, p->w, p->h); }

/* A document box of a pane, clipped to the pane, onto the screen. */
static void damage_doc(pr_pane *p, const pr_bbox *b, double grow)
{
    double x0 = p->x + b->x0 - p->sx - grow, y0 = p->y + b->y0 - p->sy - grow;
    double x1 = p->x + b->x1 - p->sx + grow, y1 = p->y + b->y1 - p->sy + grow;
    if (x0 < p->x) x0 = p->x;
    if (y0 < p->y) y0 = p->y;
    if (x1 > p->x + p->w) x1 = p->x + p->w;
    if (y1 > p->y + p->h) y1 = p->y + p->h;
    if (x1 > x0 && y1 > y0)
        pr_desktop_damage(p->d, x0, y0, x1 - x0, y1 - y0);
}

static void output_damaged(void *data, const pr_bbox *b)
{
    pr_pane *p = data;
    damage_doc(p, b, 0);
    /* The scroll bar shows the extent, which may have grown. */
    pr_desktop_damage(p->d, p->x + p->w - PR_SCROLLBAR, p->y, PR_SCROLLBAR, p->h);
}

/* ---- event queue ---- */

void pr_desktop_post(pr_desktop *d, const pr_event *ev)
{
    if (ev->type == PR_EV_MOTION && d->qlen > 0) {
        pr_event *last = &d->q[(d->qhead + d->qlen - 1) % d->qcap];
        if (last->type == PR_EV_MOTION) {
            *last = *ev;
            return;
        }
    }
    if (d->qlen == d->qcap) {
        size_t cap = d->qcap ? d->qcap * 2 : 64;
        pr_event *nq = malloc(cap * sizeof *nq);
        if (!nq)
            return; /* out of memory: the event is dropped (nothing else can be done) */
        for (size_t i = 0; i < d->qlen; i++)
            nq[i] = d->q[(d->qhead + i) % d->qcap];
        free(d->q);
        d->q = nq;
        d->qcap = cap;
        d->qhead = 0;
    }
    d->q[(d->qhead + d->qlen++) % d->qcap] = *ev;
}

int pr_desktop_next_event(pr_desktop *d, pr_event *ev)
{
    if (d->qlen == 0)
        return 0;
    *ev = d->q[d->qhead];
    d->qhead = (d->qhead + 1) % d->qcap;
    d->qlen--;
    return 1;
}

size_t pr_desktop_pending_events(pr_desktop *d) { return d->qlen; }

/* ---- desktop ---- */

pr_desktop *pr_desktop_new(pr_text *text, int32_t width, int32_t height)
{
    pr_desktop *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->text = text;
    d->title_style = pr_text_style(text, "DejaVu Sans Bold 10", 0xffffffff);
    if (d->title_style < 0)
        d->title_style = 0;
    d->width = width;
    d->height = height;
    d->bg = 0x5f7f8fff;
    d->draw_pointer = 1;
    d->next_id = 1;
    d->hl_rec = PR_NONE;
    d->px = width / 2.0;
    d->py = height / 2.0;
    d->damage = cairo_region_create();
    for (int i = 0; i < HIST; i++)
        d->hist[i] = NULL;
    pr_desktop_damage_all(d);
    return d;
}

void pr_desktop_free(pr_desktop *d)
{
    if (!d)
        return;
    while (d->nwins)
        pr_window_destroy(d->wins[d->nwins - 1]);
    free(d->wins);
    cairo_region_destroy(d->damage);
    for (int i = 0; i < HIST; i++)
        if (d->hist[i])
            cairo_region_destroy(d->hist[i]);
    free(d->q);
    free(d->eds);
    free(d);
}

pr_text *pr_desktop_text(pr_desktop *d) { return d->text; }

static void forget_history(pr_desktop *d)
{
    for (int i = 0; i < HIST; i++)
        if (d->hist[i]) {
            cairo_region_destroy(d->hist[i]);
            d->hist[i] = NULL;
        }
}

void pr_desktop_resize(pr_desktop *d, int32_t width, int32_t height)
{
    if (width == d->width && height == d->height)
        return;
    d->width = width;
    d->height = height;
    if (d->px >= width) d->px = width - 1;
    if (d->py >= height) d->py = height - 1;
    forget_history(d);
    pr_desktop_damage_all(d);
}

void pr_desktop_size(pr_desktop *d, int32_t *w, int32_t *h)
{
    *w = d->width;
    *h = d->height;
}

void pr_desktop_set_background(pr_desktop *d, uint32_t rgba)
{
    d->bg = rgba;
    pr_desktop_damage_all(d);
}

static void damage_pointer(pr_desktop *d)
{
    if (d->draw_pointer)
        pr_desktop_damage(d, d->px - 2, d->py - 2, 16, 24); /* arrow + its 1px edge */
}

void pr_desktop_set_draw_pointer(pr_desktop *d, int on)
{
    damage_pointer(d);
    d->draw_pointer = on;
    damage_pointer(d);
}

void pr_desktop_pointer(pr_desktop *d, double *x, double *y)
{
    *x = d->px;
    *y = d->py;
}

/* ---- windows and panes ---- */

static void layout_panes(pr_window *w)
{
    double cx = w->x + PR_BORDER, cy = w->y + PR_TITLE_HEIGHT;
    double cw = w->w - 2 * PR_BORDER, ch = w->h - PR_TITLE_HEIGHT - PR_BORDER;
    double fixed = 0;
    size_t nfill = 0;
    for (size_t i = 0; i < w->npanes; i++) {
        if (w->panes[i]->height > 0)
            fixed += w->panes[i]->height;
        else
            nfill++;
    }
    double fill = nfill ? fmax(0, (ch - fixed) / nfill) : 0;
    double y = cy;
    for (size_t i = 0; i < w->npanes; i++) {
        pr_pane *p = w->panes[i];
        double h = p->height > 0 ? p->height : fill;
        if (y + h > cy + ch)
            h = fmax(0, cy + ch - y);
        p->x = cx;
        p->y = y;
        p->w = fmax(0, cw);
        p->h = h;
        y += h;
    }
}

pr_window *pr_window_new(pr_desktop *d, const char *title, double x, double y, double w,
                         double h)
{
    pr_window *win = calloc(1, sizeof *win);
    if (!win)
        return NULL;
    if (d->nwins == d->cwins) {
        size_t cap = d->cwins ? d->cwins * 2 : 8;
        pr_window **nw = realloc(d->wins, cap * sizeof *nw);
        if (!nw) {
            free(win);
            return NULL;
        }
        d->wins = nw;
        d->cwins = cap;
    }
    win->d = d;
    win->id = d->next_id++;
    win->x = x;
    win->y = y;
    win->w = fmax(w, MIN_W);
    win->h = fmax(h, MIN_H);
    d->wins[d->nwins++] = win;
    pr_window_set_title(win, title);
    damage_window(win);
    return win;
}

void pr_window_set_title(pr_window *w, const char *title)
{
    free(w->title);
    w->title = strdup(title ? title : "");
    if (w->title_layout)
        g_object_unref(w->title_layout);
    w->title_layout = pr_text_layout(w->d->text, w->d->title_style, w->title ? w->title : "", -1);
    pango_layout_set_ellipsize(w->title_layout, PANGO_ELLIPSIZE_END);
    pr_desktop_damage(w->d, w->x, w->y, w->w, PR_TITLE_HEIGHT);
}

static void unwatch_pane(pr_desktop *d, pr_pane *p)
{
    size_t k = 0;
    for (size_t i = 0; i < d->neds; i++)
        if (d->eds[i].pane != p)
            d->eds[k++] = d->eds[i];
    d->neds = k;
}

void pr_window_destroy(pr_window *w)
{
    pr_desktop *d = w->d;
    damage_window(w);
    for (size_t i = 0; i < w->npanes; i++) {
        pr_pane *p = w->panes[i];
        unwatch_pane(d, p);
        if (d->hl_pane == p) {
            d->hl_pane = NULL;
            d->hl_rec = PR_NONE;
        }
        if (d->focus_pane == p)
            d->focus_pane = NULL;
        if (d->drag_pane == p) {
            d->drag = DRAG_NONE;
            d->drag_pane = NULL;
        }
        pr_output_free(p->out);
        free(p);
    }
    free(w->panes);
    for (size_t i = 0; i < d->nwins; i++)
        if (d->wins[i] == w) {
            memmove(d->wins + i, d->wins + i + 1, (d->nwins - i - 1) * sizeof *d->wins);
            d->nwins--;
            break;
        }
    if (d->focus == w)
        d->focus = d->nwins ? d->wins[d->nwins - 1] : NULL;
    if (d->focus)
        pr_desktop_damage(d, d->focus->x, d->focus->y, d->focus->w, PR_TITLE_HEIGHT);
    if (d->drag_win == w) {
        d->drag = DRAG_NONE;
        d->drag_win = NULL;
        d->drag_pane = NULL;
    }
    if (w->title_layout)
        g_object_unref(w->title_layout);
    free(w->title);
    free(w);
}

uint32_t pr_window_id(pr_window *w) { return w->id; }

pr_window *pr_desktop_window(pr_desktop *d, uint32_t id)
{
    for (size_t i = 0; i < d->nwins; i++)
        if (d->wins[i]->id == id)
            return d->wins[i];
    return NULL;
}

void pr_window_move(pr_window *w, double x, double y)
{
    damage_window(w);
    w->x = x;
    w->y = y;
    layout_panes(w);
    damage_window(w);
}

void pr_window_resize(pr_window *w, double width, double height)
{
    damage_window(w);
    w->w = fmax(width, MIN_W);
    w->h = fmax(height, MIN_H);
    layout_panes(w);
    for (size_t i = 0; i < w->npanes; i++)
        pr_pane_scroll_by(w->panes[i], 0, 0); /* re-clamp the scroll position */
    damage_window(w);
}

void pr_window_geometry(pr_window *w, double *x, double *y, double *width, double *height)
{
    *x = w->x;
    *y = w->y;
    *width = w->w;
    *height = w->h;
}

void pr_window_raise(pr_window *w)
{
    pr_desktop *d = w->d;
    for (size_t i = 0; i < d->nwins; i++)
        if (d->wins[i] == w) {
            if (i == d->nwins - 1)
                return;
            memmove(d->wins + i, d->wins + i + 1, (d->nwins - i - 1) * sizeof *d->wins);
            d->wins[d->nwins - 1] = w;
            damage_window(w);
            return;
        }
}

static void set_editor_focus(pr_desktop *d)
{
    for (size_t i = 0; i < d->neds; i++)
        pr_editor_set_focused(d->eds[i].ed, d->eds[i].pane == d->focus_pane);
}

void pr_window_focus(pr_window *w)
{
    pr_desktop *d = w->d;
    if (d->focus == w)
        return;
    if (d->focus)
        pr_desktop_damage(d, d->focus->x, d->focus->y, d->focus->w, PR_TITLE_HEIGHT);
    d->focus = w;
    pr_desktop_damage(d, w->x, w->y, w->w, PR_TITLE_HEIGHT);
    if (d->focus_pane && d->focus_pane->win != w) {
        d->focus_pane = NULL;
        /* The window's first pane with an editor takes the keyboard. */
        for (size_t i = 0; i < d->neds; i++)
            if (d->eds[i].pane->win == w) {
                d->focus_pane = d->eds[i].pane;
                break;
            }
    }
    set_editor_focus(d);
}

pr_window *pr_desktop_focused(pr_desktop *d) { return d->focus; }

pr_pane *pr_pane_new(pr_window *w, double height, uint32_t background)
{
    pr_pane *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    pr_pane **np = realloc(w->panes, (w->npanes + 1) * sizeof *np);
    p->out = pr_output_new(w->d->text);
    if (!np || !p->out) {
        pr_output_free(p->out);
        free(p);
        if (np)
            w->panes = np;
        return NULL;
    }
    w->panes = np;
    w->panes[w->npanes++] = p;
    p->d = w->d;
    p->win = w;
    p->id = w->d->next_id++;
    p->height = height;
    p->bg = background;
    pr_output_set_margin(p->out, 6);
    pr_output_set_cursor(p->out, 6, 4);
    pr_output_set_damage_hook(p->out, output_damaged, p);
    layout_panes(w);
    damage_window(w);
    return p;
}

uint32_t pr_pane_id(pr_pane *p) { return p->id; }
pr_window *pr_pane_window(pr_pane *p) { return p->win; }
pr_output *pr_pane_output(pr_pane *p) { return p->out; }

pr_pane *pr_desktop_pane(pr_desktop *d, uint32_t id)
{
    for (size_t i = 0; i < d->nwins; i++)
        for (size_t j = 0; j < d->wins[i]->npanes; j++)
            if (d->wins[i]->panes[j]->id == id)
                return d->wins[i]->panes[j];
    return NULL;
}

void pr_pane_rect(pr_pane *p, double *x, double *y, double *w, double *h)
{
    *x = p->x;
    *y = p->y;
    *w = p->w;
    *h = p->h;
}

/* Adds the part of the damage inside the pane's content, moved by -dy, to the damage:
 * pixels that were stale before a scroll are stale at their new place after the frame
 * moves the pane's pixels. */
static void shift_pane_damage(pr_pane *p, double dy)
{
    cairo_rectangle_int_t pr = {(int)floor(p->x), (int)floor(p->y),
                                (int)ceil(p->w - PR_SCROLLBAR), (int)ceil(p->h)};
    cairo_region_t *in = cairo_region_create_rectangle(&pr);
    cairo_region_intersect(in, p->d->damage);
    cairo_region_translate(in, 0, (int)-dy);
    cairo_region_intersect_rectangle(in, &pr);
    cairo_region_union(p->d->damage, in);
    cairo_region_destroy(in);
}

void pr_pane_scroll_to(pr_pane *p, double x, double y)
{
    double ew, eh;
    pr_output_extent(p->out, &ew, &eh);
    double maxx = fmax(0, ew + 6 - (p->w - PR_SCROLLBAR)), maxy = fmax(0, eh + 4 - p->h);
    x = round(fmin(fmax(x, 0), maxx));
    y = round(fmin(fmax(y, 0), maxy));
    if (x == p->sx && y == p->sy)
        return;
    double dx = x - p->sx, dy = y - p->sy;
    p->sx = x;
    p->sy = y;
    if (dx == 0 && !p->pend_full && fabs(p->pend_dy + dy) < p->h / 2) {
        p->pend = 1;
        p->pend_dy += dy;
        shift_pane_damage(p, dy);
        pr_desktop_damage(p->d, p->x + p->w - PR_SCROLLBAR, p->y, PR_SCROLLBAR, p->h);
    } else {
        p->pend_full = 1;
        damage_pane(p);
    }
}

void pr_pane_scroll_by(pr_pane *p, double dx, double dy)
{
    pr_pane_scroll_to(p, p->sx + dx, p->sy + dy);
}

void pr_pane_scroll(pr_pane *p, double *x, double *y)
{
    *x = p->sx;
    *y = p->sy;
}

void pr_pane_scroll_to_end(pr_pane *p)
{
    double ew, eh;
    pr_output_extent(p->out, &ew, &eh);
    pr_pane_scroll_to(p, 0, eh);
}

pr_rec_id pr_pane_add_editor(pr_pane *p, pr_editor *ed)
{
    pr_desktop *d = p->d;
    if (d->neds == d->ceds) {
        size_t cap = d->ceds ? d->ceds * 2 : 8;
        watched_editor *ne = realloc(d->eds, cap * sizeof *ne);
        if (!ne)
            return PR_NONE;
        d->eds = ne;
        d->ceds = cap;
    }
    double x, y;
    pr_output_cursor(p->out, &x, &y);
    pr_rec_id id = pr_output_editor(p->out, ed, fmax(50, p->w - x - PR_SCROLLBAR - 4));
    if (id == PR_NONE)
        return id;
    d->eds[d->neds++] = (watched_editor){p, id, ed, pr_editor_version(ed)};
    pr_editor_set_focused(ed, d->focus_pane == p);
    return id;
}

void pr_pane_focus(pr_pane *p)
{
    pr_window_focus(p->win);
    p->d->focus_pane = p;
    set_editor_focus(p->d);
}

pr_pane *pr_desktop_focused_pane(pr_desktop *d) { return d->focus_pane; }

/* ---- hit-testing and highlight ---- */

static pr_window *window_at(pr_desktop *d, double x, double y)
{
    for (size_t i = d->nwins; i-- > 0;) {
        pr_window *w = d->wins[i];
        if (x >= w->x && x < w->x + w->w && y >= w->y && y < w->y + w->h)
            return w;
    }
    return NULL;
}

/* The scroll thumb of a pane: its top and height on the desktop, and the scroll range
 * (the largest scroll position). Returns 0 when everything fits (no thumb). Whole
 * pixels: a fractional edge would be antialiased differently when drawn through a
 * damage clip than in a full redraw. */
static int thumb(pr_pane *p, double *ty, double *th, double *range)
{
    double ew, eh;
    pr_output_extent(p->out, &ew, &eh);
    eh += 4;
    if (eh <= p->h || p->h <= 0)
        return 0;
    *range = eh - p->h;
    *th = round(fmax(12, p->h * p->h / eh));
    *ty = round(p->y + (p->h - *th) * (p->sy / *range));
    return 1;
}

/* The pane whose scroll bar strip is under (x, y), or NULL. */
static pr_pane *scrollbar_at(pr_window *w, double x, double y)
{
    for (size_t i = 0; w && i < w->npanes; i++) {
        pr_pane *p = w->panes[i];
        if (x >= p->x + p->w - PR_SCROLLBAR && x < p->x + p->w && y >= p->y && y < p->y + p->h)
            return p;
    }
    return NULL;
}

static pr_pane *pane_at(pr_window *w, double x, double y)
{
    if (!w)
        return NULL;
    for (size_t i = 0; i < w->npanes; i++) {
        pr_pane *p = w->panes[i];
        if (x >= p->x && x < p->x + p->w - PR_SCROLLBAR && y >= p->y && y < p->y + p->h)
            return p;
    }
    return NULL;
}

static void damage_highlight(pr_desktop *d)
{
    if (d->hl_pane && d->hl_rec != PR_NONE) {
        const pr_rec *r = pr_output_rec(d->hl_pane->out, d->hl_rec);
        if (r)
            damage_doc(d->hl_pane, &r->box, 2);
    }
}

static void update_highlight(pr_desktop *d)
{
    pr_pane *p = pane_at(window_at(d, d->px, d->py), d->px, d->py);
    pr_rec_id id = PR_NONE;
    if (p && d->drag == DRAG_NONE)
        id = pr_output_hit(p->out, d->px - p->x + p->sx, d->py - p->y + p->sy, &d->sensitive);
    if (id == PR_NONE)
        p = NULL;
    if (p == d->hl_pane && id == d->hl_rec)
        return;
    damage_highlight(d);
    d->hl_pane = p;
    d->hl_rec = id;
    damage_highlight(d);
}

void pr_desktop_set_sensitive(pr_desktop *d, const pr_typeset *types)
{
    d->sensitive = *types;
    update_highlight(d);
}

pr_hit pr_desktop_highlight(pr_desktop *d, uint32_t *pane)
{
    pr_hit h = {PR_NONE, 0, 0};
    if (pane)
        *pane = d->hl_pane ? d->hl_pane->id : 0;
    if (d->hl_pane && d->hl_rec != PR_NONE) {
        const pr_rec *r = pr_output_rec(d->hl_pane->out, d->hl_rec);
        if (r) {
            h.record = d->hl_rec;
            h.object = r->object;
            h.type = r->type;
        }
    }
    return h;
}

/* Fills the pointer part of an event: window, pane, coordinates, presentation hit. */
static void locate(pr_desktop *d, pr_event *ev)
{
    pr_window *w = window_at(d, d->px, d->py);
    pr_pane *p = pane_at(w, d->px, d->py);
    ev->window = w ? w->id : 0;
    ev->pane = p ? p->id : 0;
    ev->x = p ? d->px - p->x + p->sx : d->px;
    ev->y = p ? d->py - p->y + p->sy : d->py;
    ev->hit = (pr_hit){PR_NONE, 0, 0};
    if (p) {
        pr_rec_id id = pr_output_hit(p->out, ev->x, ev->y, &d->sensitive);
        if (id != PR_NONE) {
            const pr_rec *r = pr_output_rec(p->out, id);
            ev->hit = (pr_hit){id, r->object, r->type};
        }
    }
}

/* ---- input ---- */

static void pointer_moved(pr_desktop *d, double x, double y)
{
    x = fmin(fmax(x, 0), d->width - 1);
    y = fmin(fmax(y, 0), d->height - 1);
    if (x == d->px && y == d->py)
        return;
    damage_pointer(d);
    d->px = x;
    d->py = y;
    damage_pointer(d);
    if (d->drag == DRAG_MOVE) {
        pr_window_move(d->drag_win, d->drag_x + (x - d->drag_px), d->drag_y + (y - d->drag_py));
    } else if (d->drag == DRAG_SCROLL) {
        double ty, th, range;
        pr_pane *p = d->drag_pane;
        if (thumb(p, &ty, &th, &range) && p->h > th)
            pr_pane_scroll_to(p, p->sx, d->drag_sy + (y - d->drag_py) * range / (p->h - th));
    } else if (d->drag == DRAG_RESIZE) {
        pr_window_resize(d->drag_win, d->drag_w + (x - d->drag_px), d->drag_h + (y - d->drag_py));
    }
    update_highlight(d);
    pr_event ev = {.type = PR_EV_MOTION};
    locate(d, &ev);
    pr_desktop_post(d, &ev);
}

static void button(pr_desktop *d, const drv_input_event *in)
{
    unsigned bit = in->button.button >= DRV_BTN_LEFT && in->button.button < DRV_BTN_LEFT + 32
                       ? in->button.button - DRV_BTN_LEFT : 31;
    pr_event ev = {.type = PR_EV_BUTTON, .input = *in};
    locate(d, &ev);
    if (in->button.state == DRV_BUTTON_RELEASED) {
        d->buttons &= ~(1u << bit);
        if (d->drag != DRAG_NONE) {
            d->drag = DRAG_NONE;
            d->drag_win = NULL;
            d->drag_pane = NULL;
            update_highlight(d);
            return; /* the end of a window drag is window management, not input */
        }
        pr_desktop_post(d, &ev);
        return;
    }
    d->buttons |= 1u << bit;
    pr_window *w = window_at(d, d->px, d->py);
    if (!w) {
        pr_desktop_post(d, &ev);
        return;
    }
    pr_window_raise(w);
    pr_window_focus(w);
    int left = in->button.button == DRV_BTN_LEFT;
    if (d->py < w->y + PR_TITLE_HEIGHT) {
        if (left && d->px >= w->x + w->w - PR_TITLE_HEIGHT) {
            ev.type = PR_EV_CLOSE;
            pr_desktop_post(d, &ev);
        } else if (left) {
            d->drag = DRAG_MOVE;
        }
    } else if (left && scrollbar_at(w, d->px, d->py) &&
               !(d->px >= w->x + w->w - PR_RESIZE_GRIP && d->py >= w->y + w->h - PR_RESIZE_GRIP)) {
        /* The scroll bar: drag the thumb, or page towards the click. */
        pr_pane *p = scrollbar_at(w, d->px, d->py);
        double ty, th, range;
        if (thumb(p, &ty, &th, &range)) {
            if (d->py >= ty && d->py < ty + th) {
                d->drag = DRAG_SCROLL;
                d->drag_pane = p;
                d->drag_sy = p->sy;
            } else {
                pr_pane_scroll_by(p, 0, (d->py < ty ? -0.9 : 0.9) * p->h);
                update_highlight(d);
            }
        }
    } else if (left && d->px >= w->x + w->w - PR_RESIZE_GRIP &&
               d->py >= w->y + w->h - PR_RESIZE_GRIP) {
        d->drag = DRAG_RESIZE;
    } else {
        pr_pane *p = pane_at(w, d->px, d->py);
        if (p && p != d->focus_pane) {
            d->focus_pane = p;
            set_editor_focus(d);
        }
        pr_desktop_post(d, &ev);
    }
    if (d->drag != DRAG_NONE) {
        d->drag_win = w;
        d->drag_px = d->px;
        d->drag_py = d->py;
        d->drag_x = w->x;
        d->drag_y = w->y;
        d->drag_w = w->w;
        d->drag_h = w->h;
        update_highlight(d);
    }
}

void pr_desktop_input(pr_desktop *d, const drv_input_event *in)
{
    switch (in->type) {
    case DRV_INPUT_POINTER_MOTION:
        pointer_moved(d, d->px + in->motion.dx, d->py + in->motion.dy);
        break;
    case DRV_INPUT_POINTER_ABSOLUTE:
        pointer_moved(d, in->absolute.x, in->absolute.y);
        break;
    case DRV_INPUT_POINTER_BUTTON:
        button(d, in);
        break;
    case DRV_INPUT_POINTER_AXIS: {
        pr_pane *p = pane_at(window_at(d, d->px, d->py), d->px, d->py);
        if (p) {
            double h;
            pr_text_metrics(d->text, 0, NULL, &h);
            double dy = in->axis.steps_y ? in->axis.steps_y * 3 * h : in->axis.dy;
            double dx = in->axis.steps_x ? in->axis.steps_x * 3 * h : in->axis.dx;
            pr_pane_scroll_by(p, dx, dy);
            update_highlight(d);
        }
        break;
    }
    case DRV_INPUT_KEY: {
        pr_event ev = {.type = PR_EV_KEY, .input = *in};
        locate(d, &ev);
        ev.window = d->focus ? d->focus->id : 0;
        ev.pane = d->focus_pane ? d->focus_pane->id : 0;
        pr_desktop_post(d, &ev);
        break;
    }
    case DRV_INPUT_DEVICE_ADDED:
    case DRV_INPUT_DEVICE_REMOVED: {
        if (in->type == DRV_INPUT_DEVICE_REMOVED && d->drag != DRAG_NONE) {
            /* An unplugged mouse cannot release its button: end the drag here. */
            d->drag = DRAG_NONE;
            d->drag_win = NULL;
            d->buttons = 0;
        }
        pr_event ev = {.type = PR_EV_DEVICE, .input = *in};
        ev.input.dev.name = NULL; /* only valid during the driver's callback */
        pr_desktop_post(d, &ev);
        break;
    }
    case DRV_INPUT_POINTER_LEAVE:
        damage_pointer(d);
        damage_highlight(d);
        d->hl_pane = NULL;
        d->hl_rec = PR_NONE;
        break;
    default:
        break;
    }
}

/* ---- rendering ---- */

static void check_editors(pr_desktop *d)
{
    for (size_t i = 0; i < d->neds; i++) {
        watched_editor *w = &d->eds[i];
        uint64_t v = pr_editor_version(w->ed);
        if (v != w->version) {
            w->version = v;
            const pr_rec *r = pr_output_rec(w->pane->out, w->rec);
            if (r && r->kind == PR_REC_EDITOR)
                damage_doc(w->pane, &r->box, 0);
        }
    }
}

int pr_desktop_needs_frame(pr_desktop *d)
{
    check_editors(d);
    return !cairo_region_is_empty(d->damage);
}

static void draw_pointer(pr_desktop *d, cairo_t *cr)
{
    /* A classic arrow: black with a white edge. */
    static const double pts[][2] = {{0, 0}, {0, 16}, {4, 12}, {7, 19}, {10, 18}, {7, 11}, {12, 11}};
    cairo_save(cr);
    cairo_translate(cr, d->px, d->py);
    cairo_move_to(cr, pts[0][0], pts[0][1]);
    for (size_t i = 1; i < sizeof pts / sizeof *pts; i++)
        cairo_line_to(cr, pts[i][0], pts[i][1]);
    cairo_close_path(cr);
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_fill_preserve(cr);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_set_line_width(cr, 1);
    /* Bevel joins: a mitred sharp tip would poke out of the damaged rectangle. */
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_BEVEL);
    cairo_stroke(cr);
    cairo_restore(cr);
}

static void draw_pane(pr_desktop *d, pr_pane *p, cairo_t *cr, const cairo_rectangle_int_t *ext)
{
    /* The part of the pane inside the repaint extents. */
    double x0 = fmax(p->x, ext->x), y0 = fmax(p->y, ext->y);
    double x1 = fmin(p->x + p->w, ext->x + ext->width), y1 = fmin(p->y + p->h, ext->y + ext->height);
    if (x1 <= x0 || y1 <= y0)
        return;
    cairo_save(cr);
    cairo_rectangle(cr, p->x, p->y, p->w, p->h);
    cairo_clip(cr);
    pr_set_rgba(cr, p->bg);
    cairo_paint(cr);
    cairo_translate(cr, p->x - p->sx, p->y - p->sy);
    pr_output_draw(p->out, cr, x0 - p->x + p->sx, y0 - p->y + p->sy, x1 - p->x + p->sx,
                   y1 - p->y + p->sy);
    if (d->hl_pane == p && d->hl_rec != PR_NONE) {
        const pr_rec *r = pr_output_rec(p->out, d->hl_rec);
        if (r) {
            cairo_rectangle(cr, r->box.x0 - 1.5, r->box.y0 - 1.5, r->box.x1 - r->box.x0 + 3,
                            r->box.y1 - r->box.y0 + 3);
            cairo_set_source_rgb(cr, 0.05, 0.35, 0.9);
            cairo_set_line_width(cr, 1);
            cairo_stroke(cr);
        }
    }
    cairo_restore(cr);
    /* Scroll bar: a thumb showing the visible part of the output. */
    cairo_rectangle(cr, p->x + p->w - PR_SCROLLBAR, p->y, PR_SCROLLBAR, p->h);
    cairo_set_source_rgb(cr, 0.88, 0.88, 0.88);
    cairo_fill(cr);
    double ty, th, range;
    if (thumb(p, &ty, &th, &range)) {
        cairo_rectangle(cr, p->x + p->w - PR_SCROLLBAR + 1, ty, PR_SCROLLBAR - 2, th);
        cairo_set_source_rgb(cr, 0.55, 0.55, 0.6);
        cairo_fill(cr);
    }
}

static void draw_window(pr_desktop *d, pr_window *w, cairo_t *cr, const cairo_rectangle_int_t *ext)
{
    int focused = d->focus == w;
    /* Border and title bar. */
    cairo_rectangle(cr, w->x, w->y, w->w, w->h);
    cairo_set_source_rgb(cr, 0.2, 0.2, 0.22);
    cairo_fill(cr);
    cairo_rectangle(cr, w->x + PR_BORDER, w->y + PR_BORDER, w->w - 2 * PR_BORDER,
                    PR_TITLE_HEIGHT - PR_BORDER);
    if (focused)
        cairo_set_source_rgb(cr, 0.20, 0.40, 0.64);
    else
        cairo_set_source_rgb(cr, 0.52, 0.54, 0.56);
    cairo_fill(cr);
    double tw = w->w - 2 * PR_TITLE_HEIGHT;
    if (tw > 0) {
        pango_layout_set_width(w->title_layout, (int)(tw * PANGO_SCALE));
        int lh;
        pango_layout_get_pixel_size(w->title_layout, NULL, &lh);
        cairo_move_to(cr, w->x + 8, w->y + (PR_TITLE_HEIGHT - lh) / 2.0);
        pr_set_rgba(cr, pr_text_style_color(d->text, d->title_style));
        pango_cairo_show_layout(cr, w->title_layout);
    }
    /* Close box: an X in the title bar's right end. */
    double cx = w->x + w->w - PR_TITLE_HEIGHT + 6, cy = w->y + 6, cs = PR_TITLE_HEIGHT - 12;
    cairo_move_to(cr, cx, cy);
    cairo_line_to(cr, cx + cs, cy + cs);
    cairo_move_to(cr, cx + cs, cy);
    cairo_line_to(cr, cx, cy + cs);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_set_line_width(cr, 2);
    cairo_stroke(cr);
    for (size_t i = 0; i < w->npanes; i++)
        draw_pane(d, w->panes[i], cr, ext);
    /* Resize grip: three diagonal strokes in the bottom-right corner. */
    double gx = w->x + w->w - PR_BORDER, gy = w->y + w->h - PR_BORDER;
    cairo_set_source_rgb(cr, 0.35, 0.35, 0.4);
    cairo_set_line_width(cr, 1);
    for (int k = 1; k <= 3; k++) {
        cairo_move_to(cr, gx - 4 * k, gy);
        cairo_line_to(cr, gx, gy - 4 * k);
    }
    cairo_stroke(cr);
}

/* Draws everything inside `clip` (already the cairo clip) whose extents are ext. */
static void draw_region(pr_desktop *d, cairo_t *cr, const cairo_rectangle_int_t *ext)
{
    pr_set_rgba(cr, d->bg);
    cairo_paint(cr);
    for (size_t i = 0; i < d->nwins; i++) {
        pr_window *w = d->wins[i];
        if (w->x >= ext->x + ext->width || w->x + w->w <= ext->x || w->y >= ext->y + ext->height ||
            w->y + w->h <= ext->y)
            continue;
        draw_window(d, w, cr, ext);
    }
    if (d->draw_pointer)
        draw_pointer(d, cr);
}

void pr_desktop_draw_all(pr_desktop *d, cairo_t *cr)
{
    cairo_rectangle_int_t ext = {0, 0, d->width, d->height};
    update_highlight(d);
    cairo_save(cr);
    draw_region(d, cr, &ext);
    cairo_restore(cr);
}

/* Whether a window above p's window covers part of the pane. */
static int pane_obscured(pr_desktop *d, pr_pane *p)
{
    size_t i = 0;
    while (i < d->nwins && d->wins[i] != p->win)
        i++;
    for (i++; i < d->nwins; i++) {
        pr_window *w = d->wins[i];
        if (w->x < p->x + p->w && w->x + w->w > p->x && w->y < p->y + p->h && w->y + w->h > p->y)
            return 1;
    }
    return 0;
}

/* Moves the pixels of the rectangle (x, y, w, h) (device pixels) up by dy rows (down
 * when dy < 0) inside an image surface: memmove per row, in the order that does not
 * overwrite rows still to be moved. */
static void move_rows(cairo_surface_t *s, int x, int y, int w, int h, int dy)
{
    unsigned char *data = cairo_image_surface_get_data(s);
    int stride = cairo_image_surface_get_stride(s);
    int rows = h - abs(dy);
    cairo_surface_flush(s);
    if (dy > 0)
        for (int r = 0; r < rows; r++)
            memmove(data + (size_t)(y + r) * stride + x * 4, data + (size_t)(y + r + dy) * stride + x * 4, (size_t)w * 4);
    else
        for (int r = rows - 1; r >= 0; r--)
            memmove(data + (size_t)(y + r - dy) * stride + x * 4, data + (size_t)(y + r) * stride + x * 4, (size_t)w * 4);
    cairo_surface_mark_dirty(s);
}

static void scroll_pane(pr_desktop *d, pr_pane *p, const drv_display_frame *f, cairo_region_t *moved)
{
    double dy = p->pend_dy;
    int ok = !p->pend_full && f->age == 1 && f->scale == floor(f->scale) &&
             p->x == floor(p->x) && p->y == floor(p->y) && p->w == floor(p->w) &&
             p->h == floor(p->h) && dy == floor(dy) && fabs(dy) < p->h && !pane_obscured(d, p);
    cairo_format_t fmt = cairo_image_surface_get_format(f->surface);
    if (fmt != CAIRO_FORMAT_RGB24 && fmt != CAIRO_FORMAT_ARGB32)
        ok = 0;
    double cw = p->w - PR_SCROLLBAR;
    /* Clip to the desktop: a pane partly off screen is redrawn instead. */
    if (p->x < 0 || p->y < 0 || p->x + cw > d->width || p->y + p->h > d->height || cw <= 0)
        ok = 0;
    if (ok) {
        int sc = (int)f->scale;
        move_rows(f->surface, (int)p->x * sc, (int)p->y * sc, (int)cw * sc, (int)p->h * sc,
                  (int)dy * sc);
        cairo_rectangle_int_t all = {(int)p->x, (int)p->y, (int)cw, (int)p->h};
        cairo_region_union_rectangle(moved, &all);
        /* The rows scrolled into view. */
        if (dy > 0)
            pr_desktop_damage(d, p->x, p->y + p->h - dy, cw, dy);
        else
            pr_desktop_damage(d, p->x, p->y, cw, -dy);
        /* Things drawn over the pane's content in the last frame (the pointer, the
         * window's resize grip) moved with the pixels: erase those copies, and draw
         * them again where they are (their pixels were replaced). */
        double ov[2][4] = {
            {d->ptr_x - 2, d->ptr_y - 2, 16, 24},
            {p->win->x + p->win->w - PR_RESIZE_GRIP, p->win->y + p->win->h - PR_RESIZE_GRIP,
             PR_RESIZE_GRIP, PR_RESIZE_GRIP},
        };
        for (int k = d->ptr_drawn ? 0 : 1; k < 2; k++) {
            pr_desktop_damage(d, ov[k][0], ov[k][1], ov[k][2], ov[k][3]);
            double x0 = fmax(ov[k][0], p->x), x1 = fmin(ov[k][0] + ov[k][2], p->x + cw);
            double y0 = fmax(ov[k][1] - dy, p->y), y1 = fmin(ov[k][1] + ov[k][3] - dy, p->y + p->h);
            if (x1 > x0 && y1 > y0)
                pr_desktop_damage(d, x0, y0, x1 - x0, y1 - y0);
        }
        d->blits++;
    } else {
        damage_pane(p);
    }
    p->pend = p->pend_full = 0;
    p->pend_dy = 0;
}

static void scroll_panes(pr_desktop *d, const drv_display_frame *f, cairo_region_t *moved)
{
    for (size_t i = 0; i < d->nwins; i++)
        for (size_t j = 0; j < d->wins[i]->npanes; j++) {
            pr_pane *p = d->wins[i]->panes[j];
            if (p->pend || p->pend_full)
                scroll_pane(d, p, f, moved);
        }
}

/* Adds a damage rectangle to the path, rounded outward to whole device pixels: at a
 * fractional scale a logical edge falls inside a device pixel, and an antialiased clip
 * edge there would blend the old frame into the new one. The same rounding makes the
 * rectangles handed to end_frame. */
static void clip_path(cairo_t *cr, const cairo_rectangle_int_t *rc, double s)
{
    double x0 = floor(rc->x * s) / s, y0 = floor(rc->y * s) / s;
    double x1 = ceil((rc->x + rc->width) * s) / s, y1 = ceil((rc->y + rc->height) * s) / s;
    cairo_rectangle(cr, x0, y0, x1 - x0, y1 - y0);
}

/* The logical rectangle that covers a clip_path: one more pixel around when the scale
 * is fractional (for culling windows and records only). */
static void widen(cairo_rectangle_int_t *rc, double s)
{
    if (s == floor(s))
        return;
    rc->x -= 1;
    rc->y -= 1;
    rc->width += 2;
    rc->height += 2;
}

int pr_desktop_render(pr_desktop *d, const drv_display_ops *ops, drv_display *disp)
{
    check_editors(d);
    update_highlight(d);
    drv_display_frame f;
    int r = ops->begin_frame(disp, &f);
    if (r < 0)
        return r;
    /* Panes scrolled since the last frame: move their pixels when the buffer holds the
     * last frame, else redraw them. `moved` is what the blits changed: damage for the
     * other buffers (history), not to repaint in this one. */
    cairo_region_t *moved = cairo_region_create();
    scroll_panes(d, &f, moved);
    cairo_region_t *repaint = cairo_region_copy(d->damage);
    if (f.age <= 0 || f.age > HIST + 1) {
        cairo_rectangle_int_t all = {0, 0, d->width, d->height};
        cairo_region_union_rectangle(repaint, &all);
    } else {
        for (int i = 0; i < f.age - 1; i++) {
            if (!d->hist[i]) {
                cairo_rectangle_int_t all = {0, 0, d->width, d->height};
                cairo_region_union_rectangle(repaint, &all);
                break;
            }
            cairo_region_union(repaint, d->hist[i]);
        }
    }
    int n = cairo_region_num_rectangles(repaint);
    cairo_t *cr = cairo_create(f.surface);
    double area = 0;
    for (int i = 0; i < n; i++) {
        cairo_rectangle_int_t rc;
        cairo_region_get_rectangle(repaint, i, &rc);
        area += (double)rc.width * rc.height;
    }
    if (n > 0 && n <= 8) {
        /* A few rectangles (a key's line, a scroll's strip, the pointer): draw each on
         * its own, so that only the records meeting it are visited and drawn. */
        for (int i = 0; i < n; i++) {
            cairo_rectangle_int_t rc;
            cairo_region_get_rectangle(repaint, i, &rc);
            cairo_save(cr);
            clip_path(cr, &rc, f.scale);
            cairo_clip(cr);
            widen(&rc, f.scale);
            draw_region(d, cr, &rc);
            cairo_restore(cr);
        }
    } else if (n > 8) {
        /* Many rectangles: one pass over their extents, clipped to the region. */
        for (int i = 0; i < n; i++) {
            cairo_rectangle_int_t rc;
            cairo_region_get_rectangle(repaint, i, &rc);
            clip_path(cr, &rc, f.scale);
        }
        cairo_clip(cr);
        cairo_rectangle_int_t ext;
        cairo_region_get_extents(repaint, &ext);
        widen(&ext, f.scale);
        draw_region(d, cr, &ext);
    }
    cairo_destroy(cr);
    /* Damage in device pixels, rounded outward. */
    drv_rect stack_rects[64], *rects = n <= 64 ? stack_rects : malloc(n * sizeof *rects);
    int nr = 0;
    if (rects) {
        for (int i = 0; i < n; i++) {
            cairo_rectangle_int_t rc;
            cairo_region_get_rectangle(repaint, i, &rc);
            int x0 = (int)floor(rc.x * f.scale), y0 = (int)floor(rc.y * f.scale);
            int x1 = (int)ceil((rc.x + rc.width) * f.scale), y1 = (int)ceil((rc.y + rc.height) * f.scale);
            rects[nr++] = (drv_rect){x0, y0, x1 - x0, y1 - y0};
        }
    }
    r = ops->end_frame(disp, rects, rects ? nr : 0);
    if (rects != stack_rects)
        free(rects);
    cairo_region_destroy(repaint);
    if (d->hist[HIST - 1])
        cairo_region_destroy(d->hist[HIST - 1]);
    memmove(d->hist + 1, d->hist, (HIST - 1) * sizeof *d->hist);
    cairo_region_union(d->damage, moved);
    cairo_region_destroy(moved);
    d->hist[0] = d->damage;
    d->damage = cairo_region_create();
    d->ptr_drawn = d->draw_pointer;
    d->ptr_x = d->px;
    d->ptr_y = d->py;
    d->last_area = area;
    d->last_rects = n;
    return r;
}

void pr_desktop_last_frame(pr_desktop *d, double *area, int *nrects)
{
    if (area)
        *area = d->last_area;
    if (nrects)
        *nrects = d->last_rects;
}
