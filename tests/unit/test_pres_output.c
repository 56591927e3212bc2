/* Unit tests for output records (pr/output.h): writing, groups, presentations and their
 * boxes, hit-testing (checked against a brute-force scan), truncation, visiting. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "pr/output.h"

static pr_text *text;

/* The reference: the deepest (then latest) live presentation containing the point. */
static pr_rec_id brute_hit(pr_output *o, double x, double y, const pr_typeset *s)
{
    pr_rec_id best = PR_NONE;
    int depth = -1;
    for (pr_rec_id i = 0; i < pr_output_count(o); i++) {
        const pr_rec *r = pr_output_rec(o, i);
        if (r->kind != PR_REC_GROUP || !r->type || (s && !pr_typeset_has(s, r->type)))
            continue;
        if ((float)x < r->box.x0 || (float)x >= r->box.x1 || (float)y < r->box.y0 ||
            (float)y >= r->box.y1)
            continue;
        if (r->depth > depth || (r->depth == depth && i > best)) {
            best = i;
            depth = r->depth;
        }
    }
    return best;
}

static void test_text_and_groups(void)
{
    pr_output *o = pr_output_new(text);
    pr_rec_id a = pr_output_write(o, "hello", 5);
    CHECK(a != PR_NONE);
    const pr_rec *ra = pr_output_rec(o, a);
    CHECK_EQ_INT(ra->kind, PR_REC_TEXT);
    CHECK(ra->box.x1 - ra->box.x0 > 20); /* five letters of an 11 pt font */
    CHECK(ra->box.y1 - ra->box.y0 > 10);
    size_t len;
    CHECK(strncmp(pr_output_rec_text(o, a, &len), "hello", 5) == 0);
    CHECK_EQ_INT(len, 5);

    /* A presentation around two runs; its box is their union. */
    pr_rec_id g = pr_output_begin(o, 77, 3);
    pr_rec_id b = pr_output_write(o, " wor", 4);
    pr_rec_id c = pr_output_write(o, "ld", 2);
    CHECK_EQ_INT(pr_output_end(o), g);
    const pr_rec *rg = pr_output_rec(o, g), *rb = pr_output_rec(o, b), *rc = pr_output_rec(o, c);
    CHECK(rb->box.x0 >= ra->box.x1 - 0.01f);
    CHECK(rg->box.x0 == rb->box.x0 && rg->box.x1 == rc->box.x1);
    CHECK_EQ_INT(rb->parent, g);
    CHECK_EQ_INT(rb->depth, 1);
    CHECK_EQ_INT(rg->object, 77);
    CHECK_EQ_INT(pr_output_end(o), PR_NONE); /* nothing open */

    /* Newlines: the next run starts lower, at the margin. */
    pr_output_write(o, "\nnext", 5);
    const pr_rec *rn = pr_output_rec(o, (pr_rec_id)pr_output_count(o) - 1);
    CHECK(rn->box.y0 >= ra->box.y1 - 1);
    CHECK(rn->box.x0 == 0);
    double w, h;
    pr_output_extent(o, &w, &h);
    CHECK(h >= rn->box.y1 && w >= rg->box.x1);

    /* Hit-testing: inside the presentation, outside it, with and without the type. */
    double mx = (rg->box.x0 + rg->box.x1) / 2, my = (rg->box.y0 + rg->box.y1) / 2;
    CHECK_EQ_INT(pr_output_hit(o, mx, my, NULL), g);
    CHECK_EQ_INT(pr_output_hit(o, ra->box.x0 + 1, my, NULL), PR_NONE);
    pr_typeset only5 = {{0}};
    pr_typeset_add(&only5, 5);
    CHECK_EQ_INT(pr_output_hit(o, mx, my, &only5), PR_NONE);
    pr_typeset_add(&only5, 3);
    CHECK_EQ_INT(pr_output_hit(o, mx, my, &only5), g);

    /* Invalid UTF-8 is replaced, not dropped: "a\xff" becomes "a" U+FFFD. */
    pr_rec_id bad = pr_output_write(o, "a\xff", 2);
    const char *t = pr_output_rec_text(o, bad, &len);
    CHECK_EQ_INT(len, 4);
    CHECK(memcmp(t, "a\xef\xbf\xbd", 4) == 0);

    /* Truncation removes records, their index entries and reports their box. */
    pr_bbox removed;
    pr_output_truncate(o, g, &removed);
    CHECK_EQ_INT(pr_output_count(o), g);
    CHECK(removed.x0 <= rb->box.x0 + 0.01f);
    CHECK_EQ_INT(pr_output_hit(o, mx, my, NULL), PR_NONE);
    pr_output_free(o);
}

