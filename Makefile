# SPDX-License-Identifier: GPL-2.0
#
# make            build module/tcpstate.ko, userspace/tcpstate-watch, selftests
# make demo       install what is missing, boot a VM and show tcpstate-watch live
# make check      install what is missing, run every test: on the host,
#                 and in VMs on every kernel of scripts/kernels.conf
#                 (KERNELS=6.12,newest narrows it; README "Supported kernels")
# make check-slow  the tests make check leaves out for their time (a real
#                 60 s TIME_WAIT expiry: TCPSTATE_SLOW=1), in a VM of the
#                 default kernel (scripts/guest/slow.sh)
# make bench      install what is missing, run the benchmarks in a VM and
#                 print the table (scripts/bench.sh; docs/performance.md)
# make clean      remove everything the build made
# make install    the module into /lib/modules/<v>/extra/module/ (kbuild's
#                 modules_install, then depmod), tcpstate-watch into
#                 PREFIX/sbin, its man page into PREFIX/share/man/man8
# make uninstall  remove exactly those, depmod again
# make dkms-source  the module's sources as dkms takes them, into DKMS_SRC
#                 (default /usr/src/tcpstate-<version>; README "Install")
# make deb        the Debian packages tcpstate-dkms and tcpstate, built by
#                 dpkg-buildpackage from a copy of the tree, into build/deb
#                 (README "Install"; needs debhelper and dh-dkms)
# make debug-kernel  build Debian's linux-source-6.1 with KASAN, lockdep and
#                 kmemleak (scripts/debug-kernel.config) under build/, boot it
#                 and run the VM and hardening selftests there (an hour or
#                 more; docs/testing.md "Debug kernel")
#
# KDIR defaults to the build tree of the newest kernel that has both
# /boot/vmlinuz-<v> and /lib/modules/<v>/build (scripts/kver.sh).
# PREFIX defaults to /usr/local; DESTDIR stages an install (the module goes
# to DESTDIR/lib/modules, and depmod is left to the target).

KVER ?= $(shell scripts/kver.sh)
KDIR ?= /lib/modules/$(KVER)/build
# The kernel source package provides kselftest's headers and checkpatch.pl.
LINUX_SOURCE ?= $(firstword $(wildcard /usr/src/linux-source-*.tar.xz))
BUILD := $(CURDIR)/build
KSFT_DIR := $(BUILD)/kselftest

PREFIX ?= /usr/local
INSTALL_MOD_DIR ?= extra
# The release the module is built for (its vermagic): KDIR may be given
# without KVER. (Debian's include/config/kernel.release is not it.)
KREL = $(or $(shell sed -n 's/^\#define UTS_RELEASE "\(.*\)"/\1/p' $(KDIR)/include/generated/utsrelease.h 2>/dev/null),$(KVER))
MODDIR = $(DESTDIR)/lib/modules/$(KREL)/$(INSTALL_MOD_DIR)
SBINDIR = $(DESTDIR)$(PREFIX)/sbin
MAN8DIR = $(DESTDIR)$(PREFIX)/share/man/man8
TCPSTATE_VERSION = $(shell sed -n 's/^\#define TCPSTATE_VERSION[[:space:]]*"\(.*\)"/\1/p' module/main.c)
DKMS_SRC ?= $(DESTDIR)/usr/src/tcpstate-$(TCPSTATE_VERSION)
# kbuild signs at modules_install with the kernel's own key
# (CONFIG_MODULE_SIG_ALL); distribution headers have none, and the attempt
# only prints SSL errors, so it is made only where the key is there.
# Signing for Secure Boot: DKMS (README "Install").
SIG_KEY = $(shell sed -n 's/^CONFIG_MODULE_SIG_KEY="\{0,1\}\([^"]*\)"\{0,1\}$$/\1/p' $(KDIR)/include/config/auto.conf 2>/dev/null)
NO_SIGN = $(if $(SIG_KEY),$(if $(wildcard $(SIG_KEY) $(KDIR)/$(SIG_KEY)),,CONFIG_MODULE_SIG_ALL=),)
# depmod on this machine; a staged install leaves it to the target.
DEPMOD = $(if $(DESTDIR),@echo "DESTDIR given: run depmod -a $(KREL) on the target",depmod -a $(KREL))

