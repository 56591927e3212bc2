/* pr/output.h: output records, the recorded history of everything written to a pane.
 *
 * A pane's output is a tree of records in one array: leaves (text runs, rectangles,
 * lines, images, editors) and groups (nested records; a group with a non-zero type is a
 * *presentation*). A record is named by its index in the array (pr_rec_id), stable
 * until the output is truncated or cleared, so the Lisp side can hold record ids as
 * plain integers. Records are appended in output order: a record's children have
 * greater ids than the group itself, and a group's bounding box is the union of its
 * children's, fixed when the group is closed (it moves only if a taller run later on
 * the same line lowers the line's baseline: runs on a line share one baseline).
 *
 * Coordinates are the pane's *document* coordinates in logical pixels: (0,0) is the top
 * left of the output; the pane's viewport scrolls over them.
 *
 * Presentations: object is an opaque 64-bit handle (an index into a table the Lisp side
 * owns; Lisp objects move, handles do not) and type is a small integer
 * (1..PR_MAX_TYPES-1; 0 means "not a presentation"). The engine never interprets either.
 *
 * Speed: two band indexes (horizontal strips PR_BAND_HEIGHT pixels tall) map a y range
 * to the records that may intersect it: one over drawable leaves (for redraw), one over
 * presentations (for hit-testing). Records taller than PR_BAND_TALL bands go to a short
 * list checked every time instead, so one huge enclosing presentation does not fill
 * thousands of bands. Hit-testing a point scans one band: O(records in that strip).
 */
#ifndef KONS_PR_OUTPUT_H
#define KONS_PR_OUTPUT_H

#include <stddef.h>
#include <stdint.h>

#include <cairo.h>

#include "pr/text.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef uint32_t pr_rec_id;
#define PR_NONE UINT32_MAX
#define PR_MAX_TYPES 4096
#define PR_BAND_HEIGHT 32
#define PR_BAND_TALL 64

typedef enum pr_rec_kind {
    PR_REC_TEXT = 1, /* a run of text in one style, one line */
    PR_REC_RECT,     /* a filled (or outlined) rectangle */
    PR_REC_LINE,     /* a line segment */
    PR_REC_IMAGE,    /* a Cairo image surface */
    PR_REC_EDITOR,   /* a live line editor (pr/editor.h) */
    PR_REC_GROUP,    /* nested records; a presentation when type != 0 */
} pr_rec_kind;

/* pr_rec.flags: a run placed by the writing cursor on the current line; it moves down
 * when a taller run later on the same line lowers the line's baseline. */
#define PR_REC_FLOW 1u

typedef struct pr_bbox {
    float x0, y0, x1, y1; /* x0 <= x1, y0 <= y1; half-open [x0, x1) x [y0, y1) */
} pr_bbox;

typedef struct pr_editor pr_editor;

/* One record. Kept small (48 bytes) and in one array, for cache-friendly scans. */
typedef struct pr_rec {
    pr_bbox box;
    pr_rec_id parent;  /* enclosing group or PR_NONE */
    uint8_t kind;      /* pr_rec_kind */
    uint8_t flags;     /* PR_REC_FLOW: text placed by the writing cursor */
    uint16_t depth;    /* nesting depth: 0 at top level */
    uint16_t type;     /* groups: presentation type (0 = plain group) */
    uint16_t style;    /* text: style id; rect/line: 1 = outline only / line width */
    uint32_t a, b;     /* text: offset, length in the text arena; rect/line: rgba;
                        * image/editor: index into the object table */
    int64_t object;    /* presentations: the object handle */
    void *cache;       /* text: cached PangoLayout (owned; may be dropped any time) */
} pr_rec;

typedef struct pr_output pr_output;

pr_output *pr_output_new(pr_text *text);
void pr_output_free(pr_output *o);
/* Removes every record (ids restart at 0). */
void pr_output_clear(pr_output *o);

/* ---- Writing: a cursor and a current style, like a CLIM stream. ---- */
/* Writes UTF-8 text at the cursor in the current style; '\n' starts a new line (the
 * cursor returns to the left margin and moves down by the line's height). Creates one
 * text record per line segment. Invalid UTF-8 is replaced (U+FFFD), never dropped.
 * Returns the id of the last record created, or PR_NONE when none was (empty text). */
