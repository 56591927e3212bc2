/* runtime/stream.c: streams (see rt/stream.h for the kinds and the layout).
 *
 * Buffers are Lisp objects (an (unsigned-byte 8) vector for fd streams, a string for
 * string output), so no Lisp data lives in malloc'd memory; an fd stream's raw word
 * holds the descriptor. Invariants: POS <= LIMIT <= buffer length for input buffers;
 * PUSHBACK is NIL or the one character unread-char gave back; COLUMN counts characters
 * since the last newline written.
 */
#include "obj_internal.h"
#include "rt/stream.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define FD_BUF 4096
#define RAW_FD 0
#define RAW_PTR 1
#define RAW_LEN 2

int32_t rt_utf8_decode_one(const uint8_t *s, size_t len, size_t *i);

static rt_value std_in, std_out, std_err; /* the fd streams, for flushing at exit */

/* A file opened by OPEN: the descriptor, closed by a finalizer if the stream is dropped
 * unclosed (unflushed output is lost then, as in SBCL). CLOSE sets fd to -1 first. The
 * cell's address is the stream's raw word RAW_PTR. */
struct fd_cell {
    int fd;
};
static void close_fd_cell(void *data)
{
    struct fd_cell *c = data;
    if (c->fd >= 0)
        close(c->fd);
    free(c);
}

static rt_value *B(rt_value s) { return rt_body(s); }
static int64_t geti(rt_value s, enum rt_stream_slot k) { return rt_fixnum_value(B(s)[k]); }
static void seti(rt_value s, enum rt_stream_slot k, int64_t v) { RT_STORE(B(s)[k], rt_fixnum(v)); }
static uint64_t *raw(rt_value s) { return (uint64_t *)&B(s)[RT_STR_NBOXED]; }
static int kind(rt_value s) { return (int)geti(s, RT_STR_KIND); }

static rt_value make_stream(int k, int flags)
{
    rt_value s = rt_alloc_object(RT_WT_STREAM, 0, RT_STR_NBOXED + 3, RT_STR_NBOXED);
    rt_value *b = rt_body(s);
    b[RT_STR_KIND] = rt_fixnum(k);
    b[RT_STR_FLAGS] = rt_fixnum(flags);
    b[RT_STR_POS] = rt_fixnum(0);
    b[RT_STR_LIMIT] = rt_fixnum(0);
    b[RT_STR_COLUMN] = rt_fixnum(0);
    b[RT_STR_OUT_POS] = rt_fixnum(0);
    b[RT_STR_LINE] = rt_fixnum(1);
    return s;
}

static rt_value make_u8(size_t n) { return rt_alloc_object(RT_WT_VECTOR_U8, n, (n + 7) / 8, 0); }

rt_value rt_make_fd_stream(int fd, bool input, bool output, const char *name)
{
    rt_value s = make_stream(RT_STREAM_FD, (input ? RT_STRF_INPUT : 0) | (output ? RT_STRF_OUTPUT : 0));
    RT_ROOTS(s);
    rt_value v;
    if (input) {
        v = make_u8(FD_BUF);
        RT_STORE(B(s)[RT_STR_BUF], v);
    }
    if (output) {
        v = make_u8(FD_BUF);
        RT_STORE(B(s)[RT_STR_OTHER], v);
    }
    v = rt_string_from_cstr(name);
    RT_STORE(B(s)[RT_STR_NAME], v);
    uint64_t w = (uint64_t)fd;
    rt_store_raw(&raw(s)[RAW_FD], &w, 8);
    return s;
}

rt_value rt_make_string_input_stream(rt_value string, size_t start, size_t end)
{
    RT_ROOTS(string);
    rt_value s = make_stream(RT_STREAM_STRING_IN, RT_STRF_INPUT);
    RT_STORE(B(s)[RT_STR_BUF], string);
    seti(s, RT_STR_POS, (int64_t)start);
    seti(s, RT_STR_LIMIT, (int64_t)end);
    return s;
}

rt_value rt_make_mem_input_stream(const char *utf8, size_t len)
{
    rt_value s = make_stream(RT_STREAM_MEM_IN, RT_STRF_INPUT);
    uint64_t w[2] = {(uint64_t)(uintptr_t)utf8, (uint64_t)len};
    rt_store_raw(&raw(s)[RAW_PTR], w, 16);
    seti(s, RT_STR_LIMIT, (int64_t)len);
    return s;
}

rt_value rt_make_string_output_stream(void)
{
    rt_value s = make_stream(RT_STREAM_STRING_OUT, RT_STRF_OUTPUT);
    RT_ROOTS(s);
    rt_value buf = rt_make_string(64, 0);
    RT_STORE(B(s)[RT_STR_BUF], buf);
    return s;
}

rt_value rt_make_two_way_stream(rt_value in, rt_value out)
{
    RT_ROOTS(in, out);
    rt_value s = make_stream(RT_STREAM_TWO_WAY, RT_STRF_INPUT | RT_STRF_OUTPUT);
    RT_STORE(B(s)[RT_STR_BUF], in);
    RT_STORE(B(s)[RT_STR_OTHER], out);
    return s;
}

rt_value rt_make_synonym_stream(rt_value symbol)
{
    RT_ROOTS(symbol);
    rt_value s = make_stream(RT_STREAM_SYNONYM, RT_STRF_INPUT | RT_STRF_OUTPUT);
    RT_STORE(B(s)[RT_STR_BUF], symbol);
    return s;
}

static rt_value make_lisp_stream(rt_value object, int flags)
{
    RT_ROOTS(object);
    rt_value s = make_stream(RT_STREAM_LISP, flags);
    RT_STORE(B(s)[RT_STR_BUF], object);
    return s;
}

