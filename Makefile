# containai-secure-engine
#
#   make                  build everything into $(BUILDDIR)
#   make check            build and run every test suite (as root for the namespace tests)
#   make check SANITIZE=1 the same under AddressSanitizer and UndefinedBehaviorSanitizer
#   make check-all        both of the above, with one grand total (what CI runs)
#   make install          install under $(DESTDIR)$(PREFIX)
#   make deps             install build and test dependencies with apt-get (root)
#   make deb              build the .deb into build/packages/ and check it with lintian
#   make rpm              build the .rpm into build/packages/ with rpmbuild
#   make repo             signed apt and rpm repositories of both in build/repo/
#
# Distro builds pass WERROR=0 so that a newer compiler's new warning never
# breaks a rebuild; development and CI keep -Werror.

VERSION := 0.1.0

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
SBINDIR ?= $(PREFIX)/sbin
LIBDIR ?= $(PREFIX)/lib
MANDIR ?= $(PREFIX)/share/man
DOCDIR ?= $(PREFIX)/share/doc/containai-secure-engine
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
SYSCONFDIR ?= /etc

SANITIZE ?= 0
WERROR ?= 1
ifeq ($(SANITIZE),1)
BUILDDIR ?= build/sanitize
else
BUILDDIR ?= build/plain
endif

CC ?= cc
PKG_CONFIG ?= pkg-config
SECCOMP_CFLAGS := $(shell $(PKG_CONFIG) --cflags libseccomp 2>/dev/null)
SECCOMP_LIBS := $(shell $(PKG_CONFIG) --libs libseccomp 2>/dev/null || echo -lseccomp)
# Debian's jq 1.6 ships no libjq.pc.
JQ_CFLAGS := $(shell $(PKG_CONFIG) --cflags libjq 2>/dev/null)
JQ_LIBS := $(shell $(PKG_CONFIG) --libs libjq 2>/dev/null || echo -ljq)

WARNINGS := -Wall -Wextra -Wshadow -Wmissing-prototypes -Wstrict-prototypes -Wformat=2 \
	-Wformat-nonliteral -Wvla -Wpointer-arith -Wundef
ifeq ($(WERROR),1)
WARNINGS += -Werror
endif

HARDEN_CFLAGS := -fstack-protector-strong -fPIE
HARDEN_LDFLAGS := -pie -Wl,-z,relro -Wl,-z,now
ifeq ($(SANITIZE),1)
OPT_CFLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
OPT_LDFLAGS := -fsanitize=address,undefined
else
OPT_CFLAGS := -O2 -g -D_FORTIFY_SOURCE=2
OPT_LDFLAGS :=
endif

# src/lib: the ground (error, util, procfs, run_cmd, jv_util, versions) and
# one folder per concern (see src/lib/README.md); headers are included by
# name.
LIB_WINGS := probe seccomp config engine doctor audit supervise egress
LIB_INCLUDES := -Isrc/lib $(addprefix -Isrc/lib/,$(LIB_WINGS))

ALL_CFLAGS := -std=c11 -D_GNU_SOURCE -DCAI_VERSION='"$(VERSION)"' $(LIB_INCLUDES) \
	$(WARNINGS) $(HARDEN_CFLAGS) $(OPT_CFLAGS) $(SECCOMP_CFLAGS) $(JQ_CFLAGS) \
	-MMD -MP $(CPPFLAGS) $(CFLAGS)
ALL_LDFLAGS := $(HARDEN_LDFLAGS) $(OPT_LDFLAGS) $(LDFLAGS)
LIBS := $(SECCOMP_LIBS) $(JQ_LIBS) -lm

