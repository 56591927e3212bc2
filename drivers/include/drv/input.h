/* drv/input.h: the input driver contract.
 *
 * An input backend turns devices into a stream of events: libinput on evdev devices (the
 * image), the Wayland seat of the compositor (a host), or `synthetic` (events pushed by a
 * program: the scenario runner and tests). Each backend exports one
 * `const drv_input_ops`; `os/` picks one by name through the registry below. Keys are
 * translated with xkbcommon through the helper in drv/xkb.h, so every backend reports
 * the same thing for the same key: evdev keycode, keysym, UTF-8 text, modifiers.
 *
 * Threading and re-entrancy as in drv/display.h: one thread, callbacks only from inside
 * dispatch.
 *
 * Coordinates: pointer positions are in the display's *logical* pixels (drv/display.h).
 * Relative motion is in logical pixels as well (libinput's accelerated deltas). A
 * backend whose devices report normalized absolute positions (tablets, virtio-tablet)
 * scales them by the size given to set_output_size.
 *
 * Key repeat: backends generate DRV_KEY_REPEAT events themselves (with a timer behind
 * their fd) at the delay/rate of the config or of the compositor, only for keys the
 * keymap says repeat. Clients never time repeats.
 */
#ifndef KONS_DRV_INPUT_H
#define KONS_DRV_INPUT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct drv_display drv_display;
typedef struct drv_display_ops drv_display_ops;

typedef struct drv_input_err {
    char msg[256];
} drv_input_err;

typedef struct drv_input drv_input;

typedef enum drv_input_event_type {
    DRV_INPUT_DEVICE_ADDED = 1,   /* .dev */
    DRV_INPUT_DEVICE_REMOVED,     /* .dev (unplugged; its keys/buttons are released first) */
    DRV_INPUT_KEY,                /* .key */
    DRV_INPUT_POINTER_MOTION,     /* .motion: relative dx, dy */
    DRV_INPUT_POINTER_ABSOLUTE,   /* .absolute: x, y in logical pixels of the output */
    DRV_INPUT_POINTER_BUTTON,     /* .button */
    DRV_INPUT_POINTER_AXIS,       /* .axis: scrolling */
    DRV_INPUT_POINTER_LEAVE,      /* the pointer left the window (Wayland); no payload */
    DRV_INPUT_KEYBOARD_FOCUS,     /* .focus: the window gained/lost keyboard focus */
} drv_input_event_type;

/* Key states. */
enum { DRV_KEY_RELEASED = 0, DRV_KEY_PRESSED = 1, DRV_KEY_REPEAT = 2 };
/* Button states. */
enum { DRV_BUTTON_RELEASED = 0, DRV_BUTTON_PRESSED = 1 };

/* Modifier bits (effective state after the event, from xkbcommon). */
enum {
    DRV_MOD_SHIFT = 1u << 0,
    DRV_MOD_CTRL = 1u << 1,
    DRV_MOD_ALT = 1u << 2,   /* Mod1 */
    DRV_MOD_SUPER = 1u << 3, /* Mod4 */
    DRV_MOD_CAPS = 1u << 4,  /* Caps Lock locked */
    DRV_MOD_NUM = 1u << 5,   /* Num Lock locked */
};

/* Buttons are Linux evdev codes (BTN_LEFT 0x110, BTN_RIGHT 0x111, BTN_MIDDLE 0x112). */
enum { DRV_BTN_LEFT = 0x110, DRV_BTN_RIGHT = 0x111, DRV_BTN_MIDDLE = 0x112 };

/* Device capabilities. */
enum {
    DRV_DEV_KEYBOARD = 1u << 0,
    DRV_DEV_POINTER = 1u << 1,
    DRV_DEV_TOUCH = 1u << 2,
    DRV_DEV_TABLET = 1u << 3,
};

typedef struct drv_input_event {
    drv_input_event_type type;
    uint32_t device;  /* backend-chosen id, stable while the device is present; 0 unknown */
    uint64_t time_us; /* CLOCK_MONOTONIC microseconds (event time when the source knows) */
    union {
        struct {
            uint32_t keycode;   /* Linux evdev code (KEY_A = 30); xkb keycode - 8 */
            uint32_t keysym;    /* xkb keysym for the event, after modifiers (XKB_KEY_A) */
            uint32_t modifiers; /* DRV_MOD_* in effect for this key */
            uint32_t state;     /* DRV_KEY_* */
            /* UTF-8 text the key produces, NUL-terminated ("" for none, e.g. arrows or
             * a release; a completed compose sequence gives its result here). */
            char text[16];
        } key;
        struct {
            double dx, dy;
        } motion;
        struct {
            double x, y;
        } absolute;
        struct {
            uint32_t button; /* evdev BTN_* */
            uint32_t state;  /* DRV_BUTTON_* */
        } button;
        struct {
            double dx, dy;   /* scroll distance in logical pixels (positive: down/right) */
            int32_t steps_x; /* wheel detents (0 for continuous sources) */
            int32_t steps_y;
        } axis;
        struct {
            const char *name; /* valid during the callback only */
            uint32_t caps;    /* DRV_DEV_* */
        } dev;
        struct {
            int focused;
        } focus;
    };
} drv_input_event;

