/* drivers/display/kms/kms.c: DRM/KMS display on dumb buffers drawn with Cairo.
 *
 * Two dumb buffers (XRGB8888, pitch = Cairo's RGB24 stride, so Cairo draws straight into
 * the mapping) are flipped on the CRTC. The flip is an atomic commit that carries the
 * frame's damage as FB_DAMAGE_CLIPS when the plane has that property: virtio-gpu then
 * copies only the damaged rectangles to the host (a full 1280x800 copy per key press is
 * what makes TCG guests feel slow). Without atomic, a legacy page flip; without page
 * flips, one buffer and drmModeDirtyFB with the damage (the fallback chain is logged once
 * on stderr, which is the serial console in the image).
 *
 * Damage and buffer age: a buffer handed out by begin_frame holds the frame submitted
 * `age` frames ago; the client repaints the union of the damage since then. The host copy
 * of that buffer (virtio) is exactly as old, so the clips sent with a flip are this
 * frame's damage plus the previous frame's (for age 2), or everything for age 0.
 *
 * Events: the fd handed to the client is an epoll fd over the DRM fd (flip completions)
 * and an eventfd (configure after open, frame_done in the no-flip fallback), so every
 * callback comes from dispatch as drv/display.h requires.
 *
 * The GBM/EGL/GLES2 renderer (DRV_DISPLAY_PREFER_GL) lives in kms_gl.c when Mesa's
 * development files were found at build time; it falls back to this path cleanly.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <stdarg.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <drm_fourcc.h>
#include <xf86drm.h>
#include <xf86drmMode.h>
#include <virtgpu_drm.h>

#include "drv/display.h"
#include "kms_internal.h"

enum { KMS_ATOMIC = 1, KMS_LEGACY_FLIP, KMS_DIRTY };

#define KMS_MAX_DAMAGE 32

struct kms_buf {
    uint32_t handle, fb_id, pitch;
    uint64_t size;
    void *map;
    cairo_surface_t *surface;
    long frame; /* frame number whose contents it holds; -1 undefined */
};

struct drv_display {
    int fd, epfd, efd;
    drv_display_listener listener;
    uint32_t conn_id, crtc_id, plane_id;
    int crtc_index;
    drmModeModeInfo mode;
    drmModeCrtc *saved_crtc;
    uint32_t prop_fb_id, prop_crtc_id, prop_damage;
    int method;
    struct kms_buf bufs[2];
    int nbufs, front, back;
    long frame_no;
    int flip_pending;
    int pending_configure, pending_frame_done;
    int lost;
    /* The previous frame's damage (device pixels), for age-2 buffers' host copies. */
    drmModeClip prev_clips[KMS_MAX_DAMAGE];
    int nprev; /* -1: the whole screen */
    struct kms_gl *gl; /* the GL renderer when in use */
    /* KONS_KMS_STATS=1: the mean time from begin_frame to the submitted frame (the
     * client's drawing plus this backend's upload and flip), printed every 16 frames (or 2 s):
     * how the two renderers are compared in QEMU. */
    int stats;
    double t_begin, stat_sum, stat_max, stat_last;
    int stat_n;
    int logged_method;
};

static void kms_wake(drv_display *d)
{
    uint64_t one = 1;
    if (write(d->efd, &one, sizeof one) < 0 && errno != EAGAIN)
        perror("kms: eventfd write");
}

