/* runtime/instance.c: instances (RT_WT_INSTANCE): structures and standard objects.
 *
 * info = number of slots; rack (boxed): layout, slot 0, slot 1, ... The layout is
 * whatever Lisp object the library chooses (RUNTIME-SPLIT.md "Instances"); the
 * objects module uses the symbol KONS-SYSTEM::READTABLE as the layout of readtables.
 * New slots start unbound (RT_UNBOUND), which SYS:%INSTANCE-REF returns as is so the
 * library can signal unbound-slot.
 */
#include "obj_internal.h"

rt_value rt_make_instance(rt_value layout, size_t nslots)
{
    if (nslots > RT_RACK_MAX_BOXED - 1)
        rt_error("STORAGE-CONDITION", "instance of %zu slots is too large", nslots);
    RT_ROOTS(layout);
    rt_value obj = rt_alloc_object(RT_WT_INSTANCE, nslots, nslots + 1, nslots + 1);
    rt_value *b = rt_body(obj);
    b[0] = layout;
    for (size_t i = 1; i <= nslots; i++)
        b[i] = RT_UNBOUND;
    return obj;
}

static rt_value check_instance(rt_value v)
{
    if (!rt_instancep(v))
        rt_type_error(v, "kons-system::instance");
    return v;
}

static size_t slot_index(rt_value obj, rt_value i)
{
    return (size_t)rt_check_index(i, 0, (int64_t)rt_info(obj) - 1, "index");
}

/* (SYS:%MAKE-INSTANCE layout nslots) */
static rt_value p_make_instance(rt_value *a, size_t n)
{
    return rt_make_instance(a[0], (size_t)rt_check_index(a[1], 0, RT_RACK_MAX_BOXED - 1, "index"));
}
static rt_value p_instance_ref(rt_value *a, size_t n)
{
    rt_value obj = check_instance(a[0]);
    return rt_body(obj)[1 + slot_index(obj, a[1])];
}
/* (SYS:%INSTANCE-SET instance index value) -> value */
static rt_value p_instance_set(rt_value *a, size_t n)
{
    rt_value obj = check_instance(a[0]);
    rt_store(&rt_body(obj)[1 + slot_index(obj, a[1])], a[2]);
    return a[2];
}
static rt_value p_instance_layout(rt_value *a, size_t n) { return rt_body(check_instance(a[0]))[0]; }
static rt_value p_set_instance_layout(rt_value *a, size_t n)
{
    rt_store(&rt_body(check_instance(a[0]))[0], a[1]);
    return a[1];
}
static rt_value p_instance_length(rt_value *a, size_t n) { return rt_fixnum((int64_t)rt_info(check_instance(a[0]))); }
static rt_value p_instancep(rt_value *a, size_t n) { return rt_bool(rt_instancep(a[0])); }
/* (SYS:%COPY-INSTANCE instance): shallow copy (copy-structure). */
static rt_value p_copy_instance(rt_value *a, size_t n)
{
    rt_value old = check_instance(a[0]);
    RT_ROOTS(old);
    size_t ns = (size_t)rt_info(old);
    rt_value obj = rt_make_instance(rt_body(old)[0], ns);
    memcpy(rt_body(obj) + 1, rt_body(old) + 1, ns * sizeof(rt_value));
    return obj;
}
/* (SYS:%UNBOUND-MARKER-P x): is x the unbound-slot marker? */
static rt_value p_unbound_marker_p(rt_value *a, size_t n) { return rt_bool(a[0] == RT_UNBOUND); }

const rt_prim_def rt_instance_prims[] = {
    {"KONS-SYSTEM", "%MAKE-INSTANCE", p_make_instance, 2, 2},
    {"KONS-SYSTEM", "%INSTANCE-REF", p_instance_ref, 2, 2},
    {"KONS-SYSTEM", "%INSTANCE-SET", p_instance_set, 3, 3},
    {"KONS-SYSTEM", "%INSTANCE-LAYOUT", p_instance_layout, 1, 1},
    {"KONS-SYSTEM", "%SET-INSTANCE-LAYOUT", p_set_instance_layout, 2, 2},
    {"KONS-SYSTEM", "%INSTANCE-LENGTH", p_instance_length, 1, 1},
    {"KONS-SYSTEM", "%INSTANCEP", p_instancep, 1, 1},
    {"KONS-SYSTEM", "%COPY-INSTANCE", p_copy_instance, 1, 1},
    {"KONS-SYSTEM", "%UNBOUND-MARKER-P", p_unbound_marker_p, 1, 1},
};
const size_t rt_instance_prims_count = RT_COUNTOF(rt_instance_prims);