pr_rec_id pr_output_write(pr_output *o, const char *utf8, size_t len);
void pr_output_newline(pr_output *o);
void pr_output_set_style(pr_output *o, int style);
int pr_output_style(pr_output *o);
void pr_output_cursor(pr_output *o, double *x, double *y);
void pr_output_set_cursor(pr_output *o, double x, double y);
void pr_output_set_margin(pr_output *o, double left);
/* Begins a presentation (or a plain group when type == 0) around the records written
 * until the matching end. Nesting is allowed (depth up to 65535). */
pr_rec_id pr_output_begin(pr_output *o, int64_t object, uint16_t type);
/* Ends the innermost open group; its box becomes the union of its children (empty
 * groups get an empty box at the cursor). Returns its id, or PR_NONE if none is open. */
pr_rec_id pr_output_end(pr_output *o);

/* Graphics at explicit document coordinates (they do not move the cursor, but extend
 * the output's extent). outline = 0 fills. */
pr_rec_id pr_output_rect(pr_output *o, double x, double y, double w, double h, uint32_t rgba,
                         int outline);
pr_rec_id pr_output_line(pr_output *o, double x0, double y0, double x1, double y1,
                         uint32_t rgba, int width);
/* The image is referenced (cairo_surface_reference) and drawn at its size. */
pr_rec_id pr_output_image(pr_output *o, double x, double y, cairo_surface_t *image);
/* An editor occupying a line of `width` pixels at the cursor (the cursor moves below
 * it). The editor is not owned. Its height follows its text. */
pr_rec_id pr_output_editor(pr_output *o, pr_editor *ed, double width);

/* Removes every record with id >= first (an undo of output, e.g. for redisplay). The
 * union of their boxes is stored in *removed (may be NULL). */
void pr_output_truncate(pr_output *o, pr_rec_id first, pr_bbox *removed);

/* ---- Reading ---- */
size_t pr_output_count(const pr_output *o);
const pr_rec *pr_output_rec(const pr_output *o, pr_rec_id id);
const char *pr_output_rec_text(const pr_output *o, pr_rec_id id, size_t *len);
pr_editor *pr_output_rec_editor(const pr_output *o, pr_rec_id id);
/* The extent of everything written: (0,0)-(width,height). */
void pr_output_extent(const pr_output *o, double *width, double *height);

/* ---- Hit-testing ---- */
/* The set of sensitive presentation types (a bitmap over 0..PR_MAX_TYPES-1), replaced
 * wholesale as input contexts change. */
typedef struct pr_typeset {
    uint64_t bits[PR_MAX_TYPES / 64];
} pr_typeset;
static inline void pr_typeset_add(pr_typeset *s, unsigned type)
{
    if (type < PR_MAX_TYPES)
        s->bits[type / 64] |= 1ull << (type % 64);
}
static inline int pr_typeset_has(const pr_typeset *s, unsigned type)
{
    return type < PR_MAX_TYPES && (s->bits[type / 64] >> (type % 64)) & 1;
}

/* The innermost (deepest; among equals the latest) presentation containing (x, y)
 * whose type is in `sensitive` (NULL: any type), or PR_NONE. */
pr_rec_id pr_output_hit(const pr_output *o, double x, double y, const pr_typeset *sensitive);

/* Calls fn for every live drawable leaf record whose box intersects the y range
 * [y0, y1) and x range [x0, x1), in id (output) order. */
void pr_output_visit(pr_output *o, double x0, double y0, double x1, double y1,
                     void (*fn)(void *data, pr_output *o, pr_rec_id id, pr_rec *r),
                     void *data);

/* Draws the records intersecting the clip box (document coordinates) into cr, whose
 * user space is document coordinates. */
void pr_output_draw(pr_output *o, cairo_t *cr, double x0, double y0, double x1, double y1);

/* The text machinery the output measures with. */
pr_text *pr_output_text(pr_output *o);

/* Damage hook: called with every box that changes (append, truncate), in document
 * coordinates, so the pane that shows the output can damage the screen. */
void pr_output_set_damage_hook(pr_output *o, void (*fn)(void *data, const pr_bbox *b),
                               void *data);

#ifdef __cplusplus
}
#endif

#endif
