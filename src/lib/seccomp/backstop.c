#include "backstop.h"

#include "atomic_file.h"

#include <errno.h>
#include <seccomp.h>

/* Namespaces (unshare, setns, clone flags) are not here: sandboxing tools an
 * agent runs (bubblewrap, browsers) need user namespaces, and inside the
 * Secure Engine Docker's capability checks already decide them. */
const char *const cai_backstop_syscalls[] = {
    /* looking into or changing other processes */
    "ptrace",
    "process_vm_writev",
    "kcmp",
    /* the mount table */
    "mount",
    "umount2",
    "pivot_root",
    "move_mount",
    "open_tree",
    "fsopen",
    "fsmount",
    "fsconfig",
    "fspick",
    "mount_setattr",
    /* kernel code and kernel state */
    "kexec_load",
    "kexec_file_load",
    "init_module",
    "finit_module",
    "delete_module",
    "bpf",
    "perf_event_open",
    "lookup_dcookie",
    "iopl",
    "ioperm",
    "reboot",
    "swapon",
    "swapoff",
    "acct",
    "quotactl",
    "syslog",
    /* the host's clocks */
    "settimeofday",
    "clock_settime",
    "clock_adjtime",
    "adjtimex",
    /* kernel keyrings */
    "keyctl",
    "add_key",
    "request_key",
    /* file handles bypass path-based checks */
    "open_by_handle_at",
    "name_to_handle_at",
    /* obsolete or exploit-prone */
    "userfaultfd",
    "uselib",
    "nfsservctl",
    "vm86",
    "vm86old",
    "_sysctl",
    "ustat",
    "sysfs",
    NULL,
};

int cai_backstop_install(struct cai_error *err)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx)
		return cai_error_set(err, ENOMEM, "backstop: seccomp_init");
	int rc = 0;
	for (const char *const *name = cai_backstop_syscalls; *name && rc == 0; name++) {
		int nr = seccomp_syscall_resolve_name(*name);
		if (nr == __NR_SCMP_ERROR)
			continue; /* not on this architecture */
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0);
		if (rc < 0)
			cai_error_set(err, -rc, "backstop: deny `%s`", *name);
	}
	if (rc == 0) {
		rc = seccomp_load(ctx);
		if (rc < 0)
			cai_error_set(err, -rc, "backstop: load filter");
	}
	seccomp_release(ctx);
	return rc < 0 ? -1 : 0;
}

jv cai_backstop_docker_profile(void)
{
	jv names = jv_array();
	for (const char *const *name = cai_backstop_syscalls; *name; name++)
		names = jv_array_append(names, jv_string(*name));
	jv rule = JV_OBJECT(jv_string("names"), names, jv_string("action"), jv_string("SCMP_ACT_ERRNO"),
			    jv_string("errnoRet"), jv_number(EPERM));
	return JV_OBJECT(jv_string("defaultAction"), jv_string("SCMP_ACT_ALLOW"), jv_string("syscalls"),
			 JV_ARRAY(rule));
}

int cai_backstop_write_profile(const char *path, struct cai_error *err)
{
	jv text = jv_dump_string(cai_backstop_docker_profile(), 0); /* consumes the profile */
	const char *s = jv_string_value(text);
	int rc = cai_write_new_file(path, s, strlen(s), 0644, err);
	jv_free(text);
	return rc;
}
