// SPDX-License-Identifier: GPL-2.0
/*
 * skadmin: CSV import and export of users and devices
 * (Documentation/admin/csv.md).
 *
 * RFC 4180 records (quoted fields may hold commas, doubled quotes and line
 * breaks; CRLF or LF), UTF-8 with an optional BOM, a header row naming the
 * columns (any order).  An import is all or nothing: every row is checked
 * and added inside one transaction, every bad row is reported as
 * "line N: reason", and if any row is bad the transaction is rolled back.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "admin_int.h"
#include "skauth.h"
#include "sktext.h"

#define CSV_MAX_COLS	32
#define CSV_FIELD_MAX	1024
#define CSV_MAX_ROWS	100000

struct csv_row {
	unsigned long line;		/* physical line where the record starts */
	int n;
	char *f[CSV_MAX_COLS];
};

struct csv {
	char *data;			/* the whole file, fields point into it */
	size_t len;
	struct csv_row *rows;
	int nrows;
	int ncols;
	const char *cols[CSV_MAX_COLS];	/* header; NULL: a column ignored */
	bool ignore_extra;		/* --ignore-extra-columns: unknown columns are skipped */
	char ignored[512];		/* their names, "a, b" */
};

static void csv_free(struct csv *c)
{
	free(c->data);
	free(c->rows);
	memset(c, 0, sizeof(*c));
}

static bool utf8_valid(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned char b = s[i];
		int k;
		uint32_t cp;

		if (b < 0x80) {
			i++;
			continue;
		}
		if ((b & 0xe0) == 0xc0) {
			k = 1;
			cp = b & 0x1f;
		} else if ((b & 0xf0) == 0xe0) {
			k = 2;
			cp = b & 0x0f;
		} else if ((b & 0xf8) == 0xf0) {
			k = 3;
			cp = b & 0x07;
		} else {
			return false;
		}
		for (int j = 1; j <= k; j++) {
			if (i + j >= n || (s[i + j] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + j] & 0x3f);
		}
		/* overlong forms, surrogates, beyond U+10FFFF */
		if ((k == 1 && cp < 0x80) || (k == 2 && cp < 0x800) || (k == 3 && cp < 0x10000) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return false;
		i += k + 1;
	}
	return true;
}

static int read_all(struct ska *a, const char *path, char **data, size_t *len)
{
	FILE *f;
	size_t cap = 65536, n = 0;
	char *buf;

	if (!strcmp(path, "-")) {
		f = a->io->in;
		if (!f)
			return ska_usage(a, "no standard input to read the CSV from");
	} else {
		f = fopen(path, "r");
		if (!f)
			return ska_fail(a, "%s: %s", path, strerror(errno));
	}
	buf = malloc(cap + 1);
	while (buf) {
		size_t r = fread(buf + n, 1, cap - n, f);

		n += r;
		if (r == 0)
			break;
		if (n == cap) {
			char *nb;

			if (cap >= SKA_STDIN_MAX) {
				free(buf);
				buf = NULL;
				if (f != a->io->in)
					fclose(f);
				return ska_fail(a, "%s: larger than %d bytes", path, SKA_STDIN_MAX);
			}
			cap *= 2;
			nb = realloc(buf, cap + 1);
			if (!nb) {
				free(buf);
				buf = NULL;
			}
			buf = nb;
		}
	}
	if (f != a->io->in)
		fclose(f);
	if (!buf)
		return ska_fail(a, "out of memory");
	buf[n] = '\0';
	*data = buf;
	*len = n;
	return 0;
}

/*
 * Parses c->data in place.  Returns 0, or 2 after printing "line N: reason"
 * for a syntax error (the parse cannot go on after a broken quote).
 */
