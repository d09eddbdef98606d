/* Compiles the generated C header with gcc (the iOS build uses clang; clang's nullability qualifiers are
 * defined away here). Referencing a few symbols checks their declarations are usable, not just parseable. */
#include <stdint.h>
#include "LinkageCoreFFI.h"

void *linkage_header_check[] = {
    (void *)&uniffi_linkage_core_fn_constructor_fieldapp_open,
    (void *)&uniffi_linkage_core_fn_method_fieldapp_perform_issue_action,
    (void *)&uniffi_linkage_core_fn_func_wgs84_to_gcj02,
    (void *)&ffi_linkage_core_rustbuffer_free,
};
