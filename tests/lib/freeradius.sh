# SPDX-License-Identifier: GPL-2.0
# tests/lib/freeradius.sh - a throw-away FreeRADIUS for the RADIUS
# directory tests (source it).  Needs Debian's freeradius.
#
#   radius_start  a server of its own in a new temporary directory, as the
#                 caller (no root needed; as root it runs as the caller
#                 too, in its own directory), on free high UDP ports of
#                 127.0.0.1 (authentication P, accounting P+1), from a
#                 configuration written here (no file of /etc/freeradius is
#                 read but the dictionaries): one client 127.0.0.1 that must
#                 send Message-Authenticator (require_message_authenticator;
#                 a request without one, or with one made with another
#                 secret, is dropped without an answer), PAP from a users
#                 file, Message-Authenticator in every Access answer, a
#                 challenge user in unlang, accounting written to a detail
#                 file.
#                 Exports RADIUS_DIR, SK_TEST_RADIUS_PORT,
#                 SK_TEST_RADIUS_SECRET, SK_TEST_RADIUS_DEAD_PORT (a port
#                 nobody listens on), SK_TEST_RADIUS_DETAIL (the detail
#                 file accounting writes).
#   radius_stop   stops the server and removes the directory.
#
# The users (password = NAME-pw-1):
#   alice   accepted, Class "vpn-staff", Framed-IP-Address 10.20.30.40
#   carol   accepted, Filter-Id "admins", Fortinet-Group-Name "forti-admins"
#   bob     accepted, no attribute (no mapped group)
#   otp     password, then a first challenge "Enter the code from your
#           token" (answer 123456), then a second "Enter the second code"
#           (answer 654321): accepted with Class "vpn-staff"; a wrong
#           answer: Access-Reject
#   loop    any password or answer: another challenge "Enter the next
#           code", for ever (the chain's bound of challenges)
#   RADIUS_EXTRA_USERS: more users-file entries (set before radius_start)
#   nobody else: Access-Reject

RADIUS_DIR=""

radius_free_port() {	# a UDP port free at P and P+1
	python3 - <<'EOF'
import socket
while True:
    a = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); a.bind(("127.0.0.1", 0))
    p = a.getsockname()[1]
    if p >= 65534:
        continue
    b = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        b.bind(("127.0.0.1", p + 1))
    except OSError:
        continue
    print(p)
    break
EOF
}

radius_config() {	# dir port secret
	local d=$1 p=$2 s=$3
	cat <<EOF
prefix = /usr
exec_prefix = /usr
sysconfdir = /etc
localstatedir = $d
sbindir = /usr/sbin
logdir = $d/log
raddbdir = $d
radacctdir = $d/acct
name = freeradius
confdir = \${raddbdir}
modconfdir = \${confdir}/mods-config
run_dir = $d/run
db_dir = $d
libdir = /usr/lib/freeradius
pidfile = $d/run/radiusd.pid
correct_escapes = true
max_request_time = 5
cleanup_delay = 1
max_requests = 1024
hostname_lookups = no
log {
	destination = files
	file = \${logdir}/radius.log
	auth = yes
	auth_badpass = no
	auth_goodpass = no
}
security {
	allow_core_dumps = no
	max_attributes = 200
	reject_delay = 0
	status_server = no
}
thread pool {
	start_servers = 1
	max_servers = 2
	min_spare_servers = 1
	max_spare_servers = 2
	max_requests_per_server = 0
}
client local {
	ipaddr = 127.0.0.1
	secret = $s
	require_message_authenticator = yes
	nas_type = other
}
modules {
	files {
		filename = \${confdir}/users
	}
	pap {
		normalise = yes
	}
	# the return codes used below are "always" modules
	always handled {
		rcode = handled
	}
	always reject {
		rcode = reject
	}
	always ok {
		rcode = ok
	}
	detail {
		filename = \${radacctdir}/detail
		header = "%t"
		permissions = 0600
	}
}
instantiate {
}
server default {
	listen {
		type = auth
		ipaddr = 127.0.0.1
		port = $p
	}
	listen {
		type = acct
		ipaddr = 127.0.0.1
		port = $((p + 1))
	}
	authorize {
		# every Access answer carries Message-Authenticator (BlastRADIUS)
		update reply {
			&Message-Authenticator := 0x00
		}
		if (&User-Name == "otp") {
			if (!&State) {
				if (&User-Password == "otp-pw-1") {
					update reply {
						&State := "step-1"
						&Reply-Message := "Enter the code from your token"
					}
					update control {
						&Response-Packet-Type := Access-Challenge
					}
					handled
				}
				reject
			}
			elsif (&State == "step-1" && &User-Password == "123456") {
				update reply {
					&State := "step-2"
					&Reply-Message := "Enter the second code"
				}
				update control {
					&Response-Packet-Type := Access-Challenge
				}
				handled
			}
			elsif (&State == "step-2" && &User-Password == "654321") {
				update reply {
					&Class := "vpn-staff"
				}
				update control {
					&Auth-Type := Accept
				}
				ok
			}
			else {
				reject
			}
		}
		elsif (&User-Name == "loop") {
			update reply {
				&State := "again"
				&Reply-Message := "Enter the next code"
			}
			update control {
				&Response-Packet-Type := Access-Challenge
			}
			handled
		}
		else {
			files
			pap
		}
	}
	authenticate {
		Auth-Type PAP {
			pap
		}
	}
	accounting {
		detail
		ok
	}
	post-auth {
		Post-Auth-Type REJECT {
			update reply {
				&Message-Authenticator := 0x00
			}
		}
	}
}
EOF
}