/* Calls (SYS:%STREAM-DISPATCH object op args...) for Lisp (Gray) streams. */
static rt_value dispatch(rt_value s, const char *op, size_t nargs, const rt_value *args)
{
    rt_value v[4];
    RT_ROOTS(s);
    rt_value opk = rt_keyword(op);
    v[0] = B(s)[RT_STR_BUF];
    v[1] = opk;
    for (size_t i = 0; i < nargs && i < 2; i++)
        v[2 + i] = args[i];
    return rt_funcall(rt_sym_stream_dispatch, 2 + nargs, v);
}

static rt_value check_stream(rt_value s)
{
    if (!rt_streamp(s))
        rt_type_error(s, "stream");
    return s;
}

/* Follows synonym and two-way streams to the stream doing the work. */
static rt_value target(rt_value s, bool output)
{
    for (int hops = 0; hops < 64; hops++) {
        check_stream(s);
        int k = kind(s);
        if (k == RT_STREAM_SYNONYM)
            s = rt_symbol_value(B(s)[RT_STR_BUF]);
        else if (k == RT_STREAM_TWO_WAY)
            s = output ? B(s)[RT_STR_OTHER] : B(s)[RT_STR_BUF];
        else
            return s;
    }
    rt_error("SIMPLE-ERROR", "synonym stream chain too long (a cycle?)");
}

static void check_dir(rt_value s, int flag)
{
    int64_t f = geti(s, RT_STR_FLAGS);
    if (f & RT_STRF_CLOSED)
        rt_error("STREAM-ERROR", "operation on a closed stream");
    if (!(f & flag))
        rt_error("STREAM-ERROR", "stream is not an %s stream", flag == RT_STRF_INPUT ? "input" : "output");
}

/* ---- Input ---------------------------------------------------------------------- */

/* Refills an fd stream's buffer, keeping the bytes in [POS, LIMIT). Returns the number
 * of new bytes (0 at end of file). */
static size_t fd_fill(rt_value s)
{
    rt_value buf = B(s)[RT_STR_BUF];
    size_t pos = (size_t)geti(s, RT_STR_POS), lim = (size_t)geti(s, RT_STR_LIMIT);
    uint8_t *p = (uint8_t *)rt_body(buf);
    size_t keep = lim - pos;
    uint8_t tmp[FD_BUF];
    memcpy(tmp, p + pos, keep);
    ssize_t n;
    do {
        n = read((int)raw(s)[RAW_FD], tmp + keep, FD_BUF - keep);
    } while (n < 0 && errno == EINTR);
    if (n < 0)
        rt_error("STREAM-ERROR", "read error: %s", strerror(errno));
    rt_store_raw(p, tmp, keep + (size_t)n);
    seti(s, RT_STR_POS, 0);
    seti(s, RT_STR_LIMIT, (int64_t)(keep + (size_t)n));
    return (size_t)n;
}

static int32_t count_line(rt_value s, int32_t c)
{
    if (c == '\n')
        seti(s, RT_STR_LINE, geti(s, RT_STR_LINE) + 1);
    return c;
}

/* Decodes from a byte buffer with refill: shared by fd and memory streams. */
static int32_t read_utf8(rt_value s, const uint8_t *p, size_t pos, size_t lim, bool can_fill)
{
    for (;;) {
        if (pos >= lim) {
            if (!can_fill || fd_fill(s) == 0)
                return RT_EOF;
            p = (const uint8_t *)rt_body(B(s)[RT_STR_BUF]);
            pos = 0;
            lim = (size_t)geti(s, RT_STR_LIMIT);
            continue;
        }
        size_t i = pos;
        int32_t c = rt_utf8_decode_one(p, lim, &i);
        if (c == -2 && can_fill) {
            /* Cut short by the buffer's end: refill keeping the partial sequence. */
            if (fd_fill(s) > 0) {
                p = (const uint8_t *)rt_body(B(s)[RT_STR_BUF]);
                pos = 0;
                lim = (size_t)geti(s, RT_STR_LIMIT);
                continue;
            }
        }
        if (c < 0) {
            /* Consume the bad byte so a caller that goes on makes progress. */
            seti(s, RT_STR_POS, (int64_t)pos + 1);
            return RT_BAD_UTF8;
        }
        seti(s, RT_STR_POS, (int64_t)i);
        return c;
    }
}

int32_t rt_read_char_status(rt_value s)
{
    s = target(s, false);
    check_dir(s, RT_STRF_INPUT);
    rt_value pb = B(s)[RT_STR_PUSHBACK];
    if (rt_characterp(pb)) {
        RT_STORE(B(s)[RT_STR_PUSHBACK], RT_NIL);
        return count_line(s, (int32_t)rt_char_code(pb));
    }
    switch (kind(s)) {
    case RT_STREAM_STRING_IN: {
        int64_t pos = geti(s, RT_STR_POS);
        if (pos >= geti(s, RT_STR_LIMIT))
            return RT_EOF;
        seti(s, RT_STR_POS, pos + 1);
        size_t st, len;
        rt_value d = rt_string_data(B(s)[RT_STR_BUF], &st, &len);
        return count_line(s, (int32_t)rt_string_ref(d, st + (size_t)pos));
    }
    case RT_STREAM_MEM_IN: {
        const uint8_t *p = (const uint8_t *)(uintptr_t)raw(s)[RAW_PTR];
        int32_t c = read_utf8(s, p, (size_t)geti(s, RT_STR_POS), (size_t)geti(s, RT_STR_LIMIT), false);
        return c >= 0 ? count_line(s, c) : c;
    }
    case RT_STREAM_FD: {
        RT_ROOTS(s);
        const uint8_t *p = (const uint8_t *)rt_body(B(s)[RT_STR_BUF]);
        int32_t c = read_utf8(s, p, (size_t)geti(s, RT_STR_POS), (size_t)geti(s, RT_STR_LIMIT), true);
        return c >= 0 ? count_line(s, c) : c;
    }
    case RT_STREAM_LISP: {
        rt_value r = dispatch(s, "READ-CHAR", 0, NULL);
        return rt_characterp(r) ? (int32_t)rt_char_code(r) : RT_EOF;
    }
    default:
        rt_error("STREAM-ERROR", "not an input stream");
    }
}