LIB_SRCS := \
	src/lib/util.c \
	src/lib/error.c \
	src/lib/errno_names.c \
	src/lib/cli_opts.c \
	src/lib/procfs.c \
	src/lib/probe/platform.c \
	src/lib/seccomp/notify_filter.c \
	src/lib/probe/notify_probe.c \
	src/lib/probe/advice.c \
	src/lib/probe/probe_json.c \
	src/lib/jv_util.c \
	src/lib/atomic_file.c \
	src/lib/config/json_dupkeys.c \
	src/lib/config/daemon_json_doc.c \
	src/lib/config/daemon_json_undo.c \
	src/lib/config/daemon_json.c \
	src/lib/config/daemon_json_edit.c \
	src/lib/config/engine_config.c \
	src/lib/run_cmd.c \
	src/lib/engine/docker_user.c \
	src/lib/engine/docker_context.c \
	src/lib/engine/engine.c \
	src/lib/engine/collector.c \
	src/lib/engine/sysbox.c \
	src/lib/config/state.c \
	src/lib/config/force.c \
	src/lib/engine/verify.c \
	src/lib/engine/warning_box.c \
	src/lib/seccomp/backstop.c \
	src/lib/supervise/tracee_mem.c \
	src/lib/supervise/exec_policy.c \
	src/lib/supervise/exec_verdict.c \
	src/lib/audit/audit_client.c \
	src/lib/audit/fd_pass.c \
	src/lib/seccomp/exec_filter.c \
	src/lib/audit/preload.c \
	src/lib/supervise/supervise.c \
	src/lib/audit/audit_event.c \
	src/lib/audit/audit_record.c \
	src/lib/audit/audit_writer.c \
	src/lib/audit/container.c \
	src/lib/supervise/agent_container.c \
	src/lib/supervise/handoff.c \
	src/lib/engine/verify_container.c \
	src/lib/version_parse.c \
	src/lib/probe/wsl_info.c \
	src/lib/engine/engine_probe.c \
	src/lib/engine/probe_summary.c \
	src/lib/doctor/doctor.c \
	src/lib/doctor/doctor_seccomp.c \
	src/lib/doctor/doctor_runtime.c \
	src/lib/doctor/doctor_docker.c \
	src/lib/doctor/doctor_wsl.c \
	src/lib/doctor/doctor_services.c \
	src/lib/engine/engine_api.c \
	src/lib/egress/egress_pattern.c \
	src/lib/egress/egress_policy.c \
	src/lib/egress/egress_client.c \
	src/lib/egress/egress_squid.c \
	src/lib/egress/egress_rules.c \
	src/lib/egress/egress_event.c \
	src/lib/egress/egress_proxy.c

PROBE_SRCS := \
	src/probe/main.c \
	src/probe/report_text.c

MERGE_SRCS := \
	src/merge/main.c \
	src/merge/show.c

CAI_SRCS := \
	src/cli/cai.c \
	src/cli/report.c \
	src/cli/cmd-setup.c \
	src/cli/cmd-status.c \
	src/cli/cmd-doctor.c \
	src/cli/json_opt.c \
	src/cli/cmd-teardown.c \
	src/cli/cmd-engine.c \
	src/cli/cmd-run.c \
	src/cli/run-image.c \
	src/cli/cmd-audit.c \
	src/cli/cmd-egress.c \
	src/cli/run-egress.c \
	src/audit-cli/commands.c \
	src/audit-cli/tail.c

AUDITD_SRCS := \
	src/collectd/main.c \
	src/collectd/logsink.c \
	src/collectd/server.c \
	src/collectd/records.c \
	src/collectd/rings.c \
	src/collectd/quota.c \
	src/collectd/discard.c \
	src/collectd/ring.c \
	src/collectd/peer.c

# Squid's external ACL helper for the egress proxy (runs as Squid's user).
EGRESS_ACL_SRCS := src/egress-acl/main.c

AUDIT_CLI_SRCS := \
	src/audit-cli/main.c \
	src/audit-cli/commands.c \
	src/audit-cli/tail.c

# The shim is a shared library loaded into every audited program: built
# position-independent, with hidden visibility so that only the wrappers
# are exported, without _FORTIFY_SOURCE (it defines open() itself), and
# never with AddressSanitizer (its runtime must come first in the process,
# which an LD_PRELOAD library cannot guarantee; the encoder is unit-tested
# under ASan instead). SANITIZE=1 builds it with UBSan.
# The order is the order of the shim's zeroed data: the small state that
# load time and a fork child's exec event write (core.c, transport.c,
# ring.c, ident.c), then the static pool of event buffers (slots.c), share
# as few pages as can be, and the cwd cache (2 KiB) comes after them
# (raw.h says why a page counts).
SHIM_SRCS := \
	src/shim/core.c \
	src/lib/audit/audit_writer.c \
	src/lib/errno_names.c \
	src/shim/transport.c \
	src/shim/ring.c \
	src/shim/ident.c \
	src/shim/slots.c \
	src/shim/cwd_cache.c \
	src/shim/fdguard.c \
	src/shim/env.c \
	src/shim/hooks_open.c \
	src/shim/hooks_exec.c \
	src/shim/hooks_net.c \
	src/shim/hooks_ident.c \
	src/shim/hooks_fork.c \
	src/shim/next_symbol.c \
	src/shim/sanitizer.c

# The first process of an agent's container: static (it runs in any image),
# never sanitized, built from these alone.
AGENT_INIT_SRCS := \
	src/agent-init/main.c \
	src/agent-init/pid1.c \
	src/agent-init/loader.c \
	src/lib/cli_opts.c \
	src/lib/error.c \
	src/lib/errno_names.c \
	src/lib/audit/preload.c \
	src/lib/seccomp/exec_filter.c \
	src/lib/seccomp/notify_filter.c \
	src/lib/audit/fd_pass.c

