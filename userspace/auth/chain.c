// SPDX-License-Identifier: GPL-2.0
/*
 * skchain: the login state machine (see skchain.h for the contract and
 * Documentation/admin/login-flow.md for the behaviour an operator sees).
 *
 * A login walks the chosen group's factor list in order.  l->pos is the
 * factor being asked; l->passed is a bitmask of the factors this login has
 * passed, and success needs l->passed == l->required, so no ordering bug can
 * skip a factor.  Posted fields are looked at only by the state that asked
 * for them.
 *
 * "Known" vs "proven" user: a typed name makes the user known; the first
 * passed factor proves it.  Until the user is proven, every answer about an
 * unknown user (or a user without e-mail, a locked-out mail quota, ...)
 * looks like a wrong answer, so user names cannot be probed.  Once proven,
 * refusals are specific (account expired, outside hours, ...).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/x509.h>

#include "skauth.h"
#include "skchain.h"
#include "skldap.h"
#include "sktext.h"
#include "skjson.h"
#include "skposture.h"
#include "skradius.h"
#include "skstore.h"

/* Upper bound of rounds in one login, whatever the answers: openconnect with
 * --form-entry resends the same value forever, and some rounds (expired
 * code, policy refusal of a new password) do not count as wrong answers. */
#define CHAIN_ROUNDS_MAX 32
#define CHAIN_KEY_MAX 32
/* a longer password is refused by sk_pw_verify before any hashing, so it
 * is never deferred */
#define CHAIN_PW_MAX 1024
/* Access-Challenges one login answers (a token's code, then a second one:
 * two in practice); a server that keeps asking is refused */
#define CHAIN_CHALLENGES_MAX 8

enum hash_job { HJ_NONE, HJ_PENDING, HJ_DONE };

enum chain_state {
	ST_NEW = 0,	/* no group yet */
	ST_FACTOR,	/* asking g.factors[pos] */
	ST_IDENT,	/* asking a user name before a code factor (no password yet) */
	ST_PWCHANGE,	/* all factors passed, must_change_pw */
	ST_CHALLENGE,	/* a RADIUS directory's Access-Challenge: asking its answer */
	ST_DONE,	/* success */
	ST_FATAL,	/* refused for good */
};

struct chain_settings {
	int otp_ttl, otp_resend_min, otp_max_hour;
	int lock_threshold, lock_seconds, lock_max, src_threshold, src_window, src_block;
	int max_tries, totp_window;
};

struct sk_login {
	struct sk_chain_cfg cfg;
	char source[SK_ADDR_MAX * 2];
	char lang[4];			/* "ja", "en" or "" (not asked) */
	X509 *cert;
	STACK_OF(X509) *chain;

	enum chain_state state;
	bool group_set;
	bool group_list;		/* show the group_list select on the name form */
	bool banner_shown;
	struct sk_group g;
	int nfactors, pos;
	unsigned int required, passed;	/* bit (1 << enum sk_factor) */

	bool user_known;		/* a name is attached (typed or from the cert) */
	bool user_exists;		/* ... and it is in the store: u is valid */
	bool proven;			/* a factor has passed for this user */
	struct sk_user u;		/* has pw_hash and totp_secret: wiped */
	char name[SK_NAME_MAX + 1];	/* the name attached (typed, maybe unknown) */

	int tries, rounds;

	char otp[7];			/* current e-mail code, "" = none */
	bool otp_have;
	bool otp_fake;			/* pretend a code was sent (unproven, no mail) */
	int64_t otp_expires;

	char fatal_key[CHAIN_KEY_MAX];
	char fatal_arg[SK_NAME_MAX + 1];	/* replaces "{}" in the fatal text */
	struct chain_settings s;

	/* cfg.defer_hash: the verification sk_login_hash runs */
	enum hash_job hj;
	char hj_hash[SK_PW_HASH_MAX + 1];
	char hj_pw[CHAIN_PW_MAX + 1];
	int hj_rc;
	/* ... and for a password change, the new password's hash too */
	bool hj_change;
	struct sk_pw_params hj_cost;
	char hj_new[SK_PW_HASH_MAX + 1];
	int hj_new_rc;

	/* a directory checks the password (the group's, else directory.default):
	 * sk_login_hash runs sk_ldap_check on copies of its settings, the
	 * account name and the password (Documentation/admin/directory.md) */
	bool hj_is_dir;
	struct sk_ldap_cfg *hj_dir;	/* holds the service password: wiped */
	struct sk_ldap_result *hj_res;
	char hj_acc[SK_NAME_MAX + 1];
	int hj_dir_rc;
	char hj_dir_err[256];
	/* the directory proved the user: the sekisho groups its mapping gives */
	bool dir_user;
	int n_dir_groups;
	char dir_groups[SK_LDAP_MAPS_MAX][SK_NAME_MAX + 1];
	/* a RADIUS directory's Access-Challenge: the State to send back and
	 * the server's prompt stay here (never in a form, never in the
	 * worker); hj_answer: sk_login_hash sends hj_pw as the answer */
	bool hj_answer;
	/* the directory says the password must change (AD pwdLastSet 0,
	 * data 773) or has expired (532): after every factor, the
	 * new-password form changes it there (sk_ldap_passwd needs the old
	 * one: kept until then, wiped); hj_dirchg: sk_login_hash changes
	 * dir_old to hj_pw */
	bool dir_change;
	char dir_old[CHAIN_PW_MAX + 1];
	bool hj_dirchg;
	char ch_dir[SK_NAME_MAX + 1];
	char ch_acc[SK_NAME_MAX + 1];
	uint8_t ch_state[SK_LDAP_STATE_MAX];
	size_t ch_state_len;
	char ch_prompt[SK_LDAP_PROMPT_MAX];
	int ch_count;
	/* the RADIUS directory that accepted, and its Framed-IP-Address when
	 * the directory's framed-ip=yes (sk_login_result) */
	char radius_dir[SK_NAME_MAX + 1];
	char framed_ip[16];
	uint32_t session_timeout;	/* the Accept's Session-Timeout, 0 = none */

	bool have_hs;			/* the client's host scan report */
	struct sk_hostscan hs;
	/* no scan was asked of this client, which cannot run a CSD wrapper
	 * (sk_login_set_noscan): format 0, noscan = its kind; all 0 else */
	struct sk_posture noscan;
	char device[SK_NAME_MAX + 1];	/* the checked device that matched */

	/* the posture step (issue 12): evaluated once per login, after the
	 * device step; po_refused: the fatal text is the failed check's own */
	bool po_done, po_refused;
	bool po_on;			/* the posture policy was on (evaluated) */
	struct sk_posture_result po;
	char quarantine[SK_PO_NAME];	/* remediation allowlist, "" = none */
	char po_key[CHAIN_KEY_MAX];	/* "posture-REASON": the login's audit reason */
};

/* ---------------------------------------------------------------- helpers */

/* labels and messages reach the client's XML: never half a character */
static void copy(char *dst, size_t len, const char *src)
{
	sk_text_copy(dst, len, src);
}

static unsigned int bit(enum sk_factor f)
{
	return 1u << (unsigned int)f;
}

static void load_settings(struct sk_login *l)
{
	struct sk_store *st = l->cfg.st;
	struct chain_settings *s = &l->s;
	char text[32];

	s->otp_ttl = sk_setting_int(st, "otp.ttl", 300);
	s->otp_resend_min = sk_setting_int(st, "otp.resend_min", 30);
	s->otp_max_hour = sk_setting_int(st, "otp.max_per_hour", 5);
	s->lock_threshold = sk_setting_int(st, "lockout.threshold", 10);
	/* lockout.duration: seconds, or "permanent" (0 here) */
	if (sk_setting_get(st, "lockout.duration", text, sizeof(text)))
		text[0] = 0;
	s->lock_seconds = !strcmp(text, "permanent") ? 0 : atoi(text);
	s->lock_max = sk_setting_int(st, "lockout.max_duration", 86400);
	s->src_threshold = sk_setting_int(st, "lockout.source_threshold", 50);
	s->src_window = sk_setting_int(st, "lockout.source_window", 600);
	s->src_block = sk_setting_int(st, "lockout.source_block", 900);
	s->max_tries = sk_setting_int(st, "login.max_tries", 3);
	s->totp_window = sk_setting_int(st, "totp.window", 1);
	/* nonsense values must not disable a limit */
	if (s->otp_ttl <= 0)
		s->otp_ttl = 300;
	if (s->otp_max_hour <= 0)
		s->otp_max_hour = 5;
	if (s->otp_resend_min < 0)
		s->otp_resend_min = 30;
	/* lockout.threshold 0 = never lock (the counter still counts) */
	if (s->lock_threshold <= 0)
		s->lock_threshold = INT_MAX;
	if (s->lock_seconds < 0 || (s->lock_seconds == 0 && strcmp(text, "permanent")))
		s->lock_seconds = 900;	/* only "permanent" means for good */
	if (s->lock_max < s->lock_seconds)
		s->lock_max = s->lock_seconds;
	if (s->src_block <= 0)
		s->src_block = 900;
	/* lockout.source_threshold 0 = never block a source */
	if (s->src_threshold <= 0)
		s->src_threshold = INT_MAX;
	if (s->src_window <= 0)
		s->src_window = 600;
	if (s->max_tries <= 0)
		s->max_tries = 3;
	if (s->totp_window < 0 || s->totp_window > 10)
		s->totp_window = 1;
}

/* Language of the texts: the client's, else the user's (once known), else
 * the group's, else NULL = both ("日本語 / English"). */
static const char *lang_of(const struct sk_login *l)
{
	if (l->lang[0])
		return l->lang;
	if (l->user_exists && l->proven && l->u.lang != SK_LANG_AUTO)
		return l->u.lang == SK_LANG_JA ? "ja" : "en";
	if (l->group_set && l->g.lang != SK_LANG_AUTO)
		return l->g.lang == SK_LANG_JA ? "ja" : "en";
	return NULL;
}

static const char *field(int n, const char *const *names, const char *const *values,
			 const char *name)
{
	for (int i = 0; i < n; i++)
		if (names && values && names[i] && values[i] && !strcmp(names[i], name))
			return values[i];
	return NULL;
}

/* ---------------------------------------------------------------- prompts */

struct prompt {
	const char *key, *ja, *en;
};

static const struct prompt prompts[] = {
	{ "title", "SSL-VPN ログイン", "SSL-VPN login" },
	{ "main-password", "ユーザー名とパスワードを入力してください。",
	  "Enter your user name and password." },
	{ "main-username", "ユーザー名を入力してください。", "Enter your user name." },
	{ "totp", "認証アプリに表示されている 6 桁のコードを入力してください。",
	  "Enter the 6-digit code shown by your authenticator app." },
	{ "new-password",
	  "新しいパスワードを入力してください (8 文字以上、英小文字・英大文字・数字・記号のうち 2 種類以上)。",
	  "Enter a new password (at least 8 characters, two of: lower case, upper case, digits, symbols)." },
	{ "success", "ログインしました。", "Logged in." },
};

static void prompt(const struct sk_login *l, const char *key, char *out, size_t len)
{
	const char *lang = lang_of(l);

	for (size_t i = 0; i < sizeof(prompts) / sizeof(prompts[0]); i++) {
		const struct prompt *p = &prompts[i];

		if (strcmp(p->key, key))
			continue;
		if (lang && !strcmp(lang, "ja"))
			copy(out, len, p->ja);
		else if (lang)
			copy(out, len, p->en);
		else
			snprintf(out, len, "%s / %s", p->ja, p->en);
		return;
	}
	copy(out, len, key);
}

static void form_begin(const struct sk_login *l, struct sk_form *f, const char *auth_id)
{
	memset(f, 0, sizeof(*f));
	copy(f->auth_id, sizeof(f->auth_id), auth_id);
	if (l->cfg.gateway_name && *l->cfg.gateway_name)
		copy(f->title, sizeof(f->title), l->cfg.gateway_name);
	else
		prompt(l, "title", f->title, sizeof(f->title));
}

