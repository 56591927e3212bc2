/* presentation/editor.c: the line/input editor primitive (pr/editor.h).
 *
 * Representation: an array of 32-bit cells. A character cell holds its code point
 * (< 0x110000); an object cell has bit 31 set and indexes the reference table. The
 * display text (prompt + characters + printed forms) and the cell -> byte map are
 * rebuilt lazily when the version changed, together with a cached Pango layout. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <xkbcommon/xkbcommon-keysyms.h>

#include "drv/utf8.h"
#include "pr/editor.h"

#define OBJ_BIT 0x80000000u

typedef struct ref {
    pr_editor_ref ref;
    char *printed;
} ref;

struct pr_editor {
    uint32_t *cells;
    size_t n, cap;
    size_t cursor, anchor;
    ref *refs;
    size_t nrefs, crefs;
    char *prompt;
    int focused;
    uint64_t version;
    /* lazily built display */
    uint64_t built_version;
    char *disp;        /* prompt + text */
    size_t disp_len, disp_cap;
    size_t *offs;      /* byte offset in disp of each cell, n + 1 entries */
    size_t offs_cap;
    PangoLayout *layout;
    pr_text *layout_text;
    int layout_style;
    uint64_t layout_version;
};

pr_editor *pr_editor_new(void)
{
    pr_editor *e = calloc(1, sizeof *e);
    if (e)
        e->built_version = UINT64_MAX;
    return e;
}

static void free_refs(pr_editor *e)
{
    for (size_t i = 0; i < e->nrefs; i++)
        free(e->refs[i].printed);
    e->nrefs = 0;
}

void pr_editor_free(pr_editor *e)
{
    if (!e)
        return;
    free_refs(e);
    free(e->refs);
    free(e->cells);
    free(e->prompt);
    free(e->disp);
    free(e->offs);
    if (e->layout)
        g_object_unref(e->layout);
    free(e);
}

static void changed(pr_editor *e) { e->version++; }

void pr_editor_clear(pr_editor *e)
{
    e->n = e->cursor = e->anchor = 0;
    free_refs(e);
    changed(e);
}

int pr_editor_set_prompt(pr_editor *e, const char *utf8)
{
    char *p = strdup(utf8 ? utf8 : "");
    if (!p)
        return -ENOMEM;
    free(e->prompt);
    e->prompt = p;
    changed(e);
    return 0;
}

size_t pr_editor_length(const pr_editor *e) { return e->n; }
size_t pr_editor_cursor(const pr_editor *e) { return e->cursor; }
uint64_t pr_editor_version(const pr_editor *e) { return e->version; }
void pr_editor_set_focused(pr_editor *e, int focused)
{
    if (!!focused != e->focused) {
        e->focused = !!focused;
        changed(e);
    }
}
int pr_editor_focused(const pr_editor *e) { return e->focused; }

void pr_editor_selection(const pr_editor *e, size_t *start, size_t *end)
{
    *start = e->cursor < e->anchor ? e->cursor : e->anchor;
    *end = e->cursor < e->anchor ? e->anchor : e->cursor;
}

static int reserve(pr_editor *e, size_t extra)
{
    if (e->n + extra <= e->cap)
        return 0;
    size_t cap = e->cap ? e->cap : 64;
    while (cap < e->n + extra)
        cap *= 2;
    uint32_t *c = realloc(e->cells, cap * sizeof *c);
    if (!c)
        return -ENOMEM;
    e->cells = c;
    e->cap = cap;
    return 0;
}

static void delete_range(pr_editor *e, size_t a, size_t b)
{
    memmove(e->cells + a, e->cells + b, (e->n - b) * sizeof *e->cells);
    e->n -= b - a;
    e->cursor = e->anchor = a;
}

static void delete_selection(pr_editor *e)
{
    size_t a, b;
    pr_editor_selection(e, &a, &b);
    if (a != b)
        delete_range(e, a, b);
}


