/* drv/xkb.h: the keymap helper shared by every input backend (drivers/input/xkb).
 *
 * Wraps xkbcommon: a keymap (from RMLVO names or from a keymap string the compositor
 * sends), its state, the compose table of the locale, and key repeat information. A
 * backend feeds it raw key presses and gets back filled drv_input_event key events, so
 * all backends translate keys the same way.
 */
#ifndef KONS_DRV_XKB_H
#define KONS_DRV_XKB_H

#include <stddef.h>
#include <stdint.h>

#include "drv/input.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct drv_xkb drv_xkb;

/* From RMLVO names (any may be NULL for xkbcommon's default). Compose is enabled from
 * the locale ($LC_ALL/$LC_CTYPE/$LANG, "C" when unset) when a table exists. Returns NULL
 * and fills err on failure (e.g. unknown layout, xkb-data missing). */
drv_xkb *drv_xkb_new_names(const char *rules, const char *model, const char *layout,
                           const char *variant, const char *options, drv_input_err *err);
/* From a keymap string in XKB_KEYMAP_FORMAT_TEXT_V1 (wl_keyboard.keymap). */
drv_xkb *drv_xkb_new_string(const char *keymap, size_t len, drv_input_err *err);
void drv_xkb_free(drv_xkb *x);

/* Feeds a key press/release (evdev keycode) through the state and compose, and fills
 * ev->key (type DRV_INPUT_KEY, keycode, keysym, modifiers, state, text). Returns 1 when
 * the event should be delivered, 0 when compose swallowed it (a dead key mid-sequence).
 * state is DRV_KEY_PRESSED, DRV_KEY_RELEASED or DRV_KEY_REPEAT (repeat does not change
 * the xkb state). */
int drv_xkb_key(drv_xkb *x, uint32_t keycode, uint32_t state, drv_input_event *ev);
/* Wayland: the compositor's wl_keyboard.modifiers. */
void drv_xkb_update_mask(drv_xkb *x, uint32_t depressed, uint32_t latched, uint32_t locked,
                         uint32_t group);
/* Whether the keymap says the key repeats (modifiers do not). */
int drv_xkb_key_repeats(drv_xkb *x, uint32_t keycode);
/* Current modifiers as DRV_MOD_* bits. */
uint32_t drv_xkb_modifiers(drv_xkb *x);
/* Finds a key producing `keysym` at level 1 or 2 of the first layout: its evdev keycode
 * and in *mods DRV_MOD_SHIFT when level 2 is needed. Returns 0, or -ENOENT (keysyms only
 * reachable through AltGr or other layouts are not found). */
int drv_xkb_find_keysym(drv_xkb *x, uint32_t keysym, uint32_t *keycode, uint32_t *mods);
/* Resets the state (all keys up), e.g. after a device is unplugged. */
void drv_xkb_reset(drv_xkb *x);

#ifdef __cplusplus
}
#endif

#endif