.PHONY: all module userspace selftests bench-tools kselftest-headers deps \
	demo check check-slow bench check-host check-vm checkpatch clean install \
	install-module install-userspace uninstall dkms-source deb debug-kernel

all: module userspace selftests bench-tools

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

bench-tools:
	$(MAKE) -C bench
	$(MAKE) -C $(KDIR) M=$(CURDIR)/bench/hookcost_module W=1 modules

deps:
	scripts/install-deps.sh

# demo and check start by installing what is missing, then build in a fresh
# make so that KVER is discovered after the kernel packages are in place.
demo: deps
	$(MAKE) all
	scripts/demo.sh

# make check KERNELS=...: scripts/kernels.sh reads it.
export KERNELS

check: deps
	$(MAKE) all
	scripts/check.sh

check-slow: deps
	$(MAKE) all
	scripts/vm-run.sh scripts/guest/slow.sh

bench: deps
	$(MAKE) all
	scripts/bench.sh

checkpatch:
	scripts/checkpatch.sh

# Installs what it needs itself, and builds tcpstate against that kernel in
# a copy of the tree (build/debug-kernel/tcpstate): module/ stays as it is.
debug-kernel:
	scripts/debug-kernel.sh

install: install-module install-userspace

# kbuild's modules_install puts the module under INSTALL_MOD_DIR with its
# path in the tree: extra/module/tcpstate.ko.
install-module: module
	$(MAKE) -C $(KDIR) M=$(CURDIR) INSTALL_MOD_PATH=$(DESTDIR) \
		INSTALL_MOD_DIR=$(INSTALL_MOD_DIR) $(NO_SIGN) modules_install
	$(DEPMOD)

install-userspace: userspace
	install -d $(SBINDIR) $(MAN8DIR)
	install -m 0755 userspace/tcpstate-watch $(SBINDIR)/tcpstate-watch
	install -m 0644 userspace/tcpstate-watch.8 $(MAN8DIR)/tcpstate-watch.8

uninstall:
	rm -f $(addprefix $(MODDIR)/module/tcpstate.ko,'' .gz .xz .zst)
	for d in $(MODDIR)/module $(MODDIR); do \
		[ ! -d $$d ] || rmdir --ignore-fail-on-non-empty $$d; done
	$(DEPMOD)
	rm -f $(SBINDIR)/tcpstate-watch $(MAN8DIR)/tcpstate-watch.8

# What dkms builds from: dkms.conf, Kbuild and the module's sources (no
# build products).
dkms-source:
	install -d $(DKMS_SRC)/module/uapi
	install -m 0644 dkms.conf Kbuild $(DKMS_SRC)/
	install -m 0644 module/Kbuild $(filter-out %.mod.c,$(wildcard module/*.[ch])) \
		$(DKMS_SRC)/module/
	install -m 0644 $(wildcard module/uapi/*.h) $(DKMS_SRC)/module/uapi/

# dpkg-buildpackage writes the packages next to the tree it builds: a copy
# of the tree (git's files, or without git every file but build/ and
# build products) in build/deb/tcpstate-<version>, removed after. The
# Debian version's upstream part is TCPSTATE_VERSION.
DEB_DIR := $(BUILD)/deb
DEB_SRC = $(DEB_DIR)/tcpstate-$(TCPSTATE_VERSION)
deb:
	@v=$$(dpkg-parsechangelog -S Version) && [ "$${v%-*}" = "$(TCPSTATE_VERSION)" ] || \
		{ echo "debian/changelog's version $$v is not module/main.c's $(TCPSTATE_VERSION)-N" >&2; exit 1; }
	rm -rf $(DEB_DIR)
	mkdir -p $(DEB_SRC)
	if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then \
		git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t $(DEB_SRC); \
	else \
		tar -c --exclude=./build --exclude-from=.gitignore . | tar -x -C $(DEB_SRC); \
	fi
	cd $(DEB_SRC) && dpkg-buildpackage -us -uc -b
	rm -rf $(DEB_SRC)
	@ls -1 $(DEB_DIR)/*.deb

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR)/module clean 2>/dev/null || true
	rm -f Module.symvers modules.order .Module.symvers.cmd .modules.order.cmd
	$(MAKE) -C userspace clean
	$(MAKE) -C selftests clean
	$(MAKE) -C bench clean
	$(MAKE) -C $(KDIR) M=$(CURDIR)/bench/hookcost_module clean 2>/dev/null || true
	rm -rf $(BUILD)
