/* Unit tests for the display and input contracts through their test twins: the headless
 * display (frame cycle, buffer age, events through the fd) and the synthetic input
 * (xkbcommon translation, typing, device events), plus the registries. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <xkbcommon/xkbcommon-keysyms.h>

#include "check.h"
#include "drv/display.h"
#include "drv/input.h"

static int configured_w, configured_h, frames_done;
static void on_configure(void *data, int32_t w, int32_t h, double scale)
{
    (void)data;
    (void)scale;
    configured_w = w;
    configured_h = h;
}
static void on_frame_done(void *data, uint64_t t)
{
    (void)data;
    (void)t;
    frames_done++;
}

static drv_input_event evs[64];
static int nevs;
static void on_event(void *data, const drv_input_event *ev)
{
    (void)data;
    if (nevs < 64)
        evs[nevs++] = *ev;
}

static void test_headless(uint32_t flags, int expect_age)
{
    const drv_display_ops *ops = drv_display_lookup("headless");
    CHECK(ops != NULL);
    drv_display_config cfg = {.width = 64, .height = 32, .flags = flags};
    drv_display_listener l = {.configure = on_configure, .frame_done = on_frame_done};
    drv_display *d;
    drv_display_err err;
    configured_w = frames_done = 0;
    CHECK_EQ_INT(ops->open(&cfg, &l, &d, &err), 0);
    CHECK(ops->get_fd(d) >= 0);
    CHECK_EQ_INT(configured_w, 0); /* no callback from open */
    CHECK_EQ_INT(ops->dispatch(d), 0);
    CHECK_EQ_INT(configured_w, 64);
    CHECK_EQ_INT(configured_h, 32);
    for (int i = 0; i < 4; i++) {
        drv_display_frame f;
        CHECK_EQ_INT(ops->begin_frame(d, &f), 0);
        CHECK_EQ_INT(f.width, 64);
        CHECK_EQ_INT(f.age, i < expect_age ? 0 : expect_age);
        drv_display_frame f2;
        CHECK_EQ_INT(ops->begin_frame(d, &f2), -EBUSY);
        cairo_t *cr = cairo_create(f.surface);
        cairo_set_source_rgb(cr, 1, 0, 0);
        cairo_paint(cr);
        cairo_destroy(cr);
        CHECK_EQ_INT(ops->end_frame(d, NULL, 0), 0);
        CHECK_EQ_INT(frames_done, i);
        CHECK_EQ_INT(ops->dispatch(d), 0);
        CHECK_EQ_INT(frames_done, i + 1);
    }
    cairo_surface_t *s = drv_headless_surface(d);
    CHECK(s != NULL);
    uint32_t px = *(uint32_t *)cairo_image_surface_get_data(s);
    CHECK_EQ_INT(px & 0xffffff, 0xff0000);
    drv_display_err werr;
    CHECK(ops->write_png(d, "/nonexistent-dir/x.png", &werr) < 0);
    CHECK(strstr(werr.msg, "/nonexistent-dir/x.png") != NULL);
    ops->close(d);
}

static void test_registry(void)
{
    CHECK(drv_display_lookup("nope") == NULL);
    CHECK(!drv_display_known("nope"));
    CHECK(drv_display_known("kms"));
    CHECK(strstr(drv_display_names(), "headless") != NULL);
    CHECK(drv_input_lookup("synthetic") != NULL);
    CHECK(drv_input_known("libinput"));
}