radius_users() {
	cat <<'EOF'
alice	Cleartext-Password := "alice-pw-1"
	Class := "vpn-staff",
	Framed-IP-Address := 10.20.30.40,
	Session-Timeout := 600

carol	Cleartext-Password := "carol-pw-1"
	Filter-Id := "admins",
	Fortinet-Group-Name := "forti-admins"

bob	Cleartext-Password := "bob-pw-1"
EOF
	# more entries of the caller (the e2e scenario's users)
	[ -z "${RADIUS_EXTRA_USERS:-}" ] || printf '\n%s\n' "$RADIUS_EXTRA_USERS"
}

radius_start() {
	local d p bin
	bin=$(command -v freeradius || echo /usr/sbin/freeradius)
	[ -x "$bin" ] || { echo "# freeradius: not installed (scripts/deps)"; return 1; }
	d=$(mktemp -d /tmp/sk-radius.XXXXXX) || return 1
	RADIUS_DIR=$d
	mkdir -p "$d/log" "$d/run" "$d/acct" "$d/mods-config"
	SK_TEST_RADIUS_SECRET=$(head -c 12 /dev/urandom | base64 | tr -d '/+=')
	radius_users >"$d/users"
	for try in 1 2 3; do
		p=$(radius_free_port)
		radius_config "$d" "$p" "$SK_TEST_RADIUS_SECRET" >"$d/radiusd.conf"
		chmod 0600 "$d/radiusd.conf"
		rm -f "$d/run/radiusd.pid"
		# -d its directory, -n radiusd.conf, -l the log; it forks and
		# writes its pid file once its sockets are bound
		"$bin" -d "$d" -n radiusd -l "$d/log/radius.log" >"$d/start.log" 2>&1 || {
			echo "# freeradius: did not start (try $try):"; sed 's/^/# /' "$d/start.log" \
				"$d/log/radius.log" 2>/dev/null | tail -20; continue; }
		for _ in $(seq 100); do
			[ -s "$d/run/radiusd.pid" ] && break 2
			sleep 0.1
		done
		echo "# freeradius: no pid file after 10 s (try $try)"
	done
	[ -s "$d/run/radiusd.pid" ] || return 1
	export RADIUS_DIR
	export SK_TEST_RADIUS_PORT=$p
	export SK_TEST_RADIUS_SECRET
	export SK_TEST_RADIUS_DETAIL="$d/acct/detail"
	SK_TEST_RADIUS_DEAD_PORT=$(radius_free_port)
	export SK_TEST_RADIUS_DEAD_PORT
	return 0
}

radius_stop() {
	[ -n "$RADIUS_DIR" ] && [ -d "$RADIUS_DIR" ] || return 0
	if [ -s "$RADIUS_DIR/run/radiusd.pid" ]; then
		local pid
		pid=$(cat "$RADIUS_DIR/run/radiusd.pid")
		kill "$pid" 2>/dev/null
		for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	fi
	rm -rf "$RADIUS_DIR"
	RADIUS_DIR=""
	unset SK_TEST_RADIUS_PORT SK_TEST_RADIUS_SECRET SK_TEST_RADIUS_DEAD_PORT SK_TEST_RADIUS_DETAIL
}
