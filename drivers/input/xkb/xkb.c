/* drivers/input/xkb/xkb.c: xkbcommon keymap, state and compose for the input backends. */
#include <errno.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xkbcommon/xkbcommon-compose.h>
#include <xkbcommon/xkbcommon.h>

#include "drv/xkb.h"

/* xkb keycodes are evdev codes + 8 (the X11 offset kept by xkbcommon's evdev rules). */
#define EVDEV_OFFSET 8

struct drv_xkb {
    struct xkb_context *ctx;
    struct xkb_keymap *keymap;
    struct xkb_state *state;
    struct xkb_compose_table *compose_table; /* NULL when the locale has none */
    struct xkb_compose_state *compose;
    xkb_mod_index_t mod_shift, mod_ctrl, mod_alt, mod_super, mod_caps, mod_num;
};

static drv_xkb *finish(struct xkb_context *ctx, struct xkb_keymap *km, drv_input_err *err)
{
    drv_xkb *x = calloc(1, sizeof *x);
    if (!x) {
        snprintf(err->msg, sizeof err->msg, "xkb: out of memory");
        xkb_keymap_unref(km);
        xkb_context_unref(ctx);
        return NULL;
    }
    x->ctx = ctx;
    x->keymap = km;
    x->state = xkb_state_new(km);
    const char *locale = getenv("LC_ALL");
    if (!locale || !*locale)
        locale = getenv("LC_CTYPE");
    if (!locale || !*locale)
        locale = getenv("LANG");
    if (!locale || !*locale)
        locale = "C";
    x->compose_table =
        xkb_compose_table_new_from_locale(ctx, locale, XKB_COMPOSE_COMPILE_NO_FLAGS);
    if (x->compose_table)
        x->compose = xkb_compose_state_new(x->compose_table, XKB_COMPOSE_STATE_NO_FLAGS);
    x->mod_shift = xkb_keymap_mod_get_index(km, XKB_MOD_NAME_SHIFT);
    x->mod_ctrl = xkb_keymap_mod_get_index(km, XKB_MOD_NAME_CTRL);
    x->mod_alt = xkb_keymap_mod_get_index(km, XKB_MOD_NAME_ALT);
    x->mod_super = xkb_keymap_mod_get_index(km, XKB_MOD_NAME_LOGO);
    x->mod_caps = xkb_keymap_mod_get_index(km, XKB_MOD_NAME_CAPS);
    x->mod_num = xkb_keymap_mod_get_index(km, XKB_MOD_NAME_NUM);
    return x;
}

drv_xkb *drv_xkb_new_names(const char *rules, const char *model, const char *layout,
                           const char *variant, const char *options, drv_input_err *err)
{
    struct xkb_context *ctx = xkb_context_new(XKB_CONTEXT_NO_FLAGS);
    if (!ctx) {
        snprintf(err->msg, sizeof err->msg, "xkb: cannot create a context");
        return NULL;
    }
    struct xkb_rule_names names = {
        .rules = rules, .model = model, .layout = layout, .variant = variant,
        .options = options,
    };
    struct xkb_keymap *km = xkb_keymap_new_from_names(ctx, &names, XKB_KEYMAP_COMPILE_NO_FLAGS);
    if (!km) {
        snprintf(err->msg, sizeof err->msg,
                 "xkb: cannot compile the keymap (layout \"%s\", variant \"%s\"); is the "
                 "layout known and the xkb-data package installed?",
                 layout ? layout : "us", variant ? variant : "");
        xkb_context_unref(ctx);
        return NULL;
    }
    return finish(ctx, km, err);
}

drv_xkb *drv_xkb_new_string(const char *keymap, size_t len, drv_input_err *err)
{
    struct xkb_context *ctx = xkb_context_new(XKB_CONTEXT_NO_FLAGS);
    if (!ctx) {
        snprintf(err->msg, sizeof err->msg, "xkb: cannot create a context");
        return NULL;
    }
    /* wl_keyboard keymaps are NUL-terminated and len includes the NUL: strip it. */
    while (len > 0 && keymap[len - 1] == '\0')
        len--;
    struct xkb_keymap *km = xkb_keymap_new_from_buffer(ctx, keymap, len,
                                                       XKB_KEYMAP_FORMAT_TEXT_V1,
                                                       XKB_KEYMAP_COMPILE_NO_FLAGS);
    if (!km) {
        snprintf(err->msg, sizeof err->msg, "xkb: cannot compile the keymap sent to us");
        xkb_context_unref(ctx);
        return NULL;
    }
    return finish(ctx, km, err);
}

void drv_xkb_free(drv_xkb *x)
{
    if (!x)
        return;
    xkb_compose_state_unref(x->compose);
    xkb_compose_table_unref(x->compose_table);
    xkb_state_unref(x->state);
    xkb_keymap_unref(x->keymap);
    xkb_context_unref(x->ctx);
    free(x);
}

static int active(drv_xkb *x, xkb_mod_index_t m, enum xkb_state_component c)
{
    return m != XKB_MOD_INVALID && xkb_state_mod_index_is_active(x->state, m, c) > 0;
}