int32_t rt_read_char(rt_value s)
{
    int32_t c = rt_read_char_status(s);
    if (c == RT_BAD_UTF8)
        rt_error("STREAM-DECODING-ERROR", "invalid UTF-8 byte sequence in input");
    return c;
}

void rt_unread_char(rt_value s, uint32_t c)
{
    s = target(s, false);
    if (kind(s) == RT_STREAM_LISP) {
        rt_value a = rt_char(c);
        dispatch(s, "UNREAD-CHAR", 1, &a);
        return;
    }
    if (rt_characterp(B(s)[RT_STR_PUSHBACK]))
        rt_error("SIMPLE-ERROR", "unread-char: a character was already unread");
    if (c == '\n')
        seti(s, RT_STR_LINE, geti(s, RT_STR_LINE) - 1);
    RT_STORE(B(s)[RT_STR_PUSHBACK], rt_char(c));
}

int32_t rt_peek_char(rt_value s)
{
    RT_ROOTS(s);
    int32_t c = rt_read_char(s);
    if (c >= 0)
        rt_unread_char(s, (uint32_t)c);
    return c;
}

bool rt_listen(rt_value s)
{
    s = target(s, false);
    if (rt_characterp(B(s)[RT_STR_PUSHBACK]))
        return true;
    switch (kind(s)) {
    case RT_STREAM_STRING_IN:
    case RT_STREAM_MEM_IN:
        return geti(s, RT_STR_POS) < geti(s, RT_STR_LIMIT);
    case RT_STREAM_FD: {
        if (geti(s, RT_STR_POS) < geti(s, RT_STR_LIMIT))
            return true;
        struct pollfd pfd = {(int)raw(s)[RAW_FD], POLLIN, 0};
        return poll(&pfd, 1, 0) > 0 && (pfd.revents & POLLIN);
    }
    case RT_STREAM_LISP:
        return rt_true(dispatch(s, "LISTEN", 0, NULL));
    default:
        return false;
    }
}

/* ---- Output --------------------------------------------------------------------- */

static void fd_flush(rt_value s)
{
    size_t n = (size_t)geti(s, RT_STR_OUT_POS);
    if (n == 0)
        return;
    const uint8_t *p = (const uint8_t *)rt_body(B(s)[RT_STR_OTHER]);
    int fd = (int)raw(s)[RAW_FD];
    size_t done = 0;
    while (done < n) {
        ssize_t w = write(fd, p + done, n - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            seti(s, RT_STR_OUT_POS, 0);
            rt_error("STREAM-ERROR", "write error: %s", strerror(errno));
        }
        done += (size_t)w;
    }
    seti(s, RT_STR_OUT_POS, 0);
}

static void fd_put_bytes(rt_value s, const char *bytes, size_t n)
{
    size_t pos = (size_t)geti(s, RT_STR_OUT_POS);
    if (pos + n > FD_BUF) {
        fd_flush(s);
        pos = 0;
    }
    rt_store_raw((uint8_t *)rt_body(B(s)[RT_STR_OTHER]) + pos, bytes, n);
    seti(s, RT_STR_OUT_POS, (int64_t)(pos + n));
}

static void string_out_put(rt_value s, const uint32_t *chars, size_t n)
{
    RT_ROOTS(s);
    rt_value buf = B(s)[RT_STR_BUF];
    size_t pos = (size_t)geti(s, RT_STR_POS), cap = rt_string_length(buf);
    if (pos + n > cap) {
        size_t ncap = cap * 2 > pos + n ? cap * 2 : pos + n;
        rt_value nb = rt_make_string(ncap, 0);
        buf = B(s)[RT_STR_BUF];
        memcpy(rt_body(nb), rt_body(buf), pos * 4);
        RT_STORE(B(s)[RT_STR_BUF], nb);
        buf = nb;
    }
    rt_store_raw((uint32_t *)rt_body(buf) + pos, chars, n * 4);
    seti(s, RT_STR_POS, (int64_t)(pos + n));
}

static void update_column(rt_value s, const uint32_t *chars, size_t n)
{
    int64_t col = geti(s, RT_STR_COLUMN);
    for (size_t i = 0; i < n; i++)
        col = chars[i] == '\n' ? 0 : col + 1;
    seti(s, RT_STR_COLUMN, col);
}

void rt_write_chars(rt_value s, const uint32_t *chars, size_t n)
{
    s = target(s, true);
    check_dir(s, RT_STRF_OUTPUT);
    RT_ROOTS(s);
    switch (kind(s)) {
    case RT_STREAM_STRING_OUT:
        string_out_put(s, chars, n);
        break;
    case RT_STREAM_FD: {
        bool nl = false;
        for (size_t i = 0; i < n; i++) {
            char u[4];
            int k = rt_utf8_encode(chars[i], u);
            fd_put_bytes(s, u, (size_t)k);
            nl |= chars[i] == '\n';
        }
        if (geti(s, RT_STR_FLAGS) & RT_STRF_UNBUFFERED)
            fd_flush(s);
        (void)nl;
        break;
    }
    case RT_STREAM_LISP:
        for (size_t i = 0; i < n; i++) {
            rt_value c = rt_char(chars[i]);
            dispatch(s, "WRITE-CHAR", 1, &c);
        }
        break;
    default:
        rt_error("STREAM-ERROR", "not an output stream");
    }
    update_column(s, chars, n);
}

