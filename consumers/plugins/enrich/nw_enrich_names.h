/*
 * nw_enrich_names — the word lists the entity rules of nw_enrich read to tell
 * a person's name from an organisation's (docs/enrich.md, "How it decides"):
 * given names, the role nouns written before a person ("singer Bob Geldof"),
 * the nouns written before an organisation ("filtering firm Ciphertrust") and
 * the last words of names that are neither (events, buildings, works).
 * Written for newswire (English newswire usage); lower case, NULL-terminated.
 * Owns nothing at run time and never allocates: the lists are constants that
 * nw_enrich hashes once.
 */
#ifndef NW_ENRICH_NAMES_H
#define NW_ENRICH_NAMES_H

/* first names common in international news: a capitalised span starting
 * with one is a person ("Iyad Allawi" needs "Mr Allawi" instead) */
extern const char *const nw_enrich_given_names[];

/* lower-case nouns that make the capitalised name after them a person */
extern const char *const nw_enrich_role_words[];

/* lower-case nouns that make the capitalised name after them an organisation */
extern const char *const nw_enrich_org_cue_words[];

/* last words of capitalised spans that name no person or organisation:
 * "League Cup", "Trafalgar Square", "Academy Awards" */
extern const char *const nw_enrich_no_name_words[];

/* last words of organisation names besides those nw_enrich lists: "Tate
 * Gallery", "Lehman Brothers" */
extern const char *const nw_enrich_more_org_suffixes[];

/* words that begin an organisation's name and are its head (NULL-ended):
 * "Group Menatep", "Banco Santander" */
extern const char *const nw_enrich_org_head_words[];

/* more such last words: "London Book Fair", "Marshall Plan", "Identity
 * Cards Bill", "Mississippi River", "Retail Price Index" */
extern const char *const nw_enrich_more_no_name_words[];

/* lower-case nouns that make the capitalised name after them a work, not an
 * organisation or person: "the show Advance Warning", "his album Some Cities" */
extern const char *const nw_enrich_work_words[];

/* lower-case nouns that make the single capitalised word before them a
 * company: "the Balco laboratory", "Symantec subsidiary Brightmail" */
extern const char *const nw_enrich_org_after_words[];

/* verbs of speech: "Armando Falcon, OFHEO director, said" */
extern const char *const nw_enrich_speech_words[];

/* legal forms of companies outside the English-speaking world, last words
 * of their names: "Nokia Oy", "Schneider S.A." */
extern const char *const nw_enrich_foreign_legal_forms[];

/* lower-case nouns that make the capitalised words before them a work, a
 * product or an event rather than an organisation: "the Golden Joystick
 * awards", "Cadillac XLR coupes", "the Lit Idol prize" */
extern const char *const nw_enrich_not_org_after_words[];

/* lower-case nouns of a company's life that make the one-word name after
 * them and "in", "of", "at" or "for" an organisation: "shares in Yukos", "a
 * spokesman for Nova", "chief executive of Vodafone" */
extern const char *const nw_enrich_org_context_words[];

/* lower-case nouns that make the one-word name owning them an organisation:
 * "Menatep's board", "Underwoods shares" (no person has shares or a board
 * in news copy; "spokesman" is left out: "Blair's spokesman") */
extern const char *const nw_enrich_org_possessed_words[];

/* lower-case words of music news: a band of entities.tsv (flag m: "Travis",
 * "Blur") counts in a story that writes one ("album", "gig", "singer") or
 * whose top topic is the arts, never in a sport story */
extern const char *const nw_enrich_music_words[];

#endif
