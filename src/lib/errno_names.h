/* errno values by name, without the C library's help (errno_names.c). */
#ifndef CAI_ERRNO_NAMES_H
#define CAI_ERRNO_NAMES_H

/* "ENOENT" for ENOENT; NULL for 0, a negative value or a number without a
 * name. Async-signal-safe. */
const char *cai_errno_symbol(int err);

#endif
