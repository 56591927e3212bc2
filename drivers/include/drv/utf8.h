/* drv/utf8.h: decoding one UTF-8 character, for code that takes text from outside (typed
 * strings, scenario files, the line editor). GLib does the validation (no overlong forms,
 * surrogates or values past U+10FFFF); GLib is in every Kons process already, under Pango.
 * Users depend on glib-2.0. */
#ifndef DRV_UTF8_H
#define DRV_UTF8_H

#include <glib.h>
#include <stddef.h>
#include <stdint.h>

/* The character at s (n bytes available) in *cp; returns its length in bytes, or 0 when
 * the bytes are malformed, cut short, or a NUL. */
static inline size_t drv_utf8_next(const unsigned char *s, size_t n, uint32_t *cp)
{
    gunichar c = n ? g_utf8_get_char_validated((const gchar *)s, (gssize)n) : (gunichar)-1;
    if (c == (gunichar)-1 || c == (gunichar)-2 || c == 0)
        return 0;
    *cp = c;
    return (size_t)g_utf8_skip[s[0]];
}

#endif
