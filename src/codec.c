/*-------------------------------------------------------------------------
 *
 * codec.c
 *	  Parsing and formatting of isms.ref and isms.docver text.
 *
 * Grammar (documented in the README):
 *
 *	ref     := space* [letter "."] number ("." number){0,4} space*
 *	docver  := space* number "." number space*
 *	number  := "0" | [1-9][0-9]*
 *
 * The parsers read a NUL-terminated string one byte at a time and never
 * look past the terminator, whatever the bytes are.
 *
 *-------------------------------------------------------------------------
 */
#ifdef FRONTEND
#include "postgres_fe.h"
#else
#include "postgres.h"
#endif

#include "codec.h"

/* The same set as the backend's scanner_isspace(), without locale. */
static inline bool
codec_isspace(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
		c == '\v';
}

static inline CodecResult
codec_fail(CodecError error, const char *start, const char *at)
{
	CodecResult r;

	r.error = error;
	r.position = (int) (at - start);
	return r;
}

/*
 * Read one number at *p, at most "limit".  On success *p is left on the
 * byte after the last digit.
 */
static CodecError
parse_number(const char **p, int limit, int *value)
{
	const char *s = *p;
	int			v = 0;

	if (*s < '0' || *s > '9')
		return (*s == '.' || *s == '\0' || codec_isspace(*s)) ?
			CODEC_EMPTY_NUMBER : CODEC_BAD_CHARACTER;
	if (*s == '0' && s[1] >= '0' && s[1] <= '9')
		return CODEC_LEADING_ZERO;
	while (*s >= '0' && *s <= '9')
	{
		/* saturate rather than overflow; any excess is an error anyway */
		if (v <= limit)
			v = v * 10 + (*s - '0');
		s++;
	}
	if (v > limit)
		return CODEC_NUMBER_TOO_LARGE;
	*value = v;
	*p = s;
	return CODEC_OK;
}

/* Writes a non-negative int in decimal; returns the bytes written. */
static int
format_number(char *buf, int v)
{
	char		digits[10];
	int			n = 0;
	int			i;

	do
	{
		digits[n++] = (char) ('0' + v % 10);
		v /= 10;
	} while (v > 0);
	for (i = 0; i < n; i++)
		buf[i] = digits[n - 1 - i];
	return n;
}

CodecResult
ref_parse(const char *str, uint64 *result)
{
	const char *p = str;
	int			letter = 0;
	int			numbers[REF_MAX_NUMBERS];
	int			n = 0;

	while (codec_isspace(*p))
		p++;
	if (*p == '\0')
		return codec_fail(CODEC_EMPTY, str, p);

	if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z'))
	{
		letter = (*p >= 'a') ? (*p - 'a' + 1) : (*p - 'A' + 1);
		p++;
		if (*p == '\0' || codec_isspace(*p))
			return codec_fail(CODEC_LETTER_ONLY, str, p);
		if (*p != '.')
			return codec_fail(CODEC_LETTER_WITHOUT_DOT, str, p);
		p++;
		if (*p == '\0' || codec_isspace(*p))
			return codec_fail(CODEC_LETTER_ONLY, str, p);
	}

	for (;;)
	{
		const char *start = p;
		CodecError	e;

		if (n == REF_MAX_NUMBERS)
			return codec_fail(CODEC_TOO_MANY_NUMBERS, str, p);
		e = parse_number(&p, REF_MAX_NUMBER, &numbers[n]);
		if (e != CODEC_OK)
			return codec_fail(e, str, start);
		n++;
		if (*p != '.')
			break;
		p++;
	}

	while (codec_isspace(*p))
		p++;
	if (*p != '\0')
		return codec_fail(CODEC_BAD_CHARACTER, str, p);

	*result = ref_build(letter, n, numbers);
	return codec_fail(CODEC_OK, str, p);
}

uint64
ref_build(int letter, int nnumbers, const int *numbers)
{
	uint64		v = (uint64) letter << REF_LETTER_SHIFT;
	int			i;

	for (i = 0; i < nnumbers; i++)
		v |= ((uint64) numbers[i] + 1) << REF_FIELD_SHIFT(i);
	return v;
}

int
ref_letter_of(uint64 ref)
{
	return (int) (ref >> REF_LETTER_SHIFT);
}

