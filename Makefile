# SPDX-License-Identifier: GPL-2.0
# sekisho top-level build.  `make` builds the module (against Debian's 6.1
# headers unless KDIR= says otherwise) and the userspace programs.
# `make check` runs every test (see tests/run); `make demo` the main job.

KVER ?= $(shell scripts/kver.sh default)
KDIR ?= /lib/modules/$(KVER)/build
BUILD ?= $(CURDIR)/build
PREFIX ?= /usr/local
DESTDIR ?=

.PHONY: all module userspace check demo install clean sparse checkpatch bench

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

install: all
	$(MAKE) -C $(KDIR) M=$(CURDIR) INSTALL_MOD_DIR=updates modules_install
	depmod -a $(KVER)
	$(MAKE) -C userspace BUILD=$(BUILD) DESTDIR=$(DESTDIR) PREFIX=$(PREFIX) install

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	rm -rf $(BUILD)