static struct sk_input *form_input(const struct sk_login *l, struct sk_form *f,
				   enum sk_input_type type, const char *name,
				   const char *label_key, const char *value)
{
	struct sk_input *in;

	if (f->n_inputs >= SK_FORM_INPUTS)
		return NULL;	/* no form here has more than three inputs */
	in = &f->inputs[f->n_inputs++];
	in->type = type;
	copy(in->name, sizeof(in->name), name);
	/* the input labels are the auth messages' "prompt-*" texts */
	snprintf(in->label, sizeof(in->label), "%s:", sk_msg(label_key, lang_of(l)));
	copy(in->value, sizeof(in->value), value);
	return in;
}

static void form_error(const struct sk_login *l, struct sk_form *f, const char *key)
{
	copy(f->error, sizeof(f->error), key ? sk_msg(key, lang_of(l)) : "");
}

/* ---------------------------------------------------------------- audit */

/* One audit record of this login.  device != NULL: a record of the device
 * step, with the device's name in its own column and what the client's
 * host scan reported in the detail (the id and MACs are what an
 * administrator needs to register a device by hand). */
static void audit_rec(struct sk_login *l, int64_t now, const char *type, const char *result,
		      const char *factor, const char *reason, const char *device)
{
	struct sk_audit a;
	struct sk_json j;
	FILE *f;

	memset(&a, 0, sizeof(a));
	a.time = now;
	copy(a.type, sizeof(a.type), type);
	copy(a.actor, sizeof(a.actor), l->name);
	if (l->user_exists)
		copy(a.user, sizeof(a.user), l->u.name);
	if (device)
		copy(a.device, sizeof(a.device), device);
	copy(a.source, sizeof(a.source), l->source);
	copy(a.result, sizeof(a.result), result);
	f = fmemopen(a.detail, sizeof(a.detail) - 1, "w");
	if (f) {
		sk_json_init(&j, f);
		sk_json_obj_begin(&j, NULL);
		if (l->group_set)
			sk_json_str(&j, "group", l->g.name);
		if (factor)
			sk_json_str(&j, "factor", factor);
		if (reason)
			sk_json_str(&j, "reason", reason);
		if (device && l->have_hs) {
			sk_json_str(&j, "device_id", l->hs.device_id);
			sk_json_arr_begin(&j, "macs");
			for (int i = 0; i < l->hs.n_macs && i < SK_HS_MACS; i++)
				sk_json_str(&j, NULL, l->hs.macs[i]);
			sk_json_arr_end(&j);
		}
		sk_json_obj_end(&j);
		fclose(f);
	}
	/* an audit failure must not change the login's outcome: the store
	 * logs its own errors; the answer to the user stays the same */
	(void)sk_audit_add(l->cfg.st, &a);
}

static void audit(struct sk_login *l, int64_t now, const char *type, const char *result,
		  const char *factor, const char *reason)
{
	audit_rec(l, now, type, result, factor, reason, NULL);
}

/* ---------------------------------------------------------------- endings */

static void wipe_otp(struct sk_login *l)
{
	sk_wipe(l->otp, sizeof(l->otp));
	l->otp_have = false;
	l->otp_expires = 0;
}

/* The State of an Access-Challenge is a server's key to its half of the
 * conversation: wiped as soon as the conversation ends */
static void challenge_forget(struct sk_login *l)
{
	sk_wipe(l->ch_state, sizeof(l->ch_state));
	sk_wipe(l->ch_prompt, sizeof(l->ch_prompt));
	memset(l->ch_dir, 0, sizeof(l->ch_dir));
	memset(l->ch_acc, 0, sizeof(l->ch_acc));
	l->ch_state_len = 0;
}

static void forget_user(struct sk_login *l)
{
	sk_wipe(&l->u, sizeof(l->u));
	memset(l->name, 0, sizeof(l->name));
	l->user_known = l->user_exists = l->proven = false;
	l->dir_user = false;
	l->n_dir_groups = 0;
	l->radius_dir[0] = l->framed_ip[0] = '\0';
	challenge_forget(l);
	wipe_otp(l);
	l->otp_fake = false;
}

/* Replaces each "{}" of text (at most 4) by arg, in place, bounded by len.
 * The messages are not format strings: a user or device name can never be
 * read as a conversion. */
static void fill_arg(char *text, size_t len, const char *arg)
{
	char out[sizeof(((struct sk_form *)0)->error)];
	size_t o = 0, al = strlen(arg);
	int n = 0;

	for (const char *p = text; *p && o + 1 < sizeof(out);) {
		if (p[0] == '{' && p[1] == '}' && n < 4 && o + al + 1 < sizeof(out)) {
			memcpy(out + o, arg, al);
			o += al;
			p += 2;
			n++;
		} else {
			out[o++] = *p++;
		}
	}
	out[o] = 0;
	copy(text, len, out);
}

/* "ja", "en" or NULL (both) for the posture messages */
static const char *po_lang(const struct sk_login *l)
{
	const char *lang = lang_of(l);

	if (!lang)
		return NULL;
	return !strncmp(lang, "ja", 2) && (lang[2] == '\0' || lang[2] == '-' || lang[2] == '_') ?
	       "ja" : "en";
}

static enum sk_step fatal_form(struct sk_login *l, struct sk_form *form)
{
	form_begin(l, form, "main");
	if (l->po_refused) {
		/* the failed check's own message (validated fields only) */
		sk_posture_message(&l->po, l->po.shown, po_lang(l), form->error,
				   sizeof(form->error));
		if (form->error[0])
			return SK_STEP_FATAL;
	}
	form_error(l, form, l->fatal_key);
	if (!form->error[0])
		copy(form->error, sizeof(form->error), "internal");
	if (strstr(form->error, "{}"))
		fill_arg(form->error, sizeof(form->error), l->fatal_arg);
	return SK_STEP_FATAL;
}

/* Ends the login: one "login" audit record, the code wiped. */
static enum sk_step fatal(struct sk_login *l, int64_t now, const char *key, struct sk_form *form)
{
	copy(l->fatal_key, sizeof(l->fatal_key), key);
	l->state = ST_FATAL;
	wipe_otp(l);
	audit(l, now, "login", "fail", NULL, key);
	return fatal_form(l, form);
}

static enum sk_step success_form(struct sk_login *l, struct sk_form *form)
{
	form_begin(l, form, "success");
	prompt(l, "success", form->message, sizeof(form->message));
	return SK_STEP_SUCCESS;
}

/* ---------------------------------------------------------------- account */

/* Access hours "HH:MM-HH:MM[,DAYS]" in local time; DAYS is a comma list of
 * "mon".."sun" or ranges "mon-fri" (ranges may wrap: "fri-mon").  The end
 * is exclusive, "24:00" is allowed as an end, equal start and end mean the
 * whole day.  A window that wraps midnight ("22:00-06:00") belongs to the
 * day it starts on.  1 inside, 0 outside, -1 malformed. */
static int parse_hhmm(const char **p, int max_h)
{
	const char *s = *p;
	int h, m;

	if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9' || s[2] != ':' ||
	    s[3] < '0' || s[3] > '5' || s[4] < '0' || s[4] > '9')
		return -1;
	h = (s[0] - '0') * 10 + (s[1] - '0');
	m = (s[3] - '0') * 10 + (s[4] - '0');
	if (h > max_h || (h == 24 && m))
		return -1;
	*p = s + 5;
	return h * 60 + m;
}

static int parse_day(const char **p)
{
	static const char *const days[] = { "sun", "mon", "tue", "wed", "thu", "fri", "sat" };

	for (int i = 0; i < 7; i++)
		if (!strncasecmp(*p, days[i], 3)) {
			*p += 3;
			return i;
		}
	return -1;
}

static int hours_allow(const char *spec, int64_t now)
{
	const char *p = spec;
	unsigned int mask = 0x7f;
	int start, end, min, day;
	struct tm tm;
	time_t t = (time_t)now;
	bool in;

	if (!spec || !*spec)
		return 1;
	start = parse_hhmm(&p, 23);
	if (start < 0 || *p++ != '-')
		return -1;
	end = parse_hhmm(&p, 24);
	if (end < 0)
		return -1;
	if (*p == ',') {
		mask = 0;
		do {
			int a, b;

			p++;
			a = parse_day(&p);
			if (a < 0)
				return -1;
			b = a;
			if (*p == '-') {
				p++;
				b = parse_day(&p);
				if (b < 0)
					return -1;
			}
			for (int d = a;; d = (d + 1) % 7) {
				mask |= 1u << d;
				if (d == b)
					break;
			}
		} while (*p == ',');
	}
	if (*p)
		return -1;
	if (!localtime_r(&t, &tm))
		return -1;
	min = tm.tm_hour * 60 + tm.tm_min;
	day = tm.tm_wday;
	if (start == end || (start == 0 && end == 24 * 60)) {
		in = true;
	} else if (start < end) {
		in = min >= start && min < end;
	} else if (min >= start) {
		in = true;
	} else {
		in = min < end;
		day = (day + 6) % 7;	/* the window began yesterday */
	}
	return in && (mask & (1u << day)) ? 1 : 0;
}

/* Locked now?  A lock whose time has passed is lifted (and written back). */
static bool is_locked(struct sk_login *l, int64_t now)
{
	char err[128];

	if (!l->user_exists || !l->u.locked)
		return false;
	if (!l->u.locked_until || l->u.locked_until > now)
		return true;
	l->u.locked = false;
	l->u.locked_until = 0;
	l->u.fail_count = 0;
	(void)sk_user_update(l->cfg.st, &l->u, err, sizeof(err));
	return false;
}

static void fmt_time(int64_t t, char *out, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!localtime_r(&tt, &tm) || !strftime(out, len, "%Y-%m-%d %H:%M", &tm))
		snprintf(out, len, "%lld", (long long)t);
}

/* The refusal of a locked account, shown only after a right answer:
 * "locked" (until {}) or "locked-admin" (until an administrator unlocks) */
static const char *locked_key(struct sk_login *l)
{
	if (!l->u.locked_until)
		return "locked-admin";
	fmt_time(l->u.locked_until, l->fatal_arg, sizeof(l->fatal_arg));
	return "locked";
}

static bool directory_of(struct sk_login *l, char *dir, size_t len);

/* A code factor came first in a group whose password a directory checks:
 * the directory's mapping, not the record's group, will decide the group
 * once the password has passed (finish() asks again) */
static bool dir_pending(struct sk_login *l)
{
	char dir[SK_NAME_MAX + 1];

	return (l->required & bit(SK_FACTOR_PASSWORD)) && !(l->passed & bit(SK_FACTOR_PASSWORD)) &&
	       directory_of(l, dir, sizeof(dir));
}

/* The account checks of a proven user (skchain.h step 3); NULL = fine. */
static const char *account_refusal(struct sk_login *l, int64_t now)
{
	int h;

	if (!l->user_exists)
		return "internal";
	if (sk_user_get(l->cfg.st, l->u.name, &l->u))
		return "internal";	/* deleted during the login */
	if (!l->u.enabled)
		return "account-disabled";
	if (is_locked(l, now))
		return locked_key(l);
	if (l->u.valid_from && now < l->u.valid_from)
		return "account-not-yet-valid";
	if (l->u.valid_until && now > l->u.valid_until)
		return "account-expired";
	if (l->dir_user) {
		/* the directory's mapping decides; the client chose among those */
		bool ok = false;

		for (int i = 0; i < l->n_dir_groups; i++)
			ok |= !strcmp(l->dir_groups[i], l->g.name);
		if (!ok)
			return "group-unknown";
	} else if (strcmp(l->u.group, l->g.name) && !dir_pending(l)) {
		return "group-unknown";
	}
	h = hours_allow(l->g.access_hours, now);
	if (h < 0)
		return "internal";	/* fail closed on a malformed setting */
	if (!h)
		return "outside-hours";
	return NULL;
}

/* ---------------------------------------------------------------- forms */

struct group_collect {
	struct sk_input *in;
	int count;
	char first[SK_NAME_MAX + 1];
};

static int collect_group(const struct sk_group *g, void *arg)
{
	struct group_collect *c = arg;

	if (!c->count)
		copy(c->first, sizeof(c->first), g->name);
	c->count++;
	if (c->in && c->in->n_options < SK_FORM_OPTIONS) {
		int i = c->in->n_options++;

		copy(c->in->options[i].value, sizeof(c->in->options[i].value), g->name);
		copy(c->in->options[i].label, sizeof(c->in->options[i].label),
		     g->label[0] ? g->label : g->name);
	}
	return 0;
}

