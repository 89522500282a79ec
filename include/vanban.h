/*
 * vanban.h - read Vietnamese administrative documents into structured JSON.
 *
 * The one public header of libvanban.  Usage:
 *
 *     vanban_model *model;
 *     vanban_error err;
 *     if (vanban_model_load(NULL, &model, &err) != VANBAN_OK) { ...err.text... }
 *
 *     vanban_parser *p;
 *     vanban_options opt;
 *     vanban_options_init(&opt);
 *     opt.source_path = "x.txt";
 *     vanban_parser_new(model, &opt, &p);
 *     while ((n = read(fd, buf, sizeof buf)) > 0) vanban_parser_feed(p, buf, n);
 *     vanban_result *r;
 *     vanban_parser_finish(p, &r);
 *     vanban_result_write_json(r, VANBAN_JSON_PRETTY, my_write, my_ud);
 *     vanban_result_free(r);
 *     vanban_parser_free(p);
 *     vanban_model_free(model);
 *
 * Threads: a model is immutable once loaded and may be shared by any number of
 * threads; a parser and a result belong to one thread at a time.  The library
 * keeps no global mutable state, never prints, and never aborts or exits: every
 * failure, including a failed allocation, is returned as a negative status.
 *
 * Output does not depend on how the input is split between feed() calls.
 */
#ifndef VANBAN_H
#define VANBAN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(VANBAN_BUILDING) && defined(__GNUC__)
#define VANBAN_EXPORT __attribute__((visibility("default")))
#else
#define VANBAN_EXPORT
#endif

/** Version of this header: 0xMMmmpp. */
#define VANBAN_VERSION 0x000100
#define VANBAN_VERSION_STRING "0.1.0"

/** Version of the library actually linked, e.g. "0.1.0". */
VANBAN_EXPORT const char *vanban_version(void);

/** Status codes.  0 is success; failures are negative. */
enum {
    VANBAN_OK = 0,
    VANBAN_ENOMEM = -1,    /**< an allocation failed */
    VANBAN_EINVAL = -2,    /**< a bad argument (NULL handle, bad option) */
    VANBAN_EGRAMMAR = -3,  /**< a grammar or word list failed to load or compile */
    VANBAN_EIO = -4,       /**< a grammar file could not be read */
    VANBAN_ENOTTEXT = -5,  /**< the input is binary (it holds NUL bytes) */
    VANBAN_ETOOBIG = -6,   /**< the input is larger than options.max_input_bytes */
    VANBAN_ESTATE = -7,    /**< call out of order (feed after finish) */
    VANBAN_EWRITE = -8     /**< the write callback reported a failure */
};

/** A static English message for a status code; never NULL. */
VANBAN_EXPORT const char *vanban_strerror(int status);

/** Details of a failure while loading a model (first error wins). */
typedef struct vanban_error {
    int code;          /**< one of the VANBAN_E* codes */
    char file[64];     /**< grammar file involved, or "" */
    int line;          /**< line in that file (1-based), or 0 */
    size_t offset;     /**< offset in the pattern, or 0 */
    char text[192];    /**< human-readable message */
} vanban_error;

/* ------------------------------------------------------------------------ */
/* Model: grammars and word lists, compiled once, immutable, shared.         */

typedef struct vanban_model vanban_model;

/**
 * Load and compile a model.  dir == NULL uses the grammars embedded in the
 * library; otherwise the same files are read from dir (see grammars/).
 * On success *out owns a new model (free with vanban_model_free).  On failure
 * returns a negative status and fills err (if not NULL).
 */
VANBAN_EXPORT int vanban_model_load(const char *dir, vanban_model **out, vanban_error *err);

/** Free a model.  No parser using it may remain.  NULL is allowed. */
VANBAN_EXPORT void vanban_model_free(vanban_model *model);

/* ------------------------------------------------------------------------ */
/* Options                                                                   */

#define VANBAN_OPTIONS_ABI 1