UNIT_TESTS := \
	test_error \
	test_procfs \
	test_tracee_mem \
	test_platform \
	test_notify_probe \
	test_probe_json \
	test_daemon_json \
	test_daemon_json_edit \
	test_audit_record \
	test_container \
	test_shim_event \
	test_next_symbol \
	test_doctor \
	test_egress

TEST_HELPERS := \
	seccomp-harness \
	audit-call \
	audit-header \
	audit-stress \
	exec-loop \
	ring-peer \
	dl-call \
	audit-record \
	notify-rtt

PROGRAMS := $(BUILDDIR)/cai-seccomp-probe $(BUILDDIR)/cai-daemon-json $(BUILDDIR)/cai \
	$(BUILDDIR)/cai-auditd $(BUILDDIR)/cai-audit $(BUILDDIR)/cai-egress-acl
SHIM := $(BUILDDIR)/libcai-auditshim.so
AGENT_INIT := $(BUILDDIR)/cai-agent-init
PROFILE := $(BUILDDIR)/seccomp-containai-agent.json
STATIC_HELPERS := $(BUILDDIR)/test/try-syscall-static $(BUILDDIR)/test/audit-send-static
SHIM_PATH := $(LIBDIR)/containai/libcai-auditshim.so
SHIM_MUSL_PATH := $(LIBDIR)/containai/libcai-auditshim-musl.so
AGENT_INIT_PATH := $(LIBDIR)/containai/cai-agent-init
EGRESS_ACL_PATH := $(LIBDIR)/containai/cai-egress-acl
MANPAGES := docs/man/cai-seccomp-probe.1 docs/man/cai-daemon-json.1 docs/man/cai.1 \
	docs/man/cai-auditd.8 docs/man/cai-audit.1 docs/man/libcai-auditshim.7
# Units name the installed binaries, so they are made at install time for
# the BINDIR/SBINDIR of that install.
UNIT_TEMPLATES := data/systemd/containai-docker.service.in data/systemd/cai-auditd.service.in \
	data/systemd/containai-egress.service.in
UNIT_FILES := data/systemd/cai-auditd.socket

# libFuzzer harnesses: built with clang into build/fuzz whatever SANITIZE
# says, and by `make check` only when clang is there (the fuzz test then
# skips with the reason).
FUZZ_CC ?= $(shell command -v clang-14 2>/dev/null || command -v clang 2>/dev/null)
FUZZ_SECONDS ?= 60
FUZZ_DIR := build/fuzz
FUZZ_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -g -O1 -fno-omit-frame-pointer
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -DCAI_VERSION='"$(VERSION)"' $(LIB_INCLUDES) $(WARNINGS) \
	$(SECCOMP_CFLAGS) $(JQ_CFLAGS) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link -MMD -MP
FUZZERS := fuzz_daemon_json fuzz_ring_reader fuzz_record
FUZZ_BINS := $(addprefix $(FUZZ_DIR)/,$(FUZZERS))
ifneq ($(FUZZ_CC),)
CHECK_FUZZ_BINS := $(FUZZ_BINS)
endif

LIBCAI := $(BUILDDIR)/libcai.a
UNIT_BINS := $(addprefix $(BUILDDIR)/test/,$(UNIT_TESTS))
HELPER_BINS := $(addprefix $(BUILDDIR)/test/,$(TEST_HELPERS))

obj = $(patsubst %.c,$(BUILDDIR)/obj/%.o,$(1))
pic = $(patsubst %.c,$(BUILDDIR)/obj-pic/%.o,$(1))
static = $(patsubst %.c,$(BUILDDIR)/obj-static/%.o,$(1))
STATIC_CFLAGS := -std=c11 -D_GNU_SOURCE -DCAI_VERSION='"$(VERSION)"' $(LIB_INCLUDES) $(WARNINGS) -O2 -g -D_FORTIFY_SOURCE=2 \
	-fstack-protector-strong -fPIE $(SECCOMP_CFLAGS) -MMD -MP $(CPPFLAGS) $(CFLAGS)
SHIM_CFLAGS := -std=c11 -D_GNU_SOURCE -U_FORTIFY_SOURCE -Isrc/shim $(WARNINGS) -fPIC \
	-fvisibility=hidden -fstack-protector-strong -O2 -g -MMD -MP $(CPPFLAGS) $(CFLAGS)
SHIM_LDFLAGS := -shared -Wl,-z,relro -Wl,-z,now -Wl,--no-undefined $(LDFLAGS)
ifeq ($(SANITIZE),1)
# The sanitized build preloads a shim checked by ASan and UBSan into every
# audited test program; src/shim/sanitizer.c lets ASan's runtime start
# after libc in programs that were not built with it.
SHIM_CFLAGS += -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
SHIM_LDFLAGS += -fsanitize=address,undefined
endif

# The glibc floor: the shim asks for no symbol version newer than
# GLIBC_2.17 and needs no libdl.so.2, which glibc before 2.34 would have to
# load into every audited program (src/shim/next_symbol.c).

