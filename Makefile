# SPDX-License-Identifier: GPL-2.0
#
# make            build module/tcpstate.ko, userspace/tcpstate-watch, selftests
# make demo       install what is missing, boot a VM and show tcpstate-watch live
# make check      install what is missing, run every test (host and VM)
# make clean      remove everything the build made
#
# KDIR defaults to the build tree of the newest kernel that has both
# /boot/vmlinuz-<v> and /lib/modules/<v>/build (scripts/kver.sh).

KVER ?= $(shell scripts/kver.sh)
KDIR ?= /lib/modules/$(KVER)/build
# The kernel source package provides kselftest's headers and checkpatch.pl.
LINUX_SOURCE ?= $(firstword $(wildcard /usr/src/linux-source-*.tar.xz))
BUILD := $(CURDIR)/build
KSFT_DIR := $(BUILD)/kselftest

.PHONY: all module userspace selftests kselftest-headers deps demo check \
	check-host check-vm checkpatch clean

all: module userspace selftests

module:
	$(MAKE) -C $(KDIR) M=$(CURDIR) W=1 modules

userspace:
	$(MAKE) -C userspace

kselftest-headers: $(KSFT_DIR)/kselftest_harness.h

$(KSFT_DIR)/kselftest_harness.h:
	@test -n "$(LINUX_SOURCE)" || \
		{ echo "no /usr/src/linux-source-*.tar.xz: run scripts/install-deps.sh" >&2; exit 1; }
	mkdir -p $(KSFT_DIR)
	tar -xJf $(LINUX_SOURCE) -C $(KSFT_DIR) --strip-components=4 --wildcards \
		'*/tools/testing/selftests/kselftest.h' \
		'*/tools/testing/selftests/kselftest_harness.h'
	touch $@

selftests: kselftest-headers
	$(MAKE) -C selftests KSFT_DIR=$(KSFT_DIR)

deps:
	scripts/install-deps.sh

# demo and check start by installing what is missing, then build in a fresh
# make so that KVER is discovered after the kernel packages are in place.
demo: deps
	$(MAKE) all
	scripts/demo.sh

check: deps
	$(MAKE) all
	scripts/check.sh

checkpatch:
	scripts/checkpatch.sh

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean 2>/dev/null || true
	$(MAKE) -C userspace clean
	$(MAKE) -C selftests clean
	rm -rf $(BUILD)
