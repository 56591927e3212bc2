/* drivers/display/kms/kms_gl.c: the KMS backend's GBM/EGL/GLES2 renderer.
 *
 * The client still draws with Cairo, into a CPU image surface that persists between
 * frames (so begin_frame reports age 1 after the first frame). end_frame uploads the
 * damaged rows into a texture (GLES2 has no row length for sub-rectangles, so whole
 * rows: the damage's vertical band), draws it as one quad into a GBM surface, swaps, and
 * page-flips the GBM buffer object onto the CRTC. Cairo's RGB24 bytes are B,G,R,X in
 * memory: uploaded as RGBA and swizzled in the fragment shader.
 *
 * Invariants: at most one flip is pending; the buffer object on screen is released only
 * when the next flip completes (gbm surfaces have few buffers).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <EGL/egl.h>
#include <EGL/eglext.h>
#include <GLES2/gl2.h>
#include <gbm.h>
#include <xf86drm.h>
#include <xf86drmMode.h>

#include "kms_internal.h"

struct kms_gl {
    int fd;
    uint32_t crtc_id, conn_id;
    drmModeModeInfo mode;
    struct gbm_device *gbm;
    struct gbm_surface *gs;
    EGLDisplay dpy;
    EGLContext ctx;
    EGLSurface surf;
    GLuint prog, tex, vbo;
    GLint a_pos;
    cairo_surface_t *cpu;
    struct gbm_bo *on_screen, *pending;
    int mode_set, flip_pending, frames;
    const drv_display_listener *listener;
};

struct kms_gl_fb {
    int fd;
    uint32_t fb_id;
};

static void gl_fb_destroy(struct gbm_bo *bo, void *data)
{
    struct kms_gl_fb *fb = data;
    (void)bo;
    if (fb->fb_id)
        drmModeRmFB(fb->fd, fb->fb_id);
    free(fb);
}

/* The DRM framebuffer of a GBM buffer object, created once and kept with the bo. */
static uint32_t gl_bo_fb(struct kms_gl *gl, struct gbm_bo *bo)
{
    struct kms_gl_fb *fb = gbm_bo_get_user_data(bo);
    if (fb)
        return fb->fb_id;
    fb = calloc(1, sizeof *fb);
    if (!fb)
        return 0;
    fb->fd = gl->fd;
    uint32_t handles[4] = {gbm_bo_get_handle(bo).u32}, pitches[4] = {gbm_bo_get_stride(bo)},
             offsets[4] = {0};
    if (drmModeAddFB2(gl->fd, gbm_bo_get_width(bo), gbm_bo_get_height(bo), gbm_bo_get_format(bo),
                      handles, pitches, offsets, &fb->fb_id, 0) != 0) {
        free(fb);
        return 0;
    }
    gbm_bo_set_user_data(bo, fb, gl_fb_destroy);
    return fb->fb_id;
}

static GLuint gl_shader(GLenum type, const char *src, char *why, size_t n)
{
    GLuint s = glCreateShader(type);
    glShaderSource(s, 1, &src, NULL);
    glCompileShader(s);
    GLint ok = 0;
    glGetShaderiv(s, GL_COMPILE_STATUS, &ok);
    if (!ok) {
        char log[256] = "";
        glGetShaderInfoLog(s, sizeof log, NULL, log);
        snprintf(why, n, "shader compile failed: %s", log);
        glDeleteShader(s);
        return 0;
    }
    return s;
}