static int csv_parse(struct ska *a, struct csv *c)
{
	char *p = c->data, *end = c->data + c->len, *w;
	unsigned long line = 1;
	int cap = 0;

	if (c->len >= 3 && !memcmp(p, "\xef\xbb\xbf", 3))
		p += 3;
	if (memchr(p, '\0', end - p))
		return ska_fail(a, "the file contains NUL bytes; expected UTF-8 text");
	if (!utf8_valid((unsigned char *)p, end - p))
		return ska_fail(a, "the file is not valid UTF-8 (save it as UTF-8, not Shift_JIS)");
	while (p < end) {
		struct csv_row row = { .line = line };
		bool more = true;

		/* skip completely empty lines */
		if (*p == '\n' || (*p == '\r' && p + 1 < end && p[1] == '\n')) {
			p += *p == '\r' ? 2 : 1;
			line++;
			continue;
		}
		while (more) {
			if (row.n >= CSV_MAX_COLS)
				return ska_fail(a, "line %lu: more than %d columns", row.line, CSV_MAX_COLS);
			w = p;
			row.f[row.n++] = w;
			if (*p == '"') {
				p++;
				for (;;) {
					if (p >= end)
						return ska_fail(a, "line %lu: unterminated quoted field",
								row.line);
					if (*p == '"') {
						if (p + 1 < end && p[1] == '"') {
							*w++ = '"';
							p += 2;
							continue;
						}
						p++;
						break;
					}
					if (*p == '\n')
						line++;
					*w++ = *p++;
				}
				if (p < end && *p != ',' && *p != '\n' && *p != '\r')
					return ska_fail(a, "line %lu: text after a closing quote", line);
			} else {
				while (p < end && *p != ',' && *p != '\n' && *p != '\r') {
					if (*p == '"')
						return ska_fail(a, "line %lu: a quote inside an unquoted "
								"field (quote the whole field)", line);
					*w++ = *p++;
				}
			}
			if (p < end && *p == ',') {
				*w = '\0';
				p++;
				continue;
			}
			if (p < end && *p == '\r')
				*p++ = '\0';
			if (p < end && *p == '\n')
				p++;
			*w = '\0';
			line++;
			more = false;
		}
		for (int i = 0; i < row.n; i++)
			if (strlen(row.f[i]) > CSV_FIELD_MAX)
				return ska_fail(a, "line %lu: field %d longer than %d bytes", row.line,
						i + 1, CSV_FIELD_MAX);
		if (c->nrows >= CSV_MAX_ROWS)
			return ska_fail(a, "more than %d rows", CSV_MAX_ROWS);
		if (c->nrows == cap) {
			struct csv_row *nr;

			cap = cap ? cap * 2 : 64;
			nr = realloc(c->rows, cap * sizeof(*nr));
			if (!nr)
				return ska_fail(a, "out of memory");
			c->rows = nr;
		}
		c->rows[c->nrows++] = row;
	}
	return 0;
}

/* Checks the header against the known columns; fills col index per known name. */
static int csv_header(struct ska *a, struct csv *c, const char *const *known, int nknown,
		      const char *const *required, int nreq, int *idx)
{
	int i, k;

	if (!c->nrows)
		return ska_fail(a, "empty file: a header row is required (%s,...)", known[0]);
	for (k = 0; k < nknown; k++)
		idx[k] = -1;
	c->ncols = c->rows[0].n;
	for (i = 0; i < c->ncols; i++) {
		char *h = c->rows[0].f[i];

		/* header names: case-insensitive, '-' and '_' alike, blanks trimmed */
		while (*h == ' ')
			h++;
		for (char *q = h; *q; q++) {
			if (*q == '-')
				*q = '_';
			if (*q >= 'A' && *q <= 'Z')
				*q += 'a' - 'A';
		}
		for (size_t l = strlen(h); l && h[l - 1] == ' '; l--)
			h[l - 1] = '\0';
		for (k = 0; k < nknown; k++)
			if (!strcmp(h, known[k]))
				break;
		if (k == nknown && c->ignore_extra) {
			char shown[96];
			size_t l = strlen(c->ignored);

			sk_text_escape(h, shown, sizeof(shown));
			snprintf(c->ignored + l, sizeof(c->ignored) - l, "%s%s", l ? ", " : "", shown);
			c->cols[i] = NULL;
			continue;
		}
		if (k == nknown)
			return ska_fail(a, "line %lu: unknown column '%s' (see Documentation/admin/csv.md; "
					"--ignore-extra-columns skips the columns sekisho does not know)",
					c->rows[0].line, h);
		if (idx[k] >= 0)
			return ska_fail(a, "line %lu: column '%s' twice", c->rows[0].line, h);
		idx[k] = i;
		c->cols[i] = known[k];
	}
	for (i = 0; i < nreq; i++) {
		for (k = 0; k < nknown && strcmp(known[k], required[i]); k++)
			;
		if (idx[k] < 0)
			return ska_fail(a, "line %lu: the header lacks the column '%s'",
					c->rows[0].line, required[i]);
	}
	return 0;
}

