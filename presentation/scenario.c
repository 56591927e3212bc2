/* presentation/scenario.c: the scenario parser (pr/scenario.h; format in README.md). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xkbcommon/xkbcommon.h>

#include "drv/input.h"
#include "pr/scenario.h"

#define MAX_TOKENS 8

struct pr_scenario {
    pr_step *steps;
    size_t n, cap;
};

typedef struct token {
    char *s;   /* decoded text (strings unescaped), NUL-terminated, owned */
    int col;   /* 1-based byte column where it starts */
    int quoted;
} token;

static void fail(pr_err *err, int line, int col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    err->line = line;
    err->col = col;
}

static int utf8_put(char *out, uint32_t c)
{
    if (c < 0x80) { out[0] = (char)c; return 1; }
    if (c < 0x800) { out[0] = (char)(0xc0 | c >> 6); out[1] = (char)(0x80 | (c & 0x3f)); return 2; }
    if (c < 0x10000) {
        out[0] = (char)(0xe0 | c >> 12); out[1] = (char)(0x80 | ((c >> 6) & 0x3f));
        out[2] = (char)(0x80 | (c & 0x3f));
        return 3;
    }
    out[0] = (char)(0xf0 | c >> 18); out[1] = (char)(0x80 | ((c >> 12) & 0x3f));
    out[2] = (char)(0x80 | ((c >> 6) & 0x3f)); out[3] = (char)(0x80 | (c & 0x3f));
    return 4;
}

/* Splits one line into tokens. Returns the count, or -1 on error (err filled). */
static int tokenize(const char *p, size_t len, int line, token *toks, pr_err *err)
{
    int n = 0;
    size_t i = 0;
    while (i < len) {
        if (p[i] == ' ' || p[i] == '\t' || p[i] == '\r') {
            i++;
            continue;
        }
        if (p[i] == '#')
            break;
        if (n == MAX_TOKENS) {
            fail(err, line, (int)i + 1, "too many words on one line (at most %d)", MAX_TOKENS);
            return -1;
        }
        token *t = &toks[n];
        t->col = (int)i + 1;
        t->quoted = p[i] == '"';
        /* Decoded text is never longer than the source (escapes shrink or keep size). */
        t->s = malloc(len - i + 1);
        if (!t->s) {
            fail(err, line, t->col, "out of memory");
            return -1;
        }
        n++;
        size_t k = 0;
        if (t->quoted) {
            i++;
            for (;;) {
                if (i >= len) {
                    fail(err, line, t->col, "string not closed: a '\"' is missing");
                    return -1;
                }
                char c = p[i];
                if (c == '"') {
                    i++;
                    break;
                }
                if (c != '\\') {
                    t->s[k++] = c;
                    i++;
                    continue;
                }
                int ecol = (int)i + 1;
                if (i + 1 >= len) {
                    fail(err, line, ecol, "a '\\' ends the line inside a string");
                    return -1;
                }
                char e = p[i + 1];
                i += 2;
                switch (e) {
                case 'n': t->s[k++] = '\n'; break;
                case 't': t->s[k++] = '\t'; break;
                case '"': t->s[k++] = '"'; break;
                case '\\': t->s[k++] = '\\'; break;
                case 'u': {
                    /* \u{HEX}: a Unicode scalar value, 1 to 6 hex digits. */
                    if (i >= len || p[i] != '{') {
                        fail(err, line, ecol, "\\u must be followed by {hex digits}");
                        return -1;
                    }
                    size_t j = i + 1;
                    uint32_t cp = 0;
                    int digits = 0;
                    while (j < len && p[j] != '}') {
                        char h = p[j];
                        int v = h >= '0' && h <= '9' ? h - '0'
                                : h >= 'a' && h <= 'f' ? h - 'a' + 10
                                : h >= 'A' && h <= 'F' ? h - 'A' + 10 : -1;
                        if (v < 0 || ++digits > 6) {
                            fail(err, line, (int)j + 1, "bad hex digit or too many digits in \\u{...}");
                            return -1;
                        }
                        cp = cp * 16 + (uint32_t)v;
                        j++;
                    }
                    if (j >= len || digits == 0) {
                        fail(err, line, ecol, "\\u{...} is not closed or empty");
                        return -1;
                    }
                    if (cp == 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
                        fail(err, line, ecol, "\\u{%X} is not a Unicode character", cp);
                        return -1;
                    }
                    /* "\u{41}" (6 bytes min) never decodes longer than 4 bytes. */
                    k += (size_t)utf8_put(t->s + k, cp);
                    i = j + 1;
                    break;
                }
                default:
                    fail(err, line, ecol, "unknown escape '\\%c' (use \\n \\t \\\" \\\\ \\u{hex})",
                         (unsigned char)e >= 0x20 && (unsigned char)e < 0x7f ? e : '?');
                    return -1;
                }
            }
        } else {
            while (i < len && p[i] != ' ' && p[i] != '\t' && p[i] != '\r' && p[i] != '#') {
                if (p[i] == '"') {
                    fail(err, line, (int)i + 1, "a '\"' inside a word (put spaces around strings)");
                    return -1;
                }
                t->s[k++] = p[i++];
            }
        }
        t->s[k] = '\0';
    }
    return n;
}