void drv_kms_gl_destroy(struct kms_gl *gl)
{
    if (!gl)
        return;
    if (gl->dpy != EGL_NO_DISPLAY) {
        eglMakeCurrent(gl->dpy, EGL_NO_SURFACE, EGL_NO_SURFACE, EGL_NO_CONTEXT);
        if (gl->surf != EGL_NO_SURFACE)
            eglDestroySurface(gl->dpy, gl->surf);
        if (gl->ctx != EGL_NO_CONTEXT)
            eglDestroyContext(gl->dpy, gl->ctx);
        eglTerminate(gl->dpy);
    }
    if (gl->gs) {
        if (gl->pending)
            gbm_surface_release_buffer(gl->gs, gl->pending);
        if (gl->on_screen)
            gbm_surface_release_buffer(gl->gs, gl->on_screen);
        gbm_surface_destroy(gl->gs);
    }
    if (gl->gbm)
        gbm_device_destroy(gl->gbm);
    if (gl->cpu)
        cairo_surface_destroy(gl->cpu);
    free(gl);
}

struct kms_gl *drv_kms_gl_create(int fd, uint32_t crtc_id, uint32_t conn_id,
                                 const drmModeModeInfo *mode, char *why, size_t whysize)
{
    struct kms_gl *gl = calloc(1, sizeof *gl);
    if (!gl) {
        snprintf(why, whysize, "out of memory");
        return NULL;
    }
    gl->fd = fd;
    gl->crtc_id = crtc_id;
    gl->conn_id = conn_id;
    gl->mode = *mode;
    gl->dpy = EGL_NO_DISPLAY;
    gl->ctx = EGL_NO_CONTEXT;
    gl->surf = EGL_NO_SURFACE;
    uint32_t w = mode->hdisplay, h = mode->vdisplay;
    gl->gbm = gbm_create_device(fd);
    if (!gl->gbm) {
        snprintf(why, whysize, "gbm_create_device failed (no Mesa DRI driver for this device?)");
        goto fail;
    }
    PFNEGLGETPLATFORMDISPLAYEXTPROC get_platform_display =
        (PFNEGLGETPLATFORMDISPLAYEXTPROC)eglGetProcAddress("eglGetPlatformDisplayEXT");
    gl->dpy = get_platform_display ? get_platform_display(EGL_PLATFORM_GBM_KHR, gl->gbm, NULL)
                                   : eglGetDisplay((EGLNativeDisplayType)gl->gbm);
    EGLint major, minor;
    if (gl->dpy == EGL_NO_DISPLAY || !eglInitialize(gl->dpy, &major, &minor)) {
        snprintf(why, whysize, "EGL does not initialise on GBM (error %#x)", eglGetError());
        gl->dpy = EGL_NO_DISPLAY;
        goto fail;
    }
    eglBindAPI(EGL_OPENGL_ES_API);
    static const EGLint cfg_attr[] = {EGL_SURFACE_TYPE, EGL_WINDOW_BIT, EGL_RED_SIZE, 8,
                                      EGL_GREEN_SIZE, 8, EGL_BLUE_SIZE, 8,
                                      EGL_RENDERABLE_TYPE, EGL_OPENGL_ES2_BIT, EGL_NONE};
    EGLConfig cfgs[64], cfg = NULL;
    EGLint n = 0;
    eglChooseConfig(gl->dpy, cfg_attr, cfgs, 64, &n);
    for (EGLint i = 0; i < n && !cfg; i++) {
        EGLint id = 0;
        eglGetConfigAttrib(gl->dpy, cfgs[i], EGL_NATIVE_VISUAL_ID, &id);
        if ((uint32_t)id == GBM_FORMAT_XRGB8888)
            cfg = cfgs[i];
    }
    if (!cfg) {
        snprintf(why, whysize, "no EGL config for XRGB8888 scanout");
        goto fail;
    }
    static const EGLint ctx_attr[] = {EGL_CONTEXT_CLIENT_VERSION, 2, EGL_NONE};
    gl->ctx = eglCreateContext(gl->dpy, cfg, EGL_NO_CONTEXT, ctx_attr);
    gl->gs = gbm_surface_create(gl->gbm, w, h, GBM_FORMAT_XRGB8888,
                                GBM_BO_USE_SCANOUT | GBM_BO_USE_RENDERING);
    if (gl->ctx == EGL_NO_CONTEXT || !gl->gs) {
        snprintf(why, whysize, "cannot create a GLES2 context or a GBM surface");
        goto fail;
    }
    gl->surf = eglCreateWindowSurface(gl->dpy, cfg, (EGLNativeWindowType)gl->gs, NULL);
    if (gl->surf == EGL_NO_SURFACE || !eglMakeCurrent(gl->dpy, gl->surf, gl->surf, gl->ctx)) {
        snprintf(why, whysize, "cannot make the EGL surface current (error %#x)", eglGetError());
        goto fail;
    }
    static const char *vs_src =
        "attribute vec2 pos; varying vec2 uv;\n"
        "void main() { uv = vec2(pos.x * 0.5 + 0.5, 0.5 - pos.y * 0.5);\n"
        "  gl_Position = vec4(pos, 0.0, 1.0); }\n";
    /* Cairo RGB24 in memory is B,G,R,X: the texture's r holds blue. */
    static const char *fs_src =
        "precision mediump float; varying vec2 uv; uniform sampler2D tex;\n"
        "void main() { gl_FragColor = vec4(texture2D(tex, uv).bgr, 1.0); }\n";
    GLuint vs = gl_shader(GL_VERTEX_SHADER, vs_src, why, whysize);
    GLuint fs = vs ? gl_shader(GL_FRAGMENT_SHADER, fs_src, why, whysize) : 0;
    if (!vs || !fs)
        goto fail;
    gl->prog = glCreateProgram();
    glAttachShader(gl->prog, vs);
    glAttachShader(gl->prog, fs);
    glLinkProgram(gl->prog);
    GLint linked = 0;
    glGetProgramiv(gl->prog, GL_LINK_STATUS, &linked);
    if (!linked) {
        snprintf(why, whysize, "shader link failed");
        goto fail;
    }
    gl->a_pos = glGetAttribLocation(gl->prog, "pos");
    static const GLfloat quad[] = {-1, -1, 1, -1, -1, 1, 1, 1};
    glGenBuffers(1, &gl->vbo);
    glBindBuffer(GL_ARRAY_BUFFER, gl->vbo);
    glBufferData(GL_ARRAY_BUFFER, sizeof quad, quad, GL_STATIC_DRAW);
    glGenTextures(1, &gl->tex);
    glBindTexture(GL_TEXTURE_2D, gl->tex);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
    glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA, (GLsizei)w, (GLsizei)h, 0, GL_RGBA, GL_UNSIGNED_BYTE, NULL);
    glViewport(0, 0, (GLsizei)w, (GLsizei)h);
    gl->cpu = cairo_image_surface_create(CAIRO_FORMAT_RGB24, (int)w, (int)h);
    if (cairo_image_surface_get_stride(gl->cpu) != (int)w * 4) {
        snprintf(why, whysize, "unexpected Cairo stride");
        goto fail;
    }
    snprintf(why, whysize, "%s, EGL %d.%d", (const char *)glGetString(GL_RENDERER), major, minor);
    return gl;