/** Do not change the text: no repair stage (docs/repair.md), no case fixes. */
#define VANBAN_OPT_NO_REPAIR 0x0001u
/** Match patterns with the PCRE2 interpreter instead of JIT code (slower;
    for memory checkers such as valgrind, which cannot follow JIT code). */
#define VANBAN_OPT_NO_JIT 0x0002u
/**
 * Text only: the result carries the repaired text (vanban_result_write_text)
 * and the corrections, but no documents.  finish() skips segmentation and
 * the extraction of fields, references and tasks, and feed() skips the
 * SHA-256 of the input; the text and corrections are the same as without the
 * flag.  vanban_result_document_count() is 0; vanban_result_write_json()
 * still writes a valid object: "documents" is empty, source.sha256 is null
 * and no "no-text" warning is given.  For tools that only print the text
 * ("vanban normalize").
 */
#define VANBAN_OPT_TEXT_ONLY 0x0004u
/**
 * Repair without the language model: only the layers that need no
 * evidence beyond the word itself run: "unicode" (NFC, look-alike letters,
 * zero-width characters), "case" (a lower-case word in an upper-case line),
 * "spelling" of a tone mark on the wrong letter of a valid syllable, and
 * "style" (tone placement, with tone_style).  No "diacritic" or "break"
 * corrections are made.  Ignored with VANBAN_OPT_NO_REPAIR.
 */
#define VANBAN_OPT_NO_CONTEXT 0x0008u

typedef struct vanban_options {
    unsigned abi_version;      /**< set by vanban_options_init; must be VANBAN_OPTIONS_ABI */
    unsigned flags;            /**< VANBAN_OPT_* bits */
    const char *source_path;   /**< shown as source.path in the JSON; copied */
    size_t max_input_bytes;    /**< default 64 MiB; larger input -> VANBAN_ETOOBIG */
    size_t max_warnings;       /**< warnings kept per input (default 100); more are counted */
    uint32_t match_limit;      /**< PCRE2 match limit per pattern call (default 1000000) */
    uint32_t depth_limit;      /**< PCRE2 depth limit (default 10000) */
    /* --- repair stage (docs/repair.md) --- */
    double repair_margin;      /**< evidence needed to change a valid syllable, in nats
                                    (0 = the tuned default, see docs/repair.md) */
    int tone_style;            /**< VANBAN_TONE_KEEP (default), _MODERN or _TRADITIONAL */
    /**
     * Input encoding, or NULL (the default) to detect it per input: a BOM
     * (UTF-8, UTF-16 LE/BE), valid UTF-8, else the legacy Vietnamese
     * encodings by their byte statistics.  Names: "utf-8", "utf-16le",
     * "utf-16be", "windows-1258", "vni", "tcvn3", "viscii".  UTF-8 that was
     * once read as Windows-1252 and saved again ("Tá»‰nh") is repaired.  The
     * encoding found is source.encoding in the JSON; spans stay byte offsets
     * of the input as fed.  An unknown name makes vanban_parser_new() fail
     * with VANBAN_EINVAL.  Not copied: the string must outlive the parser.
     */
    const char *encoding;
} vanban_options;

/** Tone-mark placement: keep the document's own style, or convert. */
enum { VANBAN_TONE_KEEP = 0, VANBAN_TONE_MODERN = 1, VANBAN_TONE_TRADITIONAL = 2 };

/** Fill opt with the defaults. */
VANBAN_EXPORT void vanban_options_init(vanban_options *opt);

/* ------------------------------------------------------------------------ */
/* Parser: feed bytes, finish, get a result.                                 */

typedef struct vanban_parser vanban_parser;
typedef struct vanban_result vanban_result;

/**
 * Create a parser for one input.  opt may be NULL for the defaults.  The model
 * must outlive the parser.  Returns VANBAN_OK and sets *out, or a negative status.
 */
VANBAN_EXPORT int vanban_parser_new(const vanban_model *model, const vanban_options *opt,
                                    vanban_parser **out);