static void add_group_list(struct sk_login *l, struct sk_form *f)
{
	struct group_collect c = { 0 };

	if (!l->group_list)
		return;
	c.in = form_input(l, f, SK_IN_SELECT, "group_list", "prompt-group", l->g.name);
	if (c.in)
		(void)sk_group_list(l->cfg.st, collect_group, &c);
}

static void add_banner(struct sk_login *l, struct sk_form *f)
{
	if (l->banner_shown || !l->g.banner[0])
		return;
	copy(f->banner, sizeof(f->banner), l->g.banner);
	l->banner_shown = true;
}

/* The form of the current state, with an optional error key. */
static enum sk_step show(struct sk_login *l, struct sk_form *f, const char *err)
{
	enum sk_factor cur = l->pos < l->nfactors ? l->g.factors[l->pos] : SK_FACTOR_NONE;

	if (l->state == ST_PWCHANGE) {
		form_begin(l, f, "new-password");
		copy(f->message, sizeof(f->message), sk_msg("pw-change-required", lang_of(l)));
		size_t used = strlen(f->message);

		if (used + 2 < sizeof(f->message)) {
			f->message[used++] = '\n';
			prompt(l, "new-password", f->message + used, sizeof(f->message) - used);
		}
		form_input(l, f, SK_IN_PASSWORD, "new_password", "prompt-new-password", "");
	} else if (l->state == ST_CHALLENGE) {
		/* the server's Reply-Message (validated text; the worker
		 * escapes it like every other text) and one hidden input */
		form_begin(l, f, "challenge");
		copy(f->message, sizeof(f->message),
		     l->ch_prompt[0] ? l->ch_prompt : sk_msg("dir-challenge", lang_of(l)));
		form_input(l, f, SK_IN_PASSWORD, "answer", "prompt-answer", "");
	} else if (l->state == ST_IDENT) {
		form_begin(l, f, "main");
		prompt(l, "main-username", f->message, sizeof(f->message));
		form_input(l, f, SK_IN_TEXT, "username", "prompt-username", "");
		add_group_list(l, f);
		add_banner(l, f);
	} else if (cur == SK_FACTOR_PASSWORD) {
		form_begin(l, f, "main");
		prompt(l, "main-password", f->message, sizeof(f->message));
		/* a user known from the certificate sees the name filled in */
		form_input(l, f, SK_IN_TEXT, "username", "prompt-username",
			   l->proven ? l->u.name : "");
		form_input(l, f, SK_IN_PASSWORD, "password", "prompt-password", "");
		add_group_list(l, f);
		add_banner(l, f);
	} else if (cur == SK_FACTOR_EMAIL_OTP || cur == SK_FACTOR_TOTP) {
		form_begin(l, f, "otp");
		if (cur == SK_FACTOR_TOTP)
			prompt(l, "totp", f->message, sizeof(f->message));
		else
			copy(f->message, sizeof(f->message), sk_msg("otp-sent", lang_of(l)));
		form_input(l, f, SK_IN_PASSWORD, "secondary_password",
			   cur == SK_FACTOR_TOTP ? "prompt-totp" : "prompt-otp", "");
		add_banner(l, f);
	} else {
		/* no state shows a form otherwise: a bug, refuse rather than loop */
		form_begin(l, f, "main");
		form_error(l, f, "internal");
		return SK_STEP_FATAL;
	}
	if (err)
		form_error(l, f, err);
	return SK_STEP_FORM;
}

/* ---------------------------------------------------------------- notices */

/* Mails to the administrator in one hour, at most: a spray from many
 * addresses must not bury the administrator's mailbox (the audit trail
 * keeps every event). */
#define CHAIN_NOTICES_HOUR 30

static int notice_count_fn(const struct sk_audit *a, void *arg)
{
	if (strcmp(a->result, "skipped"))
		(*(int *)arg)++;
	return 0;
}

/*
 * A mail to notify.admin_email (none set, or no mail relay: nothing).
 * With cfg.notice the caller sends it (sekishod: off the login's path, so
 * that the time of an answer does not tell that it locked an account);
 * else it is sent here.  One audit record "notify" with what (device: in
 * the device step's form).
 */
static void admin_notice(struct sk_login *l, int64_t now, const char *what, bool device,
			 const char *subject, const char *body)
{
	struct sk_audit_filter flt = { .since = now - 3600, .type = "notify" };
	char to[SK_TEXT_MAX], err[256];
	const char *result = "ok", *reason = what;
	int n = 0;

	if (!l->cfg.mail || sk_setting_get(l->cfg.st, "notify.admin_email", to, sizeof(to)) ||
	    !to[0])
		return;
	if (sk_audit_list(l->cfg.st, &flt, notice_count_fn, &n) || n >= CHAIN_NOTICES_HOUR) {
		result = "skipped";
	} else if (l->cfg.notice) {
		l->cfg.notice(l->cfg.notice_arg, l->cfg.mail, to, subject, body);
	} else if (sk_mail_send(l->cfg.mail, to, subject, body, err, sizeof(err))) {
		result = "fail";
		reason = err;
	}
	if (device)
		audit_rec(l, now, "notify", result, "device", reason, "");
	else
		audit(l, now, "notify", result, NULL, reason);
}

static const char *gateway(const struct sk_login *l)
{
	return l->cfg.gateway_name && *l->cfg.gateway_name ? l->cfg.gateway_name : "sekisho";
}

static void notice_locked(struct sk_login *l, int64_t now, const struct sk_user *u)
{
	char subject[256], body[2048], until[96];

	if (u->locked_until)
		fmt_time(u->locked_until, until, sizeof(until));
	else
		snprintf(until, sizeof(until), "管理者が解除するまで / until an administrator unlocks it");
	snprintf(subject, sizeof(subject), "%s: アカウントロック / account locked (%s)", gateway(l),
		 u->name);
	snprintf(body, sizeof(body),
		 "ログインの失敗が続いたため、アカウントをロックしました。\n"
		 "An account was locked after repeated failed logins.\n"
		 "\n"
		 "ユーザー / user: %s\n"
		 "最後の接続元 / last source: %s\n"
		 "ロック / locked until: %s\n"
		 "ロック回数 / lock number: %d (ロックのたびに倍の長さ / each lock lasts twice the one before)\n"
		 "\n"
		 "本人の操作でなければ、パスワードを推測されている可能性があります。\n"
		 "If this was not the user, someone may be guessing the password.\n"
		 "解除 / to unlock: sekictl user unlock %s\n",
		 u->name, l->source, until, u->lock_count, u->name);
	admin_notice(l, now, "account-locked", false, subject, body);
}

static void notice_source(struct sk_login *l, int64_t now, const struct sk_source *src)
{
	char subject[256], body[2048], until[64];

	fmt_time(src->blocked_until, until, sizeof(until));
	snprintf(subject, sizeof(subject), "%s: 接続元ブロック / source blocked (%s)", gateway(l),
		 src->prefix);
	snprintf(body, sizeof(body),
		 "同じ接続元からのログイン失敗が続いたため、一時的にブロックしました。\n"
		 "A source address was blocked for a while after repeated failed logins.\n"
		 "\n"
		 "接続元 / source: %s\n"
		 "失敗 / failures: %d (%d 秒以内 / within %d s)\n"
		 "ブロック終了 / blocked until: %s\n"
		 "ブロック回数 / times blocked: %d\n"
		 "\n"
		 "解除 / to unblock: sekictl source unblock %s\n"
		 "ブロックしない範囲 / ranges never blocked: sekictl settings set source.never_block CIDR,...\n",
		 src->prefix, l->s.src_threshold, l->s.src_window, l->s.src_window, until,
		 src->blocks, src->prefix);
	admin_notice(l, now, "source-blocked", false, subject, body);
}

/* ---------------------------------------------------------------- failures */

/* The end of the block of this login's source, 0 = not blocked.  Asked
 * before anything else of a round, so a blocked source costs no hash. */
static int64_t source_blocked(struct sk_login *l, int64_t now)
{
	struct sk_source s;

	if (l->s.src_threshold == INT_MAX)
		return 0;	/* lockout.source_threshold 0: no source is blocked */
	if (sk_source_get(l->cfg.st, l->source, &s) || s.blocked_until <= now)
		return 0;
	return sk_source_never_block(l->cfg.st, l->source) ? 0 : s.blocked_until;
}

static enum sk_step source_fatal(struct sk_login *l, int64_t now, int64_t until,
				 struct sk_form *form)
{
	fmt_time(until, l->fatal_arg, sizeof(l->fatal_arg));
	return fatal(l, now, "source-locked", form);
}

/*
 * Counts a wrong answer in the store: the account of the name attached
 * (count_account; an unknown name costs the same store work, and nothing
 * is mailed for it) and the source.  Returns the end of the source's block
 * when this failure left it blocked, else 0.  The account's lock is never
 * told here: a locked account answers like any wrong answer.
 */
static int64_t fail_record(struct sk_login *l, int64_t now, bool count_account)
{
	struct sk_fail_policy p = {
		.lock_threshold = l->s.lock_threshold == INT_MAX ? 0 : l->s.lock_threshold,
		.lock_seconds = l->s.lock_seconds,
		.lock_max_seconds = l->s.lock_max,
		.src_threshold = l->s.src_threshold == INT_MAX ? 0 : l->s.src_threshold,
		.src_window = l->s.src_window,
		.src_block_seconds = l->s.src_block,
	};
	struct sk_fail_result *r = calloc(1, sizeof(*r));
	const char *user = NULL;
	int64_t blocked = 0;

	if (!r)
		return 0;
	p.src_exempt = sk_source_never_block(l->cfg.st, l->source);
	if (count_account && l->user_known)
		user = l->user_exists ? l->u.name : l->name;
	if (!sk_login_fail(l->cfg.st, user, l->source, &p, now, r)) {
		if (r->user_found && l->user_exists && !strcmp(r->u.name, l->u.name)) {
			l->u.fail_count = r->u.fail_count;
			l->u.locked = r->u.locked;
			l->u.locked_until = r->u.locked_until;
			l->u.lock_count = r->u.lock_count;
		}
		if (r->user_locked_now)
			notice_locked(l, now, &r->u);
		if (r->src_blocked_now)
			notice_source(l, now, &r->src);
		if (r->src_scored && r->src.blocked_until > now && !p.src_exempt &&
		    l->s.src_threshold != INT_MAX)
			blocked = r->src.blocked_until;
	}
	sk_wipe(r, sizeof(*r));
	free(r);
	return blocked;
}

/*
 * A wrong answer: audit, account lockout (when count_account and the user
 * exists), source score, login tries.  Ends the login when the account got
 * locked, the source went over its score or the tries are used up; else the
 * same form again with the error.
 */
static enum sk_step wrong(struct sk_login *l, int64_t now, enum sk_factor factor,
			  const char *key, const char *reason, bool count_account,
			  struct sk_form *form)
{
	int64_t blocked;

	audit(l, now, "factor", "fail", sk_factor_name(factor), reason ? reason : key);
	blocked = fail_record(l, now, count_account);
	if (blocked)
		return source_fatal(l, now, blocked, form);
	if (++l->tries >= l->s.max_tries)
		return fatal(l, now, key, form);
	return show(l, form, key);
}

/* ---------------------------------------------------------------- factors */

static enum sk_step enter(struct sk_login *l, int64_t now, struct sk_form *form);

/* The factor at pos passed: remember it, check the (now proven) account. */
static enum sk_step passed(struct sk_login *l, int64_t now, enum sk_factor f,
			   struct sk_form *form)
{
	const char *why;

	audit(l, now, "factor", "ok", sk_factor_name(f), NULL);
	l->passed |= bit(f);
	l->pos++;
	l->proven = true;
	why = account_refusal(l, now);
	if (why)
		return fatal(l, now, why, form);
	return enter(l, now, form);
}

/* Attaches the user named name (which may not exist). */
static void attach_user(struct sk_login *l, const char *name)
{
	forget_user(l);
	copy(l->name, sizeof(l->name), name);
	l->user_known = true;
	l->user_exists = !sk_user_get(l->cfg.st, l->name, &l->u);
	if (!l->user_exists)
		sk_wipe(&l->u, sizeof(l->u));
}

struct cert_find {
	const char *id;
	char name[SK_NAME_MAX + 1];
	int matches;
};

