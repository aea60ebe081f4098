# containai-secure-engine
#
#   make                  build everything into $(BUILDDIR)
#   make check            build and run every test suite (as root for the namespace tests)
#   make check SANITIZE=1 the same under AddressSanitizer and UndefinedBehaviorSanitizer
#   make check-all        both of the above, with one grand total (what CI runs)
#   make install          install under $(DESTDIR)$(PREFIX)
#   make deps             install build and test dependencies with apt-get (root)
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

ALL_CFLAGS := -std=c11 -D_GNU_SOURCE -DCAI_VERSION='"$(VERSION)"' -Isrc/lib \
	$(WARNINGS) $(HARDEN_CFLAGS) $(OPT_CFLAGS) $(SECCOMP_CFLAGS) $(JQ_CFLAGS) \
	-MMD -MP $(CPPFLAGS) $(CFLAGS)
ALL_LDFLAGS := $(HARDEN_LDFLAGS) $(OPT_LDFLAGS) $(LDFLAGS)
LIBS := $(SECCOMP_LIBS) $(JQ_LIBS) -lm

LIB_SRCS := \
	src/lib/util.c \
	src/lib/error.c \
	src/lib/procfs.c \
	src/lib/platform.c \
	src/lib/notify_filter.c \
	src/lib/notify_probe.c \
	src/lib/advice.c \
	src/lib/probe_json.c \
	src/lib/audit_event.c

PROBE_SRCS := \
	src/probe/main.c \
	src/probe/report_text.c

AUDITD_SRCS := \
	src/collectd/main.c \
	src/collectd/logsink.c \
	src/collectd/server.c

AUDIT_CLI_SRCS := \
	src/audit-cli/main.c \
	src/audit-cli/tail.c

# The shim is a shared library loaded into every audited program: built
# position-independent, with hidden visibility so that only the wrappers
# are exported, without _FORTIFY_SOURCE (it defines open() itself), and
# never with AddressSanitizer (its runtime must come first in the process,
# which an LD_PRELOAD library cannot guarantee; the encoder is unit-tested
# under ASan instead). SANITIZE=1 builds it with UBSan.
SHIM_SRCS := \
	src/shim/core.c \
	src/shim/event.c \
	src/shim/transport.c \
	src/shim/fdguard.c \
	src/shim/env.c \
	src/shim/hooks_open.c \
	src/shim/hooks_exec.c \
	src/shim/hooks_net.c

UNIT_TESTS := \
	test_error \
	test_procfs \
	test_platform \
	test_notify_probe \
	test_probe_json \
	test_audit_event \
	test_shim_event

TEST_HELPERS := \
	seccomp-harness \
	audit-call \
	audit-stress

PROGRAMS := $(BUILDDIR)/cai-seccomp-probe $(BUILDDIR)/cai-auditd $(BUILDDIR)/cai-audit
SHIM := $(BUILDDIR)/libcai-auditshim.so
MANPAGES := docs/man/cai-seccomp-probe.1 docs/man/cai-auditd.8 docs/man/cai-audit.1 \
	docs/man/libcai-auditshim.7

LIBCAI := $(BUILDDIR)/libcai.a
UNIT_BINS := $(addprefix $(BUILDDIR)/test/,$(UNIT_TESTS))
HELPER_BINS := $(addprefix $(BUILDDIR)/test/,$(TEST_HELPERS))

obj = $(patsubst %.c,$(BUILDDIR)/obj/%.o,$(1))
pic = $(patsubst %.c,$(BUILDDIR)/obj-pic/%.o,$(1))
SHIM_CFLAGS := -std=c11 -D_GNU_SOURCE -U_FORTIFY_SOURCE -Isrc/shim $(WARNINGS) -fPIC \
	-fvisibility=hidden -fstack-protector-strong -O2 -g -MMD -MP $(CPPFLAGS) $(CFLAGS)
SHIM_LDFLAGS := -shared -Wl,-z,relro -Wl,-z,now -Wl,--no-undefined $(LDFLAGS)
ifeq ($(SANITIZE),1)
# UBSan needs no place in the library order, so the sanitized build
# preloads a shim checked by it into every audited test program.
SHIM_CFLAGS += -fsanitize=undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
SHIM_LDFLAGS += -fsanitize=undefined
endif