static void test_synthetic(void)
{
    const drv_input_ops *ops = drv_input_lookup("synthetic");
    drv_input_listener l = {.event = on_event};
    drv_input *in;
    drv_input_err err;
    drv_input_config cfg = {0};
    CHECK_EQ_INT(ops->open(&cfg, &l, &in, &err), 0);
    nevs = 0;
    CHECK_EQ_INT(ops->dispatch(in), 0);
    CHECK_EQ_INT(nevs, 1);
    CHECK_EQ_INT(evs[0].type, DRV_INPUT_DEVICE_ADDED);
    CHECK(evs[0].dev.caps & DRV_DEV_KEYBOARD);

    nevs = 0;
    CHECK_EQ_INT(drv_synthetic_type(in, "aB", NULL), 0);
    CHECK_EQ_INT(drv_synthetic_pending(in), 6); /* a down/up, shift down, B down/up, shift up */
    CHECK_EQ_INT(ops->dispatch(in), 0);
    CHECK_EQ_INT(nevs, 6);
    CHECK_EQ_INT(evs[0].key.keycode, 30); /* KEY_A */
    CHECK_EQ_INT(evs[0].key.keysym, XKB_KEY_a);
    CHECK(strcmp(evs[0].key.text, "a") == 0);
    CHECK_EQ_INT(evs[0].key.state, DRV_KEY_PRESSED);
    CHECK_EQ_INT(evs[1].key.state, DRV_KEY_RELEASED);
    CHECK_EQ_INT(evs[3].key.keysym, XKB_KEY_B);
    CHECK(strcmp(evs[3].key.text, "B") == 0);
    CHECK(evs[3].key.modifiers & DRV_MOD_SHIFT);
    CHECK(evs[1].time_us < evs[3].time_us);

    size_t bad = 99;
    CHECK_EQ_INT(drv_synthetic_type(in, "ok\xe2\x82", &bad), -EINVAL); /* truncated UTF-8 */
    CHECK_EQ_INT(bad, 2);
    CHECK_EQ_INT(drv_synthetic_type(in, "x\xe4\xb8\xad", &bad), -EINVAL); /* not on a us keymap */
    CHECK_EQ_INT(bad, 1);
    CHECK_EQ_INT(drv_synthetic_pending(in), 0);

    uint32_t kc, mods;
    CHECK_EQ_INT(drv_synthetic_keysym_key(in, "Return", &kc, &mods), 0);
    CHECK_EQ_INT(kc, 28);
    CHECK_EQ_INT(drv_synthetic_keysym_key(in, "NoSuchKey", &kc, &mods), -ENOENT);

    /* Ctrl+a: keysym a, no text, ctrl in the modifiers. */
    nevs = 0;
    drv_synthetic_key(in, 29, 1);
    drv_synthetic_key(in, 30, 1);
    drv_synthetic_key(in, 30, 0);
    drv_synthetic_key(in, 29, 0);
    drv_synthetic_absolute(in, 10.5, 20);
    drv_synthetic_button(in, DRV_BTN_LEFT, 1);
    drv_synthetic_device(in, 7, "usb keyboard", DRV_DEV_KEYBOARD, 0);
    ops->dispatch(in);
    CHECK_EQ_INT(nevs, 7);
    CHECK_EQ_INT(evs[1].key.keysym, XKB_KEY_a);
    CHECK(evs[1].key.modifiers & DRV_MOD_CTRL);
    CHECK_EQ_INT(evs[1].key.text[0], 0);
    CHECK_EQ_INT(evs[4].type, DRV_INPUT_POINTER_ABSOLUTE);
    CHECK(evs[4].absolute.x == 10.5);
    CHECK_EQ_INT(evs[5].button.button, DRV_BTN_LEFT);
    CHECK_EQ_INT(evs[6].type, DRV_INPUT_DEVICE_REMOVED);
    CHECK_EQ_INT(evs[6].device, 7);
    CHECK(strcmp(evs[6].dev.name, "usb keyboard") == 0);
    /* Unplugging the device while it holds a key and two buttons (left is still down
     * from above) releases them first. */
    nevs = 0;
    drv_synthetic_key(in, 42, 1);
    drv_synthetic_button(in, DRV_BTN_RIGHT, 1);
    drv_synthetic_device(in, 1, "synthetic", DRV_DEV_KEYBOARD | DRV_DEV_POINTER, 0);
    ops->dispatch(in);
    CHECK_EQ_INT(nevs, 6);
    CHECK_EQ_INT(evs[2].type, DRV_INPUT_KEY);
    CHECK_EQ_INT(evs[2].key.keycode, 42);
    CHECK_EQ_INT(evs[2].key.state, DRV_KEY_RELEASED);
    CHECK_EQ_INT(evs[3].type, DRV_INPUT_POINTER_BUTTON);
    CHECK_EQ_INT(evs[3].button.state, DRV_BUTTON_RELEASED);
    CHECK_EQ_INT(evs[4].type, DRV_INPUT_POINTER_BUTTON);
    CHECK_EQ_INT(evs[5].type, DRV_INPUT_DEVICE_REMOVED);
    CHECK_EQ_INT(drv_synthetic_key(in, 5000, 1), -EINVAL);
    ops->close(in);
}

int main(void)
{
    test_registry();
    test_headless(0, 1);
    test_headless(DRV_DISPLAY_HEADLESS_DOUBLE, 2);
    test_synthetic();
    return check_report();
}
