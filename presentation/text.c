/* presentation/text.c: the deterministic font setup and text styles (pr/text.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fontconfig/fontconfig.h>
#include <pango/pangofc-fontmap.h>

#include "pr/text.h"

/* The font files the engine loads; missing ones are skipped (at least one must load). */
static const char *const font_files[] = {
    "DejaVuSans.ttf",     "DejaVuSans-Bold.ttf",     "DejaVuSans-Oblique.ttf",
    "DejaVuSansMono.ttf", "DejaVuSansMono-Bold.ttf", "DejaVuSansMono-Oblique.ttf",
    "DejaVuSerif.ttf",    "DejaVuSerif-Bold.ttf",    "DejaVuSerif-Italic.ttf",
};

typedef struct style {
    PangoFontDescription *desc;
    uint32_t rgba;
    double ascent, height; /* measured once: logical pixels */
} style;

struct pr_text {
    FcConfig *fc;
    PangoFontMap *fontmap;
    PangoContext *ctx;
    style styles[PR_TEXT_MAX_STYLES];
    int nstyles;
};

void pr_set_rgba(cairo_t *cr, uint32_t rgba)
{
    cairo_set_source_rgba(cr, ((rgba >> 24) & 0xff) / 255.0, ((rgba >> 16) & 0xff) / 255.0,
                          ((rgba >> 8) & 0xff) / 255.0, (rgba & 0xff) / 255.0);
}

pr_text *pr_text_new(const char *font_dir, pr_err *err)
{
    if (!font_dir)
        font_dir = getenv("KONS_FONT_DIR");
    if (!font_dir || !*font_dir)
        font_dir = "/usr/share/fonts/truetype/dejavu";
    pr_text *t = calloc(1, sizeof *t);
    if (!t) {
        snprintf(err->msg, sizeof err->msg, "out of memory");
        return NULL;
    }
    /* An empty configuration: no system font folders, no substitution rules. */
    t->fc = FcConfigCreate();
    int loaded = 0;
    for (size_t i = 0; i < sizeof font_files / sizeof *font_files; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", font_dir, font_files[i]);
        if (FcConfigAppFontAddFile(t->fc, (const FcChar8 *)path))
            loaded++;
    }
    if (!loaded) {
        snprintf(err->msg, sizeof err->msg,
                 "no DejaVu font could be loaded from %s (install fonts-dejavu-core, or set "
                 "KONS_FONT_DIR)", font_dir);
        FcConfigDestroy(t->fc);
        free(t);
        return NULL;
    }
    t->fontmap = pango_cairo_font_map_new_for_font_type(CAIRO_FONT_TYPE_FT);
    pango_fc_font_map_set_config(PANGO_FC_FONT_MAP(t->fontmap), t->fc);
    t->ctx = pango_font_map_create_context(t->fontmap);
    cairo_font_options_t *fo = cairo_font_options_create();
    cairo_font_options_set_antialias(fo, CAIRO_ANTIALIAS_GRAY);
    cairo_font_options_set_hint_style(fo, CAIRO_HINT_STYLE_SLIGHT);
    cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_ON);
    cairo_font_options_set_subpixel_order(fo, CAIRO_SUBPIXEL_ORDER_DEFAULT);
    pango_cairo_context_set_font_options(t->ctx, fo);
    cairo_font_options_destroy(fo);
    pango_cairo_context_set_resolution(t->ctx, 96.0);
    pango_context_set_language(t->ctx, pango_language_from_string("en"));
    pr_text_style(t, "DejaVu Sans 11", 0x000000ff);
    return t;
}

void pr_text_free(pr_text *t)
{
    if (!t)
        return;
    for (int i = 0; i < t->nstyles; i++)
        pango_font_description_free(t->styles[i].desc);
    g_object_unref(t->ctx);
    g_object_unref(t->fontmap);
    FcConfigDestroy(t->fc);
    free(t);
}

int pr_text_style(pr_text *t, const char *font, uint32_t rgba)
{
    if (t->nstyles == PR_TEXT_MAX_STYLES)
        return -1;
    PangoFontDescription *d = pango_font_description_from_string(font);
    if (!pango_font_description_get_family(d)) {
        pango_font_description_free(d);
        return -1;
    }
    style *s = &t->styles[t->nstyles];
    s->desc = d;
    s->rgba = rgba;
    PangoLayout *l = pango_layout_new(t->ctx);
    pango_layout_set_font_description(l, d);
    pango_layout_set_text(l, "Mg", 2);
    PangoRectangle log;
    pango_layout_get_pixel_extents(l, NULL, &log);
    s->height = log.height;
    s->ascent = pango_layout_get_baseline(l) / (double)PANGO_SCALE;
    g_object_unref(l);
    return t->nstyles++;
}

uint32_t pr_text_style_color(pr_text *t, int style_id)
{
    return t->styles[style_id < t->nstyles ? style_id : 0].rgba;
}

PangoLayout *pr_text_layout(pr_text *t, int style_id, const char *utf8, int len)
{
    PangoLayout *l = pango_layout_new(t->ctx);
    pango_layout_set_font_description(l, t->styles[style_id < t->nstyles ? style_id : 0].desc);
    pango_layout_set_text(l, utf8, len);
    return l;
}

void pr_text_metrics(pr_text *t, int style_id, double *ascent, double *height)
{
    const style *s = &t->styles[style_id < t->nstyles ? style_id : 0];
    if (ascent)
        *ascent = s->ascent;
    if (height)
        *height = s->height;
}

PangoContext *pr_text_context(pr_text *t) { return t->ctx; }

/* LeakSanitizer's hook (a documented sanitizer interface, hence no pr_ prefix). Cairo's
 * global font caches keep the last fonts used, and through them Pango's font map and
 * our fontconfig configuration, alive after pr_text_free; fontconfig's character sets
 * for the application fonts are then reported as lost. They are bounded (Cairo keeps a
 * fixed number of fonts) and freeing them at exit (cairo_debug_reset_static_data,
 * FcFini) asserts when any font is still referenced, so they are suppressed here. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:FcFreeTypeCharSet\nleak:FcConfigAppFontAddFile\nleak:libfontconfig.so\n";
}