static void test_nested_and_tall(void)
{
    pr_output *o = pr_output_new(text);
    /* A tall outer presentation (taller than PR_BAND_TALL bands) around small ones. */
    pr_rec_id outer = pr_output_begin(o, 1, 1);
    pr_output_rect(o, 0, 0, 100, PR_BAND_HEIGHT * (PR_BAND_TALL + 10), 0xff0000ff, 0);
    pr_rec_id inner = pr_output_begin(o, 2, 2);
    pr_output_rect(o, 10, 1000, 20, 20, 0x00ff00ff, 0);
    pr_rec_id innermost = pr_output_begin(o, 3, 2);
    pr_output_rect(o, 12, 1002, 5, 5, 0x0000ffff, 0);
    pr_output_end(o);
    pr_output_end(o);
    pr_output_end(o);
    CHECK_EQ_INT(pr_output_hit(o, 50, 50, NULL), outer);
    CHECK_EQ_INT(pr_output_hit(o, 50, PR_BAND_HEIGHT * (PR_BAND_TALL + 5), NULL), outer);
    CHECK_EQ_INT(pr_output_hit(o, 25, 1010, NULL), inner);
    CHECK_EQ_INT(pr_output_hit(o, 13, 1003, NULL), innermost);
    pr_typeset s = {{0}};
    pr_typeset_add(&s, 1);
    CHECK_EQ_INT(pr_output_hit(o, 13, 1003, &s), outer); /* innermost *sensitive* one */
    /* Negative coordinates are allowed (they go to the tall list). */
    pr_rec_id neg = pr_output_begin(o, 4, 4);
    pr_output_rect(o, -50, -50, 20, 20, 0, 0);
    pr_output_end(o);
    CHECK_EQ_INT(pr_output_hit(o, -40, -40, NULL), neg);
    pr_output_free(o);
}

static int visited[64], nvisited;
static void visit(void *data, pr_output *o, pr_rec_id id, pr_rec *r);

/* A taller run later on a line lowers the line's baseline: earlier runs (and the closed
 * presentation around one) move down so that all runs share it. */
static void test_baseline(void)
{
    int small = pr_text_style(text, "DejaVu Sans 9", 0x000000ff);
    int big = pr_text_style(text, "DejaVu Serif Bold 24", 0x000000ff);
    double asc_s, asc_b;
    pr_text_metrics(text, small, &asc_s, NULL);
    pr_text_metrics(text, big, &asc_b, NULL);
    pr_output *o = pr_output_new(text);
    pr_output_write(o, "above\n", 6);
    pr_output_set_style(o, small);
    pr_rec_id p = pr_output_begin(o, 5, 1);
    pr_rec_id a = pr_output_write(o, "small", 5);
    pr_output_end(o);
    float before = pr_output_rec(o, a)->box.y0;
    pr_output_set_style(o, big);
    pr_rec_id b = pr_output_write(o, "BIG", 3);
    pr_output_set_style(o, small);
    pr_rec_id c = pr_output_write(o, "after", 5);
    const pr_rec *ra = pr_output_rec(o, a), *rb = pr_output_rec(o, b), *rc = pr_output_rec(o, c);
    CHECK(ra->box.y0 > before);
    CHECK(fabs((ra->box.y0 + asc_s) - (rb->box.y0 + asc_b)) < 0.51);
    CHECK(fabs((rc->box.y0 + asc_s) - (rb->box.y0 + asc_b)) < 0.51);
    const pr_rec *rp = pr_output_rec(o, p);
    CHECK(rp->box.y0 == ra->box.y0 && rp->box.y1 == ra->box.y1);
    CHECK_EQ_INT(pr_output_hit(o, ra->box.x0 + 1, ra->box.y1 - 1, NULL), p);
    /* The next line starts below the big run. */
    pr_output_newline(o);
    pr_rec_id d = pr_output_write(o, "next", 4);
    CHECK(pr_output_rec(o, d)->box.y0 >= rb->box.y1 - 1);
    /* Everything is still found where it is drawn. */
    nvisited = 0;
    pr_output_visit(o, 0, ra->box.y0, 1000, ra->box.y1, visit, NULL);
    int seen = 0;
    for (int i = 0; i < nvisited; i++)
        seen += visited[i] == (int)a;
    CHECK_EQ_INT(seen, 1);
    pr_output_free(o);
}

