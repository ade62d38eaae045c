// SPDX-License-Identifier: GPL-2.0
/*
 * The XML of the AnyConnect auth exchange (anyconnect-protocol.md §2).
 * Parsing uses expat with every risky feature refused: a DOCTYPE stops the
 * parser (so no internal subset, no entities of any kind), parameter
 * entities are never parsed, and depth, element count and text size are
 * bounded.  Rendering escapes every string it did not write itself.
 */
#include <stdio.h>
#include <string.h>

#include <expat.h>
#include <openssl/crypto.h>

#include "sktext.h"
#include "worker.h"

struct xml_ctx {
	XML_Parser p;
	struct sk_xml_auth *out;
	const char *err;	/* first refusal */
	int depth, elems;
	bool root_seen, in_auth;
	int auth_depth;
	/* text being collected: the <auth> child, <group-select>, <device-id> */
	enum { T_NONE, T_FIELD, T_GROUP, T_DEVID } text;
	char *tbuf;
	size_t tlen, tmax;
	bool devid_long;	/* a <device-id> too long to keep: dropped */
};

static void stop(struct xml_ctx *c, const char *why)
{
	if (!c->err)
		c->err = why;
	XML_StopParser(c->p, XML_FALSE);
}

static bool name_ok(const char *n)
{
	size_t l = strlen(n);

	if (l == 0 || l >= 32)
		return false;
	for (size_t i = 0; i < l; i++) {
		char ch = n[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_' ||
		      (i && ((ch >= '0' && ch <= '9') || ch == '-' || ch == '.'))))
			return false;
	}
	return true;
}

static void XMLCALL on_start(void *ud, const XML_Char *name, const XML_Char **attrs)
{
	struct xml_ctx *c = ud;

	if (c->err)
		return;
	if (++c->depth > SK_XML_DEPTH_MAX)
		return stop(c, "XML nested too deeply");
	if (++c->elems > SK_XML_ELEMS_MAX)
		return stop(c, "too many XML elements");
	if (c->text == T_DEVID) {
		/* not plain text: no hint, and no refusal for it */
		c->out->device_id[0] = 0;
		c->text = T_NONE;
	}
	if (c->text != T_NONE)
		return stop(c, "element inside a text field");
	if (c->depth == 1) {
		const char *type = NULL;

		if (strcmp(name, "config-auth"))
			return stop(c, "root element is not config-auth");
		for (int i = 0; attrs[i]; i += 2)
			if (!strcmp(attrs[i], "type"))
				type = attrs[i + 1];
		if (!type)
			return stop(c, "config-auth without type");
		if (!strcmp(type, "init"))
			c->out->is_init = true;
		else if (strcmp(type, "auth-reply"))
			return stop(c, "config-auth type is neither init nor auth-reply");
		c->root_seen = true;
		return;
	}
	if (c->depth == 2 && !strcmp(name, "auth")) {
		c->in_auth = true;
		c->auth_depth = c->depth;
		return;
	}
	if (c->depth == 2 && !strcmp(name, "group-select")) {
		c->text = T_GROUP;
		c->tbuf = c->out->group;
		c->tmax = sizeof(c->out->group) - 1;
		c->tlen = 0;
		return;
	}
	if (c->depth == 2 && !strcmp(name, "device-id")) {
		/* only a hint (posture.h sk_po_client_of): kept when short,
		 * dropped, not refused, when not */
		c->text = T_DEVID;
		c->tbuf = c->out->device_id;
		c->tmax = sizeof(c->out->device_id) - 1;
		c->tlen = 0;
		c->devid_long = false;
		return;
	}
	if (c->in_auth && c->depth == c->auth_depth + 1) {
		int i = c->out->n_fields;

		if (i >= SK_XML_FIELDS)
			return stop(c, "too many auth fields");
		if (!name_ok(name))
			return stop(c, "bad auth field name");
		for (int k = 0; k < i; k++)
			if (!strcmp(c->out->names[k], name))
				return stop(c, "repeated auth field");
		strcpy(c->out->names[i], name);
		c->out->values[i][0] = 0;
		c->out->n_fields++;
		c->text = T_FIELD;
		c->tbuf = c->out->values[i];
		c->tmax = SK_XML_TEXT_MAX;
		c->tlen = 0;
		return;
	}
	/* everything else (version, capabilities, opaque...) is skipped */
}

