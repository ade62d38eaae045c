// SPDX-License-Identifier: GPL-2.0
/*
 * Posture report fields and policy keys (posture.h).  The report's values
 * come from the network through an unprivileged worker: each one is
 * checked for its own kind (token, text, date, number, yes/no) and a value
 * that does not fit is an error of the whole report.  Nothing allocates.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "posture.h"
#include "sktext.h"

static const char *const families[SK_PO_FAM_N] = {
	[SK_PO_FAM_NONE] = "", [SK_PO_FAM_WINDOWS] = "windows", [SK_PO_FAM_MACOS] = "macos",
	[SK_PO_FAM_LINUX] = "linux", [SK_PO_FAM_IOS] = "ios", [SK_PO_FAM_ANDROID] = "android",
};

/* the index (from 1) of the n bytes at s in names[0..count), -1 if none */
static int name_index(const char *const *names, int count, const char *s, size_t n)
{
	for (int i = 1; i < count; i++)
		if (strlen(names[i]) == n && !memcmp(names[i], s, n))
			return i;
	return -1;
}

const char *sk_po_family_name(unsigned int f)
{
	return f < SK_PO_FAM_N ? families[f] : "";
}

int sk_po_family_from(const char *s, size_t n)
{
	return name_index(families, SK_PO_FAM_N, s, n);
}

/* ---- clients that cannot run a CSD wrapper (posture.h) ---- */

static const char *const clients[SK_PO_CLIENT_N] = { "", "windows", "cisco" };
static const char *const client_labels[SK_PO_CLIENT_N] = {
	"", "openconnect / OpenConnect-GUI on Windows", "Cisco Secure Client"
};

static bool prefix_ci(const char *s, const char *p)
{
	return !strncasecmp(s, p, strlen(p));
}

unsigned int sk_po_client_of(const char *user_agent, const char *device_id)
{
	const char *ua = user_agent ? user_agent : "";

	/* Cisco's clients, whatever the OS: their host scan is Cisco's own
	 * package; openconnect 9.x may call itself "AnyConnect-compatible" */
	if (prefix_ci(ua, "Cisco AnyConnect") || prefix_ci(ua, "Cisco Secure Client") ||
	    (prefix_ci(ua, "AnyConnect") && !prefix_ci(ua, "AnyConnect-compatible")))
		return SK_PO_CLIENT_CISCO;
	/* libopenconnect's reported OS: "win" under _WIN32 or --os=win */
	if (device_id && !strcmp(device_id, "win"))
		return SK_PO_CLIENT_WINDOWS;
	return SK_PO_CLIENT_OTHER;
}

const char *sk_po_client_name(unsigned int c)
{
	return c < SK_PO_CLIENT_N ? clients[c] : "";
}

const char *sk_po_client_label(unsigned int c)
{
	return c < SK_PO_CLIENT_N ? client_labels[c] : "";
}

int sk_po_client_from(const char *s, size_t n)
{
	return name_index(clients, SK_PO_CLIENT_N, s, n);
}

int sk_po_client_list(const char *list, unsigned int *mask)
{
	*mask = 0;
	for (const char *p = list; *list;) {
		const char *e = strchr(p, ',');
		int c = sk_po_client_from(p, e ? (size_t)(e - p) : strlen(p));

		if (c < 0 || (*mask & (1u << c)))
			return -EINVAL;
		*mask |= 1u << c;
		if (!e)
			break;
		p = e + 1;
	}
	return 0;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

bool sk_po_token_ok(const char *s, size_t n)
{
	if (!n || n >= SK_PO_TOKEN)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || is_digit(c) || c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

/* a report key (av["K"], disk["K"]): printable ASCII without quotes,
 * backslashes or spaces, so that it can be shown and stored as it is */
static bool key_ok(const char *s, size_t n)
{
	if (!n || n >= SK_PO_TOKEN)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] <= ' ' || s[i] > '~' || s[i] == '"' || s[i] == '\\')
			return false;
	return true;
}