static void visit(void *data, pr_output *o, pr_rec_id id, pr_rec *r)
{
    (void)data;
    (void)o;
    (void)r;
    if (nvisited < 64)
        visited[nvisited++] = (int)id;
}

static void test_visit(void)
{
    pr_output *o = pr_output_new(text);
    for (int i = 0; i < 20; i++)
        pr_output_rect(o, 0, i * 50, 10, 40, 0, 0); /* record i at y = 50 i */
    pr_output_rect(o, 0, 0, 10, 2000, 0, 0);        /* 20: spans everything */
    nvisited = 0;
    pr_output_visit(o, 0, 120, 100, 260, visit, NULL);
    /* rects 2 (100..140), 3, 4, 5 (250..290) and the tall one, in id order. */
    CHECK_EQ_INT(nvisited, 5);
    CHECK_EQ_INT(visited[0], 2);
    CHECK_EQ_INT(visited[3], 5);
    CHECK_EQ_INT(visited[4], 20);
    nvisited = 0;
    pr_output_visit(o, 20, 120, 100, 260, visit, NULL); /* right of everything */
    CHECK_EQ_INT(nvisited, 0);
    pr_output_free(o);
}

static void test_random_against_brute_force(void)
{
    srand(12345);
    pr_output *o = pr_output_new(text);
    for (int i = 0; i < 3000; i++) {
        double x = rand() % 2000, y = rand() % 20000;
        int depth = 1 + rand() % 3;
        for (int d = 0; d < depth; d++)
            pr_output_begin(o, i * 10 + d, (uint16_t)(1 + rand() % 6));
        for (int d = 0; d < depth; d++) {
            double w = 5 + rand() % 300, h = 5 + rand() % (d == 0 && rand() % 50 == 0 ? 5000 : 60);
            pr_output_rect(o, x + d * 2, y + d * 2, w, h, 0, 0);
            pr_output_end(o);
        }
    }
    pr_typeset s = {{0}};
    pr_typeset_add(&s, 2);
    pr_typeset_add(&s, 5);
    int mismatches = 0;
    for (int i = 0; i < 6000; i++) {
        double x = rand() % 2300, y = rand() % 25000 - 100;
        const pr_typeset *ts = i % 2 ? &s : NULL;
        if (pr_output_hit(o, x, y, ts) != brute_hit(o, x, y, ts))
            mismatches++;
    }
    CHECK_EQ_INT(mismatches, 0);
    /* And after truncating half of it. */
    pr_output_truncate(o, (pr_rec_id)(pr_output_count(o) / 2), NULL);
    mismatches = 0;
    for (int i = 0; i < 5000; i++) {
        double x = rand() % 2300, y = rand() % 25000;
        if (pr_output_hit(o, x, y, NULL) != brute_hit(o, x, y, NULL))
            mismatches++;
    }
    CHECK_EQ_INT(mismatches, 0);
    pr_output_free(o);
}

int main(void)
{
    pr_err err;
    text = pr_text_new(NULL, &err);
    CHECK(text != NULL);
    if (!text) {
        fprintf(stderr, "%s\n", err.msg);
        return check_report();
    }
    CHECK(pr_text_style(text, "", 0) < 0); /* no family: refused */
    test_text_and_groups();
    test_nested_and_tall();
    test_visit();
    test_baseline();
    test_random_against_brute_force();
    pr_text_free(text);
    pr_err e2;
    CHECK(pr_text_new("/nonexistent", &e2) == NULL);
    CHECK(strstr(e2.msg, "fonts-dejavu-core") != NULL);
    return check_report();
}
