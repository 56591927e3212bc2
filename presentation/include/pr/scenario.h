/* pr/scenario.h: the scenario language for scripted UI runs (screenshot tests, demos).
 * The format is documented in presentation/README.md ("Scenarios"); it is stable: the
 * screenshot tests are written in it.
 *
 * The parser checks everything up front (commands, arguments, numbers, key names,
 * string escapes) and reports the first error with its line and column, so a malformed
 * scenario is refused before anything runs. */
#ifndef KONS_PR_SCENARIO_H
#define KONS_PR_SCENARIO_H

#include <stddef.h>
#include <stdint.h>

#include "pr/text.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum pr_step_kind {
    PR_STEP_TYPE = 1,  /* text: type it */
    PR_STEP_KEY,       /* mods + keysym name (text): press and release a chord */
    PR_STEP_MOVE,      /* x0, y0: move the pointer there */
    PR_STEP_CLICK,     /* button at x0, y0 (has_pos) or where the pointer is */
    PR_STEP_PRESS,     /* button down */
    PR_STEP_RELEASE,   /* button up */
    PR_STEP_DRAG,      /* button from (x0, y0) to (x1, y1) in `count` moves */
    PR_STEP_SCROLL,    /* wheel steps: x0 horizontal, y0 vertical (positive: down) */
    PR_STEP_WAIT_IDLE, /* until no input, event or frame is pending */
    PR_STEP_SCREENSHOT,/* text: the PNG file to write (relative: to the output folder) */
    PR_STEP_UNPLUG,    /* the synthetic keyboard/pointer device goes away */
    PR_STEP_PLUG,      /* ... and comes back */
} pr_step_kind;

/* Modifier bits of a chord: the same values as drv/input.h's DRV_MOD_*. */
typedef struct pr_step {
    pr_step_kind kind;
    int line;       /* 1-based line in the scenario */
    char *text;     /* type: UTF-8 text; key: keysym name; screenshot: file name */
    uint32_t mods;  /* key: DRV_MOD_SHIFT | CTRL | ALT | SUPER */
    int has_pos;
    double x0, y0, x1, y1;
    uint32_t button; /* evdev BTN_* */
    int count;
} pr_step;

typedef struct pr_scenario pr_scenario;

/* Parses `len` bytes (need not be NUL-terminated; NUL bytes are an error). Returns NULL
 * and fills err (message, line, col) when the text is malformed. */
pr_scenario *pr_scenario_parse(const char *src, size_t len, pr_err *err);
/* Reads and parses a file; err names the file when it cannot be read. */
pr_scenario *pr_scenario_load(const char *path, pr_err *err);
void pr_scenario_free(pr_scenario *s);
size_t pr_scenario_count(const pr_scenario *s);
const pr_step *pr_scenario_step(const pr_scenario *s, size_t i);

#ifdef __cplusplus
}
#endif

#endif
