/* Only in the sanitized test build (make check SANITIZE=1), where the shim
 * itself is built with AddressSanitizer: the audited programs are not, so
 * ASan's runtime arrives as the shim's dependency, after libc, and must not
 * refuse to start for that. A program that execs with a cleaned
 * environment loses ASAN_OPTIONS but gets the shim back (env.c), so the
 * option lives here, not in the environment. The leak check is off in
 * every process the shim is loaded into, whatever ASAN_OPTIONS says: their
 * leaks are not ours (the shim allocates nothing), and LeakSanitizer
 * cannot even run under strace or under cai run's backstop, which refuses
 * ptrace. Programs run without the shim keep their leak check. Nothing of
 * this is in the shim that is shipped. */
#include "shim.h"

#if defined(__SANITIZE_ADDRESS__)
CAI_EXPORT const char *__asan_default_options(void);
CAI_EXPORT const char *__asan_default_options(void)
{
	return "verify_asan_link_order=0:detect_leaks=0";
}
CAI_EXPORT int __lsan_is_turned_off(void);
CAI_EXPORT int __lsan_is_turned_off(void)
{
	return 1;
}
#else
/* ISO C wants something in a translation unit. */
typedef int cai_shim_not_sanitized;
#endif
