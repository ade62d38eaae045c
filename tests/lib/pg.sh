# SPDX-License-Identifier: GPL-2.0
# tests/lib/pg.sh - a throw-away PostgreSQL 15 for the store tests (source it).
#
#   pg_start    a server of its own in a new temporary directory: the data
#               directory is a copy of a cached initdb base
#               (${SEKISHO_CACHE:-/var/cache/sekisho}/pg15-base, made once
#               as the postgres user, made again when missing), listening
#               only on a unix socket in that directory (listen_addresses='',
#               -k DIR).  Creates the role sekisho_test (LOGIN CREATEDB, a
#               random password in a 0600 passfile: PGPASSFILE) and its
#               database sekisho_test, and exports
#                 SK_TEST_STORE=postgresql:///sekisho_test?host=DIR&user=sekisho_test
#               (the store tests make one database per store from it:
#               userspace/tests/store-test.h).
#   pg_stop     stops the server and removes the directory.
# Needs root (runs initdb and the server as postgres) and postgresql-15.
# The test server runs with fsync=off: it is thrown away after the run, and
# the crash tests kill clients, never the server.

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
PG_BASE=${SEKISHO_CACHE:-/var/cache/sekisho}/pg15-base
PG_DIR=""

pg_base() {
	[ -f "$PG_BASE/PG_VERSION" ] && return 0
	# inside a VM the host's cache is read-only: an e2e scenario that
	# runs before any host stage made the base (a new machine) makes its
	# own under /tmp
	if ! mkdir -p "$(dirname "$PG_BASE")" 2>/dev/null || [ ! -w "$(dirname "$PG_BASE")" ]; then
		PG_BASE=/tmp/sk-pg15-base
		[ -f "$PG_BASE/PG_VERSION" ] && return 0
	fi
	echo "# pg: initdb into $PG_BASE (once)"
	mkdir -p "$(dirname "$PG_BASE")" || return 1
	rm -rf "$PG_BASE.tmp"
	install -d -o postgres -g postgres -m 0700 "$PG_BASE.tmp" || return 1
	runuser -u postgres -- "$PG_BIN/initdb" -D "$PG_BASE.tmp" -U postgres --auth-local=peer \
		--auth-host=reject --no-sync -E UTF8 --locale=C.UTF-8 >/dev/null || return 1
	mv "$PG_BASE.tmp" "$PG_BASE"
}

pg_start() {
	local pw
	[ -x "$PG_BIN/pg_ctl" ] || { echo "# pg: no $PG_BIN/pg_ctl (apt-get install postgresql-15)"; return 1; }
	pg_base || { echo "# pg: initdb failed"; return 1; }
	PG_DIR=$(mktemp -d /tmp/sk-pg.XXXXXX) || return 1
	chown postgres:postgres "$PG_DIR"
	chmod 0711 "$PG_DIR"
	cp -a "$PG_BASE" "$PG_DIR/data" || return 1
	# the superuser by peer only; everyone else by password (scram)
	printf 'local all postgres peer\nlocal all all scram-sha-256\n' >"$PG_DIR/data/pg_hba.conf"
	chown postgres:postgres "$PG_DIR/data/pg_hba.conf"
	runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w -t 60 \
		-o "-c listen_addresses='' -k $PG_DIR -c fsync=off -c full_page_writes=off" \
		start >/dev/null || { echo "# pg: the server did not start:"; sed 's/^/# /' "$PG_DIR/log"; return 1; }
	pw=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
	# the password goes through stdin, never a command line
	runuser -u postgres -- "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_DIR" -d postgres >/dev/null <<SQL || return 1
CREATE ROLE sekisho_test LOGIN CREATEDB PASSWORD '$pw';
CREATE DATABASE sekisho_test OWNER sekisho_test;
SQL
	(umask 077; printf '*:*:*:sekisho_test:%s\n' "$pw" >"$PG_DIR/pgpass")
	export PGPASSFILE=$PG_DIR/pgpass
	export SK_TEST_STORE="postgresql:///sekisho_test?host=$PG_DIR&user=sekisho_test"
	export PG_DIR
}

pg_stop() {
	[ -n "$PG_DIR" ] && [ -d "$PG_DIR" ] || return 0
	runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate -w stop >/dev/null 2>&1
	rm -rf "$PG_DIR"
	PG_DIR=""
	unset SK_TEST_STORE PGPASSFILE
}