/* days from 1970-01-01 to y-m-d (proleptic Gregorian; Howard Hinnant's algorithm) */
static int32_t days_from_civil(int y, int m, int d)
{
	int era, yoe, doy, doe;

	y -= m <= 2;
	era = y / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int32_t sk_po_day(const char *s, size_t n)
{
	static const int mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int y, m, d;

	if (n != 10 || s[4] != '-' || s[7] != '-')
		return -1;
	for (size_t i = 0; i < 10; i++)
		if (i != 4 && i != 7 && !is_digit(s[i]))
			return -1;
	y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
	m = (s[5] - '0') * 10 + (s[6] - '0');
	d = (s[8] - '0') * 10 + (s[9] - '0');
	if (y < 2000 || y > 2099 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return -1;
	if (m == 2 && d == 29 && y % 4)
		return -1;	/* 2000..2099: every fourth year is a leap year */
	return days_from_civil(y, m, d);
}

void sk_po_day_fmt(int32_t day, char out[11])
{
	int32_t z = day + 719468, era, doe, yoe, y, doy, mp, d, m;

	out[0] = 0;
	if (day <= 0)
		return;
	era = z / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp + (mp < 10 ? 3 : -9);
	y += m <= 2;
	if (y < 0 || y > 9999 || m < 1 || m > 12 || d < 1 || d > 31)
		return;
	out[0] = (char)('0' + y / 1000);
	out[1] = (char)('0' + y / 100 % 10);
	out[2] = (char)('0' + y / 10 % 10);
	out[3] = (char)('0' + y % 10);
	out[4] = out[7] = '-';
	out[5] = (char)('0' + m / 10);
	out[6] = (char)('0' + m % 10);
	out[8] = (char)('0' + d / 10);
	out[9] = (char)('0' + d % 10);
	out[10] = 0;
}

int sk_po_ver_parse(const char *s, size_t n, struct sk_po_ver *v)
{
	size_t i = 0;

	memset(v, 0, sizeof(*v));
	if (!n)
		return -EINVAL;
	while (i < n) {
		uint32_t x = 0;
		size_t digits = 0;

		if (v->n == SK_PO_VER_PARTS)
			return -EINVAL;
		while (i < n && is_digit(s[i])) {
			if (++digits > 9)
				return -EINVAL;
			x = x * 10 + (uint32_t)(s[i++] - '0');
		}
		if (!digits)
			return -EINVAL;
		v->v[v->n++] = x;
		if (i < n) {
			if (s[i] != '.' || i + 1 == n)
				return -EINVAL;
			i++;
		}
	}
	return 0;
}

int sk_po_ver_cmp(const struct sk_po_ver *a, const struct sk_po_ver *b)
{
	for (int i = 0; i < SK_PO_VER_PARTS; i++) {
		uint32_t x = i < a->n ? a->v[i] : 0, y = i < b->n ? b->v[i] : 0;

		if (x != y)
			return x < y ? -1 : 1;
	}
	return 0;
}

void sk_po_linux_ver_fmt(const char *id, const struct sk_po_ver *v, char *out, size_t len)
{
	size_t o;

	if (strcmp(id, "ubuntu") || v->n < 2 || v->v[1] > 99) {
		sk_po_ver_fmt(v, out, len);
		return;
	}
	snprintf(out, len, "%u.%02u", (unsigned int)v->v[0], (unsigned int)v->v[1]);
	for (int i = 2; i < v->n && i < SK_PO_VER_PARTS && (o = strlen(out)) < len; i++)
		snprintf(out + o, len - o, ".%u", (unsigned int)v->v[i]);
}

void sk_po_ver_fmt(const struct sk_po_ver *v, char *out, size_t len)
{
	size_t o = 0;

	if (!len)
		return;
	out[0] = 0;
	for (int i = 0; i < v->n && i < SK_PO_VER_PARTS; i++) {
		int w = snprintf(out + o, len - o, "%s%u", i ? "." : "", (unsigned int)v->v[i]);

		if (w < 0 || (size_t)w >= len - o)
			break;
		o += (size_t)w;
	}
}

/* ------------------------------------------------------------ report */

static int tri(const char *v, size_t n, uint8_t *out, const char **why)
{
	if (n == 4 && !memcmp(v, "true", 4))
		*out = SK_TRI_YES;
	else if (n == 5 && !memcmp(v, "false", 5))
		*out = SK_TRI_NO;
	else {
		*why = "posture: a yes/no value must be \"true\" or \"false\"";
		return -EINVAL;
	}
	return 0;
}

static int token(char dst[SK_PO_TOKEN], const char *v, size_t n, const char **why)
{
	if (!sk_po_token_ok(v, n)) {
		*why = "posture: an identity must be 1..32 of a-z 0-9 . _ -";
		return -EINVAL;
	}
	memcpy(dst, v, n);
	dst[n] = 0;
	return 0;
}

static int text(char dst[SK_PO_TEXT], const char *v, size_t n, const char **why)
{
	char tmp[SK_PO_TEXT];

	if (n >= SK_PO_TEXT) {
		*why = "posture: a display text is longer than 96 bytes";
		return -EINVAL;
	}
	memcpy(tmp, v, n);
	tmp[n] = 0;
	if (memchr(tmp, 0, n) || sk_text_check(tmp, SK_PO_TEXT - 1, false)) {
		*why = "posture: a display text is not UTF-8 without control characters";
		return -EINVAL;
	}
	memcpy(dst, tmp, n + 1);
	return 0;
}

static int date(int32_t *dst, const char *v, size_t n, const char **why)
{
	int32_t d = sk_po_day(v, n);

	if (d < 0) {
		*why = "posture: a date must be YYYY-MM-DD (2000..2099)";
		return -EINVAL;
	}
	*dst = d;
	return 0;
}

/* the entry of av[] or disk[] with that key, a new one if there is room */
static int slot(char (*keys)[SK_PO_TOKEN], size_t stride, uint8_t *n, int max, const char *key,
		size_t keylen, const char **why)
{
	if (!key_ok(key, keylen)) {
		*why = "posture: a [\"key\"] must be 1..32 printable ASCII characters";
		return -EINVAL;
	}
	for (int i = 0; i < *n; i++) {
		const char *k = (const char *)keys + (size_t)i * stride;

		if (strlen(k) == keylen && !memcmp(k, key, keylen))
			return i;
	}
	if (*n >= max) {
		*why = "posture: too many antivirus products or volumes (8 each)";
		return -EINVAL;
	}
	memcpy((char *)keys + (size_t)*n * stride, key, keylen);
	((char *)keys + (size_t)*n * stride)[keylen] = 0;
	return (*n)++;
}

int sk_posture_field(struct sk_posture *p, const char *shape, const char *key, size_t keylen,
		     const char *v, size_t n, const char **why)
{
	int i, f;

	if (!strcmp(shape, "format")) {
		struct sk_po_ver fv;

		if (sk_po_ver_parse(v, n, &fv) || fv.n != 1 || fv.v[0] > 1000) {
			*why = "posture: format must be a whole number";
			return -EINVAL;
		}
		p->format = (int32_t)fv.v[0];
		return 0;
	}
	if (!strcmp(shape, "agent"))
		return token(p->agent, v, n, why);
	if (!strcmp(shape, "os.family")) {
		if ((f = sk_po_family_from(v, n)) < 0) {
			*why = "posture: os.family must be windows, macos, linux, ios or android";
			return -EINVAL;
		}
		p->family = (uint8_t)f;
		return 0;
	}
	if (!strcmp(shape, "os.id"))
		return token(p->os_id, v, n, why);
	if (!strcmp(shape, "os.version")) {
		if (sk_po_ver_parse(v, n, &p->os_version)) {
			*why = "posture: os.version must be numbers joined by dots (at most 4)";
			return -EINVAL;
		}
		return 0;
	}
	if (!strcmp(shape, "os.build")) {
		struct sk_po_ver b;

		if (sk_po_ver_parse(v, n, &b) || b.n != 1) {
			*why = "posture: os.build must be a whole number";
			return -EINVAL;
		}
		p->os_build = b.v[0];
		return 0;
	}
	if (!strcmp(shape, "os.name"))
		return text(p->os_name, v, n, why);
	if (!strcmp(shape, "firewall"))
		return tri(v, n, &p->firewall, why);
	if (!strcmp(shape, "update.last"))
		return date(&p->update_day, v, n, why);
	if (!strncmp(shape, "av[].", 5)) {
		struct sk_posture_av *a;
		const char *s = shape + 5;

		if ((i = slot(&p->av[0].key, sizeof(p->av[0]), &p->n_av, SK_PO_AV_MAX, key, keylen,
			      why)) < 0)
			return -EINVAL;
		a = &p->av[i];
		if (!strcmp(s, "vendor"))
			return token(a->vendor, v, n, why);
		if (!strcmp(s, "product"))
			return token(a->product, v, n, why);
		if (!strcmp(s, "name"))
			return text(a->name, v, n, why);
		if (!strcmp(s, "installed"))
			return tri(v, n, &a->installed, why);
		if (!strcmp(s, "running"))
			return tri(v, n, &a->running, why);
		if (!strcmp(s, "realtime"))
			return tri(v, n, &a->realtime, why);
		if (!strcmp(s, "definitions"))
			return date(&a->defs_day, v, n, why);
		return 0;
	}
	if (!strncmp(shape, "disk[].", 7)) {
		struct sk_posture_disk *d;
		const char *s = shape + 7;

		if ((i = slot(&p->disk[0].key, sizeof(p->disk[0]), &p->n_disk, SK_PO_DISK_MAX, key,
			      keylen, why)) < 0)
			return -EINVAL;
		d = &p->disk[i];
		if (!strcmp(s, "system"))
			return tri(v, n, &d->system, why);
		if (!strcmp(s, "encrypted"))
			return tri(v, n, &d->encrypted, why);
		return 0;
	}
	return 0;	/* a later minor addition: ignored */
}

void sk_posture_finish(struct sk_posture *p)
{
	int32_t format = p->format;

	if (format != SK_PO_FORMAT) {
		/* no block, or a format this gateway does not read: nothing of
		 * it is used (the evaluator names the format) */
		memset(p, 0, sizeof(*p));
		p->format = format;
	}
}

static void clean_token(char *s)
{
	s[SK_PO_TOKEN - 1] = 0;
	if (s[0] && !sk_po_token_ok(s, strlen(s)))
		memset(s, 0, SK_PO_TOKEN);
}

static void clean_key(char *s)
{
	s[SK_PO_TOKEN - 1] = 0;
	if (s[0] && !key_ok(s, strlen(s)))
		memset(s, 0, SK_PO_TOKEN);
}

static void clean_text(char *s)
{
	s[SK_PO_TEXT - 1] = 0;
	if (!sk_text_ok(s, SK_PO_TEXT - 1, false))
		memset(s, 0, SK_PO_TEXT);
}

static uint8_t clean_tri(uint8_t t)
{
	return t <= SK_TRI_YES ? t : SK_TRI_UNKNOWN;
}

static int32_t clean_day(int32_t d)
{
	/* 2000-01-01 .. 2099-12-31 */
	return d >= 10957 && d <= 47481 ? d : 0;
}

static void clean_ver(struct sk_po_ver *v)
{
	if (v->n > SK_PO_VER_PARTS)
		memset(v, 0, sizeof(*v));
	for (int i = 0; i < v->n; i++)
		if (v->v[i] > 999999999)
			memset(v, 0, sizeof(*v));
}

void sk_posture_sanitize(struct sk_posture *p)
{
	if (p->format != SK_PO_FORMAT) {
		int32_t f = p->format;

		memset(p, 0, sizeof(*p));
		p->format = f >= 0 && f <= 1000 ? f : 0;
		return;
	}
	p->noscan = 0;
	clean_token(p->agent);
	clean_token(p->os_id);
	clean_text(p->os_name);
	if (p->family >= SK_PO_FAM_N)
		p->family = SK_PO_FAM_NONE;
	clean_ver(&p->os_version);
	if (p->os_build > 999999999)
		p->os_build = 0;
	p->firewall = clean_tri(p->firewall);
	p->update_day = clean_day(p->update_day);
	if (p->n_av > SK_PO_AV_MAX)
		p->n_av = 0;
	if (p->n_disk > SK_PO_DISK_MAX)
		p->n_disk = 0;
	for (int i = 0; i < SK_PO_AV_MAX; i++) {
		struct sk_posture_av *a = &p->av[i];

		if (i >= p->n_av) {
			memset(a, 0, sizeof(*a));
			continue;
		}
		clean_key(a->key);
		clean_token(a->vendor);
		clean_token(a->product);
		clean_text(a->name);
		a->installed = clean_tri(a->installed);
		a->running = clean_tri(a->running);
		a->realtime = clean_tri(a->realtime);
		a->defs_day = clean_day(a->defs_day);
	}
	for (int i = 0; i < SK_PO_DISK_MAX; i++) {
		struct sk_posture_disk *d = &p->disk[i];

		if (i >= p->n_disk) {
			memset(d, 0, sizeof(*d));
			continue;
		}
		clean_key(d->key);
		d->system = clean_tri(d->system);
		d->encrypted = clean_tri(d->encrypted);
	}
}

/* ------------------------------------------------------------ policy */

static const char *const checks[SK_PO_CHK_N] = {
	[SK_PO_CHK_REPORT] = "report", [SK_PO_CHK_DEVICE] = "device", [SK_PO_CHK_OS] = "os",
	[SK_PO_CHK_AV] = "av", [SK_PO_CHK_FIREWALL] = "firewall", [SK_PO_CHK_DISK] = "disk",
	[SK_PO_CHK_UPDATES] = "updates",
};

const char *sk_po_check_name(unsigned int c)
{
	return c < SK_PO_CHK_N ? checks[c] : "";
}

/* The shipped defaults, as KEY=VALUE text: the one place they are written
 * (posture.md lists the same). */
static const struct {
	const char *key, *def, *help;
} keys[] = {
	{ "posture", "off", "on: check the device's posture at login (off: only the registered device)" },
	{ "report", "on", "a posture report (our agent, format 1) is required" },
	{ "report.outcome", "refuse", "refuse or quarantine a client without a posture report" },
	{ "device", "on", "the registered device check (serial/MAC), as before posture" },
	{ "device.outcome", "refuse", "refuse (quarantine is not offered for an unknown device)" },
	{ "os", "on", "check the operating system" },
	{ "os.outcome", "refuse", "refuse or quarantine" },
	{ "os.families", "windows,macos,linux", "allowed families: windows macos linux ios android" },
	{ "os.windows.min_build", "22000",
	  "lowest Windows build: 22000 = Windows 11 (Windows 10 22H2 = 19045, out of support since 2025-10-14)" },
	{ "os.macos.min_version", "14", "lowest macOS version" },
	{ "os.ios.min_version", "17", "lowest iOS version" },
	{ "os.android.min_version", "14", "lowest Android version" },
	{ "os.linux", "debian:12,ubuntu:22.04,rhel:9",
	  "allowed Linux distributions (os-release ID) and their lowest VERSION_ID: id:version,..." },
	{ "av", "on", "an allowed antivirus product is installed" },
	{ "av.outcome", "refuse", "refuse or quarantine" },
	{ "av.allowed", "microsoft/defender,trendmicro,norton,mcafee,eset,webroot,clamav",
	  "allowed products: vendor or vendor/product identities (posture.md)" },
	{ "av.running", "on", "the product must be running" },
	{ "av.realtime", "on", "real-time protection must be on" },
	{ "av.max_age_days", "7", "definitions at most this many days old (1..365; 0 = the date is not checked)" },
	{ "firewall", "on", "the host firewall must be on" },
	{ "firewall.outcome", "refuse", "refuse or quarantine" },
	{ "disk", "off", "the system volume must be encrypted (BitLocker, FileVault, LUKS)" },
	{ "disk.outcome", "refuse", "refuse or quarantine" },
	{ "updates", "on", "the last OS security update is recent" },
	{ "updates.outcome", "refuse", "refuse or quarantine" },
	{ "updates.max_age_days", "45", "last security update at most this many days ago (1..365)" },
	{ "quarantine.allowlist", "",
	  "store policy (allowlist) of a quarantined tunnel; quarantine is refused while it is \"\"" },
};
#define NKEYS ((int)(sizeof(keys) / sizeof(keys[0])))

int sk_posture_policy_nkeys(void)
{
	return NKEYS;
}

const char *sk_posture_policy_key(int i, const char **help)
{
	if (i < 0 || i >= NKEYS)
		return NULL;
	if (help)
		*help = keys[i].help;
	return keys[i].key;
}

void sk_posture_policy_default(struct sk_posture_policy *p)
{
	memset(p, 0, sizeof(*p));
	for (int i = 0; i < NKEYS; i++)
		(void)sk_posture_policy_set(p, keys[i].key, keys[i].def, NULL, 0);
}

static int onoff(const char *key, const char *val, bool *out, char *err, size_t errlen)
{
	if (!strcmp(val, "on"))
		*out = true;
	else if (!strcmp(val, "off"))
		*out = false;
	else
		return sk_err(err, errlen, "posture %s: must be on or off", key);
	return 0;
}

static int num(const char *key, const char *val, long min, long max, long *out, char *err,
	       size_t errlen)
{
	struct sk_po_ver v;

	if (sk_po_ver_parse(val, strlen(val), &v) || v.n != 1 || v.v[0] < (uint32_t)min ||
	    v.v[0] > (uint32_t)max)
		return sk_err(err, errlen, "posture %s: must be a whole number %ld..%ld", key, min, max);
	*out = (long)v.v[0];
	return 0;
}

static int ver(const char *key, const char *val, struct sk_po_ver *out, char *err, size_t errlen)
{
	if (sk_po_ver_parse(val, strlen(val), out))
		return sk_err(err, errlen, "posture %s: must be a version such as 14 or 14.5", key);
	return 0;
}

/* the next comma-separated item of *s into item (trimmed); false at the end */
static bool next_item(const char **s, char *item, size_t len, bool *too_long)
{
	const char *p = *s, *e;
	size_t n;

	*too_long = false;
	while (*p == ' ' || *p == ',')
		p++;
	if (!*p)
		return false;
	e = strchr(p, ',');
	if (!e)
		e = p + strlen(p);
	*s = e;
	while (e > p && e[-1] == ' ')
		e--;
	n = (size_t)(e - p);
	if (n >= len) {
		*too_long = true;
		n = len - 1;
	}
	memcpy(item, p, n);
	item[n] = 0;
	return true;
}

int sk_posture_policy_set(struct sk_posture_policy *p, const char *key, const char *val,
			  char *err, size_t errlen)
{
	char item[80];
	bool tl;
	long n;
	int c;

	if (!key || !val)
		return sk_err(err, errlen, "posture: missing key or value");
	if (strlen(val) >= SK_PO_VAL_MAX)
		return sk_err(err, errlen, "posture %s: value longer than %d bytes", key, SK_PO_VAL_MAX - 1);
	if (!strcmp(key, "posture"))
		return onoff(key, val, &p->enabled, err, errlen);
	for (c = 0; c < SK_PO_CHK_N; c++) {
		size_t l = strlen(checks[c]);

		if (strncmp(key, checks[c], l))
			continue;
		if (!key[l])
			return onoff(key, val, &p->on[c], err, errlen);
		if (!strcmp(key + l, ".outcome")) {
			if (!strcmp(val, "refuse"))
				p->outcome[c] = SK_PO_REFUSE;
			else if (!strcmp(val, "quarantine") && c != SK_PO_CHK_DEVICE)
				p->outcome[c] = SK_PO_QUARANTINE;
			else
				return sk_err(err, errlen, c == SK_PO_CHK_DEVICE ?
					   "posture %s: must be refuse (an unknown device is never quarantined)" :
					   "posture %s: must be refuse or quarantine", key);
			return 0;
		}
	}
	if (!strcmp(key, "os.families")) {
		unsigned int fam = 0;
		const char *s = val;

		while (next_item(&s, item, sizeof(item), &tl)) {
			int f = sk_po_family_from(item, strlen(item));

			if (tl || f < 0)
				return sk_err(err, errlen, "posture os.families: '%.40s' is none of "
					   "windows, macos, linux, ios, android", item);
			fam |= 1u << f;
		}
		p->families = fam;
		return 0;
	}
	if (!strcmp(key, "os.windows.min_build")) {
		if (num(key, val, 0, 999999, &n, err, errlen))
			return -EINVAL;
		p->windows_min_build = (uint32_t)n;
		return 0;
	}
	if (!strcmp(key, "os.macos.min_version"))
		return ver(key, val, &p->macos_min, err, errlen);
	if (!strcmp(key, "os.ios.min_version"))
		return ver(key, val, &p->ios_min, err, errlen);
	if (!strcmp(key, "os.android.min_version"))
		return ver(key, val, &p->android_min, err, errlen);
	if (!strcmp(key, "os.linux")) {
		struct sk_po_linux l[SK_PO_LIST_MAX];
		const char *s = val;
		int k = 0;

		memset(l, 0, sizeof(l));
		while (next_item(&s, item, sizeof(item), &tl)) {
			char *colon = strchr(item, ':');

			if (k == SK_PO_LIST_MAX)
				return sk_err(err, errlen, "posture os.linux: more than %d distributions",
					   SK_PO_LIST_MAX);
			if (tl || !colon || !sk_po_token_ok(item, (size_t)(colon - item)) ||
			    sk_po_ver_parse(colon + 1, strlen(colon + 1), &l[k].min))
				return sk_err(err, errlen, "posture os.linux: '%.40s' is not ID:VERSION "
					   "(an os-release ID such as debian, and a version such as 12)", item);
			memcpy(l[k].id, item, (size_t)(colon - item));
			k++;
		}
		memcpy(p->linux_, l, sizeof(l));
		p->n_linux = k;
		return 0;
	}
	if (!strcmp(key, "av.allowed")) {
		struct sk_po_avid a[SK_PO_LIST_MAX];
		const char *s = val;
		int k = 0;

		memset(a, 0, sizeof(a));
		while (next_item(&s, item, sizeof(item), &tl)) {
			char *slash = strchr(item, '/');
			size_t vl = slash ? (size_t)(slash - item) : strlen(item);

			if (k == SK_PO_LIST_MAX)
				return sk_err(err, errlen, "posture av.allowed: more than %d products",
					   SK_PO_LIST_MAX);
			if (tl || !sk_po_token_ok(item, vl) ||
			    (slash && !sk_po_token_ok(slash + 1, strlen(slash + 1))))
				return sk_err(err, errlen, "posture av.allowed: '%.40s' is not VENDOR or "
					   "VENDOR/PRODUCT (identities of a-z 0-9 . _ -, see posture.md)", item);
			memcpy(a[k].vendor, item, vl);
			if (slash)
				memcpy(a[k].product, slash + 1, strlen(slash + 1) + 1);
			k++;
		}
		memcpy(p->av, a, sizeof(a));
		p->n_av = k;
		return 0;
	}
	if (!strcmp(key, "av.running"))
		return onoff(key, val, &p->av_running, err, errlen);
	if (!strcmp(key, "av.realtime"))
		return onoff(key, val, &p->av_realtime, err, errlen);
	if (!strcmp(key, "av.max_age_days")) {
		if (num(key, val, 0, 365, &n, err, errlen))
			return -EINVAL;
		p->av_max_age = (int)n;
		return 0;
	}
	if (!strcmp(key, "updates.max_age_days")) {
		if (num(key, val, 1, 365, &n, err, errlen))
			return -EINVAL;
		p->updates_max_age = (int)n;
		return 0;
	}
	if (!strcmp(key, "quarantine.allowlist")) {
		if (strlen(val) >= SK_PO_NAME || (val[0] && !sk_text_ok(val, SK_PO_NAME - 1, false)))
			return sk_err(err, errlen, "posture quarantine.allowlist: must be a policy name "
				   "(at most %d bytes)", SK_PO_NAME - 1);
		snprintf(p->quarantine, sizeof(p->quarantine), "%s", val);
		return 0;
	}
	return sk_err(err, errlen, "posture: unknown key '%.40s' (sekictl posture show lists them)", key);
}

static void append(char *out, size_t len, size_t *o, const char *s)
{
	int w = snprintf(out + *o, len - *o, "%s%s", *o ? "," : "", s);

	if (w > 0 && (size_t)w < len - *o)
		*o += (size_t)w;
}

int sk_posture_policy_get(const struct sk_posture_policy *p, const char *key, char *out,
			  size_t len)
{
	char item[80];
	size_t o = 0;
	int c;

	if (!len)
		return -EINVAL;
	out[0] = 0;
	if (!strcmp(key, "posture")) {
		snprintf(out, len, "%s", p->enabled ? "on" : "off");
		return 0;
	}
	for (c = 0; c < SK_PO_CHK_N; c++) {
		size_t l = strlen(checks[c]);

		if (strncmp(key, checks[c], l))
			continue;
		if (!key[l]) {
			snprintf(out, len, "%s", p->on[c] ? "on" : "off");
			return 0;
		}
		if (!strcmp(key + l, ".outcome")) {
			snprintf(out, len, "%s", p->outcome[c] == SK_PO_QUARANTINE ? "quarantine" : "refuse");
			return 0;
		}
	}
	if (!strcmp(key, "os.families")) {
		for (int f = 1; f < SK_PO_FAM_N; f++)
			if (p->families & (1u << f))
				append(out, len, &o, families[f]);
	} else if (!strcmp(key, "os.windows.min_build")) {
		snprintf(out, len, "%u", (unsigned int)p->windows_min_build);
	} else if (!strcmp(key, "os.macos.min_version")) {
		sk_po_ver_fmt(&p->macos_min, out, len);
	} else if (!strcmp(key, "os.ios.min_version")) {
		sk_po_ver_fmt(&p->ios_min, out, len);
	} else if (!strcmp(key, "os.android.min_version")) {
		sk_po_ver_fmt(&p->android_min, out, len);
	} else if (!strcmp(key, "os.linux")) {
		for (int i = 0; i < p->n_linux && i < SK_PO_LIST_MAX; i++) {
			char v[48];

			sk_po_linux_ver_fmt(p->linux_[i].id, &p->linux_[i].min, v, sizeof(v));
			snprintf(item, sizeof(item), "%s:%s", p->linux_[i].id, v);
			append(out, len, &o, item);
		}
	} else if (!strcmp(key, "av.allowed")) {
		for (int i = 0; i < p->n_av && i < SK_PO_LIST_MAX; i++) {
			snprintf(item, sizeof(item), "%s%s%s", p->av[i].vendor,
				 p->av[i].product[0] ? "/" : "", p->av[i].product);
			append(out, len, &o, item);
		}
	} else if (!strcmp(key, "av.running")) {
		snprintf(out, len, "%s", p->av_running ? "on" : "off");
	} else if (!strcmp(key, "av.realtime")) {
		snprintf(out, len, "%s", p->av_realtime ? "on" : "off");
	} else if (!strcmp(key, "av.max_age_days")) {
		snprintf(out, len, "%d", p->av_max_age);
	} else if (!strcmp(key, "updates.max_age_days")) {
		snprintf(out, len, "%d", p->updates_max_age);
	} else if (!strcmp(key, "quarantine.allowlist")) {
		snprintf(out, len, "%s", p->quarantine);
	} else {
		return -EINVAL;
	}
	return 0;
}
