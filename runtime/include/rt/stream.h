/* rt/stream.h: streams (RT_WT_STREAM), as C sees them.
 *
 * Kinds: fd streams (buffered, UTF-8 in and out, used for stdin/stdout/stderr and
 * files), string input, string output (with-output-to-string), two-way, synonym, a
 * UTF-8 memory input stream over a C buffer (the reader's C entry points), and Lisp
 * streams whose operations call SYS:%STREAM-DISPATCH (object operation args...) so
 * Gray streams (CLOS) plug in later. Every output stream tracks its column (for
 * fresh-line and the printer).
 *
 * Streams are ordinary heap objects: pass them rooted (rt/heap.h rule 1); every
 * function here may allocate unless said otherwise. Bad input (invalid UTF-8) signals
 * an error naming the byte; rt_read_char_status reports it instead, for the reader.
 *
 * Ownership: objects module (runtime/stream.c).
 */
#ifndef RT_STREAM_H
#define RT_STREAM_H

#include "rt/object.h"

#define RT_EOF (-1)
#define RT_BAD_UTF8 (-2)

enum rt_stream_kind {
    RT_STREAM_FD = 1, RT_STREAM_STRING_IN, RT_STREAM_STRING_OUT, RT_STREAM_TWO_WAY,
    RT_STREAM_SYNONYM, RT_STREAM_MEM_IN, RT_STREAM_LISP
};
/* Rack layout (boxed words; then raw: fd, C pointer, C length). */
enum rt_stream_slot {
    RT_STR_KIND = 0, RT_STR_FLAGS, RT_STR_BUF, RT_STR_POS, RT_STR_LIMIT, RT_STR_COLUMN,
    RT_STR_PUSHBACK, RT_STR_OTHER, RT_STR_OUT_POS, RT_STR_NAME, RT_STR_LINE, RT_STR_NBOXED
};
enum { RT_STRF_INPUT = 1, RT_STRF_OUTPUT = 2, RT_STRF_CLOSED = 4, RT_STRF_EOF = 8, RT_STRF_UNBUFFERED = 16 };

static inline bool rt_streamp(rt_value v) { return rt_widetagp(v, RT_WT_STREAM); }

rt_value rt_make_fd_stream(int fd, bool input, bool output, const char *name);
rt_value rt_make_string_input_stream(rt_value string, size_t start, size_t end);
/* Reads UTF-8 from a C buffer that must stay valid and unchanged while the stream is used. */
rt_value rt_make_mem_input_stream(const char *utf8, size_t len);
rt_value rt_make_string_output_stream(void);
rt_value rt_get_output_stream_string(rt_value s);   /* and resets the stream */
rt_value rt_make_two_way_stream(rt_value in, rt_value out);
rt_value rt_make_synonym_stream(rt_value symbol);

/* Input: a code point, or RT_EOF. rt_read_char signals on invalid UTF-8;
 * rt_read_char_status returns RT_BAD_UTF8 instead (the offending bytes are consumed). */
int32_t rt_read_char(rt_value s);
int32_t rt_read_char_status(rt_value s);
void rt_unread_char(rt_value s, uint32_t c);
int32_t rt_peek_char(rt_value s);
bool rt_listen(rt_value s);

/* Output. */
void rt_write_char(rt_value s, uint32_t c);
void rt_write_chars(rt_value s, const uint32_t *chars, size_t n);
void rt_write_cstr(rt_value s, const char *utf8);   /* valid UTF-8 (C literals) */
void rt_write_string(rt_value s, rt_value string, size_t start, size_t end);
void rt_terpri(rt_value s);
bool rt_fresh_line(rt_value s);
void rt_finish_output(rt_value s);
size_t rt_stream_column(rt_value s);

/* Designators: NIL -> *standard-output* / *standard-input*, T -> *terminal-io*. */
rt_value rt_output_stream(rt_value designator);
rt_value rt_input_stream(rt_value designator);

/* Flushes the standard fd streams (at exit, before a crash report). */
void rt_streams_flush_standard(void);

extern const rt_prim_def rt_stream_prims[];
extern const size_t rt_stream_prims_count;

#endif
