# SPDX-License-Identifier: GPL-2.0
# sekisho top-level build.  `make` builds the module (against Debian's 6.1
# headers unless KDIR= says otherwise) and the userspace programs.
# `make check` runs every test (see tests/run); `make demo` the main job.

KVER ?= $(shell scripts/kver.sh default)
KDIR ?= /lib/modules/$(KVER)/build
BUILD ?= $(CURDIR)/build
PREFIX ?= /usr/local
DESTDIR ?=
# where `make install` puts what is not a program (the Debian package
# passes PREFIX=/usr SYSTEMDUNITDIR=/lib/systemd/system); configuration
# goes to /etc whatever PREFIX is, as sekishod reads /etc/sekisho/sekishod.conf
SBINDIR ?= $(PREFIX)/sbin
SYSCONFDIR ?= /etc
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
TMPFILESDIR ?= $(PREFIX)/lib/tmpfiles.d
DOCDIR ?= $(PREFIX)/share/doc/sekisho
MANDIR ?= $(PREFIX)/share/man
# the release: VERSION is the only place it is written
VERSION := $(shell cat $(CURDIR)/VERSION)

.PHONY: all module userspace check demo install install-module install-files \
	install-dkms-src deb clean sparse checkpatch bench

all: module userspace

module:
	$(MAKE) -C $(KDIR) M=$(CURDIR) W=1 modules

userspace:
	$(MAKE) -C userspace BUILD=$(BUILD)

sparse:
	$(MAKE) -C $(KDIR) M=$(CURDIR) C=2 CF="-D__CHECK_ENDIAN__" modules

checkpatch:
	scripts/checkpatch.sh

check:
	tests/run

demo:
	scripts/demo

bench:
	tests/bench/run

# `make install` = the module + everything else.  With DESTDIR (an absolute
# path) nothing is written outside it: the module goes to
# $(DESTDIR)/lib/modules/$(KVER)/updates and depmod is left to the target
# (a depmod -b DESTDIR would index our module alone and shadow the target's
# own modules.dep).
install: install-module install-files

install-module: module
	$(MAKE) -C $(KDIR) M=$(CURDIR) INSTALL_MOD_PATH=$(abspath $(DESTDIR)) \
		INSTALL_MOD_DIR=updates modules_install
ifeq ($(DESTDIR),)
	depmod -a $(KVER)
else
	@echo "install: DESTDIR is set: depmod not run (run 'depmod -a $(KVER)' on the target)"
endif

# the programs, the systemd unit (paths of this PREFIX), sysusers and
# tmpfiles snippets, the configuration (not over an existing one; the
# shipped file is also in DOCDIR/examples), man pages and documentation
DOCS := Documentation/README.md Documentation/sekictl.md \
	Documentation/architecture.md Documentation/datapath.md \
	$(wildcard Documentation/admin/*.md Documentation/user/*.md) \
	Documentation/netlink/sekisho.md
MANS := Documentation/man/sekishod.8 Documentation/man/sekictl.8 \
	Documentation/man/sekishod.conf.5
install-files: userspace
	$(MAKE) -C userspace BUILD=$(BUILD) DESTDIR=$(DESTDIR) PREFIX=$(PREFIX) install
	install -d $(DESTDIR)$(SYSTEMDUNITDIR)
	sed -e 's|/usr/local/sbin/|$(SBINDIR)/|g' \
	    -e 's|/usr/local/libexec/|$(PREFIX)/libexec/|g' \
	    -e 's|file:///usr/share/doc/sekisho/|file://$(DOCDIR)/|g' \
	    packaging/sekishod.service >$(DESTDIR)$(SYSTEMDUNITDIR)/sekishod.service
	chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/sekishod.service
	# the unit's ExecStartPre: the module loaded, or replaced when safe
	install -D -m 0755 packaging/sekisho-module $(DESTDIR)$(PREFIX)/libexec/sekisho/sekisho-module
	install -D -m 0644 packaging/sekisho.sysusers $(DESTDIR)$(SYSUSERSDIR)/sekisho.conf
	install -D -m 0644 packaging/sekisho.tmpfiles $(DESTDIR)$(TMPFILESDIR)/sekisho.conf
	install -D -m 0644 packaging/sekishod.conf.example $(DESTDIR)$(DOCDIR)/examples/sekishod.conf.example
	install -d -m 0755 $(DESTDIR)$(SYSCONFDIR)/sekisho
	[ -e $(DESTDIR)$(SYSCONFDIR)/sekisho/sekishod.conf ] || \
		install -m 0644 packaging/sekishod.conf.example $(DESTDIR)$(SYSCONFDIR)/sekisho/sekishod.conf
	for m in $(MANS); do \
		s=$${m##*.}; install -d $(DESTDIR)$(MANDIR)/man$$s; \
		sed 's/@VERSION@/$(VERSION)/' $$m >$(DESTDIR)$(MANDIR)/man$$s/$$(basename $$m); \
		chmod 0644 $(DESTDIR)$(MANDIR)/man$$s/$$(basename $$m); \
	done
	for d in $(DOCS); do \
		t=$${d#Documentation/}; \
		install -D -m 0644 $$d $(DESTDIR)$(DOCDIR)/$$t; \
	done

# the module's source as DKMS wants it, in $(DESTDIR)/usr/src/sekisho-VERSION
# (the sekisho-dkms package)
DKMS_SRC := VERSION Kbuild dkms.conf include/uapi/linux/sekisho.h \
	$(filter-out %.mod.c,$(wildcard kmod/Kbuild kmod/*.[ch] kmod/tests/Kbuild kmod/tests/*.[ch]))
install-dkms-src:
	for f in $(DKMS_SRC); do \
		install -D -m 0644 $$f $(DESTDIR)/usr/src/sekisho-$(VERSION)/$$f; \
	done

# Debian packages in $(BUILD)/deb (scripts/make-deb: an exported copy of
# the tree in $(BUILD)/deb/src, dpkg-buildpackage there)
deb:
	scripts/make-deb $(BUILD)/deb

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	rm -rf $(BUILD)