ALL_OBJS := $(call pic,$(SHIM_SRCS)) $(call obj,$(LIB_SRCS) $(PROBE_SRCS) $(AUDITD_SRCS) $(AUDIT_CLI_SRCS) \
	src/shim/event.c $(addprefix test/unit/,$(addsuffix .c,$(UNIT_TESTS))) \
	$(addprefix test/helpers/,$(addsuffix .c,$(TEST_HELPERS))))

.PHONY: all check check-all install uninstall clean deps bench
# Keep object files of test programs between runs.
.SECONDARY:
all: $(PROGRAMS) $(SHIM)

$(BUILDDIR)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILDDIR)/obj-pic/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(SHIM_CFLAGS) -c -o $@ $<

$(SHIM): $(call pic,$(SHIM_SRCS))
	$(CC) $(SHIM_LDFLAGS) -o $@ $^

$(LIBCAI): $(call obj,$(LIB_SRCS))
	@mkdir -p $(@D)
	$(AR) rcs $@ $^

$(BUILDDIR)/cai-seccomp-probe: $(call obj,$(PROBE_SRCS)) $(LIBCAI)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(BUILDDIR)/cai-auditd: $(call obj,$(AUDITD_SRCS)) $(LIBCAI)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(BUILDDIR)/cai-audit: $(call obj,$(AUDIT_CLI_SRCS)) $(LIBCAI)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

# The shim's encoder, unit-tested as ordinary (sanitizable) code.
$(BUILDDIR)/test/test_shim_event: $(BUILDDIR)/obj/test/unit/test_shim_event.o $(BUILDDIR)/obj/src/shim/event.o $(LIBCAI)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(BUILDDIR)/test/%: $(BUILDDIR)/obj/test/unit/%.o $(LIBCAI)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(BUILDDIR)/test/%: $(BUILDDIR)/obj/test/helpers/%.o $(LIBCAI)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

# Runs every suite, prints "N passed, N failed" and fails on any failure.
check: $(PROGRAMS) $(SHIM) $(UNIT_BINS) $(HELPER_BINS)
	BUILDDIR=$(BUILDDIR) SANITIZE=$(SANITIZE) sh scripts/run-tests.sh

# The plain and the sanitized suites, then one grand total.
check-all:
	@rc=0; \
	$(MAKE) --no-print-directory check SANITIZE=0 || rc=1; \
	$(MAKE) --no-print-directory check SANITIZE=1 || rc=1; \
	sh scripts/tap-summary.sh --total build/plain/test-results build/sanitize/test-results || rc=1; \
	exit $$rc

install: $(PROGRAMS) $(SHIM)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR) $(DESTDIR)$(LIBDIR)/containai
	install -m 0755 $(BUILDDIR)/cai-seccomp-probe $(BUILDDIR)/cai-audit $(DESTDIR)$(BINDIR)/
	install -m 0755 $(BUILDDIR)/cai-auditd $(DESTDIR)$(SBINDIR)/
	install -m 0644 $(SHIM) $(DESTDIR)$(LIBDIR)/containai/
	for m in $(MANPAGES); do \
		s=$${m##*.}; install -d $(DESTDIR)$(MANDIR)/man$$s; \
		install -m 0644 $$m $(DESTDIR)$(MANDIR)/man$$s/; \
	done

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/cai-seccomp-probe $(DESTDIR)$(BINDIR)/cai-audit
	rm -f $(DESTDIR)$(SBINDIR)/cai-auditd $(DESTDIR)$(LIBDIR)/containai/libcai-auditshim.so
	for m in $(notdir $(MANPAGES)); do rm -f $(DESTDIR)$(MANDIR)/man$${m##*.}/$$m; done

# Benchmarks: figures only, no pass/fail (see bench/README.md).
bench: all $(HELPER_BINS)
	BUILDDIR=$(BUILDDIR) sh bench/run.sh

deps:
	sh scripts/install-deps.sh

clean:
	rm -rf build

-include $(ALL_OBJS:.o=.d)

$(call obj,src/audit-cli/main.c): ALL_CFLAGS += -DCAI_SHIM_PATH='"$(LIBDIR)/containai/libcai-auditshim.so"'