void rt_write_char(rt_value s, uint32_t c) { rt_write_chars(s, &c, 1); }

void rt_write_cstr(rt_value s, const char *utf8)
{
    uint32_t buf[256];
    size_t n = 0, i = 0, len = strlen(utf8);
    RT_ROOTS(s);
    while (i < len) {
        int32_t c = rt_utf8_decode_one((const uint8_t *)utf8, len, &i);
        if (c < 0) {
            c = 0xFFFD; /* C literals are valid UTF-8; never happens for them */
            i++;
        }
        buf[n++] = (uint32_t)c;
        if (n == 256) {
            rt_write_chars(s, buf, n);
            n = 0;
        }
    }
    if (n)
        rt_write_chars(s, buf, n);
}

void rt_write_string(rt_value s, rt_value string, size_t start, size_t end)
{
    RT_ROOTS(s, string);
    uint32_t buf[256];
    while (start < end) {
        size_t st, len;
        rt_value d = rt_string_data(string, &st, &len);
        size_t n = end - start < 256 ? end - start : 256;
        for (size_t i = 0; i < n; i++)
            buf[i] = rt_string_ref(d, st + start + i);
        rt_write_chars(s, buf, n);
        start += n;
    }
}

void rt_terpri(rt_value s) { rt_write_char(s, '\n'); }

size_t rt_stream_column(rt_value s)
{
    s = target(s, true);
    if (kind(s) == RT_STREAM_LISP) {
        rt_value c = dispatch(s, "LINE-COLUMN", 0, NULL);
        return rt_fixnump(c) ? (size_t)rt_fixnum_value(c) : 0;
    }
    return (size_t)geti(s, RT_STR_COLUMN);
}

bool rt_fresh_line(rt_value s)
{
    if (rt_stream_column(s) == 0)
        return false;
    rt_terpri(s);
    return true;
}

void rt_finish_output(rt_value s)
{
    s = target(s, true);
    if (kind(s) == RT_STREAM_FD && (geti(s, RT_STR_FLAGS) & RT_STRF_OUTPUT))
        fd_flush(s);
    else if (kind(s) == RT_STREAM_LISP)
        dispatch(s, "FINISH-OUTPUT", 0, NULL);
}

rt_value rt_get_output_stream_string(rt_value s)
{
    check_stream(s);
    if (kind(s) != RT_STREAM_STRING_OUT)
        rt_type_error(s, "string-stream");
    RT_ROOTS(s);
    size_t n = (size_t)geti(s, RT_STR_POS);
    rt_value out = rt_make_string(n, 0);
    /* Read the buffer after allocating: the allocation may have moved it. */
    memcpy(rt_body(out), rt_body(B(s)[RT_STR_BUF]), n * 4);
    seti(s, RT_STR_POS, 0);
    seti(s, RT_STR_COLUMN, 0);
    return out;
}

rt_value rt_output_stream(rt_value d)
{
    if (rt_null(d))
        return rt_symbol_value(rt_sym_standard_output);
    if (d == RT_T)
        return rt_symbol_value(rt_sym_terminal_io);
    return check_stream(d);
}

rt_value rt_input_stream(rt_value d)
{
    if (rt_null(d))
        return rt_symbol_value(rt_sym_standard_input);
    if (d == RT_T)
        return rt_symbol_value(rt_sym_terminal_io);
    return check_stream(d);
}

void rt_streams_flush_standard(void)
{
    if (rt_streamp(std_out))
        fd_flush(std_out);
    if (rt_streamp(std_err))
        fd_flush(std_err);
}

static void flush_at_exit(void) { rt_streams_flush_standard(); }

void rt_streams_init(void)
{
    rt_register_global(&std_in);
    rt_register_global(&std_out);
    rt_register_global(&std_err);
    std_in = rt_make_fd_stream(0, true, false, "standard input");
    std_out = rt_make_fd_stream(1, false, true, "standard output");
    std_err = rt_make_fd_stream(2, false, true, "standard error");
    seti(std_err, RT_STR_FLAGS, geti(std_err, RT_STR_FLAGS) | RT_STRF_UNBUFFERED);
    rt_value tio = rt_make_two_way_stream(std_in, std_out);
    RT_ROOTS(tio);
    rt_set_symbol_value(rt_sym_standard_input, std_in);
    rt_set_symbol_value(rt_sym_standard_output, std_out);
    rt_set_symbol_value(rt_sym_error_output, std_err);
    rt_set_symbol_value(rt_sym_terminal_io, tio);
    rt_value *syms[] = {&rt_sym_trace_output, &rt_sym_query_io, &rt_sym_debug_io}; /* rooted globals */
    for (size_t i = 0; i < 3; i++) {
        rt_value syn = rt_make_synonym_stream(rt_sym_terminal_io);
        rt_set_symbol_value(*syms[i], syn);
    }
    atexit(flush_at_exit);
    /* The keywords this file compares arguments with exist from the start, so looking
     * them up later never allocates (and never moves a value being compared). */
    static const char *const kws[] = {"INPUT", "OUTPUT", "IO", "PROBE", "ERROR", "SUPERSEDE",
                                      "NEW-VERSION", "RENAME", "RENAME-AND-DELETE", "APPEND",
                                      "OVERWRITE", "CREATE", "START", "END", "READ-CHAR",
                                      "UNREAD-CHAR", "LISTEN", "WRITE-CHAR", "LINE-COLUMN",
                                      "FINISH-OUTPUT", "CLOSE"};
    for (size_t i = 0; i < RT_COUNTOF(kws); i++)
        rt_keyword(kws[i]);
}

