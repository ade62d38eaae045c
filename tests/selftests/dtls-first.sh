#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The e2e scenario sekishod-dtls-first.sh (issue 11 item 13: the first
# DTLS setup after the module is loaded needs no retransmission) in this
# VM's configuration.  tests/run's vm-6.12 stage lists it first
# (SELFTESTS_FIRST), before any other script loads the module; the e2e
# stage runs it first on 6.1.
exec bash "$(dirname "$0")/../e2e/sekishod-dtls-first.sh"