static const char *cert_identity(const struct sk_user *u)
{
	return u->cert_id[0] ? u->cert_id : u->name;
}

static int cert_find_fn(const struct sk_user *u, void *arg)
{
	struct cert_find *c = arg;

	if (!strcmp(cert_identity(u), c->id)) {
		if (!c->matches++)
			copy(c->name, sizeof(c->name), u->name);
	}
	return 0;
}

/* sk_certv_check's reason -> message key ("cert-expired", ...) */
static const char *cert_key(const char *why)
{
	static const char *const keys[][2] = {
		{ "no-cert", "cert-missing" }, { "untrusted", "cert-untrusted" },
		{ "expired", "cert-expired" }, { "not-yet-valid", "cert-not-yet-valid" },
		{ "revoked", "cert-revoked" }, { "bad-usage", "cert-bad-usage" },
		{ "no-identity", "cert-no-identity" }, { "ocsp-failed", "cert-ocsp-failed" },
	};

	for (size_t i = 0; why && i < sizeof(keys) / sizeof(keys[0]); i++)
		if (!strcmp(why, keys[i][0]))
			return keys[i][1];
	return "cert-untrusted";
}

/*
 * A certificate of the built-in CA logs in only the user record it was
 * issued to, not whoever has the name now (users are deleted and names
 * given again; a rowid is reused too).  The CA writes the record's uid
 * (SAN URI urn:uuid:UID) into the certificate and the store keeps the
 * certificate's row (user, uid, revocation).  NULL when cert may log in
 * l->u, else the reason for the audit trail.
 *
 * - in the store and revoked: refused here, whatever the CRL file the
 *   verifier loaded says (the store is read at every login, so a
 *   revocation holds from the next login on, without a reload);
 * - a uid in the certificate (or its row) must be the user's;
 * - issued before the store had uids (no uid in either): only for a user
 *   whose record is older than the migration (legacy_certs) and no newer
 *   than the certificate, so a name deleted and created again never
 *   accepts it;
 * - not in the store and without a uid: another CA's certificate, bound
 *   by its name field (cert.bind, cert_id) and that CA's CRL/OCSP.
 */
static const char *cert_owner(struct sk_login *l)
{
	char serial[SK_NAME_MAX + 1], uid[SK_UID_LEN + 1];
	struct sk_cert c;
	int rc;

	if (sk_cert_facts(l->cert, serial, sizeof(serial), uid, sizeof(uid)))
		return "identity-ambiguous";
	rc = sk_cert_get(l->cfg.st, serial, &c);
	if (rc == -ENOENT)
		return uid[0] && strcmp(uid, l->u.uid) ? "user-replaced" : NULL;
	if (rc)
		return "store-error";	/* fail closed */
	if (c.revoked_at)
		return "revoked";
	if (strcmp(c.user, l->u.name))
		return "identity-mismatch";
	if (uid[0] || c.user_uid[0])
		return strcmp(uid, l->u.uid) || (c.user_uid[0] && strcmp(c.user_uid, l->u.uid)) ?
		       "user-replaced" : NULL;
	/* not_before is the time of issue minus 300 s (admin/ca.c) */
	if (!l->u.legacy_certs || c.not_before + 300 < l->u.created)
		return "user-replaced";
	return NULL;
}

/* The "cert" factor: no form, decided from the TLS client certificate. */
static enum sk_step do_cert(struct sk_login *l, int64_t now, struct sk_form *form)
{
	char id[SK_NAME_MAX * 4];
	const char *why = NULL, *key = NULL;
	int rc;

	if (!l->cfg.certv || !l->cert) {
		key = "cert-missing";
		why = "no-cert";
	} else {
		rc = sk_certv_check(l->cfg.certv, l->cert, l->chain, now, l->cfg.cert_bind,
				    id, sizeof(id), &why);
		if (rc)
			key = cert_key(why);
	}
	if (!key) {
		if (l->user_known) {
			/* a password (or code) came first: the certificate must be this user's */
			if (!l->user_exists || strcmp(cert_identity(&l->u), id)) {
				key = "cert-other-user";
				why = "identity-mismatch";
			}
		} else {
			struct cert_find c = { .id = id };

			(void)sk_user_list(l->cfg.st, cert_find_fn, &c);
			/* two users bound to one identity would let either
			 * log in as the other: refuse rather than guess */
			if (c.matches != 1) {
				key = "cert-other-user";
				why = c.matches ? "identity-ambiguous" : "identity-unknown";
			} else {
				attach_user(l, c.name);
				if (!l->user_exists) {
					key = "cert-other-user";
					why = "identity-unknown";
				}
			}
		}
	}
	if (!key && (why = cert_owner(l)) != NULL)
		key = "cert-revoked";	/* to the user: ask for a new certificate */
	if (key) {
		audit(l, now, "factor", "fail", "cert", why ? why : key);
		(void)fail_record(l, now, false);
		return fatal(l, now, key, form);
	}
	return passed(l, now, SK_FACTOR_CERT, form);
}

/* A fixed argon2id hash with the default parameters: verifying an unknown
 * user's password against it costs what a real verification costs. */
static void dummy_hash(const struct sk_login *l, char *out, size_t len)
{
	struct sk_pw_params p;

	/* the cost new hashes get, which is what most stored ones have */
	sk_pw_params_load(l->cfg.st, &p);
	snprintf(out, len, "$argon2id$v=19$m=%u,t=%u,p=%u$c2VraXNoby1kdW1teS1zYQ"
		 "$c2VraXNobzogbm8gc3VjaCB1c2VyLCBubyBtYXRjaC4",
		 p.m_cost_kib, p.t_cost, p.parallelism);
}

static void hash_forget(struct sk_login *l)
{
	if (l->hj_dir) {
		sk_ldap_cfg_wipe(l->hj_dir);
		free(l->hj_dir);
		l->hj_dir = NULL;
	}
	if (l->hj_res) {
		sk_wipe(l->hj_res, sizeof(*l->hj_res));
		free(l->hj_res);
		l->hj_res = NULL;
	}
	l->hj_is_dir = false;
	l->hj_answer = false;
	l->hj_dirchg = false;
	sk_wipe(l->hj_acc, sizeof(l->hj_acc));
	sk_wipe(l->hj_dir_err, sizeof(l->hj_dir_err));
	l->hj_dir_rc = 0;
	sk_wipe(l->hj_hash, sizeof(l->hj_hash));
	sk_wipe(l->hj_pw, sizeof(l->hj_pw));
	sk_wipe(l->hj_new, sizeof(l->hj_new));
	l->hj_rc = 0;
	l->hj_new_rc = 0;
	l->hj_change = false;
	l->hj = HJ_NONE;
}

/* ---------------------------------------------------------------- directory */

/* The directory that checks this group's passwords: the group's own, else
 * directory.default; false = local passwords. */
static bool directory_of(struct sk_login *l, char *dir, size_t len)
{
	dir[0] = '\0';
	if (sk_group_directory_get(l->cfg.st, l->g.name, dir, len) || !dir[0])
		if (sk_setting_get(l->cfg.st, "directory.default", dir, len))
			dir[0] = '\0';
	return dir[0] != '\0';
}

/* A refusal of the directory itself (not reachable, misconfigured): not
 * the user's fault, not counted, and the same for every name. */
static enum sk_step dir_unavailable(struct sk_login *l, int64_t now, const char *why,
				    struct sk_form *form)
{
	char reason[320];

	snprintf(reason, sizeof(reason), "directory: %s", why);
	audit(l, now, "factor", "fail", "password", reason);
	hash_forget(l);
	challenge_forget(l);
	return fatal(l, now, "dir-unavailable", form);
}

static void notice_local_name(struct sk_login *l, int64_t now, const char *dir)
{
	char subject[256], body[1024];

	snprintf(subject, sizeof(subject), "%s: ディレクトリとローカルの名前の重複 / directory name "
		 "clash (%s)", gateway(l), l->hj_acc);
	snprintf(body, sizeof(body),
		 "ディレクトリ %s の利用者が、ローカルアカウントと同じ名前でログインしようとしたため拒否しました。\n"
		 "A user of directory %s was refused: a local account has the same name.\n"
		 "\n"
		 "ユーザー / user: %s\n"
		 "接続元 / source: %s\n"
		 "\n"
		 "どちらかの名前を変えるか、ローカルアカウントを削除してください。\n"
		 "Rename one of them, or delete the local account (sekictl user del %s).\n",
		 dir, dir, l->hj_acc, l->source, l->hj_acc);
	admin_notice(l, now, "directory-local-name", false, subject, body);
}

struct jit { const char *name, *dir, *group, *mail; };

static int jit_fn(struct sk_store *st, void *arg)
{
	struct jit *j = arg;
	struct sk_user u;
	int rc;

	memset(&u, 0, sizeof(u));
	copy(u.name, sizeof(u.name), j->name);
	copy(u.group, sizeof(u.group), j->group);
	copy(u.email, sizeof(u.email), j->mail);
	u.enabled = true;
	rc = sk_user_add(st, &u, NULL, 0);
	if (rc == -EINVAL && u.email[0]) {
		u.email[0] = '\0';	/* a mail the store does not take: none */
		rc = sk_user_add(st, &u, NULL, 0);
	}
	return rc ? rc : sk_user_directory_set(st, j->name, j->dir);
}

/*
 * The local record of a user of directory dir: made the first time the
 * directory knows the name (a just-in-time account: devices, TOTP,
 * lockout, audit stay local).  Made on a wrong password too, so that our
 * lockout counts every bind we send for that name.  0 = l->u is it;
 * -EEXIST = the name is a local account (or another directory's).  Two
 * gateways making it at once make one record: the second gets -EEXIST
 * from the store and reads the first one's.
 */
static int dir_record(struct sk_login *l, const char *dir, const char *group, const char *mail)
{
	char have[SK_NAME_MAX + 1];
	struct jit j = { l->hj_acc, dir, group, mail ? mail : "" };
	int rc;

	rc = sk_user_directory_get(l->cfg.st, l->hj_acc, have, sizeof(have));
	if (rc == -ENOENT) {
		rc = sk_store_tx(l->cfg.st, jit_fn, &j);
		if (rc && rc != -EEXIST)
			return rc;
		rc = sk_user_directory_get(l->cfg.st, l->hj_acc, have, sizeof(have));
	}
	if (rc)
		return rc;
	if (strcmp(have, dir))
		return -EEXIST;
	attach_user(l, l->hj_acc);
	if (!l->user_exists)
		return -EIO;
	/* the directory's mail for e-mailed codes, when it changed */
	if (mail && *mail && strcmp(l->u.email, mail)) {
		copy(l->u.email, sizeof(l->u.email), mail);
		if (sk_user_update(l->cfg.st, &l->u, NULL, 0))
			(void)sk_user_get(l->cfg.st, l->u.name, &l->u);
	}
	return 0;
}

/*
 * Queues one request to directory dir for the account in l->hj_acc: the
 * password, or (answer) the answer to the Access-Challenge kept in l.
 * true: *step is what the round returns (SK_STEP_HASH, or a refusal);
 * false: the request ran here and its outcome is in l->hj_*.
 */
enum dir_req { DR_PASSWORD, DR_ANSWER, DR_CHANGE };

static bool dir_request(struct sk_login *l, int64_t now, const char *dir, const char *pw,
			enum dir_req kind, struct sk_form *form, enum sk_step *step)
{
	char err[256];
	int dir_lockout = 0;

	l->hj_dir = calloc(1, sizeof(*l->hj_dir));
	l->hj_res = calloc(1, sizeof(*l->hj_res));
	if (!l->hj_dir || !l->hj_res)
		return *step = dir_unavailable(l, now, "out of memory", form), true;
	if (sk_ldap_cfg_load(l->cfg.st, dir, l->hj_dir, &dir_lockout, err, sizeof(err)))
		return *step = dir_unavailable(l, now, err, form), true;
	if (dir_lockout > 0 && (l->s.lock_threshold == INT_MAX ||
				l->s.lock_threshold >= dir_lockout)) {
		snprintf(err, sizeof(err), "lockout.threshold must be below the directory's "
			 "lockout-threshold %d", dir_lockout);
		return *step = dir_unavailable(l, now, err, form), true;
	}
	copy(l->hj_pw, sizeof(l->hj_pw), pw);
	l->hj_is_dir = true;
	l->hj_answer = kind == DR_ANSWER;
	l->hj_dirchg = kind == DR_CHANGE;
	l->hj = HJ_PENDING;
	if (l->cfg.defer_hash)
		return *step = SK_STEP_HASH, true;
	(void)sk_login_hash(l);
	return false;
}