static void kms_fail(drv_display_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void kms_fail(drv_display_err *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
}

static void kms_buf_destroy(drv_display *d, struct kms_buf *b)
{
    if (b->surface)
        cairo_surface_destroy(b->surface);
    if (b->map && b->map != MAP_FAILED)
        munmap(b->map, b->size);
    if (b->fb_id)
        drmModeRmFB(d->fd, b->fb_id);
    if (b->handle) {
        struct drm_mode_destroy_dumb dd = {.handle = b->handle};
        drmIoctl(d->fd, DRM_IOCTL_MODE_DESTROY_DUMB, &dd);
    }
    memset(b, 0, sizeof *b);
}

static int kms_buf_create(drv_display *d, struct kms_buf *b, uint32_t w, uint32_t h)
{
    struct drm_mode_create_dumb cd = {.width = w, .height = h, .bpp = 32};
    if (drmIoctl(d->fd, DRM_IOCTL_MODE_CREATE_DUMB, &cd) != 0)
        return -errno;
    b->handle = cd.handle;
    b->pitch = cd.pitch;
    b->size = cd.size;
    /* Cairo needs its own stride; the drivers here (virtio-gpu, bochs) give exactly it,
     * as measured; any other pitch would make Cairo draw skewed, so refuse it. */
    if ((int)cd.pitch != cairo_format_stride_for_width(CAIRO_FORMAT_RGB24, (int)w)) {
        kms_buf_destroy(d, b);
        return -ENOTSUP;
    }
    uint32_t handles[4] = {b->handle}, pitches[4] = {b->pitch}, offsets[4] = {0};
    if (drmModeAddFB2(d->fd, w, h, DRM_FORMAT_XRGB8888, handles, pitches, offsets, &b->fb_id, 0) != 0) {
        int e = errno;
        kms_buf_destroy(d, b);
        return -e;
    }
    struct drm_mode_map_dumb md = {.handle = b->handle};
    if (drmIoctl(d->fd, DRM_IOCTL_MODE_MAP_DUMB, &md) != 0) {
        int e = errno;
        kms_buf_destroy(d, b);
        return -e;
    }
    b->map = mmap(NULL, b->size, PROT_READ | PROT_WRITE, MAP_SHARED, d->fd, (off_t)md.offset);
    if (b->map == MAP_FAILED) {
        int e = errno;
        b->map = NULL;
        kms_buf_destroy(d, b);
        return -e;
    }
    b->surface = cairo_image_surface_create_for_data(b->map, CAIRO_FORMAT_RGB24, (int)w, (int)h,
                                                     (int)b->pitch);
    b->frame = -1;
    return 0;
}

static uint32_t kms_prop_id(int fd, uint32_t obj, uint32_t type, const char *name)
{
    drmModeObjectProperties *props = drmModeObjectGetProperties(fd, obj, type);
    uint32_t id = 0;
    for (uint32_t i = 0; props && i < props->count_props && !id; i++) {
        drmModePropertyRes *p = drmModeGetProperty(fd, props->props[i]);
        if (p && strcmp(p->name, name) == 0)
            id = p->prop_id;
        drmModeFreeProperty(p);
    }
    drmModeFreeObjectProperties(props);
    return id;
}

/* The primary plane of the CRTC, for atomic flips. */
static uint32_t kms_primary_plane(int fd, int crtc_index)
{
    drmModePlaneRes *pr = drmModeGetPlaneResources(fd);
    uint32_t found = 0;
    for (uint32_t i = 0; pr && i < pr->count_planes && !found; i++) {
        drmModePlane *pl = drmModeGetPlane(fd, pr->planes[i]);
        if (pl && (pl->possible_crtcs & (1u << crtc_index))) {
            uint32_t type_prop = kms_prop_id(fd, pl->plane_id, DRM_MODE_OBJECT_PLANE, "type");
            drmModeObjectProperties *props =
                drmModeObjectGetProperties(fd, pl->plane_id, DRM_MODE_OBJECT_PLANE);
            for (uint32_t k = 0; props && k < props->count_props; k++)
                if (props->props[k] == type_prop && props->prop_values[k] == DRM_PLANE_TYPE_PRIMARY)
                    found = pl->plane_id;
            drmModeFreeObjectProperties(props);
        }
        drmModeFreePlane(pl);
    }
    drmModeFreePlaneResources(pr);
    return found;
}

/* Chooses the connector, CRTC and mode: the first connected connector; its mode of the
 * requested size when there is one, else its preferred mode, else its first. */
static int kms_pick(drv_display *d, const drv_display_config *cfg, drv_display_err *err)
{
    drmModeRes *res = drmModeGetResources(d->fd);
    if (!res) {
        kms_fail(err, "%s is not a KMS device (drmModeGetResources: %s)",
                 cfg->device ? cfg->device : "/dev/dri/card0", strerror(errno));
        return -ENODEV;
    }
    int rc = -ENODEV;
    kms_fail(err, "no connected display on the DRM device");
    for (int i = 0; i < res->count_connectors && rc != 0; i++) {
        drmModeConnector *c = drmModeGetConnector(d->fd, res->connectors[i]);
        if (!c)
            continue;
        if (c->connection == DRM_MODE_CONNECTED && c->count_modes > 0) {
            int pick = -1;
            for (int m = 0; m < c->count_modes && pick < 0; m++)
                if (cfg->width > 0 && c->modes[m].hdisplay == cfg->width &&
                    c->modes[m].vdisplay == cfg->height)
                    pick = m;
            if (pick < 0 && cfg->width > 0)
                fprintf(stderr, "kms: no %dx%d mode on this display; using its preferred mode\n",
                        cfg->width, cfg->height);
            for (int m = 0; m < c->count_modes && pick < 0; m++)
                if (c->modes[m].type & DRM_MODE_TYPE_PREFERRED)
                    pick = m;
            if (pick < 0)
                pick = 0;
            d->mode = c->modes[pick];
            d->conn_id = c->connector_id;
            /* A CRTC this connector's encoders can drive. */
            for (int e = 0; e < c->count_encoders && !d->crtc_id; e++) {
                drmModeEncoder *enc = drmModeGetEncoder(d->fd, c->encoders[e]);
                for (int k = 0; enc && k < res->count_crtcs; k++)
                    if (enc->possible_crtcs & (1u << k)) {
                        d->crtc_id = res->crtcs[k];
                        d->crtc_index = k;
                        break;
                    }
                drmModeFreeEncoder(enc);
            }
            if (d->crtc_id)
                rc = 0;
            else
                kms_fail(err, "no CRTC can drive the connected display");
        }
        drmModeFreeConnector(c);
    }
    drmModeFreeResources(res);
    return rc;
}

/* Whether the device renders in hardware (a GPU driver, or virtio-gpu with virgl 3D):
 * then the GL renderer is tried without being asked for. */
static int kms_accelerated(int fd)
{
    drmVersion *v = drmGetVersion(fd);
    if (!v)
        return 0;
    int accel = 0;
    static const char *const gpus[] = {"i915", "amdgpu", "radeon", "nouveau", "xe", NULL};
    for (int i = 0; gpus[i]; i++)
        accel |= strcmp(v->name, gpus[i]) == 0;
    if (strcmp(v->name, "virtio_gpu") == 0) {
        int has_3d = 0;
        struct drm_virtgpu_getparam gp = {.param = VIRTGPU_PARAM_3D_FEATURES,
                                          .value = (uint64_t)(uintptr_t)&has_3d};
        accel = drmIoctl(fd, DRM_IOCTL_VIRTGPU_GETPARAM, &gp) == 0 && has_3d;
    }
    drmFreeVersion(v);
    return accel;
}

static void kms_close(drv_display *d)
{
    if (!d)
        return;
    if (d->gl)
        drv_kms_gl_destroy(d->gl);
    if (d->saved_crtc && !d->lost) {
        /* Give the screen back as it was (the kernel console shows again). */
        drmModeSetCrtc(d->fd, d->saved_crtc->crtc_id, d->saved_crtc->buffer_id,
                       d->saved_crtc->x, d->saved_crtc->y, &d->conn_id, 1,
                       &d->saved_crtc->mode);
    }
    if (d->saved_crtc)
        drmModeFreeCrtc(d->saved_crtc);
    for (int i = 0; i < 2; i++)
        kms_buf_destroy(d, &d->bufs[i]);
    if (d->epfd >= 0)
        close(d->epfd);
    if (d->efd >= 0)
        close(d->efd);
    if (d->fd >= 0)
        close(d->fd);
    free(d);
}

static int kms_open(const drv_display_config *cfg, const drv_display_listener *listener,
                    drv_display **out, drv_display_err *err)
{
    const char *path = cfg && cfg->device ? cfg->device : "/dev/dri/card0";
    drv_display_config none = {0};
    if (!cfg)
        cfg = &none;
    drv_display *d = calloc(1, sizeof *d);
    if (!d) {
        kms_fail(err, "out of memory");
        return -ENOMEM;
    }
    d->fd = d->epfd = d->efd = -1;
    d->nprev = -1;
    d->stats = getenv("KONS_KMS_STATS") && strcmp(getenv("KONS_KMS_STATS"), "1") == 0;
    if (listener)
        d->listener = *listener;
    d->fd = open(path, O_RDWR | O_CLOEXEC);
    if (d->fd < 0) {
        int e = errno;
        kms_fail(err, "cannot open the DRM device %s: %s", path, strerror(e));
        kms_close(d);
        return -e;
    }
    uint64_t dumb = 0;
    if (drmGetCap(d->fd, DRM_CAP_DUMB_BUFFER, &dumb) != 0 || !dumb) {
        kms_fail(err, "%s has no dumb buffers (a render node? use the card node)", path);
        kms_close(d);
        return -ENODEV;
    }
    int rc = kms_pick(d, cfg, err);
    if (rc != 0) {
        kms_close(d);
        return rc;
    }
    d->saved_crtc = drmModeGetCrtc(d->fd, d->crtc_id);
    uint32_t w = d->mode.hdisplay, h = d->mode.vdisplay;

    if ((cfg->flags & DRV_DISPLAY_PREFER_GL) || kms_accelerated(d->fd)) {
        char why[256] = "";
        d->gl = drv_kms_gl_create(d->fd, d->crtc_id, d->conn_id, &d->mode, why, sizeof why);
        if (d->gl)
            fprintf(stderr, "kms: renderer gl (GBM/EGL/GLES2): %s\n", why);
        else
            fprintf(stderr, "kms: GL renderer unavailable (%s); using dumb buffers\n", why);
    }

    if (!d->gl) {
        for (int i = 0; i < 2; i++) {
            rc = kms_buf_create(d, &d->bufs[i], w, h);
            if (rc != 0) {
                kms_fail(err, "cannot create a %ux%u dumb buffer on %s: %s", w, h, path,
                         rc == -ENOTSUP ? "its pitch is not Cairo's stride" : strerror(-rc));
                kms_close(d);
                return rc;
            }
        }
        d->nbufs = 2;
        d->front = 0;
        d->back = 1;
        /* Show the first buffer (black) now: the mode is set once, flips follow. */
        memset(d->bufs[0].map, 0, d->bufs[0].size);
        if (drmModeSetCrtc(d->fd, d->crtc_id, d->bufs[0].fb_id, 0, 0, &d->conn_id, 1, &d->mode) != 0) {
            int e = errno;
            kms_fail(err, "cannot set the %ux%u mode on %s: %s (is another program the DRM "
                     "master?)", w, h, path, strerror(e));
            kms_close(d);
            return -e;
        }
        /* The flip method: atomic with damage clips > legacy page flip > dirty rects. */
        if (drmSetClientCap(d->fd, DRM_CLIENT_CAP_UNIVERSAL_PLANES, 1) == 0 &&
            drmSetClientCap(d->fd, DRM_CLIENT_CAP_ATOMIC, 1) == 0 &&
            (d->plane_id = kms_primary_plane(d->fd, d->crtc_index)) != 0) {
            d->prop_fb_id = kms_prop_id(d->fd, d->plane_id, DRM_MODE_OBJECT_PLANE, "FB_ID");
            d->prop_crtc_id = kms_prop_id(d->fd, d->plane_id, DRM_MODE_OBJECT_PLANE, "CRTC_ID");
            d->prop_damage = kms_prop_id(d->fd, d->plane_id, DRM_MODE_OBJECT_PLANE, "FB_DAMAGE_CLIPS");
            d->method = d->prop_fb_id ? KMS_ATOMIC : KMS_LEGACY_FLIP;
        } else {
            d->method = KMS_LEGACY_FLIP;
        }
    }

    d->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    d->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (d->efd < 0 || d->epfd < 0) {
        int e = errno;
        kms_fail(err, "kms: eventfd/epoll: %s", strerror(e));
        kms_close(d);
        return -e;
    }
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = 0};
    epoll_ctl(d->epfd, EPOLL_CTL_ADD, d->fd, &ev);
    ev.data.u32 = 1;
    epoll_ctl(d->epfd, EPOLL_CTL_ADD, d->efd, &ev);
    d->pending_configure = 1;
    kms_wake(d);
    fprintf(stderr, "kms: %s: %ux%u@%u, connector %u, crtc %u\n", path, w, h,
            d->mode.vrefresh, d->conn_id, d->crtc_id);
    *out = d;
    return 0;
}