static void XMLCALL on_end(void *ud, const XML_Char *name)
{
	struct xml_ctx *c = ud;

	(void)name;
	if (c->err)
		return;
	if (c->text != T_NONE)
		c->tbuf[c->tlen] = 0;
	if (c->text == T_DEVID && c->devid_long)
		c->tbuf[0] = 0;
	c->text = T_NONE;
	if (c->in_auth && c->depth == c->auth_depth)
		c->in_auth = false;
	c->depth--;
}

static void XMLCALL on_text(void *ud, const XML_Char *s, int len)
{
	struct xml_ctx *c = ud;

	if (c->err || c->text == T_NONE)
		return;
	if (c->text == T_DEVID && (c->devid_long || (size_t)len > c->tmax - c->tlen)) {
		c->devid_long = true;
		return;
	}
	if ((size_t)len > c->tmax - c->tlen)
		return stop(c, "XML text field too long");
	memcpy(c->tbuf + c->tlen, s, len);
	c->tlen += len;
	c->tbuf[c->tlen] = 0;
}

static void XMLCALL on_doctype(void *ud, const XML_Char *name, const XML_Char *sysid,
			       const XML_Char *pubid, int has_internal)
{
	(void)name, (void)sysid, (void)pubid, (void)has_internal;
	stop(ud, "DOCTYPE refused");
}

static void XMLCALL on_entity_decl(void *ud, const XML_Char *name, int is_param,
				   const XML_Char *value, int vlen, const XML_Char *base,
				   const XML_Char *sysid, const XML_Char *pubid,
				   const XML_Char *notation)
{
	(void)name, (void)is_param, (void)value, (void)vlen, (void)base;
	(void)sysid, (void)pubid, (void)notation;
	stop(ud, "entity declaration refused");
}

/* An undeclared entity reference (&foo;) ends up here: refuse it too. */
static void XMLCALL on_skipped(void *ud, const XML_Char *name, int is_param)
{
	(void)name, (void)is_param;
	stop(ud, "entity reference refused");
}

static int XMLCALL on_external(XML_Parser p, const XML_Char *ctx, const XML_Char *base,
			       const XML_Char *sysid, const XML_Char *pubid)
{
	(void)p, (void)ctx, (void)base, (void)sysid, (void)pubid;
	return XML_STATUS_ERROR;
}

int sk_xml_parse_auth(const char *doc, size_t len, struct sk_xml_auth *out,
		      char *err, size_t errlen)
{
	struct xml_ctx c = { 0 };
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (len > SK_HTTP_BODY_MAX) {
		snprintf(err, errlen, "XML document too large");
		return -1;
	}
	c.p = XML_ParserCreate("UTF-8");
	if (!c.p) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	c.out = out;
	XML_SetUserData(c.p, &c);
	XML_SetElementHandler(c.p, on_start, on_end);
	XML_SetCharacterDataHandler(c.p, on_text);
	XML_SetStartDoctypeDeclHandler(c.p, on_doctype);
	XML_SetEntityDeclHandler(c.p, on_entity_decl);
	XML_SetSkippedEntityHandler(c.p, on_skipped);
	XML_SetExternalEntityRefHandler(c.p, on_external);
	XML_SetParamEntityParsing(c.p, XML_PARAM_ENTITY_PARSING_NEVER);
	if (XML_Parse(c.p, doc, (int)len, XML_TRUE) != XML_STATUS_OK) {
		snprintf(err, errlen, "%s", c.err ? c.err : XML_ErrorString(XML_GetErrorCode(c.p)));
	} else if (c.err) {
		snprintf(err, errlen, "%s", c.err);
	} else if (!c.root_seen) {
		snprintf(err, errlen, "no config-auth element");
	} else {
		rc = 0;
	}
	XML_ParserFree(c.p);
	if (rc)
		OPENSSL_cleanse(out, sizeof(*out));
	return rc;
}