int pr_editor_insert_text(pr_editor *e, const char *utf8, size_t len)
{
    const unsigned char *s = (const unsigned char *)utf8;
    size_t count = 0;
    for (size_t i = 0; i < len;) {
        uint32_t cp = 0;
        size_t l = drv_utf8_next(s + i, len - i, &cp);
        if (l == 0 || (cp < 0x20 && cp != '\t') || cp == 0x7f)
            return -EINVAL;
        i += l;
        count++;
    }
    delete_selection(e);
    if (reserve(e, count) < 0)
        return -ENOMEM;
    memmove(e->cells + e->cursor + count, e->cells + e->cursor,
            (e->n - e->cursor) * sizeof *e->cells);
    size_t k = e->cursor;
    for (size_t i = 0; i < len;) {
        uint32_t cp = 0;
        i += drv_utf8_next(s + i, len - i, &cp);
        e->cells[k++] = cp;
    }
    e->n += count;
    e->cursor = e->anchor = k;
    changed(e);
    return 0;
}

int pr_editor_insert_object(pr_editor *e, int64_t object, uint16_t type, const char *printed)
{
    if (e->nrefs == e->crefs) {
        size_t cap = e->crefs ? e->crefs * 2 : 8;
        ref *r = realloc(e->refs, cap * sizeof *r);
        if (!r)
            return -ENOMEM;
        e->refs = r;
        e->crefs = cap;
    }
    char *p = strdup(printed ? printed : "#<object>");
    if (!p || reserve(e, 1) < 0) {
        free(p);
        return -ENOMEM;
    }
    delete_selection(e);
    e->refs[e->nrefs] = (ref){{object, type}, p};
    memmove(e->cells + e->cursor + 1, e->cells + e->cursor,
            (e->n - e->cursor) * sizeof *e->cells);
    e->cells[e->cursor] = OBJ_BIT | (uint32_t)e->nrefs++;
    e->n++;
    e->cursor = e->anchor = e->cursor + 1;
    changed(e);
    return 0;
}

size_t pr_editor_delete(pr_editor *e, long count)
{
    size_t a, b;
    pr_editor_selection(e, &a, &b);
    if (a == b) {
        if (count > 0) {
            b = a + (size_t)count > e->n ? e->n : a + (size_t)count;
        } else {
            size_t c = (size_t)-count;
            a = c > a ? 0 : a - c;
        }
    }
    if (a == b)
        return 0;
    delete_range(e, a, b);
    changed(e);
    return b - a;
}

void pr_editor_set_cursor(pr_editor *e, size_t pos, int extend)
{
    if (pos > e->n)
        pos = e->n;
    e->cursor = pos;
    if (!extend)
        e->anchor = pos;
    changed(e);
}

void pr_editor_move(pr_editor *e, long delta, int extend)
{
    long p = (long)e->cursor + delta;
    pr_editor_set_cursor(e, p < 0 ? 0 : (size_t)p, extend);
}

static int wordc(uint32_t c)
{
    return !(c & OBJ_BIT) && g_unichar_isalnum(c);
}

void pr_editor_move_word(pr_editor *e, int forward, int extend)
{
    size_t p = e->cursor;
    if (forward) {
        while (p < e->n && !wordc(e->cells[p]))
            p++;
        while (p < e->n && wordc(e->cells[p]))
            p++;
    } else {
        while (p > 0 && !wordc(e->cells[p - 1]))
            p--;
        while (p > 0 && wordc(e->cells[p - 1]))
            p--;
    }
    pr_editor_set_cursor(e, p, extend);
}

void pr_editor_select_all(pr_editor *e)
{
    e->anchor = 0;
    e->cursor = e->n;
    changed(e);
}

int pr_editor_cell(const pr_editor *e, size_t pos, uint32_t *cp, pr_editor_ref *r)
{
    uint32_t c = e->cells[pos];
    if (c & OBJ_BIT) {
        if (r)
            *r = e->refs[c & ~OBJ_BIT].ref;
        return 1;
    }
    if (cp)
        *cp = c;
    return 0;
}

static int disp_append(pr_editor *e, const char *s, size_t len)
{
    if (e->disp_len + len + 1 > e->disp_cap) {
        size_t cap = e->disp_cap ? e->disp_cap : 128;
        while (cap < e->disp_len + len + 1)
            cap *= 2;
        char *d = realloc(e->disp, cap);
        if (!d)
            return -ENOMEM;
        e->disp = d;
        e->disp_cap = cap;
    }
    memcpy(e->disp + e->disp_len, s, len);
    e->disp_len += len;
    e->disp[e->disp_len] = '\0';
    return 0;
}