static int kms_get_fd(drv_display *d)
{
    return d->epfd;
}

static void kms_flip_done(int fd, unsigned seq, unsigned sec, unsigned usec, void *data)
{
    drv_display *d = data;
    (void)fd;
    (void)seq;
    d->flip_pending = 0;
    if (d->listener.frame_done)
        d->listener.frame_done(d->listener.data, (uint64_t)sec * 1000000000ull + (uint64_t)usec * 1000ull);
}

static int kms_dispatch(drv_display *d)
{
    if (d->lost)
        return -ENODEV;
    uint64_t n;
    if (read(d->efd, &n, sizeof n) < 0 && errno != EAGAIN)
        perror("kms: eventfd read");
    if (d->pending_configure) {
        d->pending_configure = 0;
        if (d->listener.configure)
            d->listener.configure(d->listener.data, d->mode.hdisplay, d->mode.vdisplay, 1.0);
        /* "A new frame may be drawn now": a client that draws only after frame_done or
         * only when its loop wakes gets its first frame without waiting for input. */
        d->pending_frame_done = 1;
        kms_wake(d);
        return 0;
    }
    /* Page-flip completions: drmHandleEvent blocks in read(), so look first. */
    struct pollfd pfd = {.fd = d->fd, .events = POLLIN};
    int ready = poll(&pfd, 1, 0);
    if (ready > 0 && d->gl) {
        if (drv_kms_gl_handle_event(d->gl, d->fd, &d->listener) != 0) {
            d->lost = 1;
            return -ENODEV;
        }
    } else if (ready > 0) {
        drmEventContext ctx = {.version = 2, .page_flip_handler = kms_flip_done};
        if (drmHandleEvent(d->fd, &ctx) != 0) {
            d->lost = 1;
            char why[128];
            snprintf(why, sizeof why, "the DRM device is gone: %s", strerror(errno));
            if (d->listener.lost)
                d->listener.lost(d->listener.data, why);
            return -ENODEV;
        }
    }
    if (d->pending_frame_done) {
        d->pending_frame_done = 0;
        if (d->listener.frame_done)
            d->listener.frame_done(d->listener.data, 0);
    }
    return 0;
}