fail:
    drv_kms_gl_destroy(gl);
    return NULL;
}

int drv_kms_gl_begin_frame(struct kms_gl *gl, drv_display_frame *f)
{
    if (gl->flip_pending)
        return -EAGAIN;
    f->surface = gl->cpu;
    f->width = gl->mode.hdisplay;
    f->height = gl->mode.vdisplay;
    f->scale = 1.0;
    f->age = gl->frames ? 1 : 0; /* the CPU buffer keeps the last frame */
    cairo_surface_flush(gl->cpu);
    return 0;
}

int drv_kms_gl_end_frame(struct kms_gl *gl, const drv_rect *damage, int ndamage)
{
    int w = gl->mode.hdisplay, h = gl->mode.vdisplay;
    cairo_surface_flush(gl->cpu);
    const unsigned char *px = cairo_image_surface_get_data(gl->cpu);
    glBindTexture(GL_TEXTURE_2D, gl->tex);
    if (!gl->frames || (ndamage == 0 && damage == NULL)) {
        glTexSubImage2D(GL_TEXTURE_2D, 0, 0, 0, w, h, GL_RGBA, GL_UNSIGNED_BYTE, px);
    } else {
        /* The vertical band of the damage, whole rows (no GL_UNPACK_ROW_LENGTH in GLES2). */
        int y1 = h, y2 = 0;
        for (int i = 0; i < ndamage; i++) {
            if (damage[i].y < y1)
                y1 = damage[i].y;
            if (damage[i].y + damage[i].h > y2)
                y2 = damage[i].y + damage[i].h;
        }
        if (y1 < 0)
            y1 = 0;
        if (y2 > h)
            y2 = h;
        if (y2 > y1)
            glTexSubImage2D(GL_TEXTURE_2D, 0, 0, y1, w, y2 - y1, GL_RGBA, GL_UNSIGNED_BYTE,
                            px + (size_t)y1 * (size_t)w * 4);
    }
    glUseProgram(gl->prog);
    glBindBuffer(GL_ARRAY_BUFFER, gl->vbo);
    glEnableVertexAttribArray((GLuint)gl->a_pos);
    glVertexAttribPointer((GLuint)gl->a_pos, 2, GL_FLOAT, GL_FALSE, 0, 0);
    glDrawArrays(GL_TRIANGLE_STRIP, 0, 4);
    if (!eglSwapBuffers(gl->dpy, gl->surf))
        return -EIO;
    struct gbm_bo *bo = gbm_surface_lock_front_buffer(gl->gs);
    uint32_t fb = bo ? gl_bo_fb(gl, bo) : 0;
    if (!fb) {
        if (bo)
            gbm_surface_release_buffer(gl->gs, bo);
        return -EIO;
    }
    if (!gl->mode_set) {
        if (drmModeSetCrtc(gl->fd, gl->crtc_id, fb, 0, 0, &gl->conn_id, 1, &gl->mode) != 0) {
            int e = errno;
            gbm_surface_release_buffer(gl->gs, bo);
            return -e;
        }
        gl->mode_set = 1;
        gl->on_screen = bo;
        gl->frames++;
        fprintf(stderr, "kms: renderer gl (GBM/EGL/GLES2), page flips; first frame shown\n");
        /* No flip event for a mode set: the next frame may come at once. */
        gl->flip_pending = 0;
        return 1; /* tells kms.c to send frame_done itself */
    }
    if (drmModePageFlip(gl->fd, gl->crtc_id, fb, DRM_MODE_PAGE_FLIP_EVENT, gl) != 0) {
        int e = errno;
        gbm_surface_release_buffer(gl->gs, bo);
        return -e;
    }
    gl->pending = bo;
    gl->flip_pending = 1;
    gl->frames++;
    return 0;
}

static void gl_flip_done(int fd, unsigned seq, unsigned sec, unsigned usec, void *data)
{
    struct kms_gl *gl = data;
    (void)fd;
    (void)seq;
    if (gl->on_screen)
        gbm_surface_release_buffer(gl->gs, gl->on_screen);
    gl->on_screen = gl->pending;
    gl->pending = NULL;
    gl->flip_pending = 0;
    if (gl->listener && gl->listener->frame_done)
        gl->listener->frame_done(gl->listener->data,
                                 (uint64_t)sec * 1000000000ull + (uint64_t)usec * 1000ull);
}

int drv_kms_gl_handle_event(struct kms_gl *gl, int fd, const drv_display_listener *l)
{
    gl->listener = l;
    drmEventContext ctx = {.version = 2, .page_flip_handler = gl_flip_done};
    if (drmHandleEvent(fd, &ctx) != 0) {
        if (l->lost)
            l->lost(l->data, "the DRM device is gone");
        return -ENODEV;
    }
    return 0;
}