static const char *col(const struct csv_row *r, const int *idx, int k)
{
	return idx[k] >= 0 && idx[k] < r->n ? r->f[idx[k]] : "";
}

void ska_csv_field(FILE *f, const char *s, bool last)
{
	if (strpbrk(s, ",\"\r\n")) {
		fputc('"', f);
		for (; *s; s++) {
			if (*s == '"')
				fputc('"', f);
			fputc(*s, f);
		}
		fputc('"', f);
	} else {
		fputs(s, f);
	}
	fputs(last ? "\r\n" : ",", f);
}

/* ------------------------------------------------------------------- users */

enum { UC_NAME, UC_EMAIL, UC_GROUP, UC_FROM, UC_UNTIL, UC_OTP, UC_LANG, UC_CERT, UC_ENABLED,
       UC_DISPLAY, UC_N };
static const char *const user_cols[UC_N] = { "name", "email", "group", "valid_from",
					     "valid_until", "otp", "lang", "cert_id", "enabled",
					     "display_name" };
static const char *const user_req[] = { "name", "email", "group" };

struct imp {
	struct ska *a;
	struct csv c;
	int idx[CSV_MAX_COLS];
	int bad, added;
	bool *totp;			/* per row: a secret was enrolled */
};

static int row_bad(struct imp *im, const struct csv_row *r, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int row_bad(struct imp *im, const struct csv_row *r, const char *fmt, ...)
{
	va_list ap;

	fprintf(im->a->io->err, "sekictl: %s: line %lu: ", im->a->what, r->line);
	va_start(ap, fmt);
	vfprintf(im->a->io->err, fmt, ap);
	va_end(ap);
	fputc('\n', im->a->io->err);
	im->bad++;
	return 0;
}

static bool dup_before(struct imp *im, int row, int k)
{
	const char *n = col(&im->c.rows[row], im->idx, k);

	for (int i = 1; i < row; i++)
		if (!strcmp(col(&im->c.rows[i], im->idx, k), n))
			return true;
	return false;
}

/*
 * What every import row starts with: as many fields as the header, and a
 * name (column k) that is not empty, not longer than SK_NAME_MAX and not
 * in an earlier row; copies it to name.  false after row_bad().
 */
static bool row_name(struct imp *im, int i, int k, const char *noun, char *name, size_t len)
{
	const struct csv_row *r = &im->c.rows[i];
	const char *v;

	if (r->n != im->c.ncols) {
		row_bad(im, r, "%d fields, the header has %d", r->n, im->c.ncols);
		return false;
	}
	v = col(r, im->idx, k);
	if (!*v || strlen(v) > SK_NAME_MAX) {
		row_bad(im, r, "name: empty or longer than %d characters", SK_NAME_MAX);
		return false;
	}
	snprintf(name, len, "%s", v);
	if (dup_before(im, i, k)) {
		row_bad(im, r, "%s %s appears twice in the file", noun, name);
		return false;
	}
	return true;
}

/* A yes/no column (column k, named what) into *out, unless empty; false after row_bad(). */
static bool row_bool(struct imp *im, const struct csv_row *r, int k, const char *what, bool *out)
{
	const char *v = col(r, im->idx, k);

	if (*v && ska_parse_bool(v, out)) {
		row_bad(im, r, "%s: expected yes or no, got '%s'", what, v);
		return false;
	}
	return true;
}

/* The end of an import transaction: -EINVAL after a bad row, else its audit
 * entry (how many, and the columns skipped by --ignore-extra-columns; each
 * object imported has a record of its own, as if added by hand). */
static int import_done(struct imp *im)
{
	char after[sizeof(im->c.ignored) * 2 + 128];
	FILE *f;

	if (im->bad)
		return -EINVAL;
	if (!(f = fmemopen(after, sizeof(after), "w")))
		return -ENOMEM;
	fprintf(f, "{\"imported\":%d,\"ignored_columns\":", im->added);
	sk_json_escape(f, im->c.ignored);
	fputc('}', f);
	fputc('\0', f);
	fclose(f);
	return ska_audit(im->a, NULL, after, NULL, NULL);
}

/* the record of one imported user: its fields, as `user add` writes them */
static int audit_user(struct imp *im, const struct sk_user *u)
{
	struct ska_obj o = { 0 };
	char *aj;
	int rc;

	ska_user_obj(u, &o);
	aj = ska_obj_json_text(&o, NULL, 0);
	rc = aj ? ska_audit(im->a, NULL, aj, u->name, NULL) : -ENOMEM;
	free(aj);
	ska_obj_free(&o);
	return rc;
}

/* Reads and parses path and its header row; 0, or the exit code of what it printed. */
static int import_read(struct ska *a, const char *path, struct imp *im,
		       const char *const *cols, int ncols, const char *const *req, int nreq)
{
	int rc = read_all(a, path, &im->c.data, &im->c.len);

	if (rc)
		return rc;
	rc = csv_parse(a, &im->c);
	if (!rc)
		rc = csv_header(a, &im->c, cols, ncols, req, nreq, im->idx);
	if (rc)
		csv_free(&im->c);
	return rc;
}

/* Runs apply in one transaction; 0, or the exit code of the failure it printed. */
static int import_run(struct ska *a, struct imp *im, int (*apply)(struct sk_store *, void *),
		      const char *path)
{
	int rc = ska_tx(a, apply, im);

	if (rc && im->bad) {
		ska_fail2(a, "%d bad row(s); nothing was imported",
			  "誤りのある行が %d 行あります。何も取り込んでいません", im->bad);
		rc = 1;
	} else if (rc) {
		rc = ska_store_fail(a, rc, path, "");
	}
	return rc;
}

static int user_import_apply(struct sk_store *st, void *arg)
{
	struct imp *im = arg;
	int i;

	for (i = 1; i < im->c.nrows; i++) {
		const struct csv_row *r = &im->c.rows[i];
		struct sk_user u = { .enabled = true, .created = im->a->now, .changed = im->a->now };
		char err[SKA_ERR] = "";
		const char *v;
		int rc, l;

		if (!row_name(im, i, UC_NAME, "user", u.name, sizeof(u.name)))
			continue;
		v = col(r, im->idx, UC_EMAIL);
		if (!*v || strlen(v) > SK_EMAIL_MAX) {
			row_bad(im, r, "email: empty or too long");
			continue;
		}
		snprintf(u.email, sizeof(u.email), "%s", v);
		v = col(r, im->idx, UC_GROUP);
		if (!*v || strlen(v) > SK_NAME_MAX) {
			row_bad(im, r, "group: empty or too long");
			continue;
		}
		snprintf(u.group, sizeof(u.group), "%s", v);
		v = col(r, im->idx, UC_FROM);
		if (ska_parse_time(v, false, &u.valid_from)) {
			row_bad(im, r, "valid_from: expected YYYY-MM-DD or ISO 8601, got '%s'", v);
			continue;
		}
		v = col(r, im->idx, UC_UNTIL);
		if (ska_parse_time(v, true, &u.valid_until)) {
			row_bad(im, r, "valid_until: expected YYYY-MM-DD or ISO 8601, got '%s'", v);
			continue;
		}
		if (u.valid_from && u.valid_until && u.valid_until < u.valid_from) {
			row_bad(im, r, "valid_until is before valid_from");
			continue;
		}
		v = col(r, im->idx, UC_OTP);
		if (!strcmp(v, "totp")) {
			if (sk_totp_new_secret(u.totp_secret, sizeof(u.totp_secret))) {
				row_bad(im, r, "cannot create a TOTP secret");
				continue;
			}
			im->totp[i] = true;
		} else if (*v && strcmp(v, "email") && strcmp(v, "none")) {
			row_bad(im, r, "otp: expected email, totp or none, got '%s'", v);
			continue;
		}
		v = col(r, im->idx, UC_LANG);
		if ((l = ska_lang_from(v)) < 0) {
			row_bad(im, r, "lang: expected ja, en or auto, got '%s'", v);
			continue;
		}
		u.lang = l;
		v = col(r, im->idx, UC_CERT);
		if (strlen(v) > SK_NAME_MAX) {
			row_bad(im, r, "cert_id: longer than %d characters", SK_NAME_MAX);
			continue;
		}
		snprintf(u.cert_id, sizeof(u.cert_id), "%s", v);
		if (!row_bool(im, r, UC_ENABLED, "enabled", &u.enabled))
			continue;
		v = col(r, im->idx, UC_DISPLAY);
		if (sk_valid_display_name(v, err, sizeof(err))) {
			row_bad(im, r, "%s", err);
			continue;
		}
		snprintf(u.display_name, sizeof(u.display_name), "%s", v);
		rc = sk_user_add(st, &u, err, sizeof(err));
		if (rc == -EEXIST)
			row_bad(im, r, "user %s already exists", u.name);
		else if (rc == -ENOENT && !*err)
			row_bad(im, r, "group %s does not exist", u.group);
		else if (rc)
			row_bad(im, r, "%s", *err ? err : strerror(-rc));
		else if (!im->bad && (rc = audit_user(im, &u)))
			return rc;
		else
			im->added++;
		sk_wipe(&u, sizeof(u));
	}
	return import_done(im);
}

int ska_user_import(struct ska *a, const char *path, bool ignore_extra)
{
	struct imp im = { .a = a, .c.ignore_extra = ignore_extra };
	int rc, i;

	rc = import_read(a, path, &im, user_cols, UC_N, user_req, 3);
	if (rc)
		return rc;
	im.totp = calloc(im.c.nrows, sizeof(bool));
	if (!im.totp) {
		csv_free(&im.c);
		return ska_fail(a, "out of memory");
	}
	rc = import_run(a, &im, user_import_apply, path);
	if (!rc) {
		ska_said(a, "user import: %d user(s) added from %s",
			 "user import: %d 人のユーザーを %s から追加しました", im.added, path);
		if (im.c.ignored[0])
			ska_said(a, "user import: column(s) ignored: %s",
				 "user import: 読み飛ばした列: %s", im.c.ignored);
		/* the TOTP secrets enrolled now, one URI each (shown once) */
		for (i = 1; i < im.c.nrows; i++) {
			struct sk_user u;

			if (!im.totp[i] || sk_user_get(a->st, col(&im.c.rows[i], im.idx, UC_NAME), &u))
				continue;
			ska_totp_uri(a, u.name, u.totp_secret);
			sk_wipe(&u, sizeof(u));
		}
		a->fx->users_changed = true;
	}
	free(im.totp);
	csv_free(&im.c);
	return rc;
}

static int user_export_each(const struct sk_user *u, void *arg)
{
	FILE *f = arg;
	char t[40];

	ska_csv_field(f, u->name, false);
	ska_csv_field(f, u->email, false);
	ska_csv_field(f, u->group, false);
	ska_fmt_time(u->valid_from, t, sizeof(t));
	ska_csv_field(f, t, false);
	ska_fmt_time(u->valid_until, t, sizeof(t));
	ska_csv_field(f, t, false);
	ska_csv_field(f, u->totp_secret[0] ? "totp" : "email", false);
	ska_csv_field(f, u->lang == SK_LANG_AUTO ? "" : ska_lang_name(u->lang), false);
	ska_csv_field(f, u->cert_id, false);
	ska_csv_field(f, u->enabled ? "yes" : "no", false);
	ska_csv_field(f, u->display_name, true);
	return 0;
}

int ska_user_export(struct ska *a)
{
	int i, rc;

	for (i = 0; i < UC_N; i++)
		ska_csv_field(a->io->out, user_cols[i], i == UC_N - 1);
	rc = sk_user_list(a->st, user_export_each, a->io->out);
	return rc ? ska_store_fail(a, rc, "users", "") : 0;
}

/* ----------------------------------------------------------------- devices */

enum { DC_NAME, DC_TYPE, DC_METHOD, DC_ID, DC_POLICY, DC_ENABLED, DC_CHECK, DC_USER, DC_N };
static const char *const dev_cols[DC_N] = { "name", "type", "method", "id", "policy",
					    "enabled", "check", "user" };
static const char *const dev_req[] = { "name", "type", "method", "id" };

static int device_import_apply(struct sk_store *st, void *arg)
{
	struct imp *im = arg;
	int i;

	for (i = 1; i < im->c.nrows; i++) {
		const struct csv_row *r = &im->c.rows[i];
		struct sk_device d = { .enabled = true, .check = true };
		char err[SKA_ERR] = "";
		const char *v, *user;
		int rc, k;

		if (!row_name(im, i, DC_NAME, "device", d.name, sizeof(d.name)))
			continue;
		v = col(r, im->idx, DC_TYPE);
		if ((k = ska_devtype_from(v)) < 0) {
			row_bad(im, r, "type: expected windows, mac, ios or android, got '%s'", v);
			continue;
		}
		d.type = k;
		v = col(r, im->idx, DC_METHOD);
		if ((k = ska_devmethod_from(v)) < 0) {
			row_bad(im, r, "method: expected serial or mac, got '%s'", v);
			continue;
		}
		d.method = k;
		v = col(r, im->idx, DC_ID);
		if (!*v || strlen(v) > SK_NAME_MAX) {
			row_bad(im, r, "id: empty or longer than %d characters", SK_NAME_MAX);
			continue;
		}
		snprintf(d.ident, sizeof(d.ident), "%s", v);
		v = col(r, im->idx, DC_POLICY);
		if (strlen(v) > SK_NAME_MAX) {
			row_bad(im, r, "policy: name too long");
			continue;
		}
		snprintf(d.policy, sizeof(d.policy), "%s", v);
		if (!row_bool(im, r, DC_ENABLED, "enabled", &d.enabled) ||
		    !row_bool(im, r, DC_CHECK, "check", &d.check))
			continue;
		rc = ska_check_mac(st, &d, err, sizeof(err));
		if (!rc)
			rc = sk_device_add(st, &d, err, sizeof(err));
		if (rc == -EEXIST) {
			row_bad(im, r, "device %s already exists", d.name);
			continue;
		} else if (rc) {
			row_bad(im, r, "%s", *err ? err : strerror(-rc));
			continue;
		}
		{
			struct ska_obj o = { 0 };
			char *aj;

			ska_device_obj(&d, &o);
			aj = ska_obj_json_text(&o, NULL, 0);
			rc = aj ? ska_audit(im->a, NULL, aj, NULL, d.name) : -ENOMEM;
			free(aj);
			ska_obj_free(&o);
			if (rc)
				return rc;
		}
		user = col(r, im->idx, DC_USER);
		if (*user) {
			rc = sk_device_assign(st, user, d.name, err, sizeof(err));
			if (rc == -ENOSPC)
				row_bad(im, r, "user %s already has as many devices as the group allows",
					user);
			else if (rc == -ENOENT && !*err)
				row_bad(im, r, "user %s does not exist", user);
			else if (rc)
				row_bad(im, r, "assign to %s: %s", user, *err ? err : strerror(-rc));
			if (rc)
				continue;
		}
		im->added++;
	}
	return import_done(im);
}

int ska_device_import(struct ska *a, const char *path, bool ignore_extra)
{
	struct imp im = { .a = a, .c.ignore_extra = ignore_extra };
	int rc;

	rc = import_read(a, path, &im, dev_cols, DC_N, dev_req, 4);
	if (rc)
		return rc;
	rc = import_run(a, &im, device_import_apply, path);
	if (!rc) {
		ska_said(a, "device import: %d device(s) added from %s",
			 "device import: %d 台の端末を %s から追加しました", im.added, path);
		if (im.c.ignored[0])
			ska_said(a, "device import: column(s) ignored: %s",
				 "device import: 読み飛ばした列: %s", im.c.ignored);
		a->fx->users_changed = true;
		a->fx->policies_changed = true;
	}
	csv_free(&im.c);
	return rc;
}
