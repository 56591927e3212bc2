/* presentation/output.c: output records, their band indexes, hit-testing and drawing
 * (pr/output.h). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pr/editor.h"
#include "pr/output.h"

/* Text layouts are cached per record and dropped first-in first-out beyond this many;
 * visible text stays cached across frames, scrolled-away text is re-shaped on demand. */
#define LAYOUT_CACHE_MAX 8192

typedef struct idvec {
    pr_rec_id *v;
    uint32_t n, cap;
} idvec;

struct pr_output {
    pr_text *text;
    pr_rec *recs;
    size_t n, cap;
    char *arena; /* text of all text records */
    size_t alen, acap;
    void **objs; /* images (cairo_surface_t *) and editors, by index */
    size_t nobjs, cobjs;
    idvec *draw_bands, *pres_bands; /* per PR_BAND_HEIGHT strip */
    size_t nbands;
    idvec tall_draw, tall_pres;
    idvec stack; /* open groups */
    /* the writing cursor; the current line starts at record line_first and its
     * baseline is line_asc below its top (at least the base style's ascent) */
    double x, y, margin, line_h, line_asc;
    pr_rec_id line_first;
    int style, base_style;
    double ext_w, ext_h;
    /* layout cache FIFO */
    pr_rec_id *lru;
    size_t lru_n, lru_pos;
    void (*damage)(void *data, const pr_bbox *b);
    void *damage_data;
    idvec scratch;
};

static int idvec_push(idvec *v, pr_rec_id id)
{
    if (v->n == v->cap) {
        uint32_t cap = v->cap ? v->cap * 2 : 8;
        pr_rec_id *nv = realloc(v->v, cap * sizeof *nv);
        if (!nv)
            return -ENOMEM;
        v->v = nv;
        v->cap = cap;
    }
    v->v[v->n++] = id;
    return 0;
}

pr_output *pr_output_new(pr_text *text)
{
    pr_output *o = calloc(1, sizeof *o);
    if (!o)
        return NULL;
    o->text = text;
    o->lru = malloc(LAYOUT_CACHE_MAX * sizeof *o->lru);
    if (!o->lru) {
        free(o);
        return NULL;
    }
    return o;
}

static void release_rec(pr_output *o, pr_rec *r)
{
    if (r->cache) {
        g_object_unref(r->cache);
        r->cache = NULL;
    }
    if (r->kind == PR_REC_IMAGE && o->objs[r->a]) {
        cairo_surface_destroy(o->objs[r->a]);
        o->objs[r->a] = NULL;
    }
}

void pr_output_clear(pr_output *o)
{
    pr_bbox all = {0, 0, (float)o->ext_w, (float)o->ext_h};
    for (size_t i = 0; i < o->n; i++)
        release_rec(o, &o->recs[i]);
    o->n = o->alen = o->nobjs = 0;
    for (size_t i = 0; i < o->nbands; i++)
        o->draw_bands[i].n = o->pres_bands[i].n = 0;
    o->tall_draw.n = o->tall_pres.n = o->stack.n = 0;
    o->x = o->margin;
    o->y = o->line_h = o->line_asc = 0;
    o->line_first = 0;
    o->ext_w = o->ext_h = 0;
    o->lru_n = o->lru_pos = 0;
    if (o->damage && all.x1 > 0 && all.y1 > 0)
        o->damage(o->damage_data, &all);
}

void pr_output_free(pr_output *o)
{
    if (!o)
        return;
    pr_output_clear(o);
    for (size_t i = 0; i < o->nbands; i++) {
        free(o->draw_bands[i].v);
        free(o->pres_bands[i].v);
    }
    free(o->draw_bands);
    free(o->pres_bands);
    free(o->tall_draw.v);
    free(o->tall_pres.v);
    free(o->stack.v);
    free(o->scratch.v);
    free(o->recs);
    free(o->arena);
    free(o->objs);
    free(o->lru);
    free(o);
}

void pr_output_set_damage_hook(pr_output *o, void (*fn)(void *, const pr_bbox *), void *data)
{
    o->damage = fn;
    o->damage_data = data;
}

pr_text *pr_output_text(pr_output *o) { return o->text; }

