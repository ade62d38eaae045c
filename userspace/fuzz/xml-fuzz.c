// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the auth XML parser, then the renderer with what was
 * parsed (field values as message, error, labels), checking the output is
 * still well-formed XML.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <expat.h>

#include "worker.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sk_xml_auth a;
	static struct sk_form f;
	static char out[65536];
	char err[128];
	int n;
	XML_Parser p;

	if (sk_xml_parse_auth((const char *)data, size, &a, err, sizeof(err)))
		return 0;
	if (a.n_fields > SK_XML_FIELDS)
		__builtin_trap();
	/* the <device-id> hint (the client kind, posture.h) is terminated */
	if (!memchr(a.device_id, 0, sizeof(a.device_id)))
		__builtin_trap();
	memset(&f, 0, sizeof(f));
	snprintf(f.auth_id, sizeof(f.auth_id), "main");
	for (int i = 0; i < a.n_fields && i < SK_FORM_INPUTS; i++) {
		f.inputs[i].type = (enum sk_input_type)(1 + i % 4);
		snprintf(f.inputs[i].name, sizeof(f.inputs[i].name), "%s", a.names[i]);
		snprintf(f.inputs[i].label, sizeof(f.inputs[i].label), "%s", a.values[i]);
		f.inputs[i].n_options = 1;
		snprintf(f.inputs[i].options[0].label, sizeof(f.inputs[i].options[0].label), "%s", a.values[i]);
		f.n_inputs++;
	}
	if (a.n_fields)
		snprintf(f.message, sizeof(f.message), "%s", a.values[0]);
	n = sk_xml_render_form(&f, a.group, "/", out, sizeof(out));
	if (n > 0) {
		p = XML_ParserCreate("UTF-8");
		/* values came from valid UTF-8 XML text: the output must parse */
		if (XML_Parse(p, out, n, XML_TRUE) != XML_STATUS_OK)
			__builtin_trap();
		XML_ParserFree(p);
	}
	return 0;
}