static double kms_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void kms_stat(drv_display *d)
{
    if (!d->stats)
        return;
    double ms = kms_now_ms() - d->t_begin;
    d->stat_sum += ms;
    if (ms > d->stat_max)
        d->stat_max = ms;
    double now = kms_now_ms();
    if (!d->stat_last)
        d->stat_last = now;
    if (++d->stat_n == 16 || now - d->stat_last > 2000) {
        fprintf(stderr, "kms: stats: %s renderer: %d frames, mean %.1f ms, max %.1f ms "
                "from begin_frame to submitted\n", d->gl ? "gl" : "dumb", d->stat_n,
                d->stat_sum / d->stat_n, d->stat_max);
        d->stat_last = now;
        d->stat_n = 0;
        d->stat_sum = d->stat_max = 0;
    }
}

static int kms_begin_frame(drv_display *d, drv_display_frame *f)
{
    if (d->lost)
        return -ENODEV;
    d->t_begin = kms_now_ms();
    if (d->gl)
        return drv_kms_gl_begin_frame(d->gl, f);
    if (d->flip_pending)
        return -EAGAIN;
    struct kms_buf *b = &d->bufs[d->back];
    f->surface = b->surface;
    f->width = (int32_t)d->mode.hdisplay;
    f->height = (int32_t)d->mode.vdisplay;
    f->scale = 1.0;
    f->age = b->frame < 0 ? 0 : (int)(d->frame_no - b->frame);
    cairo_surface_flush(b->surface);
    return 0;
}

