/* Unit tests for the scenario parser (pr/scenario.h): every command, and errors with
 * their line and column. */
#include <string.h>

#include "check.h"
#include "drv/input.h"
#include "pr/scenario.h"

static void good(void)
{
    const char *src =
        "# a comment\n"
        "\n"
        "type \"a\\\"b\\n\\u{e9}\"   # trailing comment\n"
        "key ctrl+shift+Return\n"
        "move 10 20.5\n"
        "click\n"
        "click 3 4 right\n"
        "press middle\n"
        "release\n"
        "drag 1 2 3 4\n"
        "scroll 0 -3\n"
        "wait idle\n"
        "screenshot \"out.png\"\n"
        "unplug\n"
        "plug\n";
    pr_err err = {.line = 0};
    pr_scenario *s = pr_scenario_parse(src, strlen(src), &err);
    CHECK(s != NULL);
    if (!s) {
        fprintf(stderr, "%d:%d: %s\n", err.line, err.col, err.msg);
        return;
    }
    CHECK_EQ_INT(pr_scenario_count(s), 13);
    const pr_step *st = pr_scenario_step(s, 0);
    CHECK_EQ_INT(st->kind, PR_STEP_TYPE);
    CHECK_EQ_INT(st->line, 3);
    CHECK(strcmp(st->text, "a\"b\n\xc3\xa9") == 0);
    st = pr_scenario_step(s, 1);
    CHECK_EQ_INT(st->kind, PR_STEP_KEY);
    CHECK_EQ_INT(st->mods, DRV_MOD_CTRL | DRV_MOD_SHIFT);
    CHECK(strcmp(st->text, "Return") == 0);
    st = pr_scenario_step(s, 2);
    CHECK(st->x0 == 10 && st->y0 == 20.5);
    CHECK_EQ_INT(pr_scenario_step(s, 3)->has_pos, 0);
    st = pr_scenario_step(s, 4);
    CHECK(st->has_pos && st->x0 == 3 && st->button == DRV_BTN_RIGHT);
    CHECK_EQ_INT(pr_scenario_step(s, 5)->button, DRV_BTN_MIDDLE);
    CHECK_EQ_INT(pr_scenario_step(s, 6)->button, DRV_BTN_LEFT);
    st = pr_scenario_step(s, 7);
    CHECK(st->kind == PR_STEP_DRAG && st->x1 == 3 && st->y1 == 4 && st->count > 0);
    CHECK(pr_scenario_step(s, 8)->y0 == -3);
    CHECK_EQ_INT(pr_scenario_step(s, 9)->kind, PR_STEP_WAIT_IDLE);
    CHECK(strcmp(pr_scenario_step(s, 10)->text, "out.png") == 0);
    CHECK_EQ_INT(pr_scenario_step(s, 12)->kind, PR_STEP_PLUG);
    CHECK(pr_scenario_step(s, 13) == NULL);
    pr_scenario_free(s);
}

/* Each malformed text must fail at this line and column with this in the message. */
static void bad(const char *src, int line, int col, const char *needle)
{
    pr_err err = {.line = 0};
    pr_scenario *s = pr_scenario_parse(src, strlen(src), &err);
    CHECK(s == NULL);
    pr_scenario_free(s);
    if (err.line != line || err.col != col || !strstr(err.msg, needle)) {
        fprintf(stderr, "for %s: got %d:%d: %s; wanted %d:%d: ...%s...\n", src, err.line,
                err.col, err.msg, line, col, needle);
        CHECK(0);
    } else {
        CHECK(1);
    }
}

int main(void)
{
    good();
    bad("jump 1 2\n", 1, 1, "unknown command 'jump'");
    bad("move 1\n", 1, 7, "missing argument");
    bad("move 1 2 3\n", 1, 10, "too many arguments");
    bad("\n\nmove x 2\n", 3, 6, "'x' is not a number");
    bad("move -5 2\n", 1, 6, "out of range");
    bad("type \"abc\n", 1, 6, "not closed");
    bad("type \"a\\qb\"\n", 1, 8, "unknown escape");
    bad("type \"\\u{110000}\"\n", 1, 7, "not a Unicode character");
    bad("type \"\\u{zz}\"\n", 1, 10, "bad hex digit");
    bad("type abc\n", 1, 6, "quoted string");
    bad("key ctrl+\n", 1, 10, "key name is missing");
    bad("key hyper+a\n", 1, 5, "unknown modifier 'hyper'");
    bad("key ctrl+NoSuchKey\n", 1, 10, "unknown key name 'NoSuchKey'");
    bad("click 1 2 up\n", 1, 11, "unknown button 'up'");
    bad("wait 100\n", 1, 6, "only 'wait idle'");
    bad("screenshot shot.jpg\n", 1, 12, "must end in .png");
    bad("scroll 0.5 1\n", 1, 8, "whole numbers");
    bad("move 1 2\nplug now\n", 2, 6, "too many arguments");
    bad("\"move\" 1 2\n", 1, 1, "must start with a command");
    bad("move 1\"2\"\n", 1, 7, "inside a word");
    {
        pr_err err = {.line = 0};
        const char nul[] = "move 1 2\nmo\0ve\n";
        CHECK(pr_scenario_parse(nul, sizeof nul - 1, &err) == NULL);
        CHECK_EQ_INT(err.line, 2);
        CHECK_EQ_INT(err.col, 3);
    }
    {
        pr_err err = {.line = 0};
        CHECK(pr_scenario_load("/nonexistent/x.scenario", &err) == NULL);
        CHECK(strstr(err.msg, "/nonexistent/x.scenario") != NULL);
    }
    {
        /* An empty scenario is valid and does nothing. */
        pr_err err = {.line = 0};
        pr_scenario *s = pr_scenario_parse("", 0, &err);
        CHECK(s != NULL && pr_scenario_count(s) == 0);
        pr_scenario_free(s);
    }
    return check_report();
}
