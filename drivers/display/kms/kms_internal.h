/* drivers/display/kms/kms_internal.h: the KMS backend's GL renderer (kms_gl.c, built when
 * Mesa's GBM/EGL/GLES2 development files are present; kms_gl_none.c otherwise). */
#ifndef KONS_KMS_INTERNAL_H
#define KONS_KMS_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <xf86drmMode.h>

#include "drv/display.h"

struct kms_gl;

/* Sets the mode on the CRTC with a GBM/EGL surface and a GLES2 pipeline that shows the
 * Cairo frame as a texture. NULL (and a reason in why) when Mesa cannot drive the device
 * (no DRI driver, no EGL); the caller then uses dumb buffers. On success `why` names the
 * GL renderer (e.g. "llvmpipe (LLVM 15.0.6, 256 bits)"). */
struct kms_gl *drv_kms_gl_create(int fd, uint32_t crtc_id, uint32_t conn_id,
                                 const drmModeModeInfo *mode, char *why, size_t whysize);
void drv_kms_gl_destroy(struct kms_gl *gl);
int drv_kms_gl_begin_frame(struct kms_gl *gl, drv_display_frame *f);
int drv_kms_gl_end_frame(struct kms_gl *gl, const drv_rect *damage, int ndamage);
/* Handles the DRM fd's events (page flips) and calls frame_done / lost. */
int drv_kms_gl_handle_event(struct kms_gl *gl, int fd, const drv_display_listener *l);

#endif