/* Clips for the host copy of the back buffer: this frame's damage, plus the previous
 * frame's when the buffer is two frames old. Returns the count, or -1 for "everything". */
static int kms_clips(drv_display *d, const drv_rect *damage, int ndamage, int age,
                     drmModeClip *clips)
{
    if (ndamage == 0 && damage == NULL)
        return -1;
    if (age != 1 && age != 2)
        return -1;
    if (age == 2 && d->nprev < 0)
        return -1;
    int n = 0;
    for (int i = 0; i < ndamage; i++) {
        if (n == KMS_MAX_DAMAGE)
            return -1;
        int x1 = damage[i].x < 0 ? 0 : damage[i].x, y1 = damage[i].y < 0 ? 0 : damage[i].y;
        int x2 = damage[i].x + damage[i].w, y2 = damage[i].y + damage[i].h;
        if (x2 > d->mode.hdisplay) x2 = d->mode.hdisplay;
        if (y2 > d->mode.vdisplay) y2 = d->mode.vdisplay;
        if (x2 <= x1 || y2 <= y1)
            continue;
        clips[n++] = (drmModeClip){(uint16_t)x1, (uint16_t)y1, (uint16_t)x2, (uint16_t)y2};
    }
    if (age == 2)
        for (int i = 0; i < d->nprev; i++) {
            if (n == KMS_MAX_DAMAGE)
                return -1;
            clips[n++] = d->prev_clips[i];
        }
    return n;
}