/* An Access-Challenge: its State and prompt stay in l, the password does
 * not; the next round asks the answer (do_challenge) */
static enum sk_step dir_challenge(struct sk_login *l, int64_t now, const char *dir,
				  const struct sk_ldap_result *r, struct sk_form *form)
{
	char d[SK_NAME_MAX + 1];

	copy(d, sizeof(d), dir);	/* dir may be l->ch_dir */
	if (++l->ch_count > CHAIN_CHALLENGES_MAX) {
		audit(l, now, "factor", "fail", "password", "directory-too-many-challenges");
		hash_forget(l);
		challenge_forget(l);
		return fatal(l, now, "dir-challenge-too-many", form);
	}
	challenge_forget(l);
	copy(l->ch_dir, sizeof(l->ch_dir), d);
	copy(l->ch_acc, sizeof(l->ch_acc), l->hj_acc);
	memcpy(l->ch_state, r->ch_state, r->ch_state_len);
	l->ch_state_len = r->ch_state_len;
	copy(l->ch_prompt, sizeof(l->ch_prompt), r->prompt);
	audit(l, now, "factor", "challenge", "password", "directory-challenge");
	hash_forget(l);
	l->state = ST_CHALLENGE;
	return show(l, form, NULL);
}

/* A wrong answer in the directory step (the password, or an answer to a
 * challenge, which ends the server's conversation): counted, the password
 * form again, nothing of the request kept; the next try may name another
 * user unless a certificate fixed it */
static enum sk_step dir_wrong(struct sk_login *l, int64_t now, const char *key, const char *reason,
			      bool count_account, struct sk_form *form)
{
	enum sk_step s;

	l->state = ST_FACTOR;
	challenge_forget(l);
	hash_forget(l);
	s = wrong(l, now, SK_FACTOR_PASSWORD, key, reason, count_account, form);
	if (!l->proven)
		forget_user(l);
	return s;
}

/* The directory's answer to the request dir_request queued */
static enum sk_step dir_outcome(struct sk_login *l, int64_t now, const char *dir,
				struct sk_form *form)
{
	char err[256], have[SK_NAME_MAX + 1];
	struct sk_ldap_result *r = l->hj_res;
	int rc = l->hj_dir_rc;
	bool was_challenge = l->state == ST_CHALLENGE;

	if (rc == -EHOSTDOWN || rc == -EPROTO || rc == -EKEYREJECTED || rc == -EIO ||
	    rc == -EAGAIN || !r) {
		copy(err, sizeof(err), l->hj_dir_err);
		return dir_unavailable(l, now, err, form);
	}
	if (rc == -EINPROGRESS) {
		if (!r->ch_state_len || r->ch_state_len > sizeof(l->ch_state))
			return dir_unavailable(l, now, "an Access-Challenge without a usable State", form);
		return dir_challenge(l, now, dir, r, form);
	}
	l->state = ST_FACTOR;	/* a challenge, if any, is over */
	challenge_forget(l);
	if (rc == 0 && r->pw_checked) {
		bool change = r->state.pw_expired || r->state.must_change;
		const char *state = r->state.disabled ? "dir-disabled" :
				    r->state.expired ? "dir-expired" :
				    r->state.locked ? "dir-locked" : NULL;

		/* a RADIUS server has no password change for us to make; an
		 * expired OpenLDAP password cannot bind for its change */
		if (!state && change && (!l->hj_dir || l->hj_dir->type == SK_LDAP_RADIUS ||
					 (l->hj_dir->type == SK_LDAP_OPENLDAP && r->state.pw_expired)))
			state = "dir-pw-change";

		if (!r->n_mapped) {
			audit(l, now, "factor", "fail", "password", "directory-no-mapped-group");
			hash_forget(l);
			return fatal(l, now, "dir-no-group", form);
		}
		rc = dir_record(l, dir, r->mapped[0], r->mail);
		if (rc == -EEXIST) {
			(void)sk_user_directory_get(l->cfg.st, l->hj_acc, have, sizeof(have));
			audit(l, now, "factor", "fail", "password", have[0] ?
			      "directory-name-of-another-directory" : "directory-local-name");
			notice_local_name(l, now, dir);
			hash_forget(l);
			return fatal(l, now, "dir-local-name", form);
		}
		if (rc) {
			hash_forget(l);
			return fatal(l, now, "internal", form);
		}
		if (is_locked(l, now)) {
			audit(l, now, "factor", "fail", "password", "locked");
			hash_forget(l);
			return fatal(l, now, locked_key(l), form);
		}
		if (state) {
			audit(l, now, "factor", "fail", "password", state);
			hash_forget(l);
			return fatal(l, now, state, form);
		}
		l->dir_user = true;
		if (change) {
			/* the new-password form comes after every factor (finish) */
			l->dir_change = true;
			copy(l->dir_old, sizeof(l->dir_old), l->hj_pw);
			audit(l, now, "factor", "ok", "password", "directory-pw-must-change");
		}
		l->n_dir_groups = r->n_mapped;
		for (int i = 0; i < r->n_mapped; i++)
			copy(l->dir_groups[i], sizeof(l->dir_groups[i]), r->mapped[i]);
		if (l->hj_dir && l->hj_dir->type == SK_LDAP_RADIUS && l->hj_dir->radius) {
			copy(l->radius_dir, sizeof(l->radius_dir), dir);
			l->session_timeout = r->session_timeout;
			if (l->hj_dir->radius->framed_ip)
				copy(l->framed_ip, sizeof(l->framed_ip), r->framed_ip);
		}
		hash_forget(l);
		return passed(l, now, SK_FACTOR_PASSWORD, form);
	}
	/* a wrong password (-EACCES), no such entry (-ENOENT), a name the
	 * checks refused (-EINVAL): the same answer as a local wrong one;
	 * a name the directory knows gets its local record now, so that the
	 * failure counts toward our lockout.  A refused answer to a challenge
	 * ends the server's conversation: the password form again. */
	if (rc == -EACCES && !l->user_exists && r->dn[0] && r->n_mapped)
		(void)dir_record(l, dir, r->mapped[0], r->mail);
	return dir_wrong(l, now, was_challenge ? "dir-challenge-wrong" : "pw-wrong",
			 rc == -EACCES ? (was_challenge ? "directory-challenge-wrong" : "directory-pw-wrong") :
			 rc == -ENOENT ? "directory-unknown-user" : "directory-refused", true, form);
}

static enum sk_step do_dir_password(struct sk_login *l, int64_t now, const char *dir,
				    const char *uname, const char *pw, struct sk_form *form)
{
	char acc[SK_NAME_MAX + 1], err[256];
	enum sk_step step;

	if (sk_ldap_normalize(uname, acc, sizeof(acc), err, sizeof(err)))
		acc[0] = '\0';	/* cannot exist: a wrong answer, no bind */
	if (l->proven && strcmp(acc, l->u.name)) {
		audit(l, now, "factor", "fail", "password", "cert-other-user");
		(void)fail_record(l, now, false);
		return fatal(l, now, "cert-other-user", form);
	}
	if (!(l->hj == HJ_DONE && l->hj_is_dir && !l->hj_answer && !l->hj_dirchg &&
	      !strcmp(l->hj_acc, acc) &&
	      sk_ct_streq(l->hj_pw, pw))) {
		hash_forget(l);
		if (!l->proven)
			attach_user(l, acc);
		copy(l->hj_acc, sizeof(l->hj_acc), acc);
		/* a locked record sends the directory nothing: our lockout is
		 * the bound of the binds an attacker gets through us */
		if (!acc[0] || !*pw || strlen(pw) > CHAIN_PW_MAX || (l->user_exists && is_locked(l, now)))
			return dir_wrong(l, now, "pw-wrong", !acc[0] ? "directory-bad-name" :
					 !*pw ? "directory-empty-password" :
					 l->user_exists && is_locked(l, now) ? "locked-no-bind" :
					 "directory-pw-too-long", l->user_exists, form);
		if (dir_request(l, now, dir, pw, DR_PASSWORD, form, &step))
			return step;
	}
	return dir_outcome(l, now, dir, form);
}

/* The answer to the directory's Access-Challenge (form "challenge", input
 * "answer"), sent with the State kept in l; only the state that asked it
 * reads it. */
static enum sk_step do_challenge(struct sk_login *l, int64_t now, int n,
				 const char *const *names, const char *const *values,
				 struct sk_form *form)
{
	const char *ans = field(n, names, values, "answer");
	char dir[SK_NAME_MAX + 1];
	enum sk_step step;

	/* openconnect posts the input "answer" as <password> (as it does for
	 * the ASA's challenge form); a post with a user name is the password
	 * form again, not an answer */
	if (!ans && !field(n, names, values, "username"))
		ans = field(n, names, values, "password");
	if (!ans || !*ans)
		return show(l, form, NULL);
	copy(dir, sizeof(dir), l->ch_dir);
	if (!(l->hj == HJ_DONE && l->hj_is_dir && l->hj_answer && !l->hj_dirchg &&
	      sk_ct_streq(l->hj_pw, ans))) {
		hash_forget(l);
		copy(l->hj_acc, sizeof(l->hj_acc), l->ch_acc);
		/* locked meanwhile (another login's failures): nothing is sent */
		if (strlen(ans) > CHAIN_PW_MAX || !l->ch_state_len ||
		    (l->user_exists && is_locked(l, now)))
			return dir_wrong(l, now, "dir-challenge-wrong", !l->ch_state_len ?
					 "directory-no-state" : strlen(ans) > CHAIN_PW_MAX ?
					 "directory-answer-too-long" : "locked-no-bind", l->user_exists, form);
		if (dir_request(l, now, dir, ans, DR_ANSWER, form, &step))
			return step;
	}
	return dir_outcome(l, now, dir, form);
}

static enum sk_step do_password(struct sk_login *l, int64_t now, int n,
				const char *const *names, const char *const *values,
				struct sk_form *form)
{
	const char *uname = field(n, names, values, "username");
	const char *pw = field(n, names, values, "password");
	char dummy[SK_PW_HASH_MAX];
	const char *hash;
	bool real, ok, locked;
	int rc;

	if (l->proven && (!uname || !*uname))
		uname = l->u.name;	/* the certificate said who it is */
	if (!uname || !*uname || !pw)
		return show(l, form, NULL);	/* nothing posted yet: ask again */
	if (strlen(uname) > SK_NAME_MAX)
		uname = "";	/* cannot exist; still verified against the dummy */
	{
		char dir[SK_NAME_MAX + 1];

		if (directory_of(l, dir, sizeof(dir)))
			return do_dir_password(l, now, dir, uname, pw, form);
	}
	if (l->proven) {
		if (strcmp(uname, l->u.name)) {
			audit(l, now, "factor", "fail", "password", "cert-other-user");
			(void)fail_record(l, now, false);
			return fatal(l, now, "cert-other-user", form);
		}
	} else {
		attach_user(l, uname);
	}
	real = l->user_exists && l->u.pw_hash[0];
	dummy_hash(l, dummy, sizeof(dummy));
	hash = real ? l->u.pw_hash : dummy;
	if (l->hj == HJ_DONE && sk_ct_streq(l->hj_hash, hash) && sk_ct_streq(l->hj_pw, pw)) {
		rc = l->hj_rc;		/* sk_login_hash verified this very pair */
	} else if (l->cfg.defer_hash && strlen(pw) <= CHAIN_PW_MAX) {
		/* not yet, or the stored hash changed meanwhile: (again) */
		copy(l->hj_hash, sizeof(l->hj_hash), hash);
		copy(l->hj_pw, sizeof(l->hj_pw), pw);
		l->hj = HJ_PENDING;
		return SK_STEP_HASH;
	} else {
		rc = sk_pw_verify(hash, pw);
	}
	hash_forget(l);
	ok = real && rc == 0;
	locked = is_locked(l, now);
	if (ok && locked) {
		/* "locked" is told only to whoever just gave the right password */
		audit(l, now, "factor", "fail", "password", "locked");
		return fatal(l, now, locked_key(l), form);
	}
	if (!ok) {
		/* a wrong password gets the same answer whether the name
		 * exists, is locked or not (the log says which) */
		enum sk_step s = wrong(l, now, SK_FACTOR_PASSWORD, "pw-wrong",
				       !l->user_exists ? "unknown-user" : locked ? "locked-pw-wrong" :
				       !real ? "no-password" : rc == -EACCES ? "pw-wrong" : "bad-hash",
				       true, form);

		/* the next try may name another user, unless the cert fixed it */
		if (!l->proven)
			forget_user(l);
		return s;
	}
	return passed(l, now, SK_FACTOR_PASSWORD, form);
}

