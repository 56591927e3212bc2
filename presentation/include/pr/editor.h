/* pr/editor.h: the line/input editor primitive (for the listener's input line).
 *
 * A buffer of cells with a cursor and a selection. A cell is a character (a Unicode
 * code point) or an embedded *object reference*: a presentation's object handle and
 * type, inserted for example when the user clicks a presentation while the editor
 * waits for input. A reference is one cell (it is moved over and deleted as a unit) and
 * is shown as its printed form, boxed. The editor knows nothing about Lisp: the handle
 * is opaque and the printed form is given by whoever inserts the reference.
 *
 * Positions are cell indexes 0..length. The selection is the cells between the anchor
 * and the cursor (empty when they are equal). Every change bumps `version`, which the
 * engine compares with the version it last drew to damage the editor's line.
 */
#ifndef KONS_PR_EDITOR_H
#define KONS_PR_EDITOR_H

#include <stddef.h>
#include <stdint.h>

#include <cairo.h>

#include "drv/input.h"
#include "pr/text.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pr_editor pr_editor;

typedef struct pr_editor_ref {
    int64_t object;
    uint16_t type;
} pr_editor_ref;

pr_editor *pr_editor_new(void);
void pr_editor_free(pr_editor *e);
/* Empties the buffer (the prompt stays). */
void pr_editor_clear(pr_editor *e);
/* A prompt drawn before the text, not part of the buffer ("> "). */
int pr_editor_set_prompt(pr_editor *e, const char *utf8);

size_t pr_editor_length(const pr_editor *e);
size_t pr_editor_cursor(const pr_editor *e);
/* Selection as [start, end); start == end when there is none. */
void pr_editor_selection(const pr_editor *e, size_t *start, size_t *end);
uint64_t pr_editor_version(const pr_editor *e);

/* Inserts at the cursor, replacing the selection. Text must be valid UTF-8 (returns
 * -EINVAL and changes nothing otherwise); control characters other than tab are
 * rejected the same way. */
int pr_editor_insert_text(pr_editor *e, const char *utf8, size_t len);
/* Inserts an object reference shown as `printed` (copied). */
int pr_editor_insert_object(pr_editor *e, int64_t object, uint16_t type, const char *printed);
/* Deletes the selection if there is one, else `count` cells after (count > 0) or before
 * (count < 0) the cursor. Returns the number of cells deleted. */
size_t pr_editor_delete(pr_editor *e, long count);
/* Moves the cursor by delta cells (clamped); extend keeps the anchor (selecting). */
void pr_editor_move(pr_editor *e, long delta, int extend);
void pr_editor_set_cursor(pr_editor *e, size_t pos, int extend);
/* Moves by words (runs of letters and digits), as Emacs M-f / M-b. */
void pr_editor_move_word(pr_editor *e, int forward, int extend);
void pr_editor_select_all(pr_editor *e);
/* Whether the editor shows its cursor (it has the keyboard focus). */
void pr_editor_set_focused(pr_editor *e, int focused);
int pr_editor_focused(const pr_editor *e);

/* Cell access: returns 1 and fills *ref for an object cell, 0 for a character (its code
 * point in *cp). pos < length. */
int pr_editor_cell(const pr_editor *e, size_t pos, uint32_t *cp, pr_editor_ref *ref);
/* The buffer as UTF-8 with each object shown as its printed form (NUL-terminated;
 * *len without the NUL). Valid until the next change. */
const char *pr_editor_display_text(pr_editor *e, size_t *len);

/* Default key bindings (Emacs-like), applied only if the application calls this:
 * printable text inserts; BackSpace/Delete, Left/Right (Shift extends), Home/End,
 * C-a C-e C-b C-f C-d C-k, M-f M-b, C-Left/C-Right. Returns PR_EDITOR_IGNORED,
 * PR_EDITOR_CHANGED, or PR_EDITOR_ACTIVATE for Return/KP_Enter (the buffer is left
 * alone: the application reads it and clears it). Releases are ignored. */
enum { PR_EDITOR_IGNORED = 0, PR_EDITOR_CHANGED = 1, PR_EDITOR_ACTIVATE = 2 };
int pr_editor_handle_key(pr_editor *e, const drv_input_event *ev);

/* Draws prompt, text, object references, selection and (if focused) the cursor with
 * its top-left corner at (x, y) in `style`, clipped to `width`. */
void pr_editor_draw(pr_editor *e, cairo_t *cr, pr_text *t, int style, double x, double y,
                    double width);
/* The cell index nearest to the point x (relative to the editor's left), for clicks. */
size_t pr_editor_index_at(pr_editor *e, pr_text *t, int style, double x);

#ifdef __cplusplus
}
#endif

#endif