static pr_rec *new_rec(pr_output *o, pr_rec_kind kind, pr_rec_id *id)
{
    if (o->n == o->cap) {
        size_t cap = o->cap ? o->cap * 2 : 256;
        pr_rec *nr = realloc(o->recs, cap * sizeof *nr);
        if (!nr)
            return NULL;
        o->recs = nr;
        o->cap = cap;
    }
    *id = (pr_rec_id)o->n;
    pr_rec *r = &o->recs[o->n++];
    memset(r, 0, sizeof *r);
    r->kind = (uint8_t)kind;
    r->parent = o->stack.n ? o->stack.v[o->stack.n - 1] : PR_NONE;
    r->depth = (uint16_t)o->stack.n;
    return r;
}

static int ensure_bands(pr_output *o, size_t nb)
{
    if (nb <= o->nbands)
        return 0;
    size_t cap = o->nbands ? o->nbands : 64;
    while (cap < nb)
        cap *= 2;
    idvec *d = realloc(o->draw_bands, cap * sizeof *d);
    if (!d)
        return -ENOMEM;
    o->draw_bands = d;
    idvec *p = realloc(o->pres_bands, cap * sizeof *p);
    if (!p)
        return -ENOMEM;
    o->pres_bands = p;
    memset(d + o->nbands, 0, (cap - o->nbands) * sizeof *d);
    memset(p + o->nbands, 0, (cap - o->nbands) * sizeof *p);
    o->nbands = cap;
    return 0;
}

/* Band range of a box: [*b0, *b1]; returns 0 when the box lies above y = 0 entirely. */
static int band_range(const pr_bbox *b, size_t *b0, size_t *b1)
{
    if (b->y1 <= 0)
        return 0;
    *b0 = b->y0 <= 0 ? 0 : (size_t)(b->y0 / PR_BAND_HEIGHT);
    float last = b->y1 > b->y0 ? b->y1 - 1e-3f : b->y0;
    *b1 = last <= 0 ? 0 : (size_t)(last / PR_BAND_HEIGHT);
    return 1;
}

/* Puts a record into the index (bands or the tall list). Records above y = 0 or taller
 * than PR_BAND_TALL bands go to the tall list. */
static void index_rec(pr_output *o, pr_rec_id id, int pres)
{
    pr_rec *r = &o->recs[id];
    size_t b0, b1;
    idvec *tall = pres ? &o->tall_pres : &o->tall_draw;
    if (r->box.y0 < 0 || !band_range(&r->box, &b0, &b1) || b1 - b0 >= PR_BAND_TALL ||
        ensure_bands(o, b1 + 1) < 0) {
        idvec_push(tall, id);
        return;
    }
    idvec *bands = pres ? o->pres_bands : o->draw_bands;
    for (size_t b = b0; b <= b1; b++)
        idvec_push(&bands[b], id);
}

static void grow_extent(pr_output *o, const pr_bbox *b)
{
    if (b->x1 > o->ext_w)
        o->ext_w = b->x1;
    if (b->y1 > o->ext_h)
        o->ext_h = b->y1;
}

static void added_leaf(pr_output *o, pr_rec_id id)
{
    pr_rec *r = &o->recs[id];
    index_rec(o, id, 0);
    grow_extent(o, &r->box);
    if (o->damage)
        o->damage(o->damage_data, &r->box);
}

static void cache_layout(pr_output *o, pr_rec_id id, PangoLayout *l)
{
    pr_rec *r = &o->recs[id];
    r->cache = l;
    if (o->lru_n < LAYOUT_CACHE_MAX) {
        o->lru[o->lru_n++] = id;
        return;
    }
    pr_rec_id old = o->lru[o->lru_pos];
    if (old < o->n && o->recs[old].cache && old != id) {
        g_object_unref(o->recs[old].cache);
        o->recs[old].cache = NULL;
    }
    o->lru[o->lru_pos] = id;
    o->lru_pos = (o->lru_pos + 1) % LAYOUT_CACHE_MAX;
}

static PangoLayout *rec_layout(pr_output *o, pr_rec_id id)
{
    pr_rec *r = &o->recs[id];
    if (!r->cache)
        cache_layout(o, id, pr_text_layout(o->text, r->style, o->arena + r->a, (int)r->b));
    return r->cache;
}