enum otp_send { OTP_SENT, OTP_WAIT, OTP_HOUR, OTP_MAIL, OTP_ERR };

struct otp_count {
	int count;
	int64_t last;
};

static int otp_count_fn(const struct sk_audit *a, void *arg)
{
	struct otp_count *c = arg;

	if (strcmp(a->result, "ok"))
		return 0;
	c->count++;
	if (a->time > c->last)
		c->last = a->time;
	return 0;
}

/* Sends a new code if the per-user rate allows it (counted from the audit
 * trail: "otp-sent" records of the last hour). */
static enum otp_send otp_send(struct sk_login *l, int64_t now)
{
	struct sk_audit_filter flt = {
		.since = now - 3600, .user = l->u.name, .type = "otp-sent",
	};
	struct otp_count c = { 0 };
	char err[256];
	int rc;

	wipe_otp(l);
	if (sk_audit_list(l->cfg.st, &flt, otp_count_fn, &c))
		return OTP_ERR;
	if (c.count >= l->s.otp_max_hour)
		return OTP_HOUR;
	if (c.last && now - c.last < l->s.otp_resend_min)
		return OTP_WAIT;
	if (sk_otp_generate(l->otp))
		return OTP_ERR;
	rc = sk_mail_send_otp(l->cfg.mail, l->cfg.gateway_name ? l->cfg.gateway_name : "sekisho",
			      l->u.email, l->u.name, l->otp, (l->s.otp_ttl + 59) / 60,
			      err, sizeof(err));
	if (rc) {
		wipe_otp(l);
		audit(l, now, "otp-sent", "fail", "email-otp", err);
		return OTP_MAIL;
	}
	l->otp_have = true;
	l->otp_expires = now + l->s.otp_ttl;
	audit(l, now, "otp-sent", "ok", "email-otp", NULL);
	return OTP_SENT;
}

/* Entering the e-mail code factor (the user is known). */
static enum sk_step otp_begin(struct sk_login *l, int64_t now, struct sk_form *form)
{
	l->otp_fake = false;
	if (!l->cfg.mail)
		return fatal(l, now, "internal", form);
	if (!l->user_exists || is_locked(l, now)) {
		/* unknown or locked: no mail; every code will be wrong */
		l->otp_fake = true;
		return show(l, form, NULL);
	}
	if (!l->u.email[0]) {
		if (l->proven)
			return fatal(l, now, "otp-no-mail", form);
		audit(l, now, "otp-sent", "fail", "email-otp", "no-email");
		l->otp_fake = true;
		return show(l, form, NULL);
	}
	switch (otp_send(l, now)) {
	case OTP_SENT:
		return show(l, form, NULL);
	case OTP_MAIL:
		return fatal(l, now, "otp-send-failed", form);
	case OTP_WAIT:
		/* a code was mailed less than otp.resend_min ago (by an
		 * earlier login): the next submission after the wait sends one */
		return show(l, form, "otp-rate-limited");
	case OTP_HOUR:
		if (l->proven)
			return fatal(l, now, "otp-rate-limited", form);
		audit(l, now, "otp-sent", "fail", "email-otp", "rate-limit");
		l->otp_fake = true;
		return show(l, form, NULL);
	default:
		return fatal(l, now, "internal", form);
	}
}

static enum sk_step do_email_otp(struct sk_login *l, int64_t now, int n,
				 const char *const *names, const char *const *values,
				 struct sk_form *form)
{
	const char *code = field(n, names, values, "secondary_password");

	/* an unproven user's lock is told only after the right code
	 * (passed() checks the account); a proven one gave a right answer */
	if (l->proven && is_locked(l, now)) {
		audit(l, now, "factor", "fail", "email-otp", "locked");
		return fatal(l, now, locked_key(l), form);
	}
	if (l->otp_fake) {
		if (!code || !*code)
			return show(l, form, NULL);
		return wrong(l, now, SK_FACTOR_EMAIL_OTP, "otp-wrong", NULL, true, form);
	}
	if (l->otp_have && now < l->otp_expires) {
		if (!code || !*code)
			return show(l, form, NULL);
		if (!sk_ct_streq(code, l->otp))
			return wrong(l, now, SK_FACTOR_EMAIL_OTP, "otp-wrong", NULL, true, form);
		wipe_otp(l);	/* single use */
		return passed(l, now, SK_FACTOR_EMAIL_OTP, form);
	}
	/* no valid code: it expired, or none could be sent yet */
	bool expired = l->otp_have;

	if (expired)
		audit(l, now, "factor", "fail", "email-otp", "otp-expired");
	switch (otp_send(l, now)) {
	case OTP_SENT:
		return show(l, form, expired ? "otp-expired" : NULL);
	case OTP_WAIT:
		return show(l, form, expired ? "otp-expired" : "otp-rate-limited");
	case OTP_HOUR:
		return fatal(l, now, "otp-rate-limited", form);
	case OTP_MAIL:
		return fatal(l, now, "otp-send-failed", form);
	default:
		return fatal(l, now, "internal", form);
	}
}

static enum sk_step do_totp(struct sk_login *l, int64_t now, int n,
			    const char *const *names, const char *const *values,
			    struct sk_form *form)
{
	const char *code = field(n, names, values, "secondary_password");
	int64_t step = 0;
	int rc;

	if (!code || !*code)
		return show(l, form, NULL);
	if (l->proven && is_locked(l, now)) {
		audit(l, now, "factor", "fail", "totp", "locked");
		return fatal(l, now, locked_key(l), form);
	}
	if (l->proven && !l->u.totp_secret[0]) {
		audit(l, now, "factor", "fail", "totp", "no-secret");
		return fatal(l, now, "totp-not-enrolled", form);
	}
	if (!l->user_exists || !l->u.totp_secret[0])
		return wrong(l, now, SK_FACTOR_TOTP, "totp-wrong",
			     l->user_exists ? "no-secret" : "unknown-user", true, form);
	rc = sk_totp_verify(l->u.totp_secret, code, now, l->s.totp_window,
			    l->u.totp_last_step, &step);
	if (!rc) {
		rc = sk_user_totp_use(l->cfg.st, l->u.name, step);
		if (rc && rc != -EALREADY)
			return fatal(l, now, "internal", form);
	}
	if (rc == -EALREADY)	/* a right code already used: not a guess */
		return wrong(l, now, SK_FACTOR_TOTP, "totp-replay", NULL, false, form);
	if (rc)
		return wrong(l, now, SK_FACTOR_TOTP, "totp-wrong",
			     rc == -EINVAL ? "bad-secret" : NULL, true, form);
	l->u.totp_last_step = step;
	return passed(l, now, SK_FACTOR_TOTP, form);
}

/* ---------------------------------------------------------------- device */

/* Up to this many devices of one user are looked at (the group's
 * max_devices is far lower; more would be a store the admin tools refuse). */
#define CHAIN_DEVICES_MAX 64

struct dev_collect {
	struct sk_device *d;
	int n;
};

static int collect_device(const struct sk_device *d, void *arg)
{
	struct dev_collect *c = arg;

	if (c->n < CHAIN_DEVICES_MAX)
		c->d[c->n++] = *d;
	return 0;
}

/* ident trimmed of surrounding blanks into out */
static void trimmed(const char *s, char *out, size_t len)
{
	size_t n;

	while (*s == ' ' || *s == '\t')
		s++;
	copy(out, len, s);
	n = strlen(out);
	while (n && (out[n - 1] == ' ' || out[n - 1] == '\t'))
		out[--n] = 0;
}

static bool device_matches(const struct sk_login *l, const struct sk_device *d)
{
	char ident[SK_NAME_MAX + 1], mac[18];

	trimmed(d->ident, ident, sizeof(ident));
	if (!ident[0])
		return false;
	if (d->method == SK_DEVM_SERIAL)
		return l->hs.device_id[0] && !strcasecmp(ident, l->hs.device_id);
	if (d->method != SK_DEVM_MAC)
		return false;
	if (sk_hostscan_mac_norm(ident, mac))
		return false;	/* an ident that is no MAC matches nothing */
	for (int i = 0; i < l->hs.n_macs && i < SK_HS_MACS; i++)
		if (!strcmp(l->hs.macs[i], mac))
			return true;
	return false;
}

static void audit_device(struct sk_login *l, int64_t now, const char *type, const char *result,
			 const char *device, const char *reason)
{
	audit_rec(l, now, type, result, "device", reason, device ? device : "");
}

/* A failed auto-registration tells the administrator (settings
 * notify.admin_email), who can then register the device by hand.  The
 * login's answer does not depend on the mail. */
static void notify_admin(struct sk_login *l, int64_t now, const char *why)
{
	char subject[256], body[2048], macs[SK_HS_MACS * 18 + 1] = "";
	size_t o = 0;

	for (int i = 0; i < l->hs.n_macs && i < SK_HS_MACS; i++) {
		int w = snprintf(macs + o, sizeof(macs) - o, "%s%s", o ? " " : "", l->hs.macs[i]);

		if (w < 0 || (size_t)w >= sizeof(macs) - o)
			break;
		o += (size_t)w;
	}
	snprintf(subject, sizeof(subject), "%s: デバイス自動登録失敗 / device auto-registration failed (%s)",
		 l->cfg.gateway_name && *l->cfg.gateway_name ? l->cfg.gateway_name : "sekisho",
		 l->u.name);
	snprintf(body, sizeof(body),
		 "デバイスの自動登録ができませんでした。必要なら sekictl device set で登録してください。\n"
		 "A device could not be registered automatically. Register it with sekictl device set if it is legitimate.\n"
		 "\n"
		 "ユーザー / user: %s\n"
		 "接続元 / source: %s\n"
		 "理由 / reason: %s\n"
		 "デバイスID / reported device ID: %s\n"
		 "MAC: %s\n"
		 "ホスト名 / host name: %s\n",
		 l->u.name, l->source, why, l->hs.device_id[0] ? l->hs.device_id : "-",
		 macs[0] ? macs : "-", l->hs.hostname[0] ? l->hs.hostname : "-");
	admin_notice(l, now, "device-register-failed", true, subject, body);
}

struct ready_collect {
	const struct sk_device *d;
	struct sk_profile p[16];	/* a user has one or two per device */
	int n;
};

static int ready_profiles(const struct sk_profile *p, void *arg)
{
	struct ready_collect *c = arg;

	if (p->state == SK_PROFILE_WAIT_REGISTER && !strcmp(p->user, c->d->user) &&
	    !strcmp(p->device, c->d->name) && c->n < 16)
		c->p[c->n++] = *p;
	return 0;
}

/* The device's profiles waiting for registration are ready now (updated
 * after the listing, not from inside its callback). */
static void profiles_ready(struct sk_login *l, const struct sk_device *d)
{
	struct ready_collect *c = calloc(1, sizeof(*c));

	if (!c)
		return;
	c->d = d;
	if (!sk_profile_list(l->cfg.st, ready_profiles, c))
		for (int i = 0; i < c->n; i++) {
			c->p[i].state = SK_PROFILE_READY;
			(void)sk_profile_update(l->cfg.st, &c->p[i]);
		}
	sk_wipe(c, sizeof(*c));
	free(c);
}

/*
 * The device step (skchain.h step 5).  Returns NULL to go on (l->device
 * set), else a fatal key (l->fatal_arg set where the text names something).
 */