/* The i-th number (0-based), or -1 when the reference is shallower. */
int
ref_number_at(uint64 ref, int i)
{
	return (int) ((ref >> REF_FIELD_SHIFT(i)) & REF_FIELD_MASK) - 1;
}

int
ref_depth_of(uint64 ref)
{
	int			d = 0;

	while (d < REF_MAX_NUMBERS && ref_number_at(ref, d) >= 0)
		d++;
	return d;
}

/*
 * Whether a 64-bit value is one that ref_parse could have produced: used on
 * binary input, where the bytes come from a client.
 */
bool
ref_is_valid(uint64 ref)
{
	int			d = ref_depth_of(ref);
	int			i;

	if (ref_letter_of(ref) > 26 || d == 0 || (ref & REF_RESERVED_MASK) != 0)
		return false;
	for (i = 0; i < d; i++)
		if (ref_number_at(ref, i) > REF_MAX_NUMBER)
			return false;
	for (i = d; i < REF_MAX_NUMBERS; i++)
		if (ref_number_at(ref, i) != -1)
			return false;
	return true;
}

/* Writes the canonical text into buf (REF_MAX_TEXT bytes); returns length. */
int
ref_format(uint64 ref, char *buf)
{
	char	   *p = buf;
	int			letter = ref_letter_of(ref);
	int			i;

	if (letter > 0)
	{
		*p++ = (char) ('A' + letter - 1);
		*p++ = '.';
	}
	for (i = 0; i < REF_MAX_NUMBERS; i++)
	{
		int			v = ref_number_at(ref, i);

		if (v < 0)
			break;
		if (i > 0)
			*p++ = '.';
		p += format_number(p, v);
	}
	*p = '\0';
	return (int) (p - buf);
}

CodecResult
docver_parse(const char *str, int32 *result)
{
	const char *p = str;
	const char *start;
	int			major;
	int			minor;
	CodecError	e;

	while (codec_isspace(*p))
		p++;
	if (*p == '\0')
		return codec_fail(CODEC_EMPTY, str, p);

	start = p;
	e = parse_number(&p, DOCVER_MAX_MAJOR, &major);
	if (e != CODEC_OK)
		return codec_fail(e, str, start);
	if (*p != '.')
		return codec_fail((*p == '\0' || codec_isspace(*p)) ?
						  CODEC_NOT_MAJOR_MINOR : CODEC_BAD_CHARACTER, str, p);
	p++;
	start = p;
	e = parse_number(&p, DOCVER_MAX_MINOR, &minor);
	if (e != CODEC_OK)
		return codec_fail(e, str, start);
	if (*p == '.')
		return codec_fail(CODEC_NOT_MAJOR_MINOR, str, p);
	while (codec_isspace(*p))
		p++;
	if (*p != '\0')
		return codec_fail(CODEC_BAD_CHARACTER, str, p);

	*result = DOCVER_MAKE(major, minor);
	return codec_fail(CODEC_OK, str, p);
}

int
docver_format(int32 docver, char *buf)
{
	char	   *p = buf;

	p += format_number(p, DOCVER_MAJOR(docver));
	*p++ = '.';
	p += format_number(p, DOCVER_MINOR(docver));
	*p = '\0';
	return (int) (p - buf);
}

const char *
codec_error_detail(CodecError error)
{
	switch (error)
	{
		case CODEC_OK:
			return "No error.";
		case CODEC_EMPTY:
			return "The input is empty.";
		case CODEC_BAD_CHARACTER:
			return "Only digits and dots are allowed at this position.";
		case CODEC_EMPTY_NUMBER:
			return "A number is missing between dots or at an end.";
		case CODEC_LEADING_ZERO:
			return "Numbers are written without leading zeros.";
		case CODEC_LETTER_WITHOUT_DOT:
			return "A leading letter is followed by a dot, as in \"A.5\".";
		case CODEC_LETTER_ONLY:
			return "A leading letter is followed by at least one number, as in \"A.5\".";
		case CODEC_TOO_MANY_NUMBERS:
			return "A reference has at most 5 numbers.";
		case CODEC_NUMBER_TOO_LARGE:
			return "A number exceeds its limit.";
		case CODEC_NOT_MAJOR_MINOR:
			return "A document version is exactly two numbers, major.minor, as in \"1.0\".";
	}
	return "Unknown error.";
}