# The musl twin, for images whose C library is musl (Alpine): the same
# sources built with Debian's musl-gcc (musl-tools). Never sanitized, as
# there is no sanitizer runtime for musl. Without musl-gcc it is not built
# and its tests skip with the reason.
MUSL_CC ?= $(shell command -v musl-gcc 2>/dev/null)
SHIM_MUSL := $(BUILDDIR)/libcai-auditshim-musl.so
musl_pic = $(patsubst %.c,$(BUILDDIR)/obj-musl/%.o,$(1))
SHIM_MUSL_CFLAGS := -std=c11 -D_GNU_SOURCE -U_FORTIFY_SOURCE -Isrc/shim $(WARNINGS) -fPIC \
	-fvisibility=hidden -fstack-protector-strong -O2 -g -MMD -MP $(CPPFLAGS) $(CFLAGS)
SHIM_MUSL_LDFLAGS := -shared -Wl,-z,relro -Wl,-z,now -Wl,--no-undefined $(LDFLAGS)
# A musl program for the musl shim's tests.
MUSL_HELPERS := $(BUILDDIR)/test/audit-call-musl
ifneq ($(MUSL_CC),)
MUSL_TARGETS := $(SHIM_MUSL)
CHECK_MUSL_HELPERS := $(MUSL_HELPERS)
endif

ALL_OBJS := $(call musl_pic,$(SHIM_SRCS)) $(call pic,$(SHIM_SRCS)) $(call static,$(AGENT_INIT_SRCS)) $(call obj,$(LIB_SRCS) $(PROBE_SRCS) $(MERGE_SRCS) $(CAI_SRCS) \
	$(AUDITD_SRCS) $(AUDIT_CLI_SRCS) $(EGRESS_ACL_SRCS) src/shim/next_symbol.c src/tools/gen-agent-profile.c $(addprefix test/unit/,$(addsuffix .c,$(UNIT_TESTS))) \
	$(addprefix test/helpers/,$(addsuffix .c,$(TEST_HELPERS))))

.PHONY: all check check-build check-build-plain check-build-sanitize check-all install uninstall clean deps bench fuzz deb rpm repo lintian packages-for-tests format format-check
# Keep object files of test programs between runs.
.SECONDARY:
all: $(PROGRAMS) $(SHIM) $(MUSL_TARGETS) $(PROFILE) $(AGENT_INIT)
ifeq ($(MUSL_CC),)
	@echo "make: not building $(SHIM_MUSL): musl-gcc is missing (apt-get install musl-tools)"
endif

$(BUILDDIR)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILDDIR)/obj-pic/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(SHIM_CFLAGS) -c -o $@ $<

$(BUILDDIR)/obj-static/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(STATIC_CFLAGS) -c -o $@ $<

$(AGENT_INIT): $(call static,$(AGENT_INIT_SRCS))
	$(CC) -static-pie -Wl,-z,relro -Wl,-z,now $(LDFLAGS) -o $@ $^ $(SECCOMP_LIBS)

$(SHIM): $(call pic,$(SHIM_SRCS))
	$(CC) $(SHIM_LDFLAGS) -o $@ $^

$(BUILDDIR)/obj-musl/%.o: %.c
	@mkdir -p $(@D)
	$(MUSL_CC) $(SHIM_MUSL_CFLAGS) -c -o $@ $<

$(SHIM_MUSL): $(call musl_pic,$(SHIM_SRCS))
	$(MUSL_CC) $(SHIM_MUSL_LDFLAGS) -o $@ $^

$(BUILDDIR)/test/audit-call-musl: test/helpers/audit-call.c src/lib/errno_names.c
	@mkdir -p $(@D)
	$(MUSL_CC) -std=c11 -D_GNU_SOURCE $(LIB_INCLUDES) $(WARNINGS) -O2 -g -o $@ $^

$(LIBCAI): $(call obj,$(LIB_SRCS))
	@mkdir -p $(@D)
	$(AR) rcs $@ $^

$(BUILDDIR)/cai-seccomp-probe: $(call obj,$(PROBE_SRCS)) $(LIBCAI)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(BUILDDIR)/cai: $(call obj,$(CAI_SRCS)) $(LIBCAI)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(BUILDDIR)/cai-auditd: $(call obj,$(AUDITD_SRCS)) $(LIBCAI)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(BUILDDIR)/cai-audit: $(call obj,$(AUDIT_CLI_SRCS)) $(LIBCAI)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(BUILDDIR)/cai-egress-acl: $(call obj,$(EGRESS_ACL_SRCS)) $(LIBCAI)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

# The record writer the shim and the supervisor share, unit-tested as
# ordinary (sanitizable) code.
$(BUILDDIR)/test/test_shim_event: $(BUILDDIR)/obj/test/unit/test_shim_event.o $(LIBCAI)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