static const char *device_refusal(struct sk_login *l, int64_t now)
{
	struct dev_collect c = { 0 };
	const struct sk_device *hit = NULL, *off_hit = NULL, *free_dev = NULL;
	char on[8] = "", err[256];
	bool any_checked = false, auto_reg;
	const char *why = NULL;

	l->device[0] = 0;
	/* devices are checked against the host scan: with device.hostscan off
	 * (the default) there is nothing to check them against, and refusing
	 * every user who has a checked device would lock a gateway out the
	 * moment its administrator registers devices before turning the scan
	 * on.  sekictl says so when it adds a checked device. */
	if (sk_setting_get(l->cfg.st, "device.hostscan", on, sizeof(on)) || strcmp(on, "on"))
		return NULL;
	on[0] = 0;
	c.d = calloc(CHAIN_DEVICES_MAX, sizeof(*c.d));
	if (!c.d)
		return "internal";
	if (sk_device_list(l->cfg.st, l->u.name, collect_device, &c)) {
		why = "internal";
		goto out;
	}
	for (int i = 0; i < c.n; i++) {
		const struct sk_device *d = &c.d[i];

		if (!d->check || strcmp(d->user, l->u.name))
			continue;
		any_checked = true;
		if (l->have_hs && device_matches(l, d)) {
			if (d->enabled && !hit)
				hit = d;
			else if (!d->enabled && !off_hit)
				off_hit = d;
		}
		/* a free slot for auto-registration: serial method, no ident yet;
		 * an enabled one first */
		if (d->method == SK_DEVM_SERIAL && !d->ident[0] &&
		    (!free_dev || (!free_dev->enabled && d->enabled)))
			free_dev = d;
	}
	if (!any_checked)
		goto out;	/* no device restriction */
	if (!l->have_hs) {
		/* no report: the wrapper did not run, or this client cannot
		 * run one and was not asked (its own message) */
		why = l->noscan.noscan ? "hostscan-unsupported" : "device-check";
		if (l->noscan.noscan)
			copy(l->fatal_arg, sizeof(l->fatal_arg), sk_po_client_label(l->noscan.noscan));
		audit_device(l, now, "factor", "fail", "", why);
		goto out;
	}
	if (hit) {
		copy(l->device, sizeof(l->device), hit->name);
		audit_device(l, now, "factor", "ok", hit->name, NULL);
		goto out;
	}
	if (off_hit) {
		audit_device(l, now, "factor", "fail", off_hit->name, "device-disabled");
		why = "device-disabled";
		goto out;
	}
	auto_reg = !sk_setting_get(l->cfg.st, "device.auto_register", on, sizeof(on)) &&
		   !strcmp(on, "on");
	if (auto_reg && free_dev && l->hs.device_id[0] && strlen(l->hs.device_id) <= SK_NAME_MAX) {
		struct sk_device d = *free_dev;

		copy(d.ident, sizeof(d.ident), l->hs.device_id);
		if (!sk_device_update(l->cfg.st, &d, err, sizeof(err))) {
			profiles_ready(l, &d);
			audit_device(l, now, "device-register", "ok", d.name, NULL);
			audit_device(l, now, "factor", "fail", d.name, "device-registered");
			copy(l->fatal_arg, sizeof(l->fatal_arg), d.name);
			why = "device-registered";
			goto out;
		}
		audit_device(l, now, "device-register", "fail", d.name, err);
	}
	audit_device(l, now, "factor", "fail", "", "device-unknown");
	if (auto_reg)
		notify_admin(l, now, !l->hs.device_id[0] ? "no device ID in the host scan report" :
				     !free_dev ? "no free checked device (serial ID) for this user" :
				     "the device could not be updated");
	copy(l->fatal_arg, sizeof(l->fatal_arg), l->u.name);
	why = "device-unknown";
out:
	free(c.d);
	return why;
}

/* ---------------------------------------------------------------- posture */

/* The device's last report and verdicts, for `sekictl device show`. */
static void posture_keep(struct sk_login *l, int64_t now, const struct sk_posture *r)
{
	struct sk_posture_last *k;

	if (!l->device[0] || !(k = calloc(1, sizeof(*k))))
		return;
	k->time = now;
	copy(k->outcome, sizeof(k->outcome), sk_po_overall_name(l->po.overall));
	if (r)
		(void)sk_posture_report_json(r, k->report, sizeof(k->report));
	else
		copy(k->report, sizeof(k->report), "{\"format\":0}");
	(void)sk_posture_result_json(&l->po, k->verdicts, sizeof(k->verdicts));
	(void)sk_posture_last_set(l->cfg.st, l->device, k);
	free(k);
}

/*
 * The posture step (issue 12), after the device step: the group's policy
 * (the matched device's keys over it) against the report of this login's
 * host scan.  Every check that ran gets an audit record "posture" (result
 * pass/fail, factor = the check, reason).  Returns NULL to go on (with
 * l->quarantine set for a quarantined login), else a fatal key; the text
 * the user sees is then the failed check's own (fatal_form).
 */
static const char *posture_refusal(struct sk_login *l, int64_t now)
{
	const struct sk_posture *r = l->have_hs ? &l->hs.posture :
				     l->noscan.noscan ? &l->noscan : NULL;
	char err[256] = "";
	const char *why = NULL;
	int rc;

	if (l->po_done)
		return l->po_refused ? l->po_key :
		       !l->po_on && l->noscan.noscan ? "hostscan-unsupported" : NULL;
	l->po_done = true;
	rc = sk_posture_decide(l->cfg.st, l->g.name, l->device, r, now, &l->po, l->quarantine,
			       err, sizeof(err));
	if (rc < 0) {
		/* a stored key this version no longer reads: refused, not
		 * checked against less (posture_store.c) */
		audit_rec(l, now, "posture", "fail", "policy", err, l->device);
		return "internal";
	}
	if (!rc) {
		/* posture off: nothing decides about a client that was not
		 * asked for the scan, and device.hostscan on means a report
		 * from every login, as for a client whose wrapper failed */
		if (l->noscan.noscan) {
			copy(l->fatal_arg, sizeof(l->fatal_arg), sk_po_client_label(l->noscan.noscan));
			return "hostscan-unsupported";
		}
		return NULL;
	}
	l->po_on = true;
	if (err[0])
		audit_rec(l, now, "posture", "fail", "quarantine", err, l->device);
	for (int c = 0; c < SK_PO_CHK_N; c++) {
		const struct sk_po_result_check *k = &l->po.c[c];

		if (k->verdict != SK_PO_SKIP)
			audit_rec(l, now, "posture", sk_po_verdict_name(k->verdict),
				  sk_po_check_name((unsigned int)c),
				  k->verdict == SK_PO_FAIL ? k->reason : NULL, l->device);
	}
	posture_keep(l, now, r);
	if (l->po.overall == SK_PO_OVERALL_REFUSE && l->po.shown >= 0) {
		l->po_refused = true;
		snprintf(l->po_key, sizeof(l->po_key), "posture-%s", l->po.c[l->po.shown].reason);
		why = l->po_key;
	}
	return why;
}

static enum sk_step finish(struct sk_login *l, int64_t now, struct sk_form *form)
{
	const char *why;

	/* the one place success is decided: every configured factor passed */
	if (!l->required || l->passed != l->required || !l->user_exists || !l->proven)
		return fatal(l, now, "internal", form);
	why = account_refusal(l, now);
	if (!why)
		why = device_refusal(l, now);
	if (!why)
		why = posture_refusal(l, now);
	if (why)
		return fatal(l, now, why, form);
	/* a directory user changes the password in the directory (when it
	 * says so: dir_change), a local one here (must_change_pw) */
	if ((l->dir_user ? l->dir_change : l->u.must_change_pw) &&
	    (l->required & bit(SK_FACTOR_PASSWORD))) {
		l->state = ST_PWCHANGE;
		return show(l, form, NULL);
	}
	(void)sk_user_success(l->cfg.st, l->u.name);
	l->state = ST_DONE;
	audit(l, now, "login", "ok", NULL, NULL);
	return success_form(l, form);
}

/* The new password of a directory user, changed in the directory
 * (sk_ldap_passwd on the hashing thread): its policy decides, not ours */
static enum sk_step dir_pwchange(struct sk_login *l, int64_t now, const char *pw,
				 struct sk_form *form)
{
	char dir[SK_NAME_MAX + 1], why[256], reason[320];
	enum sk_step step;
	int rc;

	if (!directory_of(l, dir, sizeof(dir)))
		return fatal(l, now, "internal", form);
	if (strlen(pw) > CHAIN_PW_MAX) {
		audit(l, now, "factor", "fail", "pw-change", "directory-pw-too-long");
		return show(l, form, "dir-pw-policy");
	}
	if (sk_ct_streq(pw, l->dir_old)) {
		audit(l, now, "factor", "fail", "pw-change", "pw-reused");
		return show(l, form, "pw-reused");
	}
	if (!(l->hj == HJ_DONE && l->hj_is_dir && l->hj_dirchg && sk_ct_streq(l->hj_pw, pw))) {
		hash_forget(l);
		copy(l->hj_acc, sizeof(l->hj_acc), l->u.name);
		if (dir_request(l, now, dir, pw, DR_CHANGE, form, &step))
			return step;
	}
	rc = l->hj_dir_rc;
	copy(why, sizeof(why), l->hj_dir_err[0] ? l->hj_dir_err : "password change");
	snprintf(reason, sizeof(reason), "directory: %s", why);
	hash_forget(l);
	if (rc == -EPERM) {
		/* the directory's policy: the form again, its words audited */
		audit(l, now, "factor", "fail", "pw-change", reason);
		return show(l, form, "dir-pw-policy");
	}
	if (rc == -EACCES || rc == -ENOTSUP || rc == -ENOENT || rc == -EINVAL) {
		/* changed elsewhere meanwhile, or not allowed to us */
		audit(l, now, "factor", "fail", "pw-change", reason);
		return fatal(l, now, "dir-pw-change", form);
	}
	if (rc)
		return dir_unavailable(l, now, why, form);
	audit(l, now, "factor", "ok", "pw-change", "directory");
	l->dir_change = false;
	sk_wipe(l->dir_old, sizeof(l->dir_old));
	l->state = ST_FACTOR;
	return finish(l, now, form);
}

static enum sk_step do_pwchange(struct sk_login *l, int64_t now, int n,
				const char *const *names, const char *const *values,
				struct sk_form *form)
{
	/* openconnect posts the input "new_password" as <password> (§2.5) */
	const char *pw = field(n, names, values, "new_password");
	const char *why = NULL;
	char hash[SK_PW_HASH_MAX + 1] = "", key[CHAIN_KEY_MAX];
	struct sk_pw_params cost;
	bool reused;
	int rc;

	if (!pw)
		pw = field(n, names, values, "password");
	if (!pw || !*pw)
		return show(l, form, NULL);
	if (l->dir_user)
		return dir_pwchange(l, now, pw, form);
	if (sk_pw_policy(l->u.name, pw, &why)) {
		snprintf(key, sizeof(key), "pw-%s", why ? why : "too-simple");
		audit(l, now, "factor", "fail", "pw-change", key);
		return show(l, form, key);
	}
	/* two argon2id runs (reuse check, new hash): on sk_login_hash's thread */
	if (l->hj == HJ_DONE && l->hj_change && sk_ct_streq(l->hj_pw, pw) &&
	    sk_ct_streq(l->hj_hash, l->u.pw_hash)) {
		reused = l->u.pw_hash[0] && l->hj_rc == 0;
		rc = l->hj_new_rc;
		copy(hash, sizeof(hash), l->hj_new);
	} else if (l->cfg.defer_hash && strlen(pw) <= CHAIN_PW_MAX) {
		hash_forget(l);
		copy(l->hj_hash, sizeof(l->hj_hash), l->u.pw_hash);
		copy(l->hj_pw, sizeof(l->hj_pw), pw);
		sk_pw_params_load(l->cfg.st, &l->hj_cost);
		l->hj_change = true;
		l->hj = HJ_PENDING;
		return SK_STEP_HASH;
	} else {
		reused = l->u.pw_hash[0] && !sk_pw_verify(l->u.pw_hash, pw);
		sk_pw_params_load(l->cfg.st, &cost);
		rc = reused ? 0 : sk_pw_hash(pw, &cost, hash, sizeof(hash));
	}
	hash_forget(l);
	if (reused) {
		sk_wipe(hash, sizeof(hash));
		audit(l, now, "factor", "fail", "pw-change", "pw-reused");
		return show(l, form, "pw-reused");
	}
	if (!rc)
		rc = sk_user_set_password(l->cfg.st, l->u.name, hash, false);
	sk_wipe(hash, sizeof(hash));
	if (rc)
		return fatal(l, now, "internal", form);
	audit(l, now, "factor", "ok", "pw-change", NULL);
	l->u.must_change_pw = false;
	l->state = ST_FACTOR;
	return finish(l, now, form);
}

