/*-------------------------------------------------------------------------
 *
 * codec.h
 *	  Text encodings of isms.ref and isms.docver.
 *
 * The codec makes no backend calls, so that the fuzz harness can link it
 * alone; ref.c and docver.c turn its error codes into ereports.
 *
 *-------------------------------------------------------------------------
 */
#ifndef ISMS_CODEC_H
#define ISMS_CODEC_H

/*
 * isms.ref is a pass-by-value uint64 whose unsigned order is the natural
 * order of references:
 *
 *	bits 63..59  letter: 0 for none, 1..26 for A..Z
 *	bits 58..9   five 10-bit fields, each holding number + 1, 0 when absent
 *	bits  8..0   zero
 *
 * A parent's absent fields are zero, so it sorts before its children, and
 * "6.1" is an ancestor of "6.1.2" exactly when the child masked to the
 * parent's depth equals the parent.
 */
#define REF_MAX_NUMBERS		5
#define REF_MAX_NUMBER		999
#define REF_LETTER_SHIFT	59
#define REF_FIELD_BITS		10
#define REF_FIELD_MASK		((uint64) 0x3FF)
#define REF_FIELD_SHIFT(i)	(49 - REF_FIELD_BITS * (i))
#define REF_RESERVED_MASK	((uint64) 0x1FF)
/* "Z." + five "999." minus the last dot, plus NUL */
#define REF_MAX_TEXT		(2 + REF_MAX_NUMBERS * 4)

/* isms.docver is a pass-by-value int32: major << 16 | minor */
#define DOCVER_MAX_MAJOR	32767
#define DOCVER_MAX_MINOR	65535
#define DOCVER_MAX_TEXT		12

typedef enum CodecError
{
	CODEC_OK = 0,
	CODEC_EMPTY,				/* nothing but white space */
	CODEC_BAD_CHARACTER,		/* a character the grammar does not allow */
	CODEC_EMPTY_NUMBER,			/* two dots in a row, or a dot at an end */
	CODEC_LEADING_ZERO,			/* "05" */
	CODEC_LETTER_WITHOUT_DOT,	/* "A5" */
	CODEC_LETTER_ONLY,			/* "A" or "A." */
	CODEC_TOO_MANY_NUMBERS,		/* more than REF_MAX_NUMBERS */
	CODEC_NUMBER_TOO_LARGE,		/* a number above its limit */
	CODEC_NOT_MAJOR_MINOR		/* a docver without exactly two numbers */
} CodecError;

typedef struct CodecResult
{
	CodecError	error;
	int			position;		/* byte offset of the offending character */
} CodecResult;

extern CodecResult ref_parse(const char *str, uint64 *result);
extern int	ref_format(uint64 ref, char *buf);
extern int	ref_depth_of(uint64 ref);
extern uint64 ref_build(int letter, int nnumbers, const int *numbers);
extern bool ref_is_valid(uint64 ref);
extern int	ref_number_at(uint64 ref, int i);
extern int	ref_letter_of(uint64 ref);

extern CodecResult docver_parse(const char *str, int32 *result);
extern int	docver_format(int32 docver, char *buf);

extern const char *codec_error_detail(CodecError error);

#define DOCVER_MAJOR(v)	((int) ((uint32) (v) >> 16))
#define DOCVER_MINOR(v)	((int) ((uint32) (v) & 0xFFFF))
#define DOCVER_MAKE(major, minor) ((int32) (((uint32) (major) << 16) | (uint32) (minor)))

#endif							/* ISMS_CODEC_H */
