/* plain_scan.h - the SIMD body of normalize.c's plain-line check, written once
 * for two vector widths: normalize.c includes it with PS_NAME, PS_B (bytes
 * per block: 16 for SSE2, 32 for AVX2), PS_ATTR and the vector operations
 * PS_* defined; it undefines them at its end, ready for the next width.
 * Not a header of its own: no include guard.
 *
 * The line s[0, n) is plain when it holds no control character and none of
 * \ _ | < DEL, no three spaces in a row, and only these multi-byte
 * characters: C2 A0 (no-break space), C3..C6 xx but Ð ð Ɖ (C3 90, C3 B0,
 * C6 89), E1 BA|BB xx (U+1E80..U+1EFF) and E2 80 93|94|98|99|9C|9D|A6
 * (– — ‘ ’ “ ” …).  Compare masks replace a branch per character:
 * Vietnamese text changes between one- and multi-byte characters too often
 * for branches to guess.  Masks have bit j for byte j of the block.
 */
PS_ATTR static int PS_NAME(const unsigned char *s, size_t n, size_t readable, pstat *st)
{
    const uint64_t full = ((uint64_t)1 << PS_B) - 1;
    memset(st, 0, sizeof *st);
    st->listy = -1; /* not looked at: see line_listy */
    const PS_V one = PS_SET1(1), zero = PS_ZERO;
    PS_V nup = zero, nhi = zero, ncont = zero, anylo = zero; /* per-lane sums */
    uint64_t psp = 0;                             /* spaces among the two bytes before */
    uint64_t due = 0, ba = 0, no9b = 0, rare = 0; /* what the next block's first bytes must be */
    uint64_t b80 = 0, b3 = 0, no89 = 0, a0 = 0;
    unsigned char tmp[PS_B];
    for (size_t k = 0; k < n; k += PS_B) {
        PS_V x;
        if (n - k >= PS_B) {
            x = PS_LOAD(s + k);
        } else if (k + PS_B <= readable) { /* the end of the line: past it '!', */
            PS_V keep = PS_LOAD(plain_keep + 64 - (n - k));  /* which the tests */
            x = PS_OR(PS_AND(PS_LOAD(s + k), keep), PS_ANDNOT(keep, PS_SET1('!'))); /* ignore */
        } else {
            memset(tmp, '!', sizeof tmp);
            memcpy(tmp, s + k, n - k);
            x = PS_LOAD(tmp);
        }
        PS_V neg = PS_GT(zero, x); /* bytes >= 0x80 */
        PS_V x20 = PS_OR(x, PS_SET1(0x20));
        /* controls, '\\' and '|' (x | 0x20 == 0x7C), '_' and DEL (0x7F), '<' */
        PS_V bad = PS_ANDNOT(neg, PS_GT(PS_SET1(0x20), x));
        bad = PS_OR(bad, PS_OR(PS_EQ(x20, PS_SET1(0x7C)),
                               PS_OR(PS_EQ(x20, PS_SET1(0x7F)), PS_EQ(x, PS_SET1('<')))));
        uint64_t sp = PS_MASK(PS_EQ(x, PS_SET1(' ')));
        if (PS_MASK(bad)) return 0;
        st->marks |= PS_MASK(PS_OR(PS_EQ(x, PS_SET1('*')), PS_EQ(x, PS_SET1('#')))) != 0;
        uint64_t ext = sp << 2 | psp; /* bit j + 2: byte k + j */
        uint64_t pair = ext & ext << 1 & full << 2;
        if (pair) {
            if (pair & ext << 2) return 0; /* three spaces: a flattened column, cells */
            for (; pair; pair &= pair - 1) st->collapsed++;
        }
        psp = ext >> PS_B & 3;
        /* ASCII letters: x | 0x20 in a..z; upper case without 0x20 */
        PS_V let = PS_AND(PS_GT(x20, PS_SET1('a' - 1)), PS_GT(PS_SET1('z' + 1), x20));
        PS_V up = PS_ANDNOT(PS_EQ(PS_AND(x, PS_SET1(0x20)), PS_SET1(0x20)), let);
        anylo = PS_OR(anylo, PS_ANDNOT(up, let));
        nup = PS_ADD64(nup, PS_SAD(PS_AND(up, one), zero));
        uint64_t hi = PS_MASK(neg);
        if (!hi && !due) continue;
        /* multi-byte: C2..C6 + 1 continuation byte, E1 + 2, E2 + 2 */
        PS_V vcont = PS_GT(PS_SET1(0xC0), x); /* 0x80..0xBF (and ASCII: masked) */
        uint64_t cont = PS_MASK(vcont) & hi;
        uint64_t lead = hi & ~cont;
        uint64_t l2 = PS_MASK(PS_AND(PS_GT(x, PS_SET1(0xC1)), PS_GT(PS_SET1(0xC7), x)));
        uint64_t e1 = PS_MASK(PS_EQ(x, PS_SET1(0xE1))), e2 = PS_MASK(PS_EQ(x, PS_SET1(0xE2)));
        if (lead & ~(l2 | e1 | e2)) return 0;
        uint64_t want = due | l2 << 1 | (e1 | e2) << 1 | (e1 | e2) << 2;
        if ((want & full) != cont) return 0; /* continuation bytes exactly where due */
        due = want >> PS_B;
        nhi = PS_ADD64(nhi, PS_SAD(PS_AND(neg, one), zero));
        ncont = PS_ADD64(ncont, PS_SAD(PS_AND(PS_AND(vcont, neg), one), zero));
        /* after E1: BA|BB (U+1E80..U+1EFF); after C3: not 90, B0 (Ð ð) */
        uint64_t w = ba | e1 << 1;
        if (w & full & ~PS_MASK(PS_EQ(PS_AND(x, PS_SET1(0xFE)), PS_SET1(0xBA)))) return 0;
        ba = w >> PS_B;
        w = no9b | PS_MASK(PS_EQ(x, PS_SET1(0xC3))) << 1;
        if (w & full & PS_MASK(PS_EQ(PS_AND(x, PS_SET1(0xDF)), PS_SET1(0x90)))) return 0;
        no9b = w >> PS_B;
        if (!((l2 & ~PS_MASK(PS_AND(PS_GT(x, PS_SET1(0xC2)), PS_GT(PS_SET1(0xC6), x)))) | e2 |
              rare))
            continue;
        /* rarer: C6 not Ɖ (C6 89), C2 only A0 (no-break space), E2 80 and
           then 93, 94, 98, 99, 9C, 9D, A6 */
        w = no89 | PS_MASK(PS_EQ(x, PS_SET1(0xC6))) << 1;
        if (w & full & PS_MASK(PS_EQ(x, PS_SET1(0x89)))) return 0;
        no89 = w >> PS_B;
        uint64_t c2 = PS_MASK(PS_EQ(x, PS_SET1(0xC2)));
        w = a0 | c2 << 1;
        if (w & full & ~PS_MASK(PS_EQ(x, PS_SET1(0xA0)))) return 0;
        a0 = w >> PS_B;
        st->nbsp |= c2 != 0;
        w = b80 | e2 << 1;
        if (w & full & ~PS_MASK(PS_EQ(x, PS_SET1(0x80)))) return 0;
        b80 = w >> PS_B;
        w = b3 | e2 << 2;
        PS_V a3 = PS_OR(PS_OR(PS_EQ(x, PS_SET1(0x93)), PS_EQ(x, PS_SET1(0x94))),
                        PS_OR(PS_EQ(x, PS_SET1(0x98)), PS_EQ(x, PS_SET1(0x99))));
        a3 = PS_OR(a3, PS_OR(PS_OR(PS_EQ(x, PS_SET1(0x9C)), PS_EQ(x, PS_SET1(0x9D))),
                             PS_EQ(x, PS_SET1(0xA6))));
        if (w & full & ~PS_MASK(a3)) return 0;
        b3 = w >> PS_B;
        rare = no89 | a0 | b80 | b3;
    }
    if (due) return 0; /* a sequence cut off by the end of the line */
    st->uppers = (size_t)PS_SUM64(nup);
    size_t nh = (size_t)PS_SUM64(nhi);
    st->cont = (size_t)PS_SUM64(ncont);
    st->lead = nh - st->cont;
    st->lowers = PS_MASK(anylo) != 0;
    return 1;
}

#undef PS_NAME
#undef PS_B
#undef PS_ATTR
#undef PS_V
#undef PS_LOAD
#undef PS_SET1
#undef PS_ZERO
#undef PS_EQ
#undef PS_GT
#undef PS_AND
#undef PS_ANDNOT
#undef PS_OR
#undef PS_MASK
#undef PS_SAD
#undef PS_ADD64
#undef PS_SUM64