/* Shows the current factor's form, or decides it now (cert). */
static enum sk_step enter(struct sk_login *l, int64_t now, struct sk_form *form)
{
	enum sk_factor f;

	if (l->pos >= l->nfactors)
		return finish(l, now, form);
	f = l->g.factors[l->pos];
	l->state = ST_FACTOR;
	switch (f) {
	case SK_FACTOR_CERT:
		return do_cert(l, now, form);
	case SK_FACTOR_PASSWORD:
		return show(l, form, NULL);
	case SK_FACTOR_EMAIL_OTP:
		if (!l->user_known) {
			l->state = ST_IDENT;
			return show(l, form, NULL);
		}
		return otp_begin(l, now, form);
	case SK_FACTOR_TOTP:
		if (!l->user_known) {
			l->state = ST_IDENT;
			return show(l, form, NULL);
		}
		return show(l, form, NULL);
	default:
		return fatal(l, now, "internal", form);
	}
}

static enum sk_step do_ident(struct sk_login *l, int64_t now, int n,
			     const char *const *names, const char *const *values,
			     struct sk_form *form)
{
	const char *uname = field(n, names, values, "username");

	if (!uname || !*uname)
		return show(l, form, NULL);
	attach_user(l, strlen(uname) > SK_NAME_MAX ? "" : uname);
	l->user_known = true;
	l->state = ST_FACTOR;
	if (l->g.factors[l->pos] == SK_FACTOR_EMAIL_OTP)
		return otp_begin(l, now, form);
	return show(l, form, NULL);
}

/* ---------------------------------------------------------------- group */

/* (Re)starts the chain of group g: nothing passed, no user. */
static enum sk_step start(struct sk_login *l, int64_t now, const struct sk_group *g,
			  struct sk_form *form)
{
	forget_user(l);
	l->g = *g;
	l->group_set = true;
	l->passed = l->required = 0;
	l->pos = 0;
	l->nfactors = 0;
	for (int i = 0; i < SK_FACTORS_MAX && g->factors[i] != SK_FACTOR_NONE; i++) {
		if (g->factors[i] < SK_FACTOR_CERT || g->factors[i] > SK_FACTOR_TOTP ||
		    (l->required & bit(g->factors[i])))
			return fatal(l, now, "internal", form);	/* bad group: refuse */
		l->required |= bit(g->factors[i]);
		l->nfactors++;
	}
	/* a group without factors would let anyone in: refuse instead */
	if (!l->nfactors)
		return fatal(l, now, "internal", form);
	/* a certificate alone is what the worker reports, and a compromised
	 * worker can report any certificate it has seen: only with the
	 * administrator's explicit override (also for a store written
	 * behind sekictl's back, which checks it when the group is set) */
	if (sk_group_cert_only(g) && !g->cert_only_ok)
		return fatal(l, now, "group-cert-only", form);
	return enter(l, now, form);
}

static enum sk_step choose_group(struct sk_login *l, int64_t now, const char *group, int n,
				 struct sk_form *form, bool *handled)
{
	struct sk_group g;
	struct group_collect c = { 0 };
	char def[SK_NAME_MAX + 1];
	enum sk_step s;

	*handled = true;
	if (group && *group) {
		if (l->group_set && !strcmp(l->g.name, group)) {
			if (n == 0)
				return show(l, form, NULL);
			*handled = false;
			return SK_STEP_FORM;
		}
		if (strlen(group) > SK_NAME_MAX || sk_group_get(l->cfg.st, group, &g))
			return fatal(l, now, "group-unknown", form);
		/* a chosen group shows no list again (openconnect re-inits once) */
		l->group_list = false;
		s = start(l, now, &g, form);
		sk_wipe(&g, sizeof(g));
		return s;
	}
	if (l->group_set) {
		if (n == 0)
			return show(l, form, NULL);
		*handled = false;
		return SK_STEP_FORM;
	}
	if (sk_group_list(l->cfg.st, collect_group, &c) || !c.count)
		return fatal(l, now, "internal", form);
	/* preselect default.group when it names a group, else the first */
	if (sk_setting_get(l->cfg.st, "default.group", def, sizeof(def)) || !def[0] ||
	    sk_group_get(l->cfg.st, def, &g)) {
		if (sk_group_get(l->cfg.st, c.first, &g))
			return fatal(l, now, "internal", form);
	}
	l->group_list = c.count > 1;
	return start(l, now, &g, form);
}

/* ---------------------------------------------------------------- API */

struct sk_login *sk_login_new(const struct sk_chain_cfg *cfg, const char *source,
			      const char *lang, X509 *cert, STACK_OF(X509) *chain)
{
	struct sk_login *l;

	if (!cfg || !cfg->st)
		return NULL;
	l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	l->cfg = *cfg;
	copy(l->source, sizeof(l->source), source);
	if (lang && (!strcmp(lang, "ja") || !strcmp(lang, "en")))
		copy(l->lang, sizeof(l->lang), lang);
	if (cert) {
		if (!X509_up_ref(cert))
			goto fail;
		l->cert = cert;
	}
	if (chain) {
		l->chain = X509_chain_up_ref(chain);
		if (!l->chain)
			goto fail;
	}
	return l;
fail:
	sk_login_free(l);
	return NULL;
}

void sk_login_free(struct sk_login *l)
{
	if (!l)
		return;
	X509_free(l->cert);
	sk_X509_pop_free(l->chain, X509_free);
	hash_forget(l);
	sk_wipe(l, sizeof(*l));
	free(l);
}

int sk_login_hash(struct sk_login *l)
{
	if (!l || l->hj != HJ_PENDING)
		return -EINVAL;
	if (l->hj_is_dir) {
		/* network, not CPU: bounded by the directory's timeouts */
		if (!l->hj_dir || !l->hj_res)
			l->hj_dir_rc = -ENOMEM;
		else if (l->hj_dirchg)
			l->hj_dir_rc = sk_ldap_passwd(l->hj_dir, l->hj_acc, l->dir_old, l->hj_pw,
						      l->hj_dir_err, sizeof(l->hj_dir_err));
		else if (l->hj_answer)
			l->hj_dir_rc = sk_ldap_answer(l->hj_dir, l->hj_acc, l->ch_state, l->ch_state_len,
						      l->hj_pw, l->hj_res, l->hj_dir_err,
						      sizeof(l->hj_dir_err));
		else
			l->hj_dir_rc = sk_ldap_check(l->hj_dir, l->hj_acc, l->hj_pw, l->hj_res,
						     l->hj_dir_err, sizeof(l->hj_dir_err));
	} else if (l->hj_change) {
		/* no old hash: nothing to reuse; a reused one gets no new hash */
		l->hj_rc = l->hj_hash[0] ? sk_pw_verify(l->hj_hash, l->hj_pw) : -EACCES;
		l->hj_new_rc = l->hj_rc == 0 ? 0 :
			       sk_pw_hash(l->hj_pw, &l->hj_cost, l->hj_new, sizeof(l->hj_new));
	} else {
		l->hj_rc = sk_pw_verify(l->hj_hash, l->hj_pw);
	}
	l->hj = HJ_DONE;
	return 0;
}

static enum sk_step round_step(struct sk_login *l, int64_t now, const char *group,
			       int n, const char *const *names, const char *const *values,
			       struct sk_form *form)
{
	enum sk_step s;
	int64_t blocked;
	bool handled;

	if (!form)
		return SK_STEP_FATAL;
	memset(form, 0, sizeof(*form));
	if (!l) {
		copy(form->auth_id, sizeof(form->auth_id), "main");
		copy(form->error, sizeof(form->error), sk_msg("internal", NULL));
		return SK_STEP_FATAL;
	}
	if (n < 0 || (n > 0 && (!names || !values)))
		n = 0;
	if (l->state == ST_DONE)
		return success_form(l, form);
	if (l->state == ST_FATAL)
		return fatal_form(l, form);
	if (l->hj == HJ_PENDING) {
		/* SK_STEP_HASH was answered by stepping without hashing */
		hash_forget(l);
		return fatal(l, now, "internal", form);
	}
	load_settings(l);
	/* the step after sk_login_hash finishes the round it began */
	if (l->hj != HJ_DONE && ++l->rounds > CHAIN_ROUNDS_MAX)
		return fatal(l, now, "too-many-tries", form);
	blocked = source_blocked(l, now);
	if (blocked)
		return source_fatal(l, now, blocked, form);

	s = choose_group(l, now, group, n, form, &handled);
	if (handled)
		return s;

	switch (l->state) {
	case ST_IDENT:
		return do_ident(l, now, n, names, values, form);
	case ST_PWCHANGE:
		return do_pwchange(l, now, n, names, values, form);
	case ST_CHALLENGE:
		return do_challenge(l, now, n, names, values, form);
	case ST_FACTOR:
		switch (l->g.factors[l->pos]) {
		case SK_FACTOR_PASSWORD:
			return do_password(l, now, n, names, values, form);
		case SK_FACTOR_EMAIL_OTP:
			return do_email_otp(l, now, n, names, values, form);
		case SK_FACTOR_TOTP:
			return do_totp(l, now, n, names, values, form);
		default:
			break;
		}
		break;
	default:
		break;
	}
	return fatal(l, now, "internal", form);
}

void sk_login_set_device(struct sk_login *l, const struct sk_hostscan *r)
{
	if (!l)
		return;
	sk_wipe(&l->hs, sizeof(l->hs));
	memset(&l->noscan, 0, sizeof(l->noscan));
	l->have_hs = r != NULL;
	if (r) {
		l->hs = *r;
		/* the report came through a worker */
		sk_hostscan_terminate(&l->hs);
	}
}

void sk_login_set_noscan(struct sk_login *l, unsigned int client)
{
	if (!l)
		return;
	sk_wipe(&l->hs, sizeof(l->hs));
	l->have_hs = false;
	memset(&l->noscan, 0, sizeof(l->noscan));
	if (client > SK_PO_CLIENT_OTHER && client < SK_PO_CLIENT_N)
		l->noscan.noscan = (uint8_t)client;
}

const struct sk_posture *sk_login_posture(const struct sk_login *l)
{
	if (l && l->have_hs && l->hs.posture.format == SK_PO_FORMAT)
		return &l->hs.posture;
	/* kept with the session so that a reconnect says the same */
	return l && !l->have_hs && l->noscan.noscan ? &l->noscan : NULL;
}

int sk_login_result(const struct sk_login *l, struct sk_login_result *r)
{
	const char *lang;

	if (!l || !r)
		return -EINVAL;
	memset(r, 0, sizeof(*r));
	if (l->state != ST_DONE)
		return -EAGAIN;
	copy(r->user, sizeof(r->user), l->u.name);
	copy(r->group, sizeof(r->group), l->g.name);
	copy(r->device, sizeof(r->device), l->device);
	lang = lang_of(l);
	copy(r->lang, sizeof(r->lang), lang ? lang : "");
	copy(r->radius_dir, sizeof(r->radius_dir), l->radius_dir);
	copy(r->framed_ip, sizeof(r->framed_ip), l->framed_ip);
	r->session_timeout = l->session_timeout;
	if (l->quarantine[0] && l->po.shown >= 0 && l->po.shown < SK_PO_CHK_N) {
		copy(r->quarantine, sizeof(r->quarantine), l->quarantine);
		copy(r->quarantine_check, sizeof(r->quarantine_check),
		     sk_po_check_name((unsigned int)l->po.shown));
		copy(r->quarantine_reason, sizeof(r->quarantine_reason), l->po.c[l->po.shown].reason);
		sk_posture_message(&l->po, l->po.shown, po_lang(l), r->quarantine_msg,
				   sizeof(r->quarantine_msg));
	}
	return 0;
}

enum sk_step sk_login_step(struct sk_login *l, int64_t now, const char *group,
			   int n, const char *const *names, const char *const *values,
			   struct sk_form *form)
{
	enum sk_step s = round_step(l, now, group, n, names, values, form);

	/* a result the round did not use (it ended before the password) is
	 * not kept for a later one */
	if (l && l->hj == HJ_DONE)
		hash_forget(l);
	return s;
}