/* The current line's baseline offset, starting at the base style's ascent. */
static double line_ascent(pr_output *o)
{
    if (o->line_asc <= 0)
        pr_text_metrics(o->text, o->base_style, &o->line_asc, NULL);
    return o->line_asc;
}

static void unindex(pr_output *o, pr_rec_id id, int pres)
{
    const pr_rec *r = &o->recs[id];
    size_t b0, b1;
    idvec *tall = pres ? &o->tall_pres : &o->tall_draw;
    idvec *bands = pres ? o->pres_bands : o->draw_bands;
    /* Where index_rec put it: its bands, or the tall list. Scan from the end: the ids of
     * the current line are the most recent. */
    idvec *vs[PR_BAND_TALL + 1];
    size_t nv = 0;
    if (r->box.y0 < 0 || !band_range(&r->box, &b0, &b1) || b1 - b0 >= PR_BAND_TALL ||
        b1 >= o->nbands)
        vs[nv++] = tall;
    else
        for (size_t b = b0; b <= b1; b++)
            vs[nv++] = &bands[b];
    for (size_t k = 0; k < nv; k++) {
        idvec *v = vs[k];
        for (uint32_t i = v->n; i-- > 0;)
            if (v->v[i] == id) {
                memmove(v->v + i, v->v + i + 1, (v->n - i - 1) * sizeof *v->v);
                v->n--;
                break;
            }
    }
}

/* A run taller than the line so far: the line's baseline moves down, and every run
 * already on the line (and every closed presentation made of them) with it. */
static void lower_baseline(pr_output *o, pr_rec_id upto, double asc)
{
    float delta = (float)(asc - o->line_asc);
    o->line_asc = asc;
    for (pr_rec_id i = o->line_first; i < upto; i++) {
        pr_rec *r = &o->recs[i];
        if (!(r->flags & PR_REC_FLOW))
            continue;
        if (o->damage)
            o->damage(o->damage_data, &r->box);
        unindex(o, i, 0);
        r->box.y0 += delta;
        r->box.y1 += delta;
        index_rec(o, i, 0);
        grow_extent(o, &r->box);
        if (o->damage)
            o->damage(o->damage_data, &r->box);
        /* Closed groups around it grow to cover its new place. */
        for (pr_rec_id g = r->parent; g != PR_NONE; g = o->recs[g].parent) {
            pr_rec *gr = &o->recs[g];
            int open = 0;
            for (uint32_t k = 0; k < o->stack.n; k++)
                open |= o->stack.v[k] == g;
            if (open)
                break;
            if (gr->type)
                unindex(o, g, 1);
            if (r->box.y1 > gr->box.y1)
                gr->box.y1 = r->box.y1;
            if (r->box.y0 > gr->box.y0) {
                /* Recompute the top from the children (they all moved or not). */
                float top = INFINITY;
                for (pr_rec_id c = g + 1; c < upto && o->recs[c].depth > gr->depth; c++)
                    if (o->recs[c].box.y0 < top)
                        top = o->recs[c].box.y0;
                if (top != INFINITY)
                    gr->box.y0 = top;
            }
            if (gr->type)
                index_rec(o, g, 1);
        }
    }
    o->line_h += delta;
}

static pr_rec_id write_segment(pr_output *o, const char *s, size_t len)
{
    if (o->alen + len > o->acap) {
        size_t cap = o->acap ? o->acap : 4096;
        while (cap < o->alen + len)
            cap *= 2;
        char *na = realloc(o->arena, cap);
        if (!na)
            return PR_NONE;
        o->arena = na;
        o->acap = cap;
    }
    pr_rec_id id;
    pr_rec *r = new_rec(o, PR_REC_TEXT, &id);
    if (!r)
        return PR_NONE;
    memcpy(o->arena + o->alen, s, len);
    r->a = (uint32_t)o->alen;
    r->b = (uint32_t)len;
    r->style = (uint16_t)o->style;
    o->alen += len;
    PangoLayout *l = pr_text_layout(o->text, o->style, s, (int)len);
    PangoRectangle log;
    pango_layout_get_pixel_extents(l, NULL, &log);
    double asc;
    pr_text_metrics(o->text, o->style, &asc, NULL);
    if (asc > line_ascent(o))
        lower_baseline(o, id, asc);
    /* Align baselines: a smaller run sits lower, so the line shares one baseline. */
    double y0 = o->y + (o->line_asc - asc);
    r = &o->recs[id];
    r->flags = PR_REC_FLOW;
    r->box = (pr_bbox){(float)o->x, (float)y0, (float)(o->x + log.width),
                       (float)(y0 + log.height)};
    cache_layout(o, id, l);
    o->x += log.width;
    if (r->box.y1 - o->y > o->line_h)
        o->line_h = r->box.y1 - o->y;
    added_leaf(o, id);
    return id;
}