static int kms_end_frame(drv_display *d, const drv_rect *damage, int ndamage)
{
    if (d->lost)
        return -ENODEV;
    if (d->gl) {
        int r = drv_kms_gl_end_frame(d->gl, damage, ndamage);
        if (r == 1) { /* the first frame set the mode: no flip event will come */
            d->pending_frame_done = 1;
            kms_wake(d);
            r = 0;
        }
        if (r == 0)
            kms_stat(d);
        return r;
    }
    struct kms_buf *b = &d->bufs[d->back];
    cairo_surface_flush(b->surface);
    int age = b->frame < 0 ? 0 : (int)(d->frame_no - b->frame);
    drmModeClip clips[2 * KMS_MAX_DAMAGE];
    int nclips = kms_clips(d, damage, ndamage, age, clips);
    /* Remember this frame's damage for the next flip of the other buffer. */
    if (ndamage == 0 && damage == NULL) {
        d->nprev = -1;
    } else {
        int n = kms_clips(d, damage, ndamage, 1, d->prev_clips);
        d->nprev = n;
    }
    int rc = -1;
    const char *how = "";
    if (d->method == KMS_ATOMIC) {
        drmModeAtomicReq *req = drmModeAtomicAlloc();
        uint32_t blob = 0;
        drmModeAtomicAddProperty(req, d->plane_id, d->prop_fb_id, b->fb_id);
        if (d->prop_damage && nclips > 0 &&
            drmModeCreatePropertyBlob(d->fd, clips, sizeof clips[0] * (size_t)nclips, &blob) == 0)
            drmModeAtomicAddProperty(req, d->plane_id, d->prop_damage, blob);
        rc = drmModeAtomicCommit(d->fd, req, DRM_MODE_PAGE_FLIP_EVENT | DRM_MODE_ATOMIC_NONBLOCK, d);
        int e = errno;
        drmModeAtomicFree(req);
        if (blob)
            drmModeDestroyPropertyBlob(d->fd, blob);
        how = d->prop_damage ? "atomic page flips with damage clips" : "atomic page flips";
        if (rc != 0) {
            fprintf(stderr, "kms: atomic commit failed (%s); falling back to page flips\n", strerror(e));
            d->method = KMS_LEGACY_FLIP;
        }
    }
    if (rc != 0 && d->method == KMS_LEGACY_FLIP) {
        rc = drmModePageFlip(d->fd, d->crtc_id, b->fb_id, DRM_MODE_PAGE_FLIP_EVENT, d);
        how = "legacy page flips";
        if (rc != 0) {
            fprintf(stderr, "kms: page flip failed (%s); falling back to one buffer with "
                    "dirty rectangles\n", strerror(errno));
            d->method = KMS_DIRTY;
            /* One buffer from now on: the front one, made current. */
            memcpy(d->bufs[d->front].map, b->map, b->size);
            d->back = d->front;
            b = &d->bufs[d->back];
            nclips = -1;
        }
    }
    if (rc != 0 && d->method == KMS_DIRTY) {
        how = "one buffer with dirty rectangles";
        rc = drmModeDirtyFB(d->fd, b->fb_id, nclips > 0 ? clips : NULL,
                            nclips > 0 ? (uint32_t)nclips : 0);
        if (rc != 0 && errno != ENOSYS && errno != EINVAL)
            fprintf(stderr, "kms: drmModeDirtyFB: %s\n", strerror(errno));
        rc = 0;
        d->pending_frame_done = 1;
        kms_wake(d);
    } else if (rc == 0) {
        d->flip_pending = 1;
        int t = d->front;
        d->front = d->back;
        d->back = t;
    }
    b->frame = d->frame_no++;
    kms_stat(d);
    if (!d->logged_method) {
        d->logged_method = 1;
        fprintf(stderr, "kms: renderer dumb buffers (Cairo), %s; first frame shown\n", how);
    }
    return 0;
}

