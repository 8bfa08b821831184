/* CHECK helpers for diagnostics: is there an error or warning whose formatted
 * text ("<where>: <path>: <message>") contains a given string?
 *
 * On failure every diagnostic of the list is printed, so the test log shows
 * what was reported instead. */
#ifndef EG_TESTS_CHECK_DIAG_H
#define EG_TESTS_CHECK_DIAG_H

#include <stdlib.h>

#include "check.h"
#include "core/diag.h"

static inline bool check_diag_has(const diag_list *l, diag_severity sev, const char *needle)
{
    for (size_t i = 0; i < l->n; i++) {
        if (l->items[i].severity != sev)
            continue;
        char *s = diag_format(&l->items[i]);
        bool hit = strstr(s, needle) != NULL;
        free(s);
        if (hit)
            return true;
    }
    return false;
}

static inline void check_diag_dump(const diag_list *l)
{
    fprintf(stderr, "  diagnostics (%zu):\n", l->n);
    for (size_t i = 0; i < l->n; i++) {
        char *s = diag_format(&l->items[i]);
        fprintf(stderr, "    %s: %s\n", l->items[i].severity == DIAG_ERROR ? "error" : "warning",
                s);
        free(s);
    }
}

#define CHECK_DIAG_SEV_(l, sev, needle, label)                                                     \
    do {                                                                                           \
        if (!check_record(check_diag_has((l), (sev), (needle)))) {                                 \
            fprintf(stderr, "%s:%d: no %s containing \"%s\"\n", __FILE__, __LINE__, label,         \
                    (needle));                                                                     \
            check_diag_dump(l);                                                                    \
        }                                                                                          \
    } while (0)

/* CHECK_ERROR(list, needle) / CHECK_WARNING(list, needle). */
#define CHECK_ERROR(l, needle) CHECK_DIAG_SEV_((l), DIAG_ERROR, (needle), "error")
#define CHECK_WARNING(l, needle) CHECK_DIAG_SEV_((l), DIAG_WARNING, (needle), "warning")
/* CHECK_NO_ERRORS(list): nothing of severity error was reported. */
#define CHECK_NO_ERRORS(l)                                                                         \
    do {                                                                                           \
        if (!check_record(diag_count((l), DIAG_ERROR) == 0)) {                                     \
            fprintf(stderr, "%s:%d: unexpected errors\n", __FILE__, __LINE__);                     \
            check_diag_dump(l);                                                                    \
        }                                                                                          \
    } while (0)

#endif