# The glibc shim's dlsym(RTLD_NEXT) stand-in, checked against dlsym from a
# program, with a library that has only the old ELF hash table beside it.
$(BUILDDIR)/test/test_next_symbol: $(BUILDDIR)/obj/test/unit/test_next_symbol.o $(BUILDDIR)/obj/src/shim/next_symbol.o \
		$(LIBCAI) $(BUILDDIR)/test/sysv-hash.so
	$(CC) $(ALL_LDFLAGS) -o $@ $(filter %.o %.a,$^) $(LIBS)

$(BUILDDIR)/test/sysv-hash.so: test/helpers/sysv-hash-lib.c
	@mkdir -p $(@D)
	$(CC) -std=c11 $(WARNINGS) -fPIC -shared -Wl,--hash-style=sysv -o $@ $<

# The Docker profile is generated from the backstop list: one source of truth.
$(BUILDDIR)/gen-agent-profile: $(call obj,src/tools/gen-agent-profile.c) $(LIBCAI)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(PROFILE): $(BUILDDIR)/gen-agent-profile
	$< >$@.tmp && mv $@.tmp $@

# Static on purpose (no shim can see it) and never sanitized.
$(BUILDDIR)/test/try-syscall-static: test/helpers/try-syscall.c
	@mkdir -p $(@D)
	$(CC) -std=c11 -O2 -static -o $@ $<

# Static so that it runs in a container image without glibc (busybox).
$(BUILDDIR)/test/audit-send-static: test/helpers/audit-send.c
	@mkdir -p $(@D)
	$(CC) -std=c11 -D_GNU_SOURCE -O2 -static -o $@ $<

$(BUILDDIR)/cai-daemon-json: $(call obj,$(MERGE_SRCS)) $(LIBCAI)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(BUILDDIR)/test/%: $(BUILDDIR)/obj/test/unit/%.o $(LIBCAI)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(BUILDDIR)/test/%: $(BUILDDIR)/obj/test/helpers/%.o $(LIBCAI)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(FUZZ_DIR)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<

$(FUZZ_DIR)/fuzz_%: $(FUZZ_DIR)/obj/test/fuzz/fuzz_%.o $(patsubst %.c,$(FUZZ_DIR)/obj/%.o,$(LIB_SRCS))
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer -o $@ $^ $(LIBS)

# The collector's reader of rings, whose memory the audited process writes.
$(FUZZ_DIR)/fuzz_ring_reader: $(FUZZ_DIR)/obj/src/collectd/ring.o

# Fuzz for FUZZ_SECONDS on a scratch copy of the corpus in the repository.
fuzz: $(FUZZ_BINS)
	@test -n "$(FUZZ_CC)" || { echo "make fuzz: needs clang-14 and libfuzzer-14-dev" >&2; exit 1; }
	rm -rf $(FUZZ_DIR)/corpus && mkdir -p $(FUZZ_DIR)/corpus
	cp -r test/fuzz/corpus/daemon_json $(FUZZ_DIR)/corpus/
	$(FUZZ_DIR)/fuzz_daemon_json -max_total_time=$(FUZZ_SECONDS) -artifact_prefix=$(FUZZ_DIR)/ \
		-dict=test/fuzz/daemon_json.dict \
		$(FUZZ_DIR)/corpus/daemon_json
	cp -r test/fuzz/corpus/ring_reader $(FUZZ_DIR)/corpus/
	$(FUZZ_DIR)/fuzz_ring_reader -max_total_time=$(FUZZ_SECONDS) -artifact_prefix=$(FUZZ_DIR)/ \
		$(FUZZ_DIR)/corpus/ring_reader
	cp -r test/fuzz/corpus/record $(FUZZ_DIR)/corpus/
	$(FUZZ_DIR)/fuzz_record -max_total_time=$(FUZZ_SECONDS) -artifact_prefix=$(FUZZ_DIR)/ \
		$(FUZZ_DIR)/corpus/record

# Runs every suite, prints "N passed, N failed" and fails on any failure.
# The package suites test the packages of the plain build (they skip in
# the sanitized one, which ships none). CAI_SUITES: all, main or packages;
# CAI_SKIP_SUITES: bats files left out (see scripts/run-tests.sh).
CAI_SUITES ?= all
CAI_SKIP_SUITES ?=
CHECK_PACKAGES := $(if $(filter 1,$(SANITIZE)),,packages-for-tests)
# What the suites of one build need: `make check-build` makes it alone.
check-build: $(PROGRAMS) $(SHIM) $(MUSL_TARGETS) $(CHECK_MUSL_HELPERS) $(PROFILE) $(AGENT_INIT) $(UNIT_BINS) $(HELPER_BINS) \
		$(STATIC_HELPERS) $(CHECK_FUZZ_BINS) $(CHECK_PACKAGES)
