#include <errno.h>

#include "errno_names.h"
#include "error.h"
#include "tap.h"

int main(void)
{
	struct cai_error err = {0};
	char buf[16];

	is_int(cai_error_set(&err, ENOENT, "open `%s`", "/nope"), -1, "cai_error_set returns -1");
	is_str(err.msg, "open `/nope`: No such file or directory", "message has object in backticks and strerror");
	is_int(err.errnum, ENOENT, "errnum kept");

	cai_error_prefix(&err, "step %d", 3);
	is_str(err.msg, "step 3: open `/nope`: No such file or directory", "prefix adds context in front");
	is_int(err.errnum, ENOENT, "prefix keeps errnum");

	cai_error_set(&err, 0, "no errno here");
	is_str(err.msg, "no errno here", "errnum 0 adds no strerror");

	is_str(cai_errno_name(EBUSY, buf), "EBUSY", "EBUSY by name");
	is_str(cai_errno_name(EINVAL, buf), "EINVAL", "EINVAL by name");
	is_str(cai_errno_name(9999, buf), "E9999", "unknown errno by number");
	is_str(cai_errno_name(EWOULDBLOCK, buf), "EAGAIN", "an alias by its canonical name");

	/* Our table against the C library's own names, number by number. */
	int differ = 0;
	for (int e = -1; e < 4096; e++) {
		const char *ours = cai_errno_symbol(e), *libc = e > 0 ? strerrorname_np(e) : NULL;
		if (ours != libc && (!ours || !libc || strcmp(ours, libc) != 0)) {
			printf("# errno %d: ours %s, C library %s\n", e, ours ? ours : "(none)",
			       libc ? libc : "(none)");
			differ++;
		}
	}
	is_int(differ, 0, "every errno name is the C library's (strerrorname_np)");

	char longname[4096];
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	cai_error_set(&err, EACCES, "open `%s`", longname);
	ok(strlen(err.msg) == sizeof(err.msg) - 1, "an overlong message is truncated, not overflowed");
	return done_testing();
}