static int number(const token *t, int line, double *out, int allow_negative, pr_err *err)
{
    char *end;
    errno = 0;
    double v = strtod(t->s, &end);
    if (t->quoted || end == t->s || *end || errno || v != v) {
        fail(err, line, t->col, "'%s' is not a number", t->s);
        return -1;
    }
    if ((!allow_negative && v < 0) || v > 100000 || v < -100000) {
        fail(err, line, t->col, "%s is out of range (%s100000)", t->s,
             allow_negative ? "-100000.." : "0..");
        return -1;
    }
    *out = v;
    return 0;
}

static int button_name(const token *t, int line, uint32_t *b, pr_err *err)
{
    if (!strcmp(t->s, "left"))
        *b = DRV_BTN_LEFT;
    else if (!strcmp(t->s, "right"))
        *b = DRV_BTN_RIGHT;
    else if (!strcmp(t->s, "middle"))
        *b = DRV_BTN_MIDDLE;
    else {
        fail(err, line, t->col, "unknown button '%s' (left, right or middle)", t->s);
        return -1;
    }
    return 0;
}

static int chord(const token *t, int line, pr_step *st, pr_err *err)
{
    char *s = t->s;
    int col = t->col;
    for (;;) {
        char *plus = strchr(s, '+');
        if (!plus)
            break;
        *plus = '\0';
        uint32_t m = !strcmp(s, "ctrl") || !strcmp(s, "control") ? DRV_MOD_CTRL
                     : !strcmp(s, "shift")                        ? DRV_MOD_SHIFT
                     : !strcmp(s, "alt") || !strcmp(s, "meta")    ? DRV_MOD_ALT
                     : !strcmp(s, "super")                        ? DRV_MOD_SUPER : 0;
        if (!m) {
            fail(err, line, col, "unknown modifier '%s' (ctrl, shift, alt, meta, super)", s);
            return -1;
        }
        st->mods |= m;
        col += (int)(plus - s) + 1;
        s = plus + 1;
    }
    if (!*s) {
        fail(err, line, col, "a key name is missing after the modifiers (for '+' write 'plus')");
        return -1;
    }
    if (xkb_keysym_from_name(s, XKB_KEYSYM_NO_FLAGS) == XKB_KEY_NoSymbol &&
        xkb_keysym_from_name(s, XKB_KEYSYM_CASE_INSENSITIVE) == XKB_KEY_NoSymbol) {
        fail(err, line, col, "unknown key name '%s' (an xkb keysym name: a, Return, F5, Left)", s);
        return -1;
    }
    st->text = strdup(s);
    if (!st->text) {
        fail(err, line, col, "out of memory");
        return -1;
    }
    return 0;
}

