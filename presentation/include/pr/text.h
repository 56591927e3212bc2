/* pr/text.h: fonts and text styles for the presentation engine (Pango over Cairo).
 *
 * Determinism: the engine builds its own fontconfig configuration that sees only the
 * font files it names (DejaVu from fonts-dejavu-core), with no system rules, and fixes
 * the Cairo font options (grey antialiasing, slight hinting, hinted metrics, no subpixel
 * order) and the resolution (96 DPI). So the same text gives the same pixels on every
 * machine with the same Pango/FreeType/Cairo versions, and screenshots can be compared.
 */
#ifndef KONS_PR_TEXT_H
#define KONS_PR_TEXT_H

#include <stdint.h>

#include <pango/pangocairo.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A user-facing error; line and col are set (1-based) by parsers, else 0. */
typedef struct pr_err {
    char msg[256];
    int line, col;
} pr_err;

typedef struct pr_text pr_text;

/* Loads the fonts from `font_dir` (NULL: $KONS_FONT_DIR, else
 * /usr/share/fonts/truetype/dejavu). Fails with a message naming the folder and the
 * package (fonts-dejavu-core) when no font file can be loaded. */
pr_text *pr_text_new(const char *font_dir, pr_err *err);
void pr_text_free(pr_text *t);

/* Text styles are small integers (0..PR_TEXT_MAX_STYLES-1), registered once: a Pango
 * font description ("DejaVu Sans Mono 11", "DejaVu Sans Bold 10") and a colour
 * 0xRRGGBBAA. Style 0 exists from the start ("DejaVu Sans 11", black). Returns the id,
 * or -1 when the table is full or the font description names no family. */
#define PR_TEXT_MAX_STYLES 256
int pr_text_style(pr_text *t, const char *font, uint32_t rgba);
uint32_t pr_text_style_color(pr_text *t, int style);

/* A new layout of `len` bytes of UTF-8 in `style` (caller unrefs it). Invalid UTF-8 is
 * shown with replacement characters by Pango, never dropped silently. */
PangoLayout *pr_text_layout(pr_text *t, int style, const char *utf8, int len);
/* The line metrics of a style in logical pixels: ascent (baseline from the top) and the
 * line height. */
void pr_text_metrics(pr_text *t, int style, double *ascent, double *height);
PangoContext *pr_text_context(pr_text *t);

/* Sets rgba as the Cairo source colour. */
void pr_set_rgba(cairo_t *cr, uint32_t rgba);

#ifdef __cplusplus
}
#endif

#endif
