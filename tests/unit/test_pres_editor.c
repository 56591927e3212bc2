/* Unit tests for the line editor (pr/editor.h). */
#include <errno.h>
#include <string.h>

#include <xkbcommon/xkbcommon-keysyms.h>

#include "check.h"
#include "pr/editor.h"

static const char *disp(pr_editor *e)
{
    return pr_editor_display_text(e, NULL);
}

static drv_input_event key(uint32_t sym, uint32_t mods, const char *text)
{
    drv_input_event ev = {.type = DRV_INPUT_KEY};
    ev.key.keysym = sym;
    ev.key.modifiers = mods;
    ev.key.state = DRV_KEY_PRESSED;
    strcpy(ev.key.text, text);
    return ev;
}

int main(void)
{
    pr_editor *e = pr_editor_new();
    uint64_t v0 = pr_editor_version(e);
    CHECK_EQ_INT(pr_editor_insert_text(e, "héllo", strlen("héllo")), 0);
    CHECK(pr_editor_version(e) != v0);
    CHECK_EQ_INT(pr_editor_length(e), 5); /* cells are characters, not bytes */
    CHECK_EQ_INT(pr_editor_cursor(e), 5);
    CHECK(strcmp(disp(e), "héllo") == 0);

    /* Invalid UTF-8 and control characters change nothing. */
    CHECK_EQ_INT(pr_editor_insert_text(e, "a\xc3", 2), -EINVAL);
    CHECK_EQ_INT(pr_editor_insert_text(e, "a\nb", 3), -EINVAL);
    CHECK(strcmp(disp(e), "héllo") == 0);

    /* Object references are one cell shown as their printed form. */
    pr_editor_move(e, -2, 0);
    CHECK_EQ_INT(pr_editor_insert_object(e, 42, 7, "#<OBJ>"), 0);
    CHECK(strcmp(disp(e), "hél#<OBJ>lo") == 0);
    CHECK_EQ_INT(pr_editor_length(e), 6);
    pr_editor_ref r;
    uint32_t cp;
    CHECK_EQ_INT(pr_editor_cell(e, 3, &cp, &r), 1);
    CHECK_EQ_INT(r.object, 42);
    CHECK_EQ_INT(r.type, 7);
    CHECK_EQ_INT(pr_editor_cell(e, 1, &cp, NULL), 0);
    CHECK_EQ_INT(cp, 0xe9);
    CHECK_EQ_INT(pr_editor_delete(e, -1), 1); /* backspace removes the whole object */
    CHECK(strcmp(disp(e), "héllo") == 0);

    /* Selection: shift-moves extend, insertion replaces. */
    pr_editor_set_cursor(e, 1, 0);
    pr_editor_move(e, 2, 1);
    size_t s0, s1;
    pr_editor_selection(e, &s0, &s1);
    CHECK_EQ_INT(s0, 1);
    CHECK_EQ_INT(s1, 3);
    pr_editor_insert_text(e, "E", 1);
    CHECK(strcmp(disp(e), "hElo") == 0);
    pr_editor_select_all(e);
    CHECK_EQ_INT(pr_editor_delete(e, 1), 4);
    CHECK_EQ_INT(pr_editor_length(e), 0);
    CHECK_EQ_INT(pr_editor_delete(e, -1), 0); /* nothing to delete: no-op */

    /* Words. */
    pr_editor_insert_text(e, "(foo bar-baz)", 13);
    pr_editor_set_cursor(e, 0, 0);
    pr_editor_move_word(e, 1, 0);
    CHECK_EQ_INT(pr_editor_cursor(e), 4);
    pr_editor_move_word(e, 1, 0);
    CHECK_EQ_INT(pr_editor_cursor(e), 8);
    pr_editor_move_word(e, 0, 0);
    CHECK_EQ_INT(pr_editor_cursor(e), 5);

    /* Key bindings. */
    drv_input_event ev = key(XKB_KEY_e, DRV_MOD_CTRL, "");
    CHECK_EQ_INT(pr_editor_handle_key(e, &ev), PR_EDITOR_CHANGED);
    CHECK_EQ_INT(pr_editor_cursor(e), 13);
    ev = key(XKB_KEY_BackSpace, 0, "");
    pr_editor_handle_key(e, &ev);
    ev = key(XKB_KEY_x, 0, "x");
    pr_editor_handle_key(e, &ev);
    CHECK(strcmp(disp(e), "(foo bar-bazx") == 0);
    ev = key(XKB_KEY_a, DRV_MOD_CTRL, "");
    pr_editor_handle_key(e, &ev);
    ev = key(XKB_KEY_k, DRV_MOD_CTRL, "");
    pr_editor_handle_key(e, &ev);
    CHECK_EQ_INT(pr_editor_length(e), 0);
    ev = key(XKB_KEY_Return, 0, "");
    CHECK_EQ_INT(pr_editor_handle_key(e, &ev), PR_EDITOR_ACTIVATE);
    ev = key(XKB_KEY_F5, 0, "");
    CHECK_EQ_INT(pr_editor_handle_key(e, &ev), PR_EDITOR_IGNORED);
    ev = key(XKB_KEY_x, 0, "x");
    ev.key.state = DRV_KEY_RELEASED;
    CHECK_EQ_INT(pr_editor_handle_key(e, &ev), PR_EDITOR_IGNORED);

    /* The prompt is shown but is not part of the buffer; index_at maps pixels to cells. */
    pr_err err;
    pr_text *t = pr_text_new(NULL, &err);
    CHECK(t != NULL);
    if (t) {
        pr_editor_set_prompt(e, "> ");
        pr_editor_insert_text(e, "abcdef", 6);
        CHECK(strcmp(disp(e), "abcdef") == 0);
        CHECK_EQ_INT(pr_editor_index_at(e, t, 0, 0), 0);
        CHECK_EQ_INT(pr_editor_index_at(e, t, 0, 10000), 6);
        size_t mid = pr_editor_index_at(e, t, 0, 40);
        CHECK(mid > 0 && mid < 6);
        cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, 200, 30);
        cairo_t *cr = cairo_create(s);
        pr_editor_set_focused(e, 1);
        pr_editor_draw(e, cr, t, 0, 0, 0, 200);
        cairo_destroy(cr);
        cairo_surface_destroy(s);
        pr_text_free(t);
    }
    pr_editor_free(e);
    return check_report();
}