int sk_xml_escape(char *out, size_t outlen, size_t *pos, const char *s)
{
	size_t n;

	for (; *s; s += n) {
		const char *rep = NULL;
		char one[5] = { 0 };
		size_t l;

		/*
		 * Only whole UTF-8 characters: a text cut to fit a fixed
		 * buffer (snprintf) may end inside one, and a client's XML
		 * parser refuses the whole document for a single bad byte.
		 * An invalid byte is dropped, as a control character is.
		 */
		n = sk_utf8_len((const unsigned char *)s);
		if (!n) {
			n = 1;
			continue;
		}
		switch (*s) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&apos;"; break;
		default:
			/* control characters are not allowed in XML 1.0: drop them */
			if ((unsigned char)*s < 0x20 && *s != '\n' && *s != '\t')
				continue;
			memcpy(one, s, n);
			rep = one;
		}
		l = strlen(rep);
		if (l >= outlen - *pos)
			return -1;
		memcpy(out + *pos, rep, l);
		*pos += l;
	}
	out[*pos] = 0;
	return 0;
}

static int put(char *out, size_t outlen, size_t *pos, const char *s)
{
	size_t l = strlen(s);

	if (l >= outlen - *pos)
		return -1;
	memcpy(out + *pos, s, l + 1);
	*pos += l;
	return 0;
}

/* <tag>escaped text</tag> if text is not empty */
static int elem(char *out, size_t outlen, size_t *pos, const char *tag, const char *text)
{
	if (!text[0])
		return 0;
	return put(out, outlen, pos, "<") || put(out, outlen, pos, tag) ||
	       put(out, outlen, pos, ">") || sk_xml_escape(out, outlen, pos, text) ||
	       put(out, outlen, pos, "</") || put(out, outlen, pos, tag) ||
	       put(out, outlen, pos, ">");
}

/* name="escaped value" */
static int attr(char *out, size_t outlen, size_t *pos, const char *name, const char *v)
{
	return put(out, outlen, pos, " ") || put(out, outlen, pos, name) ||
	       put(out, outlen, pos, "=\"") || sk_xml_escape(out, outlen, pos, v) ||
	       put(out, outlen, pos, "\"");
}

static int head(char *out, size_t outlen, size_t *pos, const char *type, const char *group)
{
	if (put(out, outlen, pos, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<config-auth client=\"vpn\" type=\"") ||
	    put(out, outlen, pos, type) ||
	    put(out, outlen, pos, "\" aggregate-auth-version=\"2\">\n<version who=\"sg\">sekisho</version>\n"))
		return -1;
	/* the client echoes <opaque> in every auth-reply */
	if (group && group[0] &&
	    (put(out, outlen, pos, "<opaque is-for=\"sg\"><tunnel-group>") ||
	     sk_xml_escape(out, outlen, pos, group) ||
	     put(out, outlen, pos, "</tunnel-group></opaque>\n")))
		return -1;
	return 0;
}

static const char *input_type(enum sk_input_type t)
{
	switch (t) {
	case SK_IN_TEXT: return "text";
	case SK_IN_PASSWORD: return "password";
	case SK_IN_HIDDEN: return "hidden";
	default: return NULL;
	}
}