static cairo_surface_t *kms_snapshot(drv_display *d)
{
    if (d->gl || !d->nbufs)
        return NULL;
    struct kms_buf *b = &d->bufs[d->front];
    int w = d->mode.hdisplay, h = d->mode.vdisplay;
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);
    cairo_surface_flush(s);
    unsigned char *dst = cairo_image_surface_get_data(s);
    int stride = cairo_image_surface_get_stride(s);
    for (int y = 0; y < h; y++)
        memcpy(dst + (size_t)y * (size_t)stride, (unsigned char *)b->map + (size_t)y * b->pitch, (size_t)w * 4);
    cairo_surface_mark_dirty(s);
    return s;
}

static int kms_write_png(drv_display *d, const char *path, drv_display_err *err)
{
    cairo_surface_t *s = kms_snapshot(d);
    if (!s) {
        kms_fail(err, "kms: no frame to write");
        return -ENODATA;
    }
    cairo_status_t st = cairo_surface_write_to_png(s, path);
    cairo_surface_destroy(s);
    if (st != CAIRO_STATUS_SUCCESS) {
        kms_fail(err, "cannot write %s: %s", path, cairo_status_to_string(st));
        return -EIO;
    }
    return 0;
}

static void *kms_native(drv_display *d, const char *what)
{
    if (strcmp(what, "drm_fd") == 0)
        return (void *)(intptr_t)d->fd;
    return NULL;
}

const drv_display_ops drv_display_kms_ops = {
    .name = "kms",
    .open = kms_open,
    .close = kms_close,
    .get_fd = kms_get_fd,
    .dispatch = kms_dispatch,
    .begin_frame = kms_begin_frame,
    .end_frame = kms_end_frame,
    .write_png = kms_write_png,
    .snapshot = kms_snapshot,
    .native = kms_native,
};
