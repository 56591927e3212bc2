/* fuzz_scenario.c: pr_scenario_parse on arbitrary bytes, and its promises: it either
 * returns a scenario whose steps are well formed (a kind in range, a 1-based line within
 * the input, the text a step needs present and NUL-terminated, coordinates in range), or
 * NULL with an error whose line and column point into the input (line 0 only for
 * out-of-memory) and a non-empty message. */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

#include "pr/scenario.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pr_err err;
    memset(&err, 0, sizeof err);
    pr_scenario *s = pr_scenario_parse((const char *)data, size, &err);
    size_t lines = 1;
    for (size_t i = 0; i < size; i++)
        lines += data[i] == '\n';
    if (!s) {
        if (!err.msg[0] || memchr(err.msg, 0, sizeof err.msg) == NULL)
            abort();
        if (err.line != 0 && ((size_t)err.line > lines || err.col < 1 || (size_t)err.col > size + 1))
            abort();
        return 0;
    }
    for (size_t i = 0; i < pr_scenario_count(s); i++) {
        const pr_step *st = pr_scenario_step(s, i);
        if (st->kind < PR_STEP_TYPE || st->kind > PR_STEP_PLUG)
            abort();
        if (st->line < 1 || (size_t)st->line > lines)
            abort();
        int needs_text = st->kind == PR_STEP_TYPE || st->kind == PR_STEP_KEY ||
                         st->kind == PR_STEP_SCREENSHOT;
        if (needs_text != (st->text != NULL))
            abort();
        if (st->text && strlen(st->text) > size)
            abort();
        if (st->x0 < -100000 || st->x0 > 100000 || st->y0 < -100000 || st->y0 > 100000 ||
            st->x1 < 0 || st->x1 > 100000 || st->y1 < 0 || st->y1 > 100000)
            abort();
    }
    pr_scenario_free(s);
    return 0;
}