/* ---- Lisp functions -------------------------------------------------------------- */

static rt_value opt(rt_value *a, size_t n, size_t i, rt_value dflt) { return n > i ? a[i] : dflt; }

static rt_value eof_result(rt_value s, rt_value eof_error_p, rt_value eof_value)
{
    if (rt_true(eof_error_p))
        rt_error("END-OF-FILE", "end of file on stream");
    (void)s;
    return eof_value;
}

static rt_value p_read_char(rt_value *a, size_t n)
{
    rt_value s = rt_input_stream(opt(a, n, 0, RT_NIL));
    rt_value eep = opt(a, n, 1, RT_T), ev = opt(a, n, 2, RT_NIL);
    RT_ROOTS(eep, ev);
    int32_t c = rt_read_char(s);
    return c < 0 ? eof_result(s, eep, ev) : rt_char((uint32_t)c);
}
static rt_value p_read_char_no_hang(rt_value *a, size_t n)
{
    rt_value s = rt_input_stream(opt(a, n, 0, RT_NIL));
    rt_value eep = opt(a, n, 1, RT_T), ev = opt(a, n, 2, RT_NIL);
    RT_ROOTS(s, eep, ev);
    rt_value t = target(s, false);
    if (kind(t) == RT_STREAM_FD && !rt_listen(s))
        return RT_NIL;
    int32_t c = rt_read_char(s);
    return c < 0 ? eof_result(s, eep, ev) : rt_char((uint32_t)c);
}
static rt_value p_unread_char(rt_value *a, size_t n)
{
    rt_unread_char(rt_input_stream(opt(a, n, 1, RT_NIL)), rt_check_char(a[0]));
    return RT_NIL;
}
static bool whitespace_p(int32_t c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == 11; }
static rt_value p_peek_char(rt_value *a, size_t n)
{
    rt_value type = opt(a, n, 0, RT_NIL);
    rt_value s = rt_input_stream(opt(a, n, 1, RT_NIL));
    rt_value eep = opt(a, n, 2, RT_T), ev = opt(a, n, 3, RT_NIL);
    RT_ROOTS(type, s, eep, ev);
    for (;;) {
        int32_t c = rt_read_char(s);
        if (c < 0)
            return eof_result(s, eep, ev);
        bool stop = rt_null(type) || (type == RT_T && !whitespace_p(c)) ||
                    (rt_characterp(type) && rt_char_code(type) == (uint32_t)c);
        if (stop) {
            rt_unread_char(s, (uint32_t)c);
            return rt_char((uint32_t)c);
        }
    }
}
static rt_value p_read_line(rt_value *a, size_t n)
{
    rt_value s = rt_input_stream(opt(a, n, 0, RT_NIL));
    rt_value eep = opt(a, n, 1, RT_T), ev = opt(a, n, 2, RT_NIL);
    RT_ROOTS(s, eep, ev);
    size_t cap = 128, len = 0;
    uint32_t *buf = malloc(cap * 4);
    if (!buf)
        rt_storage_error("read-line");
    int32_t c;
    /* If reading signals, the buffer leaks at most one line: acceptable for an error
     * path, and the stream's state stays consistent. */
    while ((c = rt_read_char(s)) >= 0 && c != '\n') {
        if (len == cap) {
            uint32_t *nb = realloc(buf, cap * 2 * 4);
            if (!nb) {
                free(buf);
                rt_storage_error("read-line");
            }
            buf = nb;
            cap *= 2;
        }
        buf[len++] = (uint32_t)c;
    }
    if (c < 0 && len == 0) {
        free(buf);
        return rt_values2(eof_result(s, eep, ev), RT_T);
    }
    rt_value str = rt_make_string(len, 0);
    memcpy(rt_body(str), buf, len * 4);
    free(buf);
    return rt_values2(str, rt_bool(c < 0));
}
static rt_value p_write_char(rt_value *a, size_t n)
{
    rt_value ch = a[0];
    rt_write_char(rt_output_stream(opt(a, n, 1, RT_NIL)), rt_check_char(ch));
    return ch;
}
static void string_bounds(rt_value *a, size_t n, size_t from, rt_value str, size_t *s, size_t *e)
{
    size_t st, len;
    rt_string_data(str, &st, &len);
    rt_value vs = rt_kwarg(a, n, from, "START"), ve = rt_kwarg(a, n, from, "END");
    *s = vs == RT_NO_VALUE ? 0 : (size_t)rt_check_index(vs, 0, (int64_t)len, "index");
    *e = ve == RT_NO_VALUE || rt_null(ve) ? len : (size_t)rt_check_index(ve, (int64_t)*s, (int64_t)len, "index");
}
static rt_value p_write_string(rt_value *a, size_t n)
{
    rt_value str = a[0];
    if (!rt_stringp(str))
        rt_type_error(str, "string");
    RT_ROOTS(str);
    size_t s, e;
    string_bounds(a, n, 2, str, &s, &e);
    rt_write_string(rt_output_stream(opt(a, n, 1, RT_NIL)), str, s, e);
    return str;
}
static rt_value p_write_line(rt_value *a, size_t n)
{
    rt_value str = a[0];
    if (!rt_stringp(str))
        rt_type_error(str, "string");
    rt_value out = rt_output_stream(opt(a, n, 1, RT_NIL));
    RT_ROOTS(str, out);
    size_t s, e;
    string_bounds(a, n, 2, str, &s, &e);
    rt_write_string(out, str, s, e);
    rt_terpri(out);
    return str;
}
static rt_value p_terpri(rt_value *a, size_t n)
{
    rt_terpri(rt_output_stream(opt(a, n, 0, RT_NIL)));
    return RT_NIL;
}
static rt_value p_fresh_line(rt_value *a, size_t n) { return rt_bool(rt_fresh_line(rt_output_stream(opt(a, n, 0, RT_NIL)))); }
static rt_value p_finish_output(rt_value *a, size_t n)
{
    rt_finish_output(rt_output_stream(opt(a, n, 0, RT_NIL)));
    return RT_NIL;
}
static rt_value p_clear_output(rt_value *a, size_t n)
{
    rt_value s = target(rt_output_stream(opt(a, n, 0, RT_NIL)), true);
    if (kind(s) == RT_STREAM_FD)
        seti(s, RT_STR_OUT_POS, 0);
    return RT_NIL;
}
static rt_value p_clear_input(rt_value *a, size_t n)
{
    rt_value s = target(rt_input_stream(opt(a, n, 0, RT_NIL)), false);
    RT_STORE(B(s)[RT_STR_PUSHBACK], RT_NIL);
    if (kind(s) == RT_STREAM_FD)
        seti(s, RT_STR_POS, geti(s, RT_STR_LIMIT));
    return RT_NIL;
}
static rt_value p_listen(rt_value *a, size_t n) { return rt_bool(rt_listen(rt_input_stream(opt(a, n, 0, RT_NIL)))); }
static rt_value p_make_string_output_stream(rt_value *a, size_t n) { return rt_make_string_output_stream(); }
static rt_value p_get_output_stream_string(rt_value *a, size_t n) { return rt_get_output_stream_string(a[0]); }
static rt_value p_make_string_input_stream(rt_value *a, size_t n)
{
    rt_value str = a[0];
    if (!rt_stringp(str))
        rt_type_error(str, "string");
    size_t st, len;
    rt_string_data(str, &st, &len);
    size_t s = n > 1 ? (size_t)rt_check_index(a[1], 0, (int64_t)len, "index") : 0;
    size_t e = n > 2 && !rt_null(a[2]) ? (size_t)rt_check_index(a[2], (int64_t)s, (int64_t)len, "index") : len;
    return rt_make_string_input_stream(str, s, e);
}
static rt_value p_make_two_way_stream(rt_value *a, size_t n)
{
    check_stream(a[0]);
    check_stream(a[1]);
    return rt_make_two_way_stream(a[0], a[1]);
}
static rt_value p_make_synonym_stream(rt_value *a, size_t n) { return rt_make_synonym_stream(rt_check_symbol(a[0])); }
static rt_value p_streamp(rt_value *a, size_t n) { return rt_bool(rt_streamp(a[0])); }
static rt_value p_input_stream_p(rt_value *a, size_t n)
{
    return rt_bool(geti(check_stream(a[0]), RT_STR_FLAGS) & RT_STRF_INPUT);
}
static rt_value p_output_stream_p(rt_value *a, size_t n)
{
    return rt_bool(geti(check_stream(a[0]), RT_STR_FLAGS) & RT_STRF_OUTPUT);
}
static rt_value p_open_stream_p(rt_value *a, size_t n)
{
    return rt_bool(!(geti(check_stream(a[0]), RT_STR_FLAGS) & RT_STRF_CLOSED));
}
static rt_value p_close(rt_value *a, size_t n)
{
    rt_value s = check_stream(a[0]);
    RT_ROOTS(s);
    if (geti(s, RT_STR_FLAGS) & RT_STRF_CLOSED)
        return RT_NIL;
    if (kind(s) == RT_STREAM_FD) {
        if (geti(s, RT_STR_FLAGS) & RT_STRF_OUTPUT)
            fd_flush(s);
        int fd = (int)raw(s)[RAW_FD];
        struct fd_cell *cell = (struct fd_cell *)(uintptr_t)raw(s)[RAW_PTR];
        if (cell)
            cell->fd = -1; /* the finalizer must not close a number reused since */
        if (fd > 2)
            close(fd);
    } else if (kind(s) == RT_STREAM_LISP) {
        dispatch(s, "CLOSE", 0, NULL);
    }
    seti(s, RT_STR_FLAGS, geti(s, RT_STR_FLAGS) | RT_STRF_CLOSED);
    return RT_T;
}
static rt_value p_interactive_stream_p(rt_value *a, size_t n)
{
    rt_value s = target(check_stream(a[0]), false);
    return rt_bool(kind(s) == RT_STREAM_FD && isatty((int)raw(s)[RAW_FD]));
}
/* (SYS:%MAKE-FD-STREAM fd direction name) direction: :input :output :io */
static rt_value p_make_fd_stream(rt_value *a, size_t n)
{
    int fd = (int)rt_check_index(a[0], 0, INT32_MAX, "(integer 0 2147483647)");
    rt_value dir = a[1];
    bool in = dir == rt_keyword("INPUT") || dir == rt_keyword("IO");
    bool out = dir == rt_keyword("OUTPUT") || dir == rt_keyword("IO");
    char *name = n > 2 ? rt_debug_string(a[2]) : strdup("fd");
    char buf[256];
    snprintf(buf, sizeof buf, "%s", name ? name : "fd");
    free(name);
    return rt_make_fd_stream(fd, in, out, buf);
}
/* (SYS:%MAKE-LISP-STREAM object direction): a stream whose operations call
 * (SYS:%STREAM-DISPATCH object op args...), ops :READ-CHAR :UNREAD-CHAR :LISTEN
 * :WRITE-CHAR :LINE-COLUMN :FINISH-OUTPUT :CLOSE. */