/* Parses one tokenized line into st. */
static int parse_line(token *tk, int n, int line, size_t linelen, pr_step *st, pr_err *err)
{
    const char *cmd = tk[0].s;
    int endcol = (int)linelen + 1;
    memset(st, 0, sizeof *st);
    st->line = line;
    st->button = DRV_BTN_LEFT;
    if (tk[0].quoted) {
        fail(err, line, tk[0].col, "a line must start with a command, not a string");
        return -1;
    }
#define NEED(lo, hi, usage)                                                                 \
    do {                                                                                    \
        if (n - 1 < (lo)) {                                                                 \
            fail(err, line, endcol, "%s: missing argument (usage: %s)", cmd, usage);        \
            return -1;                                                                      \
        }                                                                                   \
        if (n - 1 > (hi)) {                                                                 \
            fail(err, line, tk[(hi) + 1].col, "%s: too many arguments (usage: %s)", cmd, usage); \
            return -1;                                                                      \
        }                                                                                   \
    } while (0)
    if (!strcmp(cmd, "type")) {
        NEED(1, 1, "type \"text\"");
        if (!tk[1].quoted) {
            fail(err, line, tk[1].col, "type: the text must be a \"quoted string\"");
            return -1;
        }
        st->kind = PR_STEP_TYPE;
        st->text = tk[1].s;
        tk[1].s = NULL;
    } else if (!strcmp(cmd, "key")) {
        NEED(1, 1, "key [ctrl+][shift+][alt+]NAME");
        st->kind = PR_STEP_KEY;
        return chord(&tk[1], line, st, err);
    } else if (!strcmp(cmd, "move")) {
        NEED(2, 2, "move X Y");
        st->kind = PR_STEP_MOVE;
        if (number(&tk[1], line, &st->x0, 0, err) || number(&tk[2], line, &st->y0, 0, err))
            return -1;
    } else if (!strcmp(cmd, "click") || !strcmp(cmd, "press") || !strcmp(cmd, "release")) {
        int click = cmd[0] == 'c';
        if (click)
            NEED(0, 3, "click [X Y] [left|right|middle]");
        else
            NEED(0, 1, cmd[0] == 'p' ? "press [left|right|middle]" : "release [left|right|middle]");
        st->kind = click ? PR_STEP_CLICK : cmd[0] == 'p' ? PR_STEP_PRESS : PR_STEP_RELEASE;
        int a = 1;
        if (click && n - 1 >= 2) {
            if (number(&tk[1], line, &st->x0, 0, err) || number(&tk[2], line, &st->y0, 0, err))
                return -1;
            st->has_pos = 1;
            a = 3;
        }
        if (a < n && button_name(&tk[a], line, &st->button, err))
            return -1;
        if (a + 1 < n) {
            fail(err, line, tk[a + 1].col, "%s: too many arguments", cmd);
            return -1;
        }
    } else if (!strcmp(cmd, "drag")) {
        NEED(4, 5, "drag X0 Y0 X1 Y1 [left|right|middle]");
        st->kind = PR_STEP_DRAG;
        st->count = 8;
        st->has_pos = 1;
        if (number(&tk[1], line, &st->x0, 0, err) || number(&tk[2], line, &st->y0, 0, err) ||
            number(&tk[3], line, &st->x1, 0, err) || number(&tk[4], line, &st->y1, 0, err))
            return -1;
        if (n == 6 && button_name(&tk[5], line, &st->button, err))
            return -1;
    } else if (!strcmp(cmd, "scroll")) {
        NEED(2, 2, "scroll DX DY (wheel steps; positive DY scrolls down)");
        st->kind = PR_STEP_SCROLL;
        if (number(&tk[1], line, &st->x0, 1, err) || number(&tk[2], line, &st->y0, 1, err))
            return -1;
        if (st->x0 != (int)st->x0 || st->y0 != (int)st->y0) {
            fail(err, line, tk[1].col, "scroll: wheel steps must be whole numbers");
            return -1;
        }
    } else if (!strcmp(cmd, "wait")) {
        NEED(1, 1, "wait idle");
        if (strcmp(tk[1].s, "idle") != 0) {
            fail(err, line, tk[1].col, "wait: only 'wait idle' exists (scenarios never wait for time)");
            return -1;
        }
        st->kind = PR_STEP_WAIT_IDLE;
    } else if (!strcmp(cmd, "screenshot")) {
        NEED(1, 1, "screenshot FILE.png");
        size_t l = strlen(tk[1].s);
        if (l < 5 || strcmp(tk[1].s + l - 4, ".png") != 0) {
            fail(err, line, tk[1].col, "screenshot: the file name must end in .png");
            return -1;
        }
        st->kind = PR_STEP_SCREENSHOT;
        st->text = tk[1].s;
        tk[1].s = NULL;
    } else if (!strcmp(cmd, "unplug") || !strcmp(cmd, "plug")) {
        NEED(0, 0, cmd);
        st->kind = cmd[0] == 'u' ? PR_STEP_UNPLUG : PR_STEP_PLUG;
    } else {
        fail(err, line, tk[0].col,
             "unknown command '%s' (type, key, move, click, press, release, drag, scroll, "
             "wait, screenshot, unplug, plug)", cmd);
        return -1;
    }
#undef NEED
    return 0;
}