check: check-build
	BUILDDIR=$(BUILDDIR) SANITIZE=$(SANITIZE) CAI_SUITES=$(CAI_SUITES) CAI_SKIP_SUITES="$(CAI_SKIP_SUITES)" \
		sh scripts/run-tests.sh

# The plain and the sanitized suites, then one grand total. The suites
# whose time goes to starting dockerd and Squid in a sandbox for each test
# run once, in the sanitized build, where ASan and UBSan watch the same
# code; the plain binaries go through the same paths in the package
# suites (setup, teardown, egress, doctor, status under a real systemd).
SANITIZED_ONLY_SUITES := cai-setup cai-teardown cai-doctor cai-status egress
# What build.bats checks is the shipped build's (hardening, install) and the
# sources' (layout, layering): once, in the plain build.
PLAIN_ONLY_SUITES := build
# Both builds are made first, side by side on CHECK_JOBS cores (the
# packages, the fuzzers and the sanitized tree overlap the plain one); the
# suites then run one at a time. A build that fails here fails again, alone
# and readable, in its `make check`.
CHECK_JOBS ?= $(shell nproc 2>/dev/null || echo 2)
check-all:
	@rc=0; \
	$(MAKE) --no-print-directory -k -j$(CHECK_JOBS) -O check-build-plain check-build-sanitize || \
		echo "make check-all: a build failed; each pass below builds what is missing again"; \
	$(MAKE) --no-print-directory check SANITIZE=0 CAI_SKIP_SUITES="$(SANITIZED_ONLY_SUITES)" || rc=1; \
	$(MAKE) --no-print-directory check SANITIZE=1 CAI_SUITES=main CAI_SKIP_SUITES="$(PLAIN_ONLY_SUITES)" || rc=1; \
	sh scripts/tap-summary.sh --total build/plain/test-results build/sanitize/test-results || rc=1; \
	exit $$rc
# The fuzzers live in build/fuzz, shared by both builds: the plain one makes them.
check-build-plain:
	$(MAKE) --no-print-directory check-build SANITIZE=0
check-build-sanitize:
	$(MAKE) --no-print-directory check-build SANITIZE=1 CHECK_FUZZ_BINS=

