/*
 * nw_enrich_lineups — see nw_enrich_lineups.h. The rules are described in
 * docs/enrich.md.
 */
#include "nw_enrich_lineups.h"

#include <ctype.h>
#include <string.h>

#include "nw_enrich_places.h"

/* ---- line-ups ----------------------------------------------------------- */

#define LINEUP_MIN_NAMES       3
#define LINEUP_OTHER_MIN_NAMES 5

/* The first mark between tokens t-1 and t that is not a space (0: none). */
static char gap_mark(const nw_enrich *e, size_t t)
{
    for (const char *g = e->text + e->toks[t - 1].off + e->toks[t - 1].len;
         g < e->text + e->toks[t].off; g++)
        if (*g != ' ' && *g != '\n' && *g != '\r' && *g != '\t')
            return *g;
    return 0;
}

/* A mark that ends an item of a list. */
static bool item_end(char c)
{
    return c == ',' || c == ';' || c == ':' || c == '.' || c == '(' || c == ')';
}

/* A minute or a note after a player's name: "Nunez 73", "Bramble 35 og",
 * "(Ireland, capt)". */
static bool minute_word(const nw_enrich *e, size_t t)
{
    const char *w = e->text + e->toks[t].off;
    size_t n = e->toks[t].len;
    if (isdigit((unsigned char)w[0]))
        return true;
    return (n == 2 && !strncmp(w, "og", 2)) || (n == 3 && !strncmp(w, "pen", 3)) ||
           (n == 4 && !strncmp(w, "capt", 4));
}

/* A lower-case particle inside a name: "CA del Fava", "P de Villiers". */
static bool name_particle(const nw_enrich *e, size_t t)
{
    static const char *const particles[] = {"del", "dal", "di", "le", "la", "dos", "den", "ten"};
    if (tok_is(e, t, W_CONNECTOR))
        return true;
    for (size_t i = 0; i < sizeof particles / sizeof *particles; i++)
        if (e->toks[t].len == strlen(particles[i]) &&
            !strncmp(e->text + e->toks[t].off, particles[i], e->toks[t].len))
            return true;
    return false;
}

/* One item of a list, tokens a..b-1 between commas, brackets or stops: the
 * length of the player's name it holds (0: none, as in "(77)"), or -1 when
 * the item is no name (a lower-case word, more than three words). `*minute`
 * tells whether a minute followed the name ("Mellor 38"). */
static int lineup_item(const nw_enrich *e, size_t a, size_t b, bool *minute)
{
    size_t end = b;
    while (b > a && minute_word(e, b - 1))
        b--;
    *minute = b < end;
    if (b - a > 3)
        return -1;
    for (size_t t = a; t < b; t++)
        if (!(e->toks[t].flags & NW_TOK_CAP) && (t == a || !name_particle(e, t)))
            return -1;
    return (int)(b - a);
}

/* A bracketed item without a minute is a player's club or country, or a
 * referee's county: "Traille (Biarritz)", "S Mathieson (Cheshire)"; a
 * substitute has one: "Kewell (Traore 85)". */
static bool lineup_note(const nw_enrich *e, size_t a)
{
    if (a == 0)
        return false;
    const char *g = e->text + e->toks[a - 1].off + e->toks[a - 1].len;
    return memchr(g, '(', (size_t)(e->text + e->toks[a].off - g)) != NULL;
}

/* Read the paragraph p..q-1 as a line-up: a list of players' names, one to
 * three capitalised words each, between commas, brackets (substitutes:
 * "Kewell (Traore 85)") and stops, a label before a colon ("Subs not used:",
 * a team's name) aside; at least three names, or names after a "Subs" label,
 * or names each with a minute (scorers: "Mellor 38, Baros 61."). Each name is
 * a person, also a surname alone, except a club or country in brackets; its
 * words are marked for the span rules to skip. Returns whether the paragraph
 * is one. */
static bool read_lineup(nw_enrich *e, size_t p, size_t q, bool add)
{
    int names = 0, minutes = 0;
    bool subs = false;
    for (size_t a = p; a < q;) {
        if (!(e->toks[a].flags & NW_TOK_CAP) && !minute_word(e, a))
            return false; /* prose, most often at its first word */
        size_t b = a + 1;
        while (b < q && b - a <= 5 && !item_end(gap_mark(e, b)))
            b++;
        if (b - a > 5)
            return false;
        bool minute = false;
        bool label = b < q && gap_mark(e, b) == ':';
        int n = label ? 0 : lineup_item(e, a, b, &minute);
        if (n < 0)
            return false;
        subs |= label && !strncasecmp(e->text + e->toks[a].off, "subs", 4);
        if (n > 0 && !minute && lineup_note(e, a))
            n = 0;
        if (n > 0) {
            names++;
            minutes += minute;
            for (size_t t = a; add && t < a + (size_t)n; t++)
                e->toks[t].cls |= W_LINEUP;
            ent *x = add ? nw_enrich_add_person(e, a, a + (size_t)n) : NULL;
            if (x)
                x->titled = true; /* a surname alone stays */
        }
        a = b;
    }
    if (!e->sport_story) /* a list of names outside sport: five of them or more */
        return names >= LINEUP_OTHER_MIN_NAMES;
    return names >= LINEUP_MIN_NAMES || (names > 0 && (subs || minutes == names));
}

/* Line-ups ("Dudek, Finnan, Hyypia, Carragher ..."), in a sport story or,
 * of five names or more, in another ("Margaret Atwood (Canada), Saul Bellow
 * (Canada) ..."). */
void nw_enrich_read_lineups(nw_enrich *e)
{
    for (size_t i = 0; i < e->npara; i++) {
        size_t p = e->para[i], q = i + 1 < e->npara ? e->para[i + 1] : e->ntoks;
        if (e->toks[p].off >= e->body_at && read_lineup(e, p, q, false))
            read_lineup(e, p, q, true);
    }
}
