/*
 * libFuzzer harness over the isms.ref and isms.docver codec (src/codec.c).
 *
 * Every input is parsed as both types.  The harness aborts, which libFuzzer
 * reports as a crash, when a parse that succeeded does not round-trip:
 * format(parse(s)) must parse back to the same value and format to the same
 * text, and every parsed ref must pass ref_is_valid() (what binary input
 * checks).  AddressSanitizer catches any read past the terminator.
 */
#include "postgres_fe.h"

#include "codec.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_ref(const char *str)
{
	uint64		v,
				v2;
	char		buf[REF_MAX_TEXT],
				buf2[REF_MAX_TEXT];

	if (ref_parse(str, &v).error != CODEC_OK)
		return;
	if (!ref_is_valid(v))
		abort();
	if (ref_format(v, buf) >= REF_MAX_TEXT)
		abort();
	if (ref_parse(buf, &v2).error != CODEC_OK || v2 != v)
		abort();
	ref_format(v2, buf2);
	if (strcmp(buf, buf2) != 0)
		abort();
}

static void
check_docver(const char *str)
{
	int32		v,
				v2;
	char		buf[DOCVER_MAX_TEXT];

	if (docver_parse(str, &v).error != CODEC_OK)
		return;
	if (v < 0 || DOCVER_MAJOR(v) > DOCVER_MAX_MAJOR)
		abort();
	if (docver_format(v, buf) >= DOCVER_MAX_TEXT)
		abort();
	if (docver_parse(buf, &v2).error != CODEC_OK || v2 != v)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* the backend hands input functions a NUL-terminated string */
	char	   *str = malloc(size + 1);

	memcpy(str, data, size);
	str[size] = '\0';
	check_ref(str);
	check_docver(str);
	free(str);
	return 0;
}
