/* tests/screenshots/pngdiff.c: compares two PNG images.
 *
 *   pngdiff [--tolerance=N] [--max-share=F] EXPECTED.png ACTUAL.png DIFF.png
 *
 * A pixel differs when any channel differs by more than N (0..255, default 8: absorbs
 * rounding differences between Cairo/pixman builds, not real changes). The images match
 * when they have the same size and the share of differing pixels is at most F (default
 * 0.00002, about 16 pixels of 1024x768: a text cursor or a highlight outline is larger,
 * so a missing one fails). On a mismatch the diff image is written (the expected image
 * faded to grey, differing pixels in red) and the exit status is 1; 2 means an
 * unreadable input. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cairo.h>

static cairo_surface_t *load(const char *path)
{
    cairo_surface_t *s = cairo_image_surface_create_from_png(path);
    if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) {
        fprintf(stderr, "pngdiff: cannot read %s: %s\n", path,
                cairo_status_to_string(cairo_surface_status(s)));
        cairo_surface_destroy(s);
        return NULL;
    }
    /* Normalise to ARGB32 so RGB24 and ARGB32 files compare channel by channel. */
    int w = cairo_image_surface_get_width(s), h = cairo_image_surface_get_height(s);
    cairo_surface_t *n = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, w, h);
    cairo_t *cr = cairo_create(n);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    cairo_set_source_surface(cr, s, 0, 0);
    cairo_paint(cr);
    cairo_destroy(cr);
    cairo_surface_destroy(s);
    cairo_surface_flush(n);
    return n;
}

int main(int argc, char **argv)
{
    int tol = 8;
    double max_share = 0.00002;
    const char *files[3];
    int nf = 0;
    for (int i = 1; i < argc; i++) {
        if (!strncmp(argv[i], "--tolerance=", 12))
            tol = atoi(argv[i] + 12);
        else if (!strncmp(argv[i], "--max-share=", 12))
            max_share = atof(argv[i] + 12);
        else if (nf < 3)
            files[nf++] = argv[i];
        else
            nf = 4;
    }
    if (nf != 3 || tol < 0 || tol > 255 || max_share < 0 || max_share > 1) {
        fprintf(stderr, "usage: pngdiff [--tolerance=0..255] [--max-share=0..1] EXPECTED "
                "ACTUAL DIFF\n");
        return 2;
    }
    cairo_surface_t *a = load(files[0]), *b = load(files[1]);
    if (!a || !b)
        return 2;
    int w = cairo_image_surface_get_width(a), h = cairo_image_surface_get_height(a);
    if (w != cairo_image_surface_get_width(b) || h != cairo_image_surface_get_height(b)) {
        fprintf(stderr, "pngdiff: %s is %dx%d but %s is %dx%d\n", files[0], w, h, files[1],
                cairo_image_surface_get_width(b), cairo_image_surface_get_height(b));
        return 1;
    }
    int sa = cairo_image_surface_get_stride(a), sb = cairo_image_surface_get_stride(b);
    unsigned char *da = cairo_image_surface_get_data(a), *db = cairo_image_surface_get_data(b);
    cairo_surface_t *diff = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);
    unsigned char *dd = cairo_image_surface_get_data(diff);
    int sd = cairo_image_surface_get_stride(diff);
    long differing = 0;
    int maxd = 0;
    for (int y = 0; y < h; y++) {
        uint32_t *pa = (uint32_t *)(da + y * sa), *pb = (uint32_t *)(db + y * sb);
        uint32_t *pd = (uint32_t *)(dd + y * sd);
        for (int x = 0; x < w; x++) {
            int m = 0;
            for (int c = 0; c < 32; c += 8) {
                int d = abs((int)((pa[x] >> c) & 0xff) - (int)((pb[x] >> c) & 0xff));
                if (d > m)
                    m = d;
            }
            if (m > maxd)
                maxd = m;
            if (m > tol) {
                differing++;
                pd[x] = 0xff0000;
            } else {
                uint32_t g = (((pa[x] >> 16) & 0xff) + ((pa[x] >> 8) & 0xff) + (pa[x] & 0xff)) / 3;
                g = 160 + g * 95 / 255;
                pd[x] = g << 16 | g << 8 | g;
            }
        }
    }
    cairo_surface_mark_dirty(diff);
    double share = (double)differing / ((double)w * h);
    int ok = share <= max_share;
    printf("pngdiff: %s vs %s: %ld of %ld pixels differ (%.4f%%, limit %.4f%%), largest "
           "channel difference %d (tolerance %d): %s\n", files[0], files[1], differing,
           (long)w * h, share * 100, max_share * 100, maxd, tol, ok ? "match" : "MISMATCH");
    if (!ok) {
        if (cairo_surface_write_to_png(diff, files[2]) != CAIRO_STATUS_SUCCESS)
            fprintf(stderr, "pngdiff: cannot write %s\n", files[2]);
        else
            printf("pngdiff: diff image written to %s\n", files[2]);
    }
    cairo_surface_destroy(a);
    cairo_surface_destroy(b);
    cairo_surface_destroy(diff);
    return ok ? 0 : 1;
}
