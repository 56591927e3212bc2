/* block_impl.h: what the generic layer and the backends share (private to drivers/block). */
#ifndef KONS_DRV_BLOCK_IMPL_H
#define KONS_DRV_BLOCK_IMPL_H

#include <drv/block.h>

#include <stdarg.h>
#include <stdio.h>

/* Expire a pending ticket of d with status (0 or a negative errno). */
static inline void drv_blk_expire_(drv_blk *d, drv_blk_ticket *t, int status)
{
    t->status = status;
    d->pending--;
}

__attribute__((format(printf, 2, 3)))
static inline void drv_blk_set_desc_(drv_blk *d, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->desc, sizeof d->desc, fmt, ap);
    va_end(ap);
}

#endif