void pr_output_newline(pr_output *o)
{
    double h;
    pr_text_metrics(o->text, o->base_style, NULL, &h);
    o->y += o->line_h > h ? o->line_h : h;
    o->x = o->margin;
    o->line_h = 0;
    o->line_asc = 0;
    o->line_first = (pr_rec_id)o->n;
    if (o->y > o->ext_h)
        o->ext_h = o->y;
}

pr_rec_id pr_output_write(pr_output *o, const char *utf8, size_t len)
{
    pr_rec_id last = PR_NONE;
    char *valid = NULL;
    if (!g_utf8_validate(utf8, (gssize)len, NULL)) {
        valid = g_utf8_make_valid(utf8, (gssize)len);
        utf8 = valid;
        len = strlen(valid);
    }
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i == len || utf8[i] == '\n') {
            if (i > start) {
                pr_rec_id id = write_segment(o, utf8 + start, i - start);
                if (id != PR_NONE)
                    last = id;
            }
            if (i < len)
                pr_output_newline(o);
            start = i + 1;
        }
    }
    g_free(valid);
    return last;
}

void pr_output_set_style(pr_output *o, int style) { o->style = style; }
int pr_output_style(pr_output *o) { return o->style; }
void pr_output_cursor(pr_output *o, double *x, double *y)
{
    *x = o->x;
    *y = o->y;
}
void pr_output_set_cursor(pr_output *o, double x, double y)
{
    o->x = x;
    o->y = y;
    o->line_h = 0;
    o->line_asc = 0;
    o->line_first = (pr_rec_id)o->n;
}
void pr_output_set_margin(pr_output *o, double left)
{
    if (o->x == o->margin)
        o->x = left;
    o->margin = left;
}

pr_rec_id pr_output_begin(pr_output *o, int64_t object, uint16_t type)
{
    if (o->stack.n >= UINT16_MAX || type >= PR_MAX_TYPES)
        return PR_NONE;
    pr_rec_id id;
    pr_rec *r = new_rec(o, PR_REC_GROUP, &id);
    if (!r)
        return PR_NONE;
    r->type = type;
    r->object = object;
    /* Empty box at the cursor until closed (inverted, so the first child sets it). */
    r->box = (pr_bbox){INFINITY, INFINITY, -INFINITY, -INFINITY};
    if (idvec_push(&o->stack, id) < 0) {
        o->n--;
        return PR_NONE;
    }
    return id;
}

pr_rec_id pr_output_end(pr_output *o)
{
    if (o->stack.n == 0)
        return PR_NONE;
    pr_rec_id id = o->stack.v[--o->stack.n];
    pr_rec *g = &o->recs[id];
    /* Children are exactly the records after the group (until the next record that is
     * not a descendant); their boxes accumulate into the group's. */
    for (size_t i = id + 1; i < o->n; i++) {
        pr_rec *c = &o->recs[i];
        if (c->depth <= g->depth)
            break;
        if (c->box.x0 > c->box.x1)
            continue;
        if (c->box.x0 < g->box.x0) g->box.x0 = c->box.x0;
        if (c->box.y0 < g->box.y0) g->box.y0 = c->box.y0;
        if (c->box.x1 > g->box.x1) g->box.x1 = c->box.x1;
        if (c->box.y1 > g->box.y1) g->box.y1 = c->box.y1;
    }
    if (g->box.x0 > g->box.x1)
        g->box = (pr_bbox){(float)o->x, (float)o->y, (float)o->x, (float)o->y};
    if (g->type)
        index_rec(o, id, 1);
    return id;
}

