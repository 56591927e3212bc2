/* drivers/display/kms/kms_gl_none.c: the GL renderer when this build has no Mesa
 * development files: always "unavailable", so the KMS backend uses dumb buffers. */
#include <errno.h>
#include <stdio.h>

#include "kms_internal.h"

struct kms_gl *drv_kms_gl_create(int fd, uint32_t crtc_id, uint32_t conn_id,
                                 const drmModeModeInfo *mode, char *why, size_t whysize)
{
    (void)fd, (void)crtc_id, (void)conn_id, (void)mode;
    snprintf(why, whysize, "this kons was built without GBM/EGL/GLES2");
    return NULL;
}
void drv_kms_gl_destroy(struct kms_gl *gl) { (void)gl; }
int drv_kms_gl_begin_frame(struct kms_gl *gl, drv_display_frame *f) { (void)gl, (void)f; return -ENODEV; }
int drv_kms_gl_end_frame(struct kms_gl *gl, const drv_rect *damage, int ndamage)
{
    (void)gl, (void)damage, (void)ndamage;
    return -ENODEV;
}
int drv_kms_gl_handle_event(struct kms_gl *gl, int fd, const drv_display_listener *l)
{
    (void)gl, (void)fd, (void)l;
    return -ENODEV;
}