typedef struct drv_input_listener {
    void *data;
    void (*event)(void *data, const drv_input_event *ev);
    /* The whole input source is gone (compositor exited, seat lost). Individual device
     * removal is an event, not this. May be NULL. */
    void (*lost)(void *data, const char *why);
} drv_input_listener;

typedef struct drv_input_config {
    /* libinput: device node paths (NULL-terminated), or NULL to scan /dev/input/event*. */
    const char *const *devices;
    const char *seat; /* "seat0" when NULL */
    /* Wayland seat: the display it shares the connection with (via ops->native). */
    drv_display *display;
    const drv_display_ops *display_ops;
    /* xkb RMLVO for backends that choose the keymap themselves (libinput, synthetic);
     * NULL members mean xkbcommon's defaults ("evdev", "pc105", "us"). The Wayland seat
     * uses the compositor's keymap instead. */
    const char *xkb_rules, *xkb_model, *xkb_layout, *xkb_variant, *xkb_options;
    /* Key repeat; 0 means 600 ms / 25 Hz (the compositor's values on Wayland). */
    int repeat_delay_ms, repeat_rate_hz;
} drv_input_config;

typedef struct drv_input_ops {
    const char *name; /* "libinput", "wayland", "synthetic" */
    int (*open)(const drv_input_config *config, const drv_input_listener *listener,
                drv_input **out, drv_input_err *err);
    void (*close)(drv_input *in);
    /* A file descriptor to poll for EPOLLIN (may be an epoll fd gathering the backend's
     * own fds and repeat timer), or -1 when events arrive through another driver's
     * dispatch (the Wayland seat rides on the Wayland display's connection). */
    int (*get_fd)(drv_input *in);
    /* Handles pending events without blocking. 0, or a negative errno when the source is
     * gone for good (listener->lost has been called). */
    int (*dispatch)(drv_input *in);
    /* Optional: the output's logical size, for scaling normalized absolute positions and
     * clamping relative motion. */
    void (*set_output_size)(drv_input *in, int32_t width, int32_t height);
} drv_input_ops;

extern const drv_input_ops drv_input_synthetic_ops;
extern const drv_input_ops drv_input_wayland_ops;
extern const drv_input_ops drv_input_libinput_ops;

/* Registry (drivers/input/registry.c), as for displays. */
const drv_input_ops *drv_input_lookup(const char *name);
int drv_input_known(const char *name);
const char *drv_input_names(void);

/* ---- synthetic backend: the program pushes events, dispatch delivers them. ----
 * Pushed events are queued and delivered, in order, by the next dispatch (its fd is an
 * eventfd that is readable while the queue is non-empty). Key events go through the
 * same xkbcommon state as a real keyboard, so keysym, text and modifiers come out as
 * libinput's would. */
int drv_synthetic_key(drv_input *in, uint32_t keycode, int pressed);
/* Types `utf8`: for each character finds a key (and Shift/AltGr level) in the keymap
 * that produces it and pushes press/release pairs with the modifiers around it.
 * Returns 0, or -EINVAL with *bad_offset set to the byte offset of the first character
 * that no key of the keymap produces (nothing is pushed then), or that is not UTF-8. */
int drv_synthetic_type(drv_input *in, const char *utf8, size_t *bad_offset);
/* Looks up a key by xkb keysym name ("Return", "a", "F5", "Left"): its evdev keycode
 * and the modifiers needed, or -ENOENT. */
int drv_synthetic_keysym_key(drv_input *in, const char *keysym_name, uint32_t *keycode,
                             uint32_t *needs_mods);
int drv_synthetic_motion(drv_input *in, double dx, double dy);
int drv_synthetic_absolute(drv_input *in, double x, double y);
int drv_synthetic_button(drv_input *in, uint32_t button, int pressed);
int drv_synthetic_axis(drv_input *in, double dx, double dy, int steps_x, int steps_y);
/* Adds or removes a pretend device (for testing unplug handling). */
int drv_synthetic_device(drv_input *in, uint32_t id, const char *name, uint32_t caps,
                         int added);
/* Number of events queued and not yet dispatched. */
size_t drv_synthetic_pending(drv_input *in);

#ifdef __cplusplus
}
#endif

#endif