static int render_inputs(const struct sk_form *f, const char *action,
			 char *out, size_t outlen, size_t *pos)
{
	int n = f->n_inputs;

	if (n <= 0)
		return 0;	/* fatal: no form at all, the client gives up */
	if (n > SK_FORM_INPUTS)
		n = SK_FORM_INPUTS;
	if (put(out, outlen, pos, "<form method=\"post\"") ||
	    attr(out, outlen, pos, "action", action) || put(out, outlen, pos, ">\n"))
		return -1;
	for (int i = 0; i < n; i++) {
		const struct sk_input *in = &f->inputs[i];

		if (in->type == SK_IN_SELECT) {
			int no = in->n_options > SK_FORM_OPTIONS ? SK_FORM_OPTIONS : in->n_options;

			if (put(out, outlen, pos, "<select") || attr(out, outlen, pos, "name", in->name) ||
			    attr(out, outlen, pos, "label", in->label) || put(out, outlen, pos, ">"))
				return -1;
			for (int k = 0; k < no; k++) {
				if (put(out, outlen, pos, "<option") ||
				    attr(out, outlen, pos, "value", in->options[k].value) ||
				    (!strcmp(in->value, in->options[k].value) &&
				     put(out, outlen, pos, " selected=\"true\"")) ||
				    put(out, outlen, pos, ">") ||
				    sk_xml_escape(out, outlen, pos, in->options[k].label) ||
				    put(out, outlen, pos, "</option>"))
					return -1;
			}
			if (put(out, outlen, pos, "</select>\n"))
				return -1;
			continue;
		}
		if (!input_type(in->type))
			continue;
		if (put(out, outlen, pos, "<input") ||
		    attr(out, outlen, pos, "type", input_type(in->type)) ||
		    attr(out, outlen, pos, "name", in->name) ||
		    attr(out, outlen, pos, "label", in->label) ||
		    (in->value[0] && attr(out, outlen, pos, "value", in->value)) ||
		    put(out, outlen, pos, " />\n"))
			return -1;
	}
	return put(out, outlen, pos, "</form>");
}

int sk_xml_render_form(const struct sk_form *f, const char *group, const char *action,
		       char *out, size_t outlen)
{
	size_t pos = 0;
	const char *id = f->auth_id[0] ? f->auth_id : "main";

	if (!outlen)
		return -1;
	out[0] = 0;
	if (head(out, outlen, &pos, "auth-request", group) ||
	    put(out, outlen, &pos, "<auth") || attr(out, outlen, &pos, "id", id) ||
	    put(out, outlen, &pos, ">") ||
	    elem(out, outlen, &pos, "title", f->title) ||
	    elem(out, outlen, &pos, "banner", f->banner) ||
	    elem(out, outlen, &pos, "message", f->message) ||
	    elem(out, outlen, &pos, "error", f->error) ||
	    render_inputs(f, action && action[0] ? action : "/", out, outlen, &pos) ||
	    put(out, outlen, &pos, "</auth>\n</config-auth>\n"))
		return -1;
	return (int)pos;
}

int sk_xml_render_hostscan(const struct sk_form *f, const char *group, const char *ticket,
			   const char *token, char *out, size_t outlen)
{
	size_t pos = 0;

	if (!outlen)
		return -1;
	out[0] = 0;
	/* no inputs: the client runs its CSD wrapper, polls the wait URI,
	 * then posts its init again with Cookie sdesktop=TOKEN (§3.5) */
	if (head(out, outlen, &pos, "auth-request", group) ||
	    put(out, outlen, &pos, "<auth id=\"main\">") ||
	    elem(out, outlen, &pos, "title", f->title) ||
	    elem(out, outlen, &pos, "message", f->message) ||
	    put(out, outlen, &pos, "</auth>\n<host-scan>") ||
	    elem(out, outlen, &pos, "host-scan-ticket", ticket) ||
	    elem(out, outlen, &pos, "host-scan-token", token) ||
	    elem(out, outlen, &pos, "host-scan-base-uri", "/+CSCOE+/sdesktop/") ||
	    elem(out, outlen, &pos, "host-scan-wait-uri", "/+CSCOE+/sdesktop/wait.html") ||
	    put(out, outlen, &pos, "</host-scan>\n</config-auth>\n"))
		return -1;
	return (int)pos;
}

int sk_xml_render_success(const struct sk_form *f, const char *group, const char *cookie,
			  char *out, size_t outlen)
{
	size_t pos = 0;

	if (!outlen)
		return -1;
	out[0] = 0;
	if (head(out, outlen, &pos, "complete", group) ||
	    elem(out, outlen, &pos, "session-token", cookie) ||
	    put(out, outlen, &pos, "<auth id=\"success\">") ||
	    elem(out, outlen, &pos, "title", f->title) ||
	    elem(out, outlen, &pos, "banner", f->banner) ||
	    elem(out, outlen, &pos, "message", f->message) ||
	    put(out, outlen, &pos, "</auth>\n</config-auth>\n"))
		return -1;
	return (int)pos;
}
