#include <errno.h>

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

	char longname[4096];
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	cai_error_set(&err, EACCES, "open `%s`", longname);
	ok(strlen(err.msg) == sizeof(err.msg) - 1, "an overlong message is truncated, not overflowed");
	return done_testing();
}