static rt_value p_make_lisp_stream(rt_value *a, size_t n)
{
    rt_value dir = a[1];
    int f = 0;
    if (dir == rt_keyword("INPUT") || dir == rt_keyword("IO"))
        f |= RT_STRF_INPUT;
    if (dir == rt_keyword("OUTPUT") || dir == rt_keyword("IO"))
        f |= RT_STRF_OUTPUT;
    return make_lisp_stream(a[0], f);
}
static rt_value p_stream_column(rt_value *a, size_t n) { return rt_fixnum((int64_t)rt_stream_column(rt_output_stream(a[0]))); }
static rt_value p_stream_line(rt_value *a, size_t n) { return B(target(rt_input_stream(a[0]), false))[RT_STR_LINE]; }

/* (open filespec &key direction element-type if-exists if-does-not-exist
 * external-format): character files in UTF-8; filespec is a string (pathnames are
 * strings for now). Errors are FILE-ERRORs naming the file and errno's text. */
static rt_value p_open(rt_value *a, size_t n)
{
    static const char *const keys[] = {"DIRECTION", "ELEMENT-TYPE", "IF-EXISTS", "IF-DOES-NOT-EXIST",
                                       "EXTERNAL-FORMAT", NULL};
    rt_kwargs_check(a, n, 1, keys);
    if (!rt_stringp(a[0]) && !rt_symbolp(a[0]))
        rt_type_error(a[0], "(or string pathname)");
    rt_value dir = rt_kwarg(a, n, 1, "DIRECTION");
    rt_value ie = rt_kwarg(a, n, 1, "IF-EXISTS");
    rt_value idne = rt_kwarg(a, n, 1, "IF-DOES-NOT-EXIST");
    bool in = dir == RT_NO_VALUE || dir == rt_keyword("INPUT") || dir == rt_keyword("IO");
    bool out = dir == rt_keyword("OUTPUT") || dir == rt_keyword("IO");
    bool probe = dir == rt_keyword("PROBE");
    if (!in && !out && !probe)
        rt_type_error(dir, "(member :input :output :io :probe)");
    if (probe)
        in = true;
    char *path = rt_string_to_utf8(rt_string_designator(a[0]), NULL);
    int flags = out ? (in ? O_RDWR : O_WRONLY) : O_RDONLY;
    flags |= O_CLOEXEC;
    if (out) {
        if (ie == RT_NO_VALUE || ie == rt_keyword("ERROR"))
            flags |= O_EXCL;
        else if (ie == rt_keyword("SUPERSEDE") || ie == rt_keyword("NEW-VERSION") ||
                 ie == rt_keyword("RENAME") || ie == rt_keyword("RENAME-AND-DELETE"))
            flags |= O_TRUNC;
        else if (ie == rt_keyword("APPEND"))
            flags |= O_APPEND;
        else if (rt_null(ie)) {
            if (access(path, F_OK) == 0) {
                free(path);
                return RT_NIL;
            }
        } else if (ie != rt_keyword("OVERWRITE")) {
            free(path);
            rt_type_error(ie, "(member :error :supersede :append :overwrite :rename :new-version nil)");
        }
    }
    bool create = out ? !(idne != RT_NO_VALUE && (rt_null(idne) || idne == rt_keyword("ERROR"))) &&
                            !(idne == RT_NO_VALUE && (ie == rt_keyword("OVERWRITE") || ie == rt_keyword("APPEND")))
                      : idne == rt_keyword("CREATE");
    if (create)
        flags |= O_CREAT;
    int fd;
    do {
        fd = open(path, flags, 0666);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) {
        int e = errno;
        if (e == ENOENT && rt_null(idne == RT_NO_VALUE ? rt_keyword("ERROR") : idne)) {
            free(path);
            return RT_NIL;
        }
        char msg[300];
        snprintf(msg, sizeof msg, "%.200s: %s", path, strerror(e));
        free(path);
        rt_error("FILE-ERROR", "cannot open %s", msg);
    }
    rt_value s = rt_make_fd_stream(fd, in, out, path);
    free(path);
    struct fd_cell *cell = malloc(sizeof *cell);
    if (!cell) {
        close(fd);
        rt_storage_error("open");
    }
    cell->fd = fd;
    uint64_t w = (uint64_t)(uintptr_t)cell;
    rt_store_raw(&raw(s)[RAW_PTR], &w, 8);
    rt_gc_finalize(s, close_fd_cell, cell);
    if (probe) {
        RT_ROOTS(s);
        rt_value arg = s;
        p_close(&arg, 1);
    }
    return s;
}

