/* runtime/error.c: FOUNDATION STAGE. Until the condition system lands (the VM module
 * replaces this file), errors signalled from C print their message and abort. */
#include "rt/error.h"

#include <stdio.h>
#include <stdlib.h>

_Noreturn void rt_type_error(rt_value datum, const char *expected_type)
{
    fprintf(stderr, "kons: type-error: %#llx is not of type %s\n", (unsigned long long)datum, expected_type);
    abort();
}

_Noreturn void rt_error(const char *condition_type, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "kons: %s: ", condition_type);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    abort();
}

_Noreturn void rt_error_condition(rt_value condition)
{
    fprintf(stderr, "kons: unhandled condition %#llx\n", (unsigned long long)condition);
    abort();
}

_Noreturn void rt_storage_error(const char *what)
{
    fprintf(stderr, "kons: storage-condition: %s\n", what);
    abort();
}

void rt_protect(void (*body)(void *), void (*cleanup)(void *), void *ctx)
{
    body(ctx);
    cleanup(ctx);
}