void pr_scenario_free(pr_scenario *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++)
        free(s->steps[i].text);
    free(s->steps);
    free(s);
}

pr_scenario *pr_scenario_parse(const char *src, size_t len, pr_err *err)
{
    pr_scenario *s = calloc(1, sizeof *s);
    if (!s) {
        fail(err, 0, 0, "out of memory");
        return NULL;
    }
    int line = 1;
    size_t start = 0;
    while (start < len) {
        size_t end = start;
        while (end < len && src[end] != '\n') {
            if (src[end] == '\0') {
                fail(err, line, (int)(end - start) + 1, "a NUL byte (is this a text file?)");
                pr_scenario_free(s);
                return NULL;
            }
            end++;
        }
        token tk[MAX_TOKENS] = {{0}};
        int n = tokenize(src + start, end - start, line, tk, err);
        int bad = n < 0;
        if (n > 0) {
            if (s->n == s->cap) {
                size_t cap = s->cap ? s->cap * 2 : 16;
                pr_step *ns = realloc(s->steps, cap * sizeof *ns);
                if (!ns) {
                    fail(err, line, 1, "out of memory");
                    bad = 1;
                } else {
                    s->steps = ns;
                    s->cap = cap;
                }
            }
            if (!bad && parse_line(tk, n, line, end - start, &s->steps[s->n], err) == 0)
                s->n++;
            else if (!bad) {
                free(s->steps[s->n].text);
                bad = 1;
            }
        }
        for (int i = 0; i < MAX_TOKENS; i++)
            free(tk[i].s);
        if (bad) {
            pr_scenario_free(s);
            return NULL;
        }
        line++;
        start = end + 1;
    }
    return s;
}

pr_scenario *pr_scenario_load(const char *path, pr_err *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fail(err, 0, 0, "cannot open the scenario %s: %s", path, strerror(errno));
        return NULL;
    }
    char *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len == cap) {
            cap = cap ? cap * 2 : 4096;
            if (cap > (64u << 20)) {
                fail(err, 0, 0, "the scenario %s is larger than 64 MB", path);
                free(buf);
                fclose(f);
                return NULL;
            }
            char *nb = realloc(buf, cap);
            if (!nb) {
                fail(err, 0, 0, "out of memory reading %s", path);
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = nb;
        }
        size_t r = fread(buf + len, 1, cap - len, f);
        len += r;
        if (r == 0)
            break;
    }
    int rerr = ferror(f);
    fclose(f);
    if (rerr) {
        fail(err, 0, 0, "cannot read the scenario %s", path);
        free(buf);
        return NULL;
    }
    pr_scenario *s = pr_scenario_parse(buf, len, err);
    free(buf);
    return s;
}

size_t pr_scenario_count(const pr_scenario *s) { return s->n; }

const pr_step *pr_scenario_step(const pr_scenario *s, size_t i)
{
    return i < s->n ? &s->steps[i] : NULL;
}
