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
LIBS := $(SECCOMP_LIBS) $(JQ_LIBS)

LIB_SRCS := \
	src/lib/util.c \
	src/lib/error.c \
	src/lib/procfs.c \
	src/lib/platform.c \
	src/lib/notify_filter.c \
	src/lib/notify_probe.c \
	src/lib/advice.c \
	src/lib/probe_json.c \
	src/lib/atomic_file.c \
	src/lib/daemon_json_doc.c \
	src/lib/daemon_json_undo.c \
	src/lib/daemon_json.c

PROBE_SRCS := \
	src/probe/main.c \
	src/probe/report_text.c

MERGE_SRCS := \
	src/merge/main.c \
	src/merge/show.c

UNIT_TESTS := \
	test_error \
	test_procfs \
	test_platform \
	test_notify_probe \
	test_probe_json \
	test_daemon_json

TEST_HELPERS := \
	seccomp-harness

PROGRAMS := $(BUILDDIR)/cai-seccomp-probe $(BUILDDIR)/cai-daemon-json
MANPAGES := docs/man/cai-seccomp-probe.1 docs/man/cai-daemon-json.1

# libFuzzer harnesses: built with clang into build/fuzz whatever SANITIZE
# says, and by `make check` only when clang is there (the fuzz test then
# skips with the reason).
FUZZ_CC ?= $(shell command -v clang-14 2>/dev/null || command -v clang 2>/dev/null)
FUZZ_SECONDS ?= 60
FUZZ_DIR := build/fuzz
FUZZ_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -g -O1 -fno-omit-frame-pointer
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -DCAI_VERSION='"$(VERSION)"' -Isrc/lib $(WARNINGS) \
	$(SECCOMP_CFLAGS) $(JQ_CFLAGS) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link -MMD -MP
FUZZERS := fuzz_daemon_json
FUZZ_BINS := $(addprefix $(FUZZ_DIR)/,$(FUZZERS))
ifneq ($(FUZZ_CC),)
CHECK_FUZZ_BINS := $(FUZZ_BINS)
endif

LIBCAI := $(BUILDDIR)/libcai.a
UNIT_BINS := $(addprefix $(BUILDDIR)/test/,$(UNIT_TESTS))
HELPER_BINS := $(addprefix $(BUILDDIR)/test/,$(TEST_HELPERS))

obj = $(patsubst %.c,$(BUILDDIR)/obj/%.o,$(1))
ALL_OBJS := $(call obj,$(LIB_SRCS) $(PROBE_SRCS) $(MERGE_SRCS) $(addprefix test/unit/,$(addsuffix .c,$(UNIT_TESTS))) \
	$(addprefix test/helpers/,$(addsuffix .c,$(TEST_HELPERS))))

.PHONY: all check check-all install uninstall clean deps fuzz
# Keep object files of test programs between runs.
.SECONDARY:
all: $(PROGRAMS)

$(BUILDDIR)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(LIBCAI): $(call obj,$(LIB_SRCS))
	@mkdir -p $(@D)
	$(AR) rcs $@ $^

$(BUILDDIR)/cai-seccomp-probe: $(call obj,$(PROBE_SRCS)) $(LIBCAI)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

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

# Fuzz for FUZZ_SECONDS on a scratch copy of the corpus in the repository.
fuzz: $(FUZZ_BINS)
	@test -n "$(FUZZ_CC)" || { echo "make fuzz: needs clang-14 and libfuzzer-14-dev" >&2; exit 1; }
	rm -rf $(FUZZ_DIR)/corpus && mkdir -p $(FUZZ_DIR)/corpus
	cp -r test/fuzz/corpus/daemon_json $(FUZZ_DIR)/corpus/
	$(FUZZ_DIR)/fuzz_daemon_json -max_total_time=$(FUZZ_SECONDS) -artifact_prefix=$(FUZZ_DIR)/ \
		-dict=test/fuzz/daemon_json.dict \
		$(FUZZ_DIR)/corpus/daemon_json

# Runs every suite, prints "N passed, N failed" and fails on any failure.
check: $(PROGRAMS) $(UNIT_BINS) $(HELPER_BINS) $(CHECK_FUZZ_BINS)
	BUILDDIR=$(BUILDDIR) SANITIZE=$(SANITIZE) sh scripts/run-tests.sh

# The plain and the sanitized suites, then one grand total.
check-all:
	@rc=0; \
	$(MAKE) --no-print-directory check SANITIZE=0 || rc=1; \
	$(MAKE) --no-print-directory check SANITIZE=1 || rc=1; \
	sh scripts/tap-summary.sh --total build/plain/test-results build/sanitize/test-results || rc=1; \
	exit $$rc

install: $(PROGRAMS)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1
	install -m 0755 $(PROGRAMS) $(DESTDIR)$(BINDIR)/
	install -m 0644 $(MANPAGES) $(DESTDIR)$(MANDIR)/man1/

uninstall:
	rm -f $(addprefix $(DESTDIR)$(BINDIR)/,$(notdir $(PROGRAMS)))
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man1/,$(notdir $(MANPAGES)))

deps:
	sh scripts/install-deps.sh

clean:
	rm -rf build

-include $(ALL_OBJS:.o=.d)
-include $(wildcard $(FUZZ_DIR)/obj/*/*/*.d $(FUZZ_DIR)/obj/*/*/*/*.d)