pr_rec_id pr_output_rect(pr_output *o, double x, double y, double w, double h, uint32_t rgba,
                         int outline)
{
    pr_rec_id id;
    pr_rec *r = new_rec(o, PR_REC_RECT, &id);
    if (!r)
        return PR_NONE;
    if (w < 0) { x += w; w = -w; }
    if (h < 0) { y += h; h = -h; }
    r->box = (pr_bbox){(float)x, (float)y, (float)(x + w), (float)(y + h)};
    r->a = rgba;
    r->style = outline ? 1 : 0;
    added_leaf(o, id);
    return id;
}

pr_rec_id pr_output_line(pr_output *o, double x0, double y0, double x1, double y1,
                         uint32_t rgba, int width)
{
    pr_rec_id id;
    pr_rec *r = new_rec(o, PR_REC_LINE, &id);
    if (!r)
        return PR_NONE;
    double hw = (width < 1 ? 1 : width) / 2.0 + 1;
    /* The box covers the stroke; a (a) and b store the direction for drawing. */
    r->box = (pr_bbox){(float)(fmin(x0, x1) - hw), (float)(fmin(y0, y1) - hw),
                       (float)(fmax(x0, x1) + hw), (float)(fmax(y0, y1) + hw)};
    r->a = rgba;
    r->style = (uint16_t)(width < 1 ? 1 : width);
    /* Which diagonal: bit 0 set when the line goes from top-right to bottom-left. */
    r->b = ((x0 < x1) != (y0 < y1)) ? 1 : 0;
    added_leaf(o, id);
    return id;
}

static int add_obj(pr_output *o, void *p, uint32_t *index)
{
    if (o->nobjs == o->cobjs) {
        size_t cap = o->cobjs ? o->cobjs * 2 : 16;
        void **no = realloc(o->objs, cap * sizeof *no);
        if (!no)
            return -ENOMEM;
        o->objs = no;
        o->cobjs = cap;
    }
    *index = (uint32_t)o->nobjs;
    o->objs[o->nobjs++] = p;
    return 0;
}

pr_rec_id pr_output_image(pr_output *o, double x, double y, cairo_surface_t *image)
{
    uint32_t idx;
    if (!image || add_obj(o, cairo_surface_reference(image), &idx) < 0)
        return PR_NONE;
    pr_rec_id id;
    pr_rec *r = new_rec(o, PR_REC_IMAGE, &id);
    if (!r) {
        cairo_surface_destroy(image);
        o->nobjs--;
        return PR_NONE;
    }
    r->a = idx;
    int w = cairo_image_surface_get_width(image), h = cairo_image_surface_get_height(image);
    r->box = (pr_bbox){(float)x, (float)y, (float)(x + w), (float)(y + h)};
    added_leaf(o, id);
    return id;
}

pr_rec_id pr_output_editor(pr_output *o, pr_editor *ed, double width)
{
    uint32_t idx;
    if (add_obj(o, ed, &idx) < 0)
        return PR_NONE;
    pr_rec_id id;
    pr_rec *r = new_rec(o, PR_REC_EDITOR, &id);
    if (!r)
        return PR_NONE;
    double h;
    pr_text_metrics(o->text, o->style, NULL, &h);
    r->a = idx;
    r->style = (uint16_t)o->style;
    r->box = (pr_bbox){(float)o->x, (float)o->y, (float)(o->x + width), (float)(o->y + h + 2)};
    o->line_h = h + 2;
    added_leaf(o, id);
    pr_output_newline(o);
    return id;
}

static void filter_vec(idvec *v, pr_rec_id first)
{
    uint32_t k = 0;
    for (uint32_t i = 0; i < v->n; i++)
        if (v->v[i] < first)
            v->v[k++] = v->v[i];
    v->n = k;
}