static int stream_fd(rt_value s)
{
    s = target(check_stream(s), false);
    if (kind(s) != RT_STREAM_FD)
        rt_type_error(s, "file-stream");
    return (int)raw(s)[RAW_FD];
}

static rt_value p_file_length(rt_value *a, size_t n)
{
    struct stat st;
    if (fstat(stream_fd(a[0]), &st) != 0)
        rt_error("FILE-ERROR", "file-length: %s", strerror(errno));
    return rt_fixnum((int64_t)st.st_size);
}

/* (file-position stream) -> the byte position (input: of the next byte to be read,
 * output: after the buffered bytes); (file-position stream pos) seeks. */
static rt_value p_file_position(rt_value *a, size_t n)
{
    rt_value s = target(check_stream(a[0]), false);
    if (kind(s) == RT_STREAM_STRING_IN || kind(s) == RT_STREAM_MEM_IN) {
        if (n > 1) {
            int64_t p = rt_check_index(a[1], 0, geti(s, RT_STR_LIMIT), "index");
            seti(s, RT_STR_POS, p);
            RT_STORE(B(s)[RT_STR_PUSHBACK], RT_NIL);
            return RT_T;
        }
        return rt_fixnum(geti(s, RT_STR_POS) - (rt_characterp(B(s)[RT_STR_PUSHBACK]) ? 1 : 0));
    }
    if (kind(s) != RT_STREAM_FD)
        return RT_NIL;
    int fd = (int)raw(s)[RAW_FD];
    if (n > 1) {
        if (geti(s, RT_STR_FLAGS) & RT_STRF_OUTPUT)
            fd_flush(s);
        off_t to;
        if (a[1] == rt_keyword("START"))
            to = 0;
        else if (a[1] == rt_keyword("END"))
            to = lseek(fd, 0, SEEK_END);
        else
            to = (off_t)rt_check_index(a[1], 0, RT_MOST_POSITIVE_FIXNUM, "(integer 0 *)");
        if (lseek(fd, to, SEEK_SET) < 0)
            return RT_NIL;
        seti(s, RT_STR_POS, 0);
        seti(s, RT_STR_LIMIT, 0);
        RT_STORE(B(s)[RT_STR_PUSHBACK], RT_NIL);
        return RT_T;
    }
    off_t cur = lseek(fd, 0, SEEK_CUR);
    if (cur < 0)
        return RT_NIL;
    int64_t pos = (int64_t)cur - (geti(s, RT_STR_LIMIT) - geti(s, RT_STR_POS)) + geti(s, RT_STR_OUT_POS);
    if (rt_characterp(B(s)[RT_STR_PUSHBACK])) {
        char u[4];
        pos -= rt_utf8_encode(rt_char_code(B(s)[RT_STR_PUSHBACK]), u);
    }
    return rt_fixnum(pos);
}