install: $(PROGRAMS) $(SHIM) $(MUSL_TARGETS) $(PROFILE) $(AGENT_INIT)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR) $(DESTDIR)$(LIBDIR)/containai $(DESTDIR)$(SYSTEMDUNITDIR)
	install -m 0755 $(BUILDDIR)/cai $(BUILDDIR)/cai-seccomp-probe $(BUILDDIR)/cai-daemon-json \
		$(BUILDDIR)/cai-audit $(DESTDIR)$(BINDIR)/
	install -m 0755 $(BUILDDIR)/cai-auditd $(DESTDIR)$(SBINDIR)/
	install -m 0644 $(SHIM) $(MUSL_TARGETS) $(DESTDIR)$(LIBDIR)/containai/
	install -m 0755 $(AGENT_INIT) $(BUILDDIR)/cai-egress-acl $(DESTDIR)$(LIBDIR)/containai/
	install -d $(DESTDIR)$(PREFIX)/share/containai/egress/presets
	install -m 0644 data/egress/presets/* $(DESTDIR)$(PREFIX)/share/containai/egress/presets/
	install -m 0644 data/egress/policy.conf $(DESTDIR)$(PREFIX)/share/containai/egress/policy.conf.example
	for t in $(UNIT_TEMPLATES); do \
		u=$(DESTDIR)$(SYSTEMDUNITDIR)/$$(basename $$t .in); \
		sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@SBINDIR@|$(SBINDIR)|g' $$t >$$u && chmod 0644 $$u || exit 1; \
	done
	install -m 0644 $(UNIT_FILES) $(DESTDIR)$(SYSTEMDUNITDIR)/
	install -d $(DESTDIR)$(PREFIX)/share/containai $(DESTDIR)$(SYSCONFDIR)/logrotate.d
	install -m 0644 $(PROFILE) $(DESTDIR)$(PREFIX)/share/containai/
	install -m 0644 data/logrotate/containai-audit $(DESTDIR)$(SYSCONFDIR)/logrotate.d/
	install -d $(DESTDIR)$(DOCDIR)
	install -m 0644 docs/audit-events.md $(DESTDIR)$(DOCDIR)/
	for m in $(MANPAGES); do \
		s=$${m##*.}; install -d $(DESTDIR)$(MANDIR)/man$$s; \
		install -m 0644 $$m $(DESTDIR)$(MANDIR)/man$$s/; \
	done

uninstall:
	rm -f $(addprefix $(DESTDIR)$(BINDIR)/,cai cai-seccomp-probe cai-daemon-json cai-audit)
	rm -f $(DESTDIR)$(SBINDIR)/cai-auditd $(DESTDIR)$(LIBDIR)/containai/libcai-auditshim.so \
		$(DESTDIR)$(LIBDIR)/containai/libcai-auditshim-musl.so
	rm -f $(DESTDIR)$(LIBDIR)/containai/cai-agent-init $(DESTDIR)$(LIBDIR)/containai/cai-egress-acl
	rm -f $(addprefix $(DESTDIR)$(PREFIX)/share/containai/egress/presets/,$(notdir $(wildcard data/egress/presets/*)))
	rm -f $(DESTDIR)$(PREFIX)/share/containai/egress/policy.conf.example
	rm -f $(addprefix $(DESTDIR)$(SYSTEMDUNITDIR)/,$(notdir $(UNIT_TEMPLATES:.in=) $(UNIT_FILES)))
	rm -f $(DESTDIR)$(PREFIX)/share/containai/$(notdir $(PROFILE))
	rm -f $(DESTDIR)$(SYSCONFDIR)/logrotate.d/containai-audit
	rm -f $(DESTDIR)$(DOCDIR)/audit-events.md
	-rmdir $(DESTDIR)$(DOCDIR) 2>/dev/null
	for m in $(notdir $(MANPAGES)); do rm -f $(DESTDIR)$(MANDIR)/man$${m##*.}/$$m; done

# Benchmarks: figures only, no pass/fail (see bench/README.md).
bench: all $(HELPER_BINS)
	BUILDDIR=$(BUILDDIR) sh bench/run.sh

deps:
	sh scripts/install-deps.sh

# Packages. Both are built from a copy of the tree (without build/ and .git)
# so that the package build's `make clean` and debhelper's files never touch
# the working tree; the results land in $(PKGDIR). One build serves every
# package test: the files are rebuilt only when a source changed.
PKGDIR := build/packages
PKGSRC := build/pkgsrc
DEB_ARCH := $(shell dpkg --print-architecture 2>/dev/null)
DEB_VERSION := $(shell dpkg-parsechangelog -SVersion 2>/dev/null)
DEB_FILE := $(PKGDIR)/containai-secure-engine_$(DEB_VERSION)_$(DEB_ARCH).deb
RPM_ARCH := $(shell uname -m)
RPM_FILE := $(PKGDIR)/containai-secure-engine-$(VERSION)-1.$(RPM_ARCH).rpm
PKG_INPUTS := $(shell find Makefile src data docs debian rpm -type f 2>/dev/null)

deb: $(DEB_FILE)
rpm: $(RPM_FILE)

$(DEB_FILE): $(PKG_INPUTS)
	rm -rf $(PKGSRC)/deb
	mkdir -p $(PKGSRC)/deb/containai-secure-engine $(PKGDIR)
	tar -cf - --exclude=./build --exclude=./.git . | tar -C $(PKGSRC)/deb/containai-secure-engine -xf -
	cd $(PKGSRC)/deb/containai-secure-engine && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL dpkg-buildpackage -us -uc -b
	lintian --fail-on error,warning $(PKGSRC)/deb/containai-secure-engine_$(DEB_VERSION)_$(DEB_ARCH).deb
	cp $(PKGSRC)/deb/containai-secure-engine_$(DEB_VERSION)_$(DEB_ARCH).deb $@

# Signed repositories for fleets (README.md, "Installing from a repository"):
# build/repo/apt (apt-ftparchive), build/repo/rpm (createrepo_c) and the
# public key. REPO_SIGNING_KEY=ID signs with your key; without it a key for
# tests is made once in build/repo-test-key.
REPODIR := build/repo
repo: $(DEB_FILE) $(RPM_FILE)
	sh scripts/make-repo.sh $(REPODIR) $(DEB_FILE) $(RPM_FILE)

# The C sources as .clang-format says (clang-format 14, Debian 12's):
# `make format` rewrites them, `make format-check` lists what drifts and
# fails (test/bats/build.bats runs it, so `make check` does too).
CLANG_FORMAT ?= clang-format
# Tracked sources and new ones git does not ignore (a file not added yet
# is formatted all the same).
FORMAT_SRCS = $(shell git ls-files --cached --others --exclude-standard '*.c' '*.h' 2>/dev/null)
format:
	$(CLANG_FORMAT) -i $(FORMAT_SRCS)
# One clang-format for all files (its start costs more than a file does);
# the files it complains about are read from its messages.
format-check:
	@srcs="$(strip $(FORMAT_SRCS))"; [ -n "$$srcs" ] || exit 0; \
	out=$$($(CLANG_FORMAT) --dry-run --Werror $$srcs 2>&1) && exit 0; \
	drift=$$(printf '%s\n' "$$out" | sed -n 's/^\(.*\):[0-9]*:[0-9]*: error: .*/ \1/p' | sort -u | tr -d '\n'); \
	if [ -z "$$drift" ]; then printf '%s\n' "$$out" >&2; drift=" (see above)"; fi; \
	echo "format-check: not as .clang-format says (make format):$$drift" >&2; exit 1