void pr_output_truncate(pr_output *o, pr_rec_id first, pr_bbox *removed)
{
    pr_bbox u = {INFINITY, INFINITY, -INFINITY, -INFINITY};
    if (first >= o->n) {
        if (removed)
            *removed = (pr_bbox){0, 0, 0, 0};
        return;
    }
    size_t alen = o->alen, nobjs = o->nobjs;
    for (size_t i = first; i < o->n; i++) {
        pr_rec *r = &o->recs[i];
        if (r->box.x0 <= r->box.x1) {
            if (r->box.x0 < u.x0) u.x0 = r->box.x0;
            if (r->box.y0 < u.y0) u.y0 = r->box.y0;
            if (r->box.x1 > u.x1) u.x1 = r->box.x1;
            if (r->box.y1 > u.y1) u.y1 = r->box.y1;
        }
        if (r->kind == PR_REC_TEXT && r->a < alen)
            alen = r->a;
        if ((r->kind == PR_REC_IMAGE || r->kind == PR_REC_EDITOR) && r->a < nobjs)
            nobjs = r->a;
        release_rec(o, r);
    }
    o->n = first;
    o->alen = alen;
    o->nobjs = nobjs;
    /* Only bands the removed records covered can hold their ids. */
    if (u.x0 <= u.x1) {
        size_t b0, b1;
        pr_bbox c = u;
        if (c.y0 < 0)
            c.y0 = 0;
        if (band_range(&c, &b0, &b1))
            for (size_t b = b0; b <= b1 && b < o->nbands; b++) {
                filter_vec(&o->draw_bands[b], first);
                filter_vec(&o->pres_bands[b], first);
            }
    }
    filter_vec(&o->tall_draw, first);
    filter_vec(&o->tall_pres, first);
    filter_vec(&o->stack, first);
    if (o->line_first > first)
        o->line_first = first;
    o->ext_w = o->ext_h = 0;
    for (size_t i = 0; i < o->n; i++)
        if (o->recs[i].box.x0 <= o->recs[i].box.x1)
            grow_extent(o, &o->recs[i].box);
    if (o->y > o->ext_h)
        o->ext_h = o->y;
    if (u.x0 > u.x1)
        u = (pr_bbox){0, 0, 0, 0};
    if (removed)
        *removed = u;
    if (o->damage && u.x1 > u.x0)
        o->damage(o->damage_data, &u);
}

size_t pr_output_count(const pr_output *o) { return o->n; }

const pr_rec *pr_output_rec(const pr_output *o, pr_rec_id id)
{
    return id < o->n ? &o->recs[id] : NULL;
}

const char *pr_output_rec_text(const pr_output *o, pr_rec_id id, size_t *len)
{
    if (id >= o->n || o->recs[id].kind != PR_REC_TEXT)
        return NULL;
    *len = o->recs[id].b;
    return o->arena + o->recs[id].a;
}

pr_editor *pr_output_rec_editor(const pr_output *o, pr_rec_id id)
{
    if (id >= o->n || o->recs[id].kind != PR_REC_EDITOR)
        return NULL;
    return o->objs[o->recs[id].a];
}

void pr_output_extent(const pr_output *o, double *w, double *h)
{
    *w = o->ext_w;
    *h = o->ext_h;
}

static inline int contains(const pr_bbox *b, float x, float y)
{
    return x >= b->x0 && x < b->x1 && y >= b->y0 && y < b->y1;
}

static inline void consider(const pr_output *o, pr_rec_id id, float x, float y,
                            const pr_typeset *s, pr_rec_id *best, int *best_depth)
{
    const pr_rec *r = &o->recs[id];
    if (!contains(&r->box, x, y) || (s && !pr_typeset_has(s, r->type)))
        return;
    if (r->depth > *best_depth || (r->depth == *best_depth && id > *best)) {
        *best = id;
        *best_depth = r->depth;
    }
}

pr_rec_id pr_output_hit(const pr_output *o, double x, double y, const pr_typeset *s)
{
    pr_rec_id best = PR_NONE;
    int best_depth = -1;
    float fx = (float)x, fy = (float)y;
    if (fy >= 0) {
        size_t b = (size_t)(fy / PR_BAND_HEIGHT);
        if (b < o->nbands) {
            const idvec *v = &o->pres_bands[b];
            for (uint32_t i = 0; i < v->n; i++)
                consider(o, v->v[i], fx, fy, s, &best, &best_depth);
        }
    }
    for (uint32_t i = 0; i < o->tall_pres.n; i++)
        consider(o, o->tall_pres.v[i], fx, fy, s, &best, &best_depth);
    return best;
}