/**
 * Feed len bytes of input.  The input may be split anywhere, even inside a
 * UTF-8 sequence or between CR and LF.  Returns VANBAN_OK or a negative status;
 * after a failure the parser can only be freed.
 */
VANBAN_EXPORT int vanban_parser_feed(vanban_parser *p, const void *buf, size_t len);

/**
 * End of input: parse what was fed and return the result in *out (caller
 * frees it with vanban_result_free).  Bad input is not a failure: it becomes
 * warnings in the result.  Failures: VANBAN_ENOMEM, VANBAN_ENOTTEXT (binary
 * input: a NUL byte in the first 8 KiB, or NULs making 1% of the input;
 * vanban_parser_error_offset() gives the offset of the first NUL byte; a
 * stray NUL later in a text is dropped with a "nul-byte" warning),
 * VANBAN_ETOOBIG.  After finish the parser can only be freed.
 */
VANBAN_EXPORT int vanban_parser_finish(vanban_parser *p, vanban_result **out);

/** Byte offset tied to the last failure (first NUL byte, size limit), or 0. */
VANBAN_EXPORT size_t vanban_parser_error_offset(const vanban_parser *p);

/** Free a parser.  NULL is allowed. */
VANBAN_EXPORT void vanban_parser_free(vanban_parser *p);

/** Convenience: parse a whole buffer.  Same contract as feed + finish. */
VANBAN_EXPORT int vanban_parse_buffer(const vanban_model *model, const vanban_options *opt,
                                      const void *buf, size_t len, vanban_result **out);

/* ------------------------------------------------------------------------ */
/* Results                                                                   */

/** Number of documents found in the input. */
VANBAN_EXPORT size_t vanban_result_document_count(const vanban_result *r);

/** Number of warnings (for the whole input and its documents). */
VANBAN_EXPORT size_t vanban_result_warning_count(const vanban_result *r);

/** Output callback: write len bytes; return 0 on success, nonzero to stop. */
typedef int (*vanban_write_fn)(const char *buf, size_t len, void *ud);

#define VANBAN_JSON_PRETTY 0x0001u  /**< indent by 2 spaces; else one line */

/**
 * Write the result as one JSON object (schema "vanban/1", docs/output.md),
 * followed by a newline.  Returns VANBAN_OK, VANBAN_ENOMEM or VANBAN_EWRITE.
 */
VANBAN_EXPORT int vanban_result_write_json(const vanban_result *r, unsigned flags,
                                           vanban_write_fn fn, void *ud);

/**
 * Write the input with every correction of the repair stage applied: each
 * corrected span is replaced by its "to" text and every other byte is
 * written as it was fed (white space, markup and line breaks included).
 * With VANBAN_OPT_NO_REPAIR (or no corrections) this is the input itself.
 * Output is UTF-8: an input in another encoding is written as converted.
 * Returns VANBAN_OK, VANBAN_EINVAL or VANBAN_EWRITE.
 */
VANBAN_EXPORT int vanban_result_write_text(const vanban_result *r, vanban_write_fn fn, void *ud);

/** Number of corrections made by the repair stage. */
VANBAN_EXPORT size_t vanban_result_correction_count(const vanban_result *r);

/** One correction: the original bytes [start, end) of the input became `to`. */
typedef struct vanban_correction {
    size_t start, end;
    const char *from;  /**< original text (NUL-terminated) */
    const char *to;    /**< replacement (NUL-terminated, may be "") */
    const char *kind;  /**< "unicode", "case", "spelling", "style", "diacritic", "break" */
    double confidence; /**< 0..1 */
} vanban_correction;

/**
 * Get correction i (0 <= i < vanban_result_correction_count), in input order.
 * The strings belong to the result.  Returns VANBAN_OK or VANBAN_EINVAL.
 */
VANBAN_EXPORT int vanban_result_correction(const vanban_result *r, size_t i,
                                           vanban_correction *out);

/** Free a result.  NULL is allowed. */
VANBAN_EXPORT void vanban_result_free(vanban_result *r);

#ifdef __cplusplus
}
#endif
#endif /* VANBAN_H */