/* Rebuilds disp (prompt included) and offs (offsets relative to disp). */
static void build(pr_editor *e)
{
    if (e->built_version == e->version)
        return;
    if (e->offs_cap < e->n + 1) {
        size_t *o = realloc(e->offs, (e->n + 1) * sizeof *o);
        if (!o)
            return;
        e->offs = o;
        e->offs_cap = e->n + 1;
    }
    e->disp_len = 0;
    disp_append(e, "", 0);
    if (e->prompt)
        disp_append(e, e->prompt, strlen(e->prompt));
    for (size_t i = 0; i < e->n; i++) {
        e->offs[i] = e->disp_len;
        uint32_t c = e->cells[i];
        if (c & OBJ_BIT) {
            const char *p = e->refs[c & ~OBJ_BIT].printed;
            disp_append(e, p, strlen(p));
        } else {
            char buf[8];
            int l = g_unichar_to_utf8(c, buf);
            disp_append(e, buf, (size_t)l);
        }
    }
    e->offs[e->n] = e->disp_len;
    e->built_version = e->version;
}

const char *pr_editor_display_text(pr_editor *e, size_t *len)
{
    build(e);
    size_t p = e->prompt ? strlen(e->prompt) : 0;
    if (len)
        *len = e->disp_len - p;
    return e->disp + p;
}

static PangoLayout *layout(pr_editor *e, pr_text *t, int style)
{
    build(e);
    if (e->layout && e->layout_text == t && e->layout_style == style &&
        e->layout_version == e->version)
        return e->layout;
    if (e->layout)
        g_object_unref(e->layout);
    e->layout = pr_text_layout(t, style, e->disp, (int)e->disp_len);
    e->layout_text = t;
    e->layout_style = style;
    e->layout_version = e->version;
    PangoAttrList *attrs = pango_attr_list_new();
    for (size_t i = 0; i < e->n; i++) {
        if (!(e->cells[i] & OBJ_BIT))
            continue;
        /* Object references: underlined, on a pale blue ground, so they read as objects. */
        PangoAttribute *a = pango_attr_background_new(0xd8d8, 0xe4e4, 0xffff);
        a->start_index = (guint)e->offs[i];
        a->end_index = (guint)e->offs[i + 1];
        pango_attr_list_insert(attrs, a);
        a = pango_attr_underline_new(PANGO_UNDERLINE_SINGLE);
        a->start_index = (guint)e->offs[i];
        a->end_index = (guint)e->offs[i + 1];
        pango_attr_list_insert(attrs, a);
    }
    size_t s0, s1;
    pr_editor_selection(e, &s0, &s1);
    if (s0 != s1) {
        PangoAttribute *a = pango_attr_background_new(0xa0a0, 0xc0c0, 0xf0f0);
        a->start_index = (guint)e->offs[s0];
        a->end_index = (guint)e->offs[s1];
        pango_attr_list_insert(attrs, a);
    }
    pango_layout_set_attributes(e->layout, attrs);
    pango_attr_list_unref(attrs);
    return e->layout;
}

void pr_editor_draw(pr_editor *e, cairo_t *cr, pr_text *t, int style, double x, double y,
                    double width)
{
    PangoLayout *l = layout(e, t, style);
    cairo_save(cr);
    cairo_rectangle(cr, x, y, width, 1e6);
    cairo_clip(cr);
    pr_set_rgba(cr, pr_text_style_color(t, style));
    cairo_move_to(cr, x, y + 1);
    pango_cairo_show_layout(cr, l);
    if (e->focused) {
        PangoRectangle pos;
        pango_layout_get_cursor_pos(l, (int)e->offs[e->cursor], &pos, NULL);
        cairo_rectangle(cr, x + pos.x / (double)PANGO_SCALE, y + 1 + pos.y / (double)PANGO_SCALE,
                        2, pos.height / (double)PANGO_SCALE);
        cairo_set_source_rgb(cr, 0.1, 0.2, 0.8);
        cairo_fill(cr);
    }
    cairo_restore(cr);
}