static int cmp_id(const void *a, const void *b)
{
    pr_rec_id x = *(const pr_rec_id *)a, y = *(const pr_rec_id *)b;
    return x < y ? -1 : x > y;
}

void pr_output_visit(pr_output *o, double x0, double y0, double x1, double y1,
                     void (*fn)(void *, pr_output *, pr_rec_id, pr_rec *), void *data)
{
    idvec *sc = &o->scratch;
    sc->n = 0;
    pr_bbox q = {(float)x0, (float)y0, (float)x1, (float)y1};
    size_t b0, b1;
    if (q.y0 < 0)
        q.y0 = 0;
    if (band_range(&q, &b0, &b1)) {
        for (size_t b = b0; b <= b1 && b < o->nbands; b++) {
            const idvec *v = &o->draw_bands[b];
            for (uint32_t i = 0; i < v->n; i++)
                idvec_push(sc, v->v[i]);
        }
    }
    for (uint32_t i = 0; i < o->tall_draw.n; i++)
        idvec_push(sc, o->tall_draw.v[i]);
    if (sc->n > 1)
        qsort(sc->v, sc->n, sizeof *sc->v, cmp_id);
    pr_rec_id prev = PR_NONE;
    for (uint32_t i = 0; i < sc->n; i++) {
        pr_rec_id id = sc->v[i];
        if (id == prev)
            continue;
        prev = id;
        pr_rec *r = &o->recs[id];
        if (r->box.x1 <= x0 || r->box.x0 >= x1 || r->box.y1 <= y0 || r->box.y0 >= y1)
            continue;
        fn(data, o, id, r);
    }
}

typedef struct draw_ctx {
    cairo_t *cr;
    int focused_editor;
} draw_ctx;

static void draw_rec(void *data, pr_output *o, pr_rec_id id, pr_rec *r)
{
    cairo_t *cr = data;
    switch (r->kind) {
    case PR_REC_TEXT: {
        PangoLayout *l = rec_layout(o, id);
        pr_set_rgba(cr, pr_text_style_color(o->text, r->style));
        cairo_move_to(cr, r->box.x0, r->box.y0);
        pango_cairo_show_layout(cr, l);
        break;
    }
    case PR_REC_RECT:
        pr_set_rgba(cr, r->a);
        if (r->style) {
            cairo_rectangle(cr, r->box.x0 + 0.5, r->box.y0 + 0.5, r->box.x1 - r->box.x0 - 1,
                            r->box.y1 - r->box.y0 - 1);
            cairo_set_line_width(cr, 1);
            cairo_stroke(cr);
        } else {
            cairo_rectangle(cr, r->box.x0, r->box.y0, r->box.x1 - r->box.x0,
                            r->box.y1 - r->box.y0);
            cairo_fill(cr);
        }
        break;
    case PR_REC_LINE: {
        double hw = r->style / 2.0 + 1;
        double xa = r->box.x0 + hw, xb = r->box.x1 - hw;
        double ya = r->box.y0 + hw, yb = r->box.y1 - hw;
        pr_set_rgba(cr, r->a);
        cairo_set_line_width(cr, r->style);
        if (r->b) {
            cairo_move_to(cr, xb, ya);
            cairo_line_to(cr, xa, yb);
        } else {
            cairo_move_to(cr, xa, ya);
            cairo_line_to(cr, xb, yb);
        }
        cairo_stroke(cr);
        break;
    }
    case PR_REC_IMAGE:
        cairo_set_source_surface(cr, o->objs[r->a], r->box.x0, r->box.y0);
        cairo_paint(cr);
        break;
    case PR_REC_EDITOR:
        pr_editor_draw(o->objs[r->a], cr, o->text, r->style, r->box.x0, r->box.y0,
                       r->box.x1 - r->box.x0);
        break;
    default:
        break;
    }
}

void pr_output_draw(pr_output *o, cairo_t *cr, double x0, double y0, double x1, double y1)
{
    pr_output_visit(o, x0, y0, x1, y1, draw_rec, cr);
}