# lintian alone, on the built .deb: no error and no warning may remain.
lintian: $(DEB_FILE)
	lintian --fail-on error,warning $(DEB_FILE)

# rpmbuild from Debian's `rpm` package: build requirements are Debian
# packages here, hence --nodeps; no debuginfo subpackage (no find-debuginfo).
# --noclean keeps the build tree, for $(RPM_NEXT_FILE).
RPMBUILD := env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL rpmbuild -bb --nodeps --noclean \
	--define '_topdir $(abspath $(PKGSRC)/rpm)' --define 'debug_package %{nil}' --define '_build_id_links none'
$(RPM_FILE): $(PKG_INPUTS)
	rm -rf $(PKGSRC)/rpm
	mkdir -p $(PKGSRC)/rpm/SOURCES $(PKGSRC)/rpm/tree/containai-secure-engine-$(VERSION) $(PKGDIR)
	tar -cf - --exclude=./build --exclude=./.git . | tar -C $(PKGSRC)/rpm/tree/containai-secure-engine-$(VERSION) -xf -
	tar -C $(PKGSRC)/rpm/tree -czf $(PKGSRC)/rpm/SOURCES/containai-secure-engine-$(VERSION).tar.gz containai-secure-engine-$(VERSION)
	$(RPMBUILD) rpm/containai-secure-engine.spec
	cp $(PKGSRC)/rpm/RPMS/$(RPM_ARCH)/containai-secure-engine-$(VERSION)-1.$(RPM_ARCH).rpm $@

# Release 2 of the same package, for the upgrade test of
# test/bats/package-rpm.bats: rpmbuild again, without %prep, in the build
# tree release 1 left, where make finds nothing to compile.
RPM_NEXT_FILE := $(PKGDIR)/next/containai-secure-engine-$(VERSION)-2.$(RPM_ARCH).rpm
$(RPM_NEXT_FILE): $(RPM_FILE)
	@test -d $(PKGSRC)/rpm/BUILD/containai-secure-engine-$(VERSION) || \
		{ rm -f $(RPM_FILE) && $(MAKE) --no-print-directory $(RPM_FILE); }
	mkdir -p $(@D)
	$(RPMBUILD) --noprep --define 'cai_release 2' rpm/containai-secure-engine.spec
	cp $(PKGSRC)/rpm/RPMS/$(RPM_ARCH)/containai-secure-engine-$(VERSION)-2.$(RPM_ARCH).rpm $@

# `make check` runs the package tests against these builds; where the
# packaging tools are missing the tests skip and say so.
packages-for-tests:
	@if command -v dpkg-buildpackage >/dev/null && command -v dh >/dev/null && command -v lintian >/dev/null; then \
		$(MAKE) --no-print-directory deb; else echo "make: not building the .deb (debhelper, lintian missing)"; fi
	@if command -v rpmbuild >/dev/null; then \
		$(MAKE) --no-print-directory rpm $(RPM_NEXT_FILE); else echo "make: not building the .rpm (rpmbuild missing)"; fi
	@if [ -f $(DEB_FILE) ] && [ -f $(RPM_FILE) ] && command -v apt-ftparchive >/dev/null && \
		command -v createrepo_c >/dev/null && command -v gpg >/dev/null; then \
		$(MAKE) --no-print-directory repo; else echo "make: not building build/repo (apt-utils, gpg, createrepo-c missing)"; fi

clean:
	rm -rf build

-include $(ALL_OBJS:.o=.d)

# Where the installed collector lives, for `cai engine start` without systemd.
$(call obj,src/lib/engine/collector.c): ALL_CFLAGS += -DCAI_AUDITD_PATH='"$(SBINDIR)/cai-auditd"'

# Where the installed shim lives, for the launchers that inject it.
$(call obj,src/cli/cmd-egress.c): ALL_CFLAGS += -DCAI_EGRESS_ACL_PATH='"$(EGRESS_ACL_PATH)"'
# The package's presets; an admin's of the same name in /etc/containai/egress/presets win.
$(call obj,src/cli/run-egress.c): ALL_CFLAGS += -DCAI_EGRESS_SHIPPED_PRESETS='"$(PREFIX)/share/containai/egress/presets"'
$(call obj,src/audit-cli/commands.c src/cli/cmd-run.c src/cli/run-image.c src/cli/cmd-setup.c): ALL_CFLAGS += -DCAI_SHIM_PATH='"$(SHIM_PATH)"' \
	-DCAI_SHIM_MUSL_PATH='"$(SHIM_MUSL_PATH)"' -DCAI_AGENT_INIT_PATH='"$(AGENT_INIT_PATH)"'