size_t pr_editor_index_at(pr_editor *e, pr_text *t, int style, double x)
{
    PangoLayout *l = layout(e, t, style);
    int index, trailing;
    pango_layout_xy_to_index(l, (int)(x * PANGO_SCALE), 0, &index, &trailing);
    /* The cell whose display bytes contain index; trailing moves past it. */
    size_t lo = 0, hi = e->n;
    if (e->n == 0 || (size_t)index < e->offs[0])
        return 0;
    while (lo < hi) {
        size_t mid = (lo + hi + 1) / 2;
        if (e->offs[mid] <= (size_t)index)
            lo = mid;
        else
            hi = mid - 1;
    }
    if (lo < e->n && trailing)
        lo++;
    return lo;
}

int pr_editor_handle_key(pr_editor *e, const drv_input_event *ev)
{
    if (ev->type != DRV_INPUT_KEY || ev->key.state == DRV_KEY_RELEASED)
        return PR_EDITOR_IGNORED;
    uint32_t m = ev->key.modifiers;
    int shift = !!(m & DRV_MOD_SHIFT), ctrl = !!(m & DRV_MOD_CTRL), alt = !!(m & DRV_MOD_ALT);
    switch (ev->key.keysym) {
    case XKB_KEY_Return:
    case XKB_KEY_KP_Enter:
        return PR_EDITOR_ACTIVATE;
    case XKB_KEY_BackSpace:
        return pr_editor_delete(e, -1) ? PR_EDITOR_CHANGED : PR_EDITOR_IGNORED;
    case XKB_KEY_Delete:
    case XKB_KEY_KP_Delete:
        return pr_editor_delete(e, 1) ? PR_EDITOR_CHANGED : PR_EDITOR_IGNORED;
    case XKB_KEY_Left:
    case XKB_KEY_KP_Left:
        if (ctrl)
            pr_editor_move_word(e, 0, shift);
        else
            pr_editor_move(e, -1, shift);
        return PR_EDITOR_CHANGED;
    case XKB_KEY_Right:
    case XKB_KEY_KP_Right:
        if (ctrl)
            pr_editor_move_word(e, 1, shift);
        else
            pr_editor_move(e, 1, shift);
        return PR_EDITOR_CHANGED;
    case XKB_KEY_Home:
        pr_editor_set_cursor(e, 0, shift);
        return PR_EDITOR_CHANGED;
    case XKB_KEY_End:
        pr_editor_set_cursor(e, e->n, shift);
        return PR_EDITOR_CHANGED;
    default:
        break;
    }
    if (ctrl && !alt) {
        switch (ev->key.keysym) {
        case XKB_KEY_a: pr_editor_set_cursor(e, 0, 0); return PR_EDITOR_CHANGED;
        case XKB_KEY_e: pr_editor_set_cursor(e, e->n, 0); return PR_EDITOR_CHANGED;
        case XKB_KEY_b: pr_editor_move(e, -1, 0); return PR_EDITOR_CHANGED;
        case XKB_KEY_f: pr_editor_move(e, 1, 0); return PR_EDITOR_CHANGED;
        case XKB_KEY_d: pr_editor_delete(e, 1); return PR_EDITOR_CHANGED;
        case XKB_KEY_k:
            e->anchor = e->n;
            pr_editor_delete(e, 0);
            return PR_EDITOR_CHANGED;
        default: return PR_EDITOR_IGNORED;
        }
    }
    if (alt && !ctrl) {
        switch (ev->key.keysym) {
        case XKB_KEY_f: pr_editor_move_word(e, 1, 0); return PR_EDITOR_CHANGED;
        case XKB_KEY_b: pr_editor_move_word(e, 0, 0); return PR_EDITOR_CHANGED;
        default: return PR_EDITOR_IGNORED;
        }
    }
    if (ev->key.text[0] && !ctrl && !alt)
        return pr_editor_insert_text(e, ev->key.text, strlen(ev->key.text)) == 0
                   ? PR_EDITOR_CHANGED
                   : PR_EDITOR_IGNORED;
    return PR_EDITOR_IGNORED;
}