uint32_t drv_xkb_modifiers(drv_xkb *x)
{
    uint32_t mods = 0;
    if (active(x, x->mod_shift, XKB_STATE_MODS_EFFECTIVE))
        mods |= DRV_MOD_SHIFT;
    if (active(x, x->mod_ctrl, XKB_STATE_MODS_EFFECTIVE))
        mods |= DRV_MOD_CTRL;
    if (active(x, x->mod_alt, XKB_STATE_MODS_EFFECTIVE))
        mods |= DRV_MOD_ALT;
    if (active(x, x->mod_super, XKB_STATE_MODS_EFFECTIVE))
        mods |= DRV_MOD_SUPER;
    if (active(x, x->mod_caps, XKB_STATE_MODS_LOCKED))
        mods |= DRV_MOD_CAPS;
    if (active(x, x->mod_num, XKB_STATE_MODS_LOCKED))
        mods |= DRV_MOD_NUM;
    return mods;
}

int drv_xkb_key(drv_xkb *x, uint32_t keycode, uint32_t state, drv_input_event *ev)
{
    xkb_keycode_t kc = keycode + EVDEV_OFFSET;
    memset(&ev->key, 0, sizeof ev->key);
    ev->type = DRV_INPUT_KEY;
    ev->key.keycode = keycode;
    ev->key.state = state;
    /* Keysym and text are those of the key under the modifiers before this event (so
     * Shift's own press reports Shift_L, and 'a' under Shift reports 'A'). */
    xkb_keysym_t sym = xkb_state_key_get_one_sym(x->state, kc);
    ev->key.modifiers = drv_xkb_modifiers(x);
    int deliver = 1;
    if (state != DRV_KEY_RELEASED) {
        xkb_state_key_get_utf8(x->state, kc, ev->key.text, sizeof ev->key.text);
        /* Control characters are not text: Ctrl+A gives keysym 'a', text "". */
        if ((unsigned char)ev->key.text[0] < 0x20 || ev->key.text[0] == 0x7f)
            ev->key.text[0] = '\0';
        if (x->compose && state == DRV_KEY_PRESSED &&
            xkb_compose_state_feed(x->compose, sym) == XKB_COMPOSE_FEED_ACCEPTED) {
            switch (xkb_compose_state_get_status(x->compose)) {
            case XKB_COMPOSE_COMPOSING:
                deliver = 0;
                break;
            case XKB_COMPOSE_COMPOSED:
                sym = xkb_compose_state_get_one_sym(x->compose);
                xkb_compose_state_get_utf8(x->compose, ev->key.text, sizeof ev->key.text);
                xkb_compose_state_reset(x->compose);
                break;
            case XKB_COMPOSE_CANCELLED:
                xkb_compose_state_reset(x->compose);
                deliver = 0;
                break;
            case XKB_COMPOSE_NOTHING:
                break;
            }
        }
    }
    ev->key.keysym = sym;
    if (state != DRV_KEY_REPEAT)
        xkb_state_update_key(x->state, kc,
                             state == DRV_KEY_PRESSED ? XKB_KEY_DOWN : XKB_KEY_UP);
    return deliver;
}

void drv_xkb_update_mask(drv_xkb *x, uint32_t depressed, uint32_t latched, uint32_t locked,
                         uint32_t group)
{
    xkb_state_update_mask(x->state, depressed, latched, locked, 0, 0, group);
}

int drv_xkb_key_repeats(drv_xkb *x, uint32_t keycode)
{
    return xkb_keymap_key_repeats(x->keymap, keycode + EVDEV_OFFSET) > 0;
}

int drv_xkb_find_keysym(drv_xkb *x, uint32_t keysym, uint32_t *keycode, uint32_t *mods)
{
    xkb_keycode_t min = xkb_keymap_min_keycode(x->keymap);
    xkb_keycode_t max = xkb_keymap_max_keycode(x->keymap);
    /* Level 1 everywhere first, so 'a' is found unshifted even if some key has it at 2. */
    for (xkb_level_index_t level = 0; level < 2; level++) {
        for (xkb_keycode_t kc = min; kc <= max; kc++) {
            if (kc < EVDEV_OFFSET)
                continue;
            if (xkb_keymap_num_levels_for_key(x->keymap, kc, 0) <= level)
                continue;
            const xkb_keysym_t *syms;
            int n = xkb_keymap_key_get_syms_by_level(x->keymap, kc, 0, level, &syms);
            if (n == 1 && syms[0] == keysym) {
                *keycode = kc - EVDEV_OFFSET;
                *mods = level == 1 ? DRV_MOD_SHIFT : 0;
                return 0;
            }
        }
    }
    return -ENOENT;
}

void drv_xkb_reset(drv_xkb *x)
{
    struct xkb_state *s = xkb_state_new(x->keymap);
    if (!s)
        return;
    xkb_state_unref(x->state);
    x->state = s;
    if (x->compose)
        xkb_compose_state_reset(x->compose);
}