static rt_value p_probe_file(rt_value *a, size_t n)
{
    char *path = rt_string_to_utf8(rt_string_designator(a[0]), NULL);
    char *real = realpath(path, NULL);
    free(path);
    if (!real)
        return RT_NIL;
    rt_value s = rt_string_from_cstr(real);
    free(real);
    return s;
}

static rt_value p_delete_file(rt_value *a, size_t n)
{
    char *path = rt_string_to_utf8(rt_string_designator(a[0]), NULL);
    if (unlink(path) != 0) {
        char msg[300];
        snprintf(msg, sizeof msg, "%.200s: %s", path, strerror(errno));
        free(path);
        rt_error("FILE-ERROR", "cannot delete %s", msg);
    }
    free(path);
    return RT_T;
}

const rt_prim_def rt_stream_prims[] = {
    {"COMMON-LISP", "OPEN", p_open, 1, -1},
    {"COMMON-LISP", "FILE-LENGTH", p_file_length, 1, 1},
    {"COMMON-LISP", "FILE-POSITION", p_file_position, 1, 2},
    {"COMMON-LISP", "PROBE-FILE", p_probe_file, 1, 1},
    {"COMMON-LISP", "DELETE-FILE", p_delete_file, 1, 1},
    {"COMMON-LISP", "READ-CHAR", p_read_char, 0, 4},
    {"COMMON-LISP", "READ-CHAR-NO-HANG", p_read_char_no_hang, 0, 4},
    {"COMMON-LISP", "UNREAD-CHAR", p_unread_char, 1, 2},
    {"COMMON-LISP", "PEEK-CHAR", p_peek_char, 0, 5},
    {"COMMON-LISP", "READ-LINE", p_read_line, 0, 4},
    {"COMMON-LISP", "WRITE-CHAR", p_write_char, 1, 2},
    {"COMMON-LISP", "WRITE-STRING", p_write_string, 1, -1},
    {"COMMON-LISP", "WRITE-LINE", p_write_line, 1, -1},
    {"COMMON-LISP", "TERPRI", p_terpri, 0, 1},
    {"COMMON-LISP", "FRESH-LINE", p_fresh_line, 0, 1},
    {"COMMON-LISP", "FINISH-OUTPUT", p_finish_output, 0, 1},
    {"COMMON-LISP", "FORCE-OUTPUT", p_finish_output, 0, 1},
    {"COMMON-LISP", "CLEAR-OUTPUT", p_clear_output, 0, 1},
    {"COMMON-LISP", "CLEAR-INPUT", p_clear_input, 0, 1},
    {"COMMON-LISP", "LISTEN", p_listen, 0, 1},
    {"COMMON-LISP", "MAKE-STRING-OUTPUT-STREAM", p_make_string_output_stream, 0, -1},
    {"COMMON-LISP", "GET-OUTPUT-STREAM-STRING", p_get_output_stream_string, 1, 1},
    {"COMMON-LISP", "MAKE-STRING-INPUT-STREAM", p_make_string_input_stream, 1, 3},
    {"COMMON-LISP", "MAKE-TWO-WAY-STREAM", p_make_two_way_stream, 2, 2},
    {"COMMON-LISP", "MAKE-SYNONYM-STREAM", p_make_synonym_stream, 1, 1},
    {"COMMON-LISP", "STREAMP", p_streamp, 1, 1},
    {"COMMON-LISP", "INPUT-STREAM-P", p_input_stream_p, 1, 1},
    {"COMMON-LISP", "OUTPUT-STREAM-P", p_output_stream_p, 1, 1},
    {"COMMON-LISP", "OPEN-STREAM-P", p_open_stream_p, 1, 1},
    {"COMMON-LISP", "CLOSE", p_close, 1, -1},
    {"COMMON-LISP", "INTERACTIVE-STREAM-P", p_interactive_stream_p, 1, 1},
    {"KONS-SYSTEM", "%MAKE-FD-STREAM", p_make_fd_stream, 2, 3},
    {"KONS-SYSTEM", "%MAKE-LISP-STREAM", p_make_lisp_stream, 2, 2},
    {"KONS-SYSTEM", "%STREAM-COLUMN", p_stream_column, 1, 1},
    {"KONS-SYSTEM", "%STREAM-LINE", p_stream_line, 1, 1},
};
const size_t rt_stream_prims_count = RT_COUNTOF(rt_stream_prims);
