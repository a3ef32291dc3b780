/*
 * nw_enrich_dateline — see nw_enrich_dateline.h. The rules are described in
 * docs/enrich.md.
 */
#include "nw_enrich_dateline.h"

#include <ctype.h>
#include <string.h>

/* ---- dateline ----------------------------------------------------------- */

/* Recognise "MOSCOW (AFP) -", "LONDON, March 3 (Reuters) -", "NEW YORK (AP) —",
 * "BEIRUT, Lebanon -" at the head of `b`. Returns the bytes it takes (0 if
 * none), the place part in place/place_len and what follows its comma, if
 * anything, in qual/qual_len ("Lebanon", "Va.", "March 3"). */
size_t nw_enrich_find_dateline(const char *b, size_t len, const char **place, size_t *place_len,
                               const char **qual, size_t *qual_len)
{
    size_t i = 0;
    while (i < len && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t'))
        i++;
    size_t start = i, caps = 0;
    while (i < len && i - start < 40 &&
           (isupper((unsigned char)b[i]) || b[i] == ' ' || b[i] == '.' || b[i] == '\'' ||
            b[i] == '-' || (unsigned char)b[i] >= 0x80)) {
        caps += isupper((unsigned char)b[i]) != 0;
        i++;
    }
    while (i > start && (b[i - 1] == ' ' || b[i - 1] == '-'))
        i--;
    if (caps < 3)
        return 0;
    size_t pend = i;
    /* the rest up to the dash: ", Lebanon", ", March 3", " (AFP)", "(Reuters)" */
    size_t j = i, limit = i + 60 < len ? i + 60 : len;
    bool paren = false, comma = false;
    while (j < limit && b[j] != '\n') {
        if (b[j] == '(')
            paren = true;
        if (b[j] == ',')
            comma = true;
        if (b[j] == '-' ||
            (j + 2 < len && (unsigned char)b[j] == 0xE2 && (unsigned char)b[j + 1] == 0x80 &&
             ((unsigned char)b[j + 2] == 0x94 || (unsigned char)b[j + 2] == 0x93)))
            break;
        j++;
    }
    if (j >= limit || b[j] == '\n' || !(paren || comma) ||
        (j > 0 && b[j - 1] != ' ' && b[j - 1] != ')'))
        return 0;
    /* the dash and the space after it */
    j += b[j] == '-' ? 1 : 3;
    while (j < len && (b[j] == '-' || b[j] == ' '))
        j++;
    *place = b + start;
    *place_len = pend - start;
    *qual = NULL;
    *qual_len = 0;
    if (pend + 2 < len && b[pend] == ',' && b[pend + 1] == ' ') {
        size_t q = pend + 2, qe = q;
        while (qe < j && b[qe] != ',' && b[qe] != '(' && b[qe] != '-' && b[qe] != '\n')
            qe++;
        while (qe > q && b[qe - 1] == ' ')
            qe--;
        *qual = b + q;
        *qual_len = qe - q;
    }
    return j;
}

/* The place a dateline's qualifier names: a country or region of the
 * gazetteer ("Lebanon", "Texas"), or a US state as news agencies abbreviate
 * it ("Va.", "Calif.", "N.Y.", "VA"). NULL if none. */
const nw_gaz_entry *nw_enrich_dateline_qualifier(const nw_enrich *e, const char *q, size_t len)
{
    static const char *const states[][3] = {
        {"Ala.", "AL", "Alabama"},
        {"Ariz.", "AZ", "Arizona"},
        {"Ark.", "AR", "Arkansas"},
        {"Calif.", "CA", "California"},
        {"Colo.", "CO", "Colorado"},
        {"Conn.", "CT", "Connecticut"},
        {"Del.", "DE", "Delaware"},
        {"Fla.", "FL", "Florida"},
        {"Ga.", "GA", "Georgia"},
        {"Ill.", "IL", "Illinois"},
        {"Ind.", "IN", "Indiana"},
        {"Kan.", "KS", "Kansas"},
        {"Ky.", "KY", "Kentucky"},
        {"La.", "LA", "Louisiana"},
        {"Md.", "MD", "Maryland"},
        {"Mass.", "MA", "Massachusetts"},
        {"Mich.", "MI", "Michigan"},
        {"Minn.", "MN", "Minnesota"},
        {"Miss.", "MS", "Mississippi"},
        {"Mo.", "MO", "Missouri"},
        {"Mont.", "MT", "Montana"},
        {"Neb.", "NE", "Nebraska"},
        {"Nev.", "NV", "Nevada"},
        {"N.H.", "NH", "New Hampshire"},
        {"N.J.", "NJ", "New Jersey"},
        {"N.M.", "NM", "New Mexico"},
        {"N.Y.", "NY", "New York"},
        {"N.C.", "NC", "North Carolina"},
        {"N.D.", "ND", "North Dakota"},
        {"Okla.", "OK", "Oklahoma"},
        {"Ore.", "OR", "Oregon"},
        {"Pa.", "PA", "Pennsylvania"},
        {"R.I.", "RI", "Rhode Island"},
        {"S.C.", "SC", "South Carolina"},
        {"S.D.", "SD", "South Dakota"},
        {"Tenn.", "TN", "Tennessee"},
        {"Vt.", "VT", "Vermont"},
        {"Va.", "VA", "Virginia"},
        {"Wash.", "WA", "Washington"},
        {"W.Va.", "WV", "West Virginia"},
        {"Wis.", "WI", "Wisconsin"},
        {"Wyo.", "WY", "Wyoming"},
        {"Tex.", "TX", "Texas"},
        {"Ohio", "OH", "Ohio"},
        {"Iowa", "IA", "Iowa"},
        {"Utah", "UT", "Utah"},
        {"Idaho", "ID", "Idaho"},
        {"Maine", "ME", "Maine"},
        {"Alaska", "AK", "Alaska"},
        {"Hawaii", "HI", "Hawaii"},
        {"D.C.", "DC", "District of Columbia"},
    };
    for (size_t i = 0; i < sizeof states / sizeof states[0]; i++)
        if ((strlen(states[i][0]) == len && !strncasecmp(q, states[i][0], len)) ||
            (len == 2 && !strncmp(q, states[i][1], 2))) {
            q = states[i][2];
            len = strlen(q);
            break;
        }
    uint32_t hits[MAX_HITS];
    size_t n = nw_enrich_data_lookup(e->data, q, len, hits, MAX_HITS);
    for (size_t i = 0; i < n; i++) {
        const nw_gaz_entry *g = nw_enrich_data_entry(e->data, hits[i]);
        if (g->kind == NW_GAZ_COUNTRY || g->kind == NW_GAZ_REGION)
            return g;
    }
    return NULL;
}
