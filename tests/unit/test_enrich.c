/*
 * test_enrich — the enrich core and plugin: the seed story's people, places,
 * organisations and topic; datelines; the provider's data kept; demonyms and
 * place ambiguity; bad input never fails a story and stays schema-valid;
 * missing or corrupt data files are errors naming the file; the plugin's
 * settings and headers; language candidates by script; training the topic
 * model (nw_enrich_train) and loading it. Data comes from the build tree (the enrich-data
 * target); schema checks and the seed story skip without NW_SHARED_DIR.
 */
#include <criterion/criterion.h>
#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "enrich.h"
#include "nw_enrich.h"
#include "nw_enrich_data.h"
#include "nw_enrich_train.h"
#include "nw_jsonschema.h"
#include "nw_testplugin.h"
#include "nw_testutil.h"

static char *data_dir;
static nw_enrich_data *data;
static nw_enrich *core;
static nw_jsonschema *schemas;
static const char *schema_uri;

static void setup(void)
{
    data_dir = nw_test_bin_path("share/newswire/enrich");
    nw_err err;
    data = nw_enrich_data_acquire(data_dir, &err);
    cr_assert_not_null(data, "%s", err.msg);
    nw_enrich_opts o;
    nw_enrich_opts_default(&o);
    core = nw_enrich_new(data, &o, &err);
    cr_assert_not_null(core, "%s", err.msg);
    char *schema =
        nw_test_shared_path("datasets/ninjs/iptc-newsinjson/schemas/ninjs-schema_3.1.json");
    schemas = nw_jsonschema_new();
    json_t *anything = json_object();
    nw_jsonschema_add(schemas, NW_JSONSCHEMA_GEOJSON_URI, anything, &err);
    json_decref(anything);
    if (nw_jsonschema_load_file(schemas, schema, &schema_uri, &err) != 0)
        schema_uri = NULL;
    free(schema);
}

static void teardown(void)
{
    nw_enrich_free(core);
    nw_enrich_data_release(data);
    nw_jsonschema_free(schemas);
    free(data_dir);
}

TestSuite(enrich, .init = setup, .fini = teardown);

static json_t *story(const char *headline, const char *body)
{
    json_t *s = json_pack("{s:s, s:s, s:s}", "uri", "urn:test:1", "type", "text", "version", "1");
    if (headline)
        json_object_set_new(s, "headlines", json_pack("[{s:s}]", "value", headline));
    if (body)
        json_object_set_new(s, "bodies",
                            json_pack("[{s:s, s:s}]", "contentType", "text/plain", "value", body));
    return s;
}

static void assert_valid(json_t *s)
{
    if (!schema_uri)
        return;
    nw_err err;
    cr_assert_eq(nw_jsonschema_validate(schemas, schema_uri, s, &err), 0, "%s", err.msg);
}

static json_t *find(json_t *s, const char *array, const char *name)
{
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(s, array), i, v)
    {
        if (!strcmp(json_string_value(json_object_get(v, "name")), name))
            return v;
    }
    return NULL;
}

static const char *place_uri(json_t *s, const char *name)
{
    json_t *p = find(s, "places", name);
    return p ? json_string_value(json_object_get(p, "uri")) : "";
}

static bool has_subject(json_t *s, const char *code)
{
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(s, "subjects"), i, v)
    {
        const char *uri = json_string_value(json_object_get(v, "uri"));
        if (uri && strstr(uri, code))
            return true;
    }
    return false;
}

static json_t *enrich(json_t *s)
{
    nw_enrich_result r;
    cr_assert_eq(nw_enrich_story(core, s, &r), 0);
    assert_valid(s);
    return s;
}

Test(enrich, seed_story)
{
    char *path = nw_test_shared_path("examples/000_6618c4effffb78b3.txt");
    size_t len;
    char *text = nw_test_read_file(path, &len);
    free(path);
    if (!text)
        cr_skip_test("shared examples not found (NW_SHARED_DIR)");
    char *nl = strchr(text, '\n');
    *nl = '\0';
    json_t *s = enrich(story(text, nl + 1));
    free(text);
    const char *people[] = {"John Kerry", "Sergei Lavrov", "Vladimir Putin", "Bashar al-Assad"};
    for (size_t i = 0; i < 4; i++)
        cr_expect_not_null(find(s, "people", people[i]), "missing person %s", people[i]);
    cr_expect_null(find(s, "people", "Kerry"), "Kerry must merge into John Kerry");
    const char *places[] = {"Moscow",        "Russia",       "Syria",
                            "United States", "Saudi Arabia", "Ukraine"};
    for (size_t i = 0; i < 6; i++)
        cr_expect_not_null(find(s, "places", places[i]), "missing place %s", places[i]);
    json_t *moscow = find(s, "places", "Moscow");
    if (moscow)
        cr_expect_str_eq(json_string_value(json_object_get(moscow, "uri")),
                         "https://sws.geonames.org/524901/");
    json_t *ru = find(s, "places", "Russia");
    if (ru)
        cr_expect_str_eq(json_string_value(json_object_get(ru, "uri")),
                         "http://www.iso.org/obp/ui/#iso:code:3166:RU");
    cr_expect_not_null(find(s, "organisations", "Islamic State"));
    cr_expect_not_null(find(s, "organisations", "International Syria Support Group"));
    cr_expect(has_subject(s, "11000000") || has_subject(s, "16000000"), "%s",
              json_dumps(json_object_get(s, "subjects"), 0));
    cr_expect_str_eq(json_string_value(json_object_get(s, "language")), "en");
    json_decref(s);
}

Test(enrich, datelines_give_located_and_text_start)
{
    struct {
        const char *body, *located;
    } cases[] = {
        {"MOSCOW (AFP) - Russian troops moved on Tuesday, officials said.", "Moscow"},
        {"LONDON, March 3 (Reuters) - The Bank of England held rates on Thursday.", "London"},
        {"NEW YORK (AP) \xe2\x80\x94 Stocks fell sharply in early trading on Wall Street.",
         "New York"},
        {"BEIRUT, Lebanon - Fighting resumed in the south of the country overnight.", "Beirut"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *s = story("A headline", cases[i].body);
        nw_enrich_result r;
        cr_assert_eq(nw_enrich_story(core, s, &r), 0);
        assert_valid(s);
        cr_expect_str_eq(json_string_value(json_object_get(s, "located")), cases[i].located,
                         "case %zu", i);
        cr_expect_gt(r.body_text_start, 5, "case %zu", i);
        const char *rest = cases[i].body + r.body_text_start;
        cr_expect(rest[0] >= 'A' && rest[0] <= 'Z', "case %zu: text resumes at '%s'", i, rest);
        json_t *p = find(s, "places", cases[i].located);
        cr_expect_not_null(p, "case %zu", i);
        if (p)
            cr_expect_str_eq(json_string_value(json_object_get(p, "rel")), "enrich:dateline");
        json_decref(s);
    }
    /* an HTML body has its dateline too (located), but no byte offset to give */
    json_t *h =
        json_pack("{s:s, s:s, s:[{s:s, s:s}]}", "uri", "u", "type", "text", "bodies", "contentType",
                  "text/html", "value", "<p>BEIRUT, Lebanon - Fighting resumed overnight.</p>");
    nw_enrich_result hr;
    cr_assert_eq(nw_enrich_story(core, h, &hr), 0);
    cr_expect_str_eq(json_string_value(json_object_get(h, "located")), "Beirut");
    cr_expect_eq(hr.body_text_start, 0);
    json_decref(h);
    /* a town the gazetteer lacks, in a state as agencies abbreviate it */
    const char *towns[] = {"MARTINSVILLE, Va., Feb 26 - Quarterly dividend eight cents.",
                           "MARTINSVILLE, VA, March 19 - Quarterly dividend eight cents."};
    for (size_t i = 0; i < 2; i++) {
        h = story("x", towns[i]);
        cr_assert_eq(nw_enrich_story(core, h, &hr), 0);
        assert_valid(h);
        cr_expect_str_eq(json_string_value(json_object_get(h, "located")), "Martinsville");
        cr_expect_not_null(find(h, "places", "Virginia"), "town %zu", i);
        /* the state's country is context, not a place the story names */
        cr_expect_null(find(h, "places", "United States"), "town %zu", i);
        json_decref(h);
    }
    /* ordinary first sentences are not datelines */
    json_t *s = story("x", "The NATO summit ended - without a deal, officials said.");
    nw_enrich_result r;
    nw_enrich_story(core, s, &r);
    cr_expect_eq(r.body_text_start, 0);
    cr_expect_null(json_object_get(s, "located"));
    json_decref(s);
}

Test(enrich, provider_data_is_kept)
{
    json_t *s = story("Putin meets Kerry", "Russian President Vladimir Putin met US Secretary of "
                                           "State John Kerry in Moscow on Tuesday.");
    json_object_set_new(s, "language", json_string("fr"));
    json_object_set_new(s, "located", json_string("Somewhere"));
    json_object_set_new(s, "people",
                        json_pack("[{s:s, s:s}]", "name", "Vladimir Putin", "rel", "subject"));
    enrich(s);
    cr_expect_str_eq(json_string_value(json_object_get(s, "language")), "fr");
    cr_expect_str_eq(json_string_value(json_object_get(s, "located")), "Somewhere");
    json_t *people = json_object_get(s, "people");
    cr_expect_str_eq(json_string_value(json_object_get(json_array_get(people, 0), "rel")),
                     "subject");
    size_t putins = 0, i;
    json_t *v;
    json_array_foreach(people, i, v) putins +=
        !strcmp(json_string_value(json_object_get(v, "name")), "Vladimir Putin");
    cr_expect_eq(putins, 1);
    json_t *kerry = find(s, "people", "John Kerry");
    cr_assert_not_null(kerry);
    cr_expect_str_eq(json_string_value(json_object_get(kerry, "rel")), "enrich:mentioned");
    json_decref(s);
}

/* The provider's entry of a name (in any ASCII case) or of a uri stands and
 * enrich adds none beside it; enrich's own entries come once a name. */
Test(enrich, provider_name_or_uri_stands_and_names_come_once)
{
    json_t *s = story("Kerry in Moscow", "JOHN KERRY met officials in Moscow on Tuesday. John "
                                         "Kerry then flew to Paris, and Kerry left Paris.");
    json_object_set_new(s, "people", json_pack("[{s:s}]", "name", "john kerry"));
    json_object_set_new(
        s, "places",
        json_pack("[{s:s, s:s}]", "name", "Moskva", "uri", "https://sws.geonames.org/524901/"));
    enrich(s);
    cr_expect_eq(json_array_size(json_object_get(s, "people")), 1, "only the provider's Kerry");
    cr_expect_null(find(s, "places", "Moscow"), "the provider's uri of Moscow stands");
    size_t paris = 0, i;
    json_t *v;
    json_array_foreach(json_object_get(s, "places"), i, v) paris +=
        !strcasecmp(json_string_value(json_object_get(v, "name")), "Paris");
    cr_expect_eq(paris, 1);
    json_decref(s);
}

Test(enrich, demonym_only_when_country_not_named)
{
    json_t *s = enrich(story("Talks", "Russian officials said the talks would go on."));
    json_t *ru = find(s, "places", "Russia");
    cr_assert_not_null(ru);
    cr_expect_str_eq(json_string_value(json_object_get(ru, "rel")), "enrich:demonym");
    json_decref(s);
    s = enrich(story("Talks", "Russian officials said Russia would go on talking."));
    ru = find(s, "places", "Russia");
    cr_assert_not_null(ru);
    cr_expect_str_eq(json_string_value(json_object_get(ru, "rel")), "enrich:mentioned");
    json_decref(s);
}

/* A demonym gives its country only when it speaks of the state or the nation
 * as a whole ("Russian officials", "the French President", "Japanese trade
 * officials"); not a person's, a company's or a product's nationality, a
 * language, or the end of a longer name. */
Test(enrich, demonym_only_of_a_state)
{
    struct {
        const char *body, *country;
        bool inferred;
    } cases[] = {
        {"Russian officials said the talks would go on.", "Russia", true},
        {"The talks were praised by French President Jacques Chirac on Friday.", "France", true},
        {"Talks with Japanese trade officials ended on Monday.", "Japan", true},
        {"The Iranian Oil Minister said output would rise.", "Iran", true},
        {"Growth was held back by the softer Chinese economy.", "China", true},
        {"The protest moved to the Spanish capital on Sunday.", "Spain", true},
        {"Henman now faces Russian Igor Andreev in the final.", "Russia", false},
        {"She speaks Russian at home and works in a bank.", "Russia", false},
        {"Shares rose 1% to 57.85 Swiss francs in Zurich trading.", "Switzerland", false},
        {"The carrier British Airways said its profits rose.", "United Kingdom", false},
        {"He was banned after a German teenager wrote the virus.", "Germany", false},
        {"Latin American debtors met in the city on Monday.", "United States", false},
        {"The crash left huge pools of Japanese capital idle.", "Japan", false},
        {"London Irish replied with a try; the Irish defence held.", "Ireland", false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *s = enrich(story("A story", cases[i].body));
        json_t *p = find(s, "places", cases[i].country);
        if (cases[i].inferred) {
            cr_expect_not_null(p, "case %zu: %s", i, cases[i].body);
            if (p)
                cr_expect_str_eq(json_string_value(json_object_get(p, "rel")), "enrich:demonym");
        } else {
            cr_expect_null(p, "case %zu: %s", i, cases[i].body);
        }
        json_decref(s);
    }
}

/* A country of the past is written under its own name, with the ISO code of
 * the country that continues it; both are places when both are named. */
Test(enrich, former_countries_keep_their_name)
{
    json_t *s = enrich(story("Trade", "Imports from West Germany and Germany rose, the Soviet "
                                      "Union said. West German officials agreed."));
    json_t *wg = find(s, "places", "West Germany");
    cr_assert_not_null(wg);
    cr_expect_str_eq(json_string_value(json_object_get(wg, "uri")),
                     "http://www.iso.org/obp/ui/#iso:code:3166:DE");
    cr_expect_not_null(find(s, "places", "Germany"));
    cr_expect_not_null(find(s, "places", "Soviet Union"));
    cr_expect_null(find(s, "places", "Russia"));
    json_decref(s);
    /* the name the news of its day used, not iso-codes' newer one */
    s = enrich(story("Talks", "Turkey and Burma signed; Ivory Coast did not."));
    cr_expect_not_null(find(s, "places", "Turkey"));
    cr_expect_not_null(find(s, "places", "Burma"));
    cr_expect_not_null(find(s, "places", "Ivory Coast"));
    json_decref(s);
    s = enrich(story("Talks", "Soviet officials said the talks would go on."));
    json_t *su = find(s, "places", "Soviet Union");
    cr_assert_not_null(su);
    cr_expect_str_eq(json_string_value(json_object_get(su, "rel")), "enrich:demonym");
    json_decref(s);
}

/* Place rules of version 1.3 (docs/enrich.md, "Places"): each text must give
 * the place or must not. */
Test(enrich, places_and_the_words_that_are_not)
{
    struct {
        const char *text, *place;
        bool present;
    } cases[] = {
        /* a country inside an organisation's name is no mention of its own
         * (also a name broken over lines, or first: "UK Patent Office"); named
         * elsewhere it is */
        {"Bermuda Star Line Inc said it agreed to buy a vessel. Bermuda Star Line shares rose.",
         "Bermuda", false},
        {"Bermuda Star Line Inc said it agreed to buy a vessel in Bermuda.", "Bermuda", true},
        {"Nova said under the deal <Union Faith Canada\nHolding Ltd> would buy a stake.", "Canada",
         false},
        {"It was corroborated by the UK Patent Office on Monday.", "United Kingdom", false},
        {"It was corroborated by the UK Patent Office, a UK body.", "United Kingdom", true},
        /* "St Mary's" is a church or a ground; a saint's town is in the gazetteer whole */
        {"He was hurt at St Mary's on Saturday.", "Mary", false},
        {"He flew to St Louis on Monday.", "St Louis", true},
        /* a peerage's territory is no place; an office's is */
        {"Welsh Office Minister Lord Roberts of Conwy denied it.", "Conwy", false},
        {"The Lord Chief Justice of England and Wales, Lord Woolf, spoke.", "England", true},
        /* a town named like a common word says nothing at a sentence's start */
        {"Mobile phones are still selling well in the US.", "Mobile", false},
        {"Phones sell well in the US. They moved to Mobile in Alabama last year.", "Mobile", true},
        /* a performer known by one name */
        {"The show was opened by U2 frontman Bono on Friday.", "Bono", false},
        /* a place named over a connector is whole; the end of a longer name is none */
        {"It found oil in Egypt, the Gulf of Mexico and Angola.", "Gulf of Mexico", true},
        {"It found oil in Egypt, the Gulf of Mexico and Angola.", "Mexico", false},
        {"It found oil in Egypt, the Gulf of Mexico and Angola.", "Angola", true},
        {"He was speaking to BBC Northern Ireland on Monday.", "Ireland", false},
        /* a town of less than a million named like a company of the story with
         * a legal form is the company; a big city is a city */
        {"NEW YORK, March 19 - S and P downgraded Bethlehem Steel Corp's debt. Bethlehem has one "
         "billion dlrs of debt.",
         "Bethlehem", false},
        {"NEW YORK, March 19 - Bethlehem has one billion dlrs of debt, the agency said.",
         "Bethlehem", true},
        {"Shares of London Stock Exchange Plc rose in London.", "London", true},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *s = enrich(story("A story", cases[i].text));
        cr_expect_eq(find(s, "places", cases[i].place) != NULL, cases[i].present,
                     "case %zu: %s %s in \"%s\"", i, cases[i].place,
                     cases[i].present ? "missing" : "found", cases[i].text);
        json_decref(s);
    }
    json_t *s = enrich(story("Concert", "The show was opened by U2 frontman Bono on Friday."));
    cr_expect_not_null(find(s, "people", "Bono"));
    json_decref(s);
}

/* "Georgia" in a story from the United States is the state; elsewhere the
 * country */
Test(enrich, a_us_state_named_like_a_country)
{
    json_t *s = enrich(story("Rates", "ATLANTA, March 3 - Banks in Georgia raised rates."));
    cr_expect(strstr(place_uri(s, "Georgia"), "3166:US-GA"), "%s", place_uri(s, "Georgia"));
    json_decref(s);
    s = enrich(story("Tennis", "Carlsen beat Irakli Labadze of Georgia in Zagreb."));
    cr_expect(strstr(place_uri(s, "Georgia"), "3166:GE"), "%s", place_uri(s, "Georgia"));
    json_decref(s);
}

Test(enrich, the_longest_place_name_wins)
{
    json_t *s = story("Port closed", "A tanker crash closed the port in New Jersey on Tuesday. "
                                     "New York and New Zealand were not affected.");
    nw_enrich_result r;
    nw_enrich_story(core, s, &r);
    cr_expect_not_null(find(s, "places", "New Jersey"));
    cr_expect_not_null(find(s, "places", "New Zealand"));
    cr_expect_null(find(s, "places", "Jersey"), "New Jersey holds no Jersey");
    cr_expect_null(find(s, "places", "York"));
    json_decref(s);
}

Test(enrich, place_ambiguity_uses_context)
{
    json_t *s = enrich(story("Fair", "The fair in Paris drew crowds from all over Texas and "
                                     "the United States, organisers said."));
    json_t *p = find(s, "places", "Paris");
    cr_assert_not_null(p);
    cr_expect_str_eq(json_string_value(json_object_get(p, "uri")),
                     "https://sws.geonames.org/4717560/");
    json_decref(s);
    s = enrich(story("Fair", "The fair in Paris drew crowds from all over France."));
    p = find(s, "places", "Paris");
    cr_assert_not_null(p);
    cr_expect_str_eq(json_string_value(json_object_get(p, "uri")),
                     "https://sws.geonames.org/2988507/");
    json_decref(s);
    /* the United States named, not Texas: the capital, not a town of a
     * hundredth of its size; nor Rome, Georgia */
    s = enrich(story("Talks", "US and EU negotiators met in Paris, then flew to Rome."));
    cr_expect_str_eq(place_uri(s, "Paris"), "https://sws.geonames.org/2988507/");
    cr_expect_str_eq(place_uri(s, "Rome"), "https://sws.geonames.org/3169070/");
    json_decref(s);
}

Test(enrich, acronyms_and_known_short_forms_merge)
{
    json_t *s = enrich(story("Rates", "The Federal Reserve Board kept rates on hold. The Fed "
                                      "said the International Monetary Fund agreed; the IMF "
                                      "said so too."));
    /* one entry, under the longest form the story writes (it never writes
     * the table's "Federal Reserve") */
    cr_expect_not_null(find(s, "organisations", "Federal Reserve Board"));
    cr_expect_null(find(s, "organisations", "Federal Reserve"));
    cr_expect_null(find(s, "organisations", "Fed"));
    cr_expect_null(find(s, "organisations", "IMF"));
    cr_expect_not_null(find(s, "organisations", "International Monetary Fund"));
    json_decref(s);
}

Test(enrich, sport_and_business_topics)
{
    json_t *s = enrich(story("Arsenal win the cup", "Arsenal beat Chelsea 2-1 in the cup final "
                                                    "with two goals from their striker, and the "
                                                    "manager praised the team and the fans."));
    cr_expect(has_subject(s, "15000000"), "%s", json_dumps(json_object_get(s, "subjects"), 0));
    json_decref(s);
    s = enrich(story("Profits rise", "The company said quarterly profits rose 10% as sales grew "
                                     "and shares rose on the stock market; investors welcomed "
                                     "the dividend."));
    cr_expect(has_subject(s, "04000000"), "%s", json_dumps(json_object_get(s, "subjects"), 0));
    json_t *sub = json_array_get(json_object_get(s, "subjects"), 0);
    cr_expect_str_eq(json_string_value(json_object_get(sub, "creator")), NW_ENRICH_CREATOR);
    cr_expect(json_integer_value(json_object_get(sub, "confidence")) > 0);
    json_decref(s);
    /* financial wires' abbreviated results and dividends */
    s = enrich(story("ACME CORP <ACM> 4TH QTR NET",
                     "Shr 52 cts vs 50 cts Net 1,234,000 vs 1,100,000 Revs 12.3 mln vs 11.2 mln"));
    cr_expect(has_subject(s, "04000000"), "%s", json_dumps(json_object_get(s, "subjects"), 0));
    json_decref(s);
    s = enrich(story("ACME CORP <ACM> QTLY DIVIDEND",
                     "Qtly div 10 cts vs 10 cts prior Pay April 1 Record March 15"));
    cr_expect(has_subject(s, "04000000"), "%s", json_dumps(json_object_get(s, "subjects"), 0));
    json_decref(s);
}

/* ---- entity rules (docs/enrich.md, "How it decides"): one sentence each -- */

static json_t *enrich_text(const char *headline, const char *body)
{
    return enrich(story(headline, body));
}

Test(enrich, given_names_make_people_and_unknown_spans_organisations)
{
    json_t *s = enrich_text("Deal", "Margaret Quillan said Brackwater Holdings and Fennick Dale "
                                    "would merge.");
    cr_expect_not_null(find(s, "people", "Margaret Quillan"));
    cr_expect_not_null(find(s, "organisations", "Fennick Dale"));
    cr_expect_null(find(s, "people", "Fennick Dale"));
    json_decref(s);
    /* a guessed organisation with a person's last name is that person */
    s = enrich_text("Talks", "Zubair Torrani arrived on Monday. Mr Torrani said he would stay.");
    cr_expect_not_null(find(s, "people", "Zubair Torrani"));
    cr_expect_null(find(s, "organisations", "Zubair Torrani"));
    json_decref(s);
}

Test(enrich, cue_words_before_a_name)
{
    json_t *s = enrich_text("Chart", "R&B star Zorvo topped the chart. Keeper Tony Bullwer "
                                     "stayed, and filtering firm Quillbox grew.");
    cr_expect_not_null(find(s, "people", "Zorvo"));
    cr_expect_not_null(find(s, "people", "Tony Bullwer"));
    cr_expect_null(find(s, "people", "Keeper Tony Bullwer"));
    cr_expect_not_null(find(s, "organisations", "Quillbox"));
    json_decref(s);
    s = enrich_text("Bank", "Brindleford, the country's largest mortgage lender, said profits "
                            "rose.");
    cr_expect_not_null(find(s, "organisations", "Brindleford"));
    json_decref(s);
}

Test(enrich, possessive_hyphen_and_initial_end_or_keep_a_name)
{
    json_t *s = enrich_text("Album", "Jane Dorrow's Hounds of Glory entered the chart. The "
                                     "Leeds-based band Marrowgate and John R. Smithers cheered.");
    cr_expect_not_null(find(s, "people", "Jane Dorrow"));
    cr_expect_not_null(find(s, "places", "Leeds"));
    cr_expect_not_null(find(s, "organisations", "Marrowgate"));
    cr_expect_not_null(find(s, "people", "John R. Smithers"));
    json_decref(s);
}

Test(enrich, reuters_symbols_and_bracketed_companies)
{
    json_t *s = enrich_text("ACME TOOLS INC <ACT> 1ST QTR NET",
                            "DALLAS, March 3 - Acme Tools Inc said it bought <Widget Works Inc> "
                            "and a stake in (Qorbel Plc) (QBCO.L).");
    cr_expect_not_null(find(s, "organisations", "Acme Tools Inc"));
    cr_expect_not_null(find(s, "organisations", "Widget Works Inc"));
    cr_expect_not_null(find(s, "organisations", "Qorbel Plc"));
    cr_expect_null(find(s, "organisations", "ACT"));
    cr_expect_null(find(s, "organisations", "QBCO.L"));
    cr_expect_null(find(s, "organisations", "NET"));
    json_decref(s);
    /* a town named like a company of the story is the company */
    s = enrich_text("Deal", "HELSINKI, March 6 - Nokia Oy sold a unit; the buyer paid Nokia in "
                            "shares.");
    cr_expect_not_null(find(s, "organisations", "Nokia Oy"));
    cr_expect_null(find(s, "places", "Nokia"));
    json_decref(s);
    /* a headline name without its legal form gives way to the body's */
    s = enrich_text("QUORVEX ENERGY <QRV> CALLS PREFERRED", "HOUSTON, March 11 - Quorvex Energy "
                                                            "Co said it will redeem its shares.");
    cr_expect_not_null(find(s, "organisations", "Quorvex Energy Co"));
    cr_expect_null(find(s, "organisations", "Quorvex Energy"));
    json_decref(s);
}

Test(enrich, organisation_heads_and_known_names)
{
    json_t *s = enrich_text("Chips", "The Widget Makers Association of Peru (WMAP) met the "
                                     "European Commission President Jacques Delmont.");
    cr_expect_not_null(find(s, "organisations", "Widget Makers Association of Peru"));
    cr_expect_null(find(s, "organisations", "WMAP"));
    cr_expect_not_null(find(s, "organisations", "European Commission"));
    cr_expect_not_null(find(s, "people", "Jacques Delmont"));
    json_decref(s);
    /* a minister's portfolio is no organisation; a name broken over lines is one name */
    s = enrich_text("Rubber", "Primary Industries Minister Karel Vostrak backed the Quorra\n"
                              "Vantage proposal.");
    cr_expect_not_null(find(s, "people", "Karel Vostrak"));
    cr_expect_null(find(s, "organisations", "Primary Industries"));
    cr_expect_not_null(find(s, "organisations", "Quorra Vantage"));
    json_decref(s);
    s = enrich_text("Vote", "Is the plan working? The League Cup final and Trafalgar Square "
                            "were busy; League One clubs agreed.");
    cr_expect_null(find(s, "organisations", "Islamic State"));
    cr_expect_null(find(s, "organisations", "League Cup"));
    cr_expect_null(find(s, "people", "Trafalgar Square"));
    cr_expect_null(find(s, "organisations", "Trafalgar Square"));
    cr_expect_null(find(s, "organisations", "League One"));
    json_decref(s);
    s = enrich_text("TV", "The channel will show the series Harbour Lights Tonight in May.");
    cr_expect_null(find(s, "organisations", "Harbour Lights Tonight"));
    json_decref(s);
}

Test(enrich, a_titled_person_is_not_a_town)
{
    json_t *s = enrich_text("Budget", "The Clinton administration sent the budget; President "
                                      "Clinton signed it.");
    cr_expect_not_null(find(s, "people", "Clinton"));
    cr_expect_null(find(s, "places", "Clinton"));
    json_decref(s);
}

Test(enrich, dateline_states_and_towns)
{
    json_t *s = enrich_text("Payout", "SAN MATEO, Calif., April 13 - The fund declared a "
                                      "dividend.");
    cr_expect_not_null(find(s, "places", "San Mateo"));
    cr_expect_not_null(find(s, "places", "California"));
    json_decref(s);
    s = enrich_text("Merger", "EXTON, Pa., March 26 - The company, which has a refinery at "
                              "Good Hope, La., agreed to merge.");
    json_t *exton = find(s, "places", "Exton");
    cr_assert_not_null(exton);
    cr_expect_null(json_object_get(exton, "uri"));
    cr_expect_not_null(find(s, "places", "Pennsylvania"));
    cr_expect_not_null(find(s, "places", "Good Hope"));
    cr_expect_not_null(find(s, "places", "Louisiana"));
    cr_expect_null(find(s, "organisations", "Good Hope"));
    json_decref(s);
}

Test(enrich, a_dateline_country_named_in_the_text_is_mentioned)
{
    /* the town's country is context (which Houston), not a place the story names */
    json_t *s = enrich_text("Exports", "HOUSTON, March 4 - Drilling rose, the company said.");
    cr_expect_not_null(find(s, "places", "Houston"));
    cr_expect_null(find(s, "places", "United States"));
    json_decref(s);
    s = enrich_text("Exports", "HOUSTON, March 4 - U.S. drilling rose, the company said.");
    json_t *us = find(s, "places", "United States");
    cr_assert_not_null(us);
    cr_expect_str_eq(json_string_value(json_object_get(us, "rel")), "enrich:mentioned");
    json_decref(s);
}

/* dateline_country: the town's country as a place too (the story's focus),
 * rel enrich:dateline, enrich:mentioned when the text names it */
Test(enrich, dateline_country_on_request)
{
    nw_err err;
    nw_enrich_opts o;
    nw_enrich_opts_default(&o);
    cr_expect(!o.dateline_country);
    o.dateline_country = true;
    nw_enrich *c = nw_enrich_new(data, &o, &err);
    cr_assert_not_null(c, "%s", err.msg);
    const char *bodies[] = {"HOUSTON, March 4 - Drilling rose, the company said.",
                            "HOUSTON, March 4 - U.S. drilling rose, the company said.",
                            "EXTON, Pa., March 4 - Drilling rose, the company said."};
    const char *rels[] = {"enrich:dateline", "enrich:mentioned", "enrich:dateline"};
    for (size_t i = 0; i < 3; i++) {
        json_t *s = story("Exports", bodies[i]);
        nw_enrich_result r;
        cr_assert_eq(nw_enrich_story(c, s, &r), 0);
        json_t *us = find(s, "places", "United States");
        cr_expect_not_null(us, "case %zu", i);
        if (us)
            cr_expect_str_eq(json_string_value(json_object_get(us, "rel")), rels[i], "case %zu", i);
        json_decref(s);
    }
    nw_enrich_free(c);
}

Test(enrich, world_regions_and_nations)
{
    json_t *s = enrich_text("Sales", "Sales rose across Europe and North America, and in Wales.");
    cr_expect_not_null(find(s, "places", "Europe"));
    cr_expect_not_null(find(s, "places", "North America"));
    cr_expect_not_null(find(s, "places", "Wales"));
    json_decref(s);
}

Test(enrich, clubs_named_like_towns_only_in_sport_stories)
{
    json_t *s = enrich_text("Southampton beat Millwall", "Southampton beat Millwall 2-1 in the "
                                                         "league, the striker scored twice and "
                                                         "the manager praised the fans.");
    cr_expect_not_null(find(s, "organisations", "Southampton"));
    cr_expect_null(find(s, "places", "Southampton"));
    json_decref(s);
    s = enrich_text("Wales win", "Wales beat England 11-9 in Cardiff, and the captain praised "
                                 "the team and the fans after the match.");
    cr_expect_not_null(find(s, "places", "Cardiff"));
    cr_expect_null(find(s, "organisations", "Cardiff City"));
    json_decref(s);
    s = enrich_text("Factory", "The company said profits rose at its factory in Southampton "
                               "as sales grew and shares rose.");
    cr_expect_not_null(find(s, "places", "Southampton"));
    cr_expect_null(find(s, "organisations", "Southampton"));
    json_decref(s);
}

Test(enrich, sport_line_ups_name_people_by_surname)
{
    const char *body = "Dan Orrick scored twice as the striker led the league side to a win "
                       "and the manager praised the fans after the match.\n\n"
                       "Orrick, Quentley, Marlo Vask, Brennigan (Tulloch 73), Fairweather.\n\n"
                       "Subs not used: Haddleston.\n\n"
                       "Orrick 12, Quentley 80.";
    json_t *s = enrich_text("Rovers win at home", body);
    cr_expect_not_null(find(s, "people", "Dan Orrick")); /* "Orrick" is merged into him */
    cr_expect_null(find(s, "people", "Orrick"));
    const char *players[] = {"Quentley", "Marlo Vask",  "Brennigan",
                             "Tulloch",  "Fairweather", "Haddleston"};
    for (size_t i = 0; i < sizeof players / sizeof *players; i++)
        cr_expect_not_null(find(s, "people", players[i]), "%s", players[i]);
    cr_expect_null(find(s, "organisations", "Marlo Vask"));
    json_decref(s);
    /* a club in brackets is no player; a captain's note is no name */
    s = enrich_text("Rovers win", "The striker scored twice in the league match.\n\n"
                                  "J Quentley (Brackwater), P de Vask (Fennick, capt), "
                                  "T Brennigan (Brackwater), S Tulloch (Dorrow).");
    cr_expect_not_null(find(s, "people", "J Quentley"));
    cr_expect_not_null(find(s, "people", "P de Vask"));
    cr_expect_null(find(s, "people", "Brackwater"));
    cr_expect_null(find(s, "people", "Fennick"));
    json_decref(s);
    /* outside a sport story, a list of four is no line-up; of five it is */
    s = enrich_text("Tour", "The company said profits rose and shares rose.\n\n"
                            "Quentley, Brennigan, Fairweather, Tulloch.");
    cr_expect_null(find(s, "people", "Quentley"));
    json_decref(s);
    s = enrich_text("Prize", "The company said profits rose and shares rose.\n\n"
                             "Ada Quentley (Canada), Ivo Brennigan (Chile), Una Fairweather "
                             "(Peru), Eli Tulloch (Japan), Oda Vask (Kenya).");
    cr_expect_not_null(find(s, "people", "Ivo Brennigan"));
    cr_expect_not_null(find(s, "people", "Oda Vask"));
    cr_expect_not_null(find(s, "places", "Peru"));
    cr_expect_null(find(s, "people", "Peru"));
    json_decref(s);
    /* an initial and a surname are the full name's: "G Poll" */
    s = enrich_text("Rovers win", "The referee Graham Pollard sent the striker off and the "
                                  "manager praised the fans after the league match.\n\n"
                                  "G Pollard (Kent).");
    cr_expect_not_null(find(s, "people", "Graham Pollard"));
    cr_expect_null(find(s, "people", "G Pollard"));
    json_decref(s);
}

Test(enrich, seas_counties_and_constituencies_are_places)
{
    json_t *s = enrich_text("Vote", "The rigs in the North Sea stayed shut. The candidate for "
                                    "Leeds West grew up in Kinrossshire, far from Derby.");
    cr_expect_not_null(find(s, "places", "North Sea"));
    cr_expect_not_null(find(s, "places", "Leeds West"));
    cr_expect_null(find(s, "organisations", "Leeds West"));
    cr_expect_not_null(find(s, "places", "Kinrossshire"));
    json_decref(s);
    /* a compass word after a name the gazetteer lacks makes no place */
    s = enrich_text("Deal", "Brackwater North said profits rose.");
    cr_expect_null(find(s, "places", "Brackwater North"));
    json_decref(s);
}

Test(enrich, titles_treaties_and_numbered_stations)
{
    json_t *s = enrich_text("Awards", "Speaking on Brackwater Radio 4, he praised Fennick Dale "
                                      "and the Quiet Harbour Game and the Velvet Morning "
                                      "Collection.");
    cr_expect_not_null(find(s, "organisations", "Brackwater Radio 4"));
    cr_expect_null(find(s, "organisations", "Brackwater Radio"));
    cr_expect_null(find(s, "organisations", "Quiet Harbour Game"));
    cr_expect_null(find(s, "organisations", "Velvet Morning Collection"));
    cr_expect_not_null(find(s, "organisations", "Fennick Dale"));
    json_decref(s);
    /* treaties and laws are no organisations either */
    s = enrich_text("Trade", "Talks on the Brackwater Pepper Agreement and the Quillon Data Act "
                             "resumed.");
    cr_expect_null(find(s, "organisations", "Brackwater Pepper Agreement"));
    cr_expect_null(find(s, "organisations", "Quillon Data Act"));
    json_decref(s);
}

Test(enrich, an_appositive_role_makes_a_person)
{
    json_t *s = enrich_text("Rates", "\"It is a new start,\" Odalys Brevant, OFHEO director, said. "
                                     "Quillon Marks, an analyst at Fennick Dale, agreed.");
    cr_expect_not_null(find(s, "people", "Odalys Brevant"));
    cr_expect_null(find(s, "organisations", "Odalys Brevant"));
    cr_expect_not_null(find(s, "people", "Quillon Marks"));
    cr_expect_not_null(find(s, "organisations", "Fennick Dale"));
    json_decref(s);
    /* "whose": the role is another's */
    s = enrich_text("Deal", "Brackwater Dale, whose director resigned, said profits rose.");
    cr_expect_null(find(s, "people", "Brackwater Dale"));
    json_decref(s);
}

Test(enrich, a_company_noun_after_one_word_makes_an_organisation)
{
    json_t *s = enrich_text("Doping", "Tests at the Quillbrook laboratory and the Fennix "
                                      "subsidiary Drammel were cleared. Analyst firm reports "
                                      "rose; the London company grew.");
    cr_expect_not_null(find(s, "organisations", "Quillbrook"));
    cr_expect_not_null(find(s, "organisations", "Fennix"));
    cr_expect_not_null(find(s, "organisations", "Drammel"));
    cr_expect_null(find(s, "organisations", "Analyst"));
    cr_expect_null(find(s, "organisations", "London"));
    json_decref(s);
}

/* The number of entries of `array` (organisations, people, places). */
static size_t count(json_t *s, const char *array)
{
    return json_array_size(json_object_get(s, array));
}

Test(enrich, what_a_company_has_makes_a_one_word_organisation)
{
    json_t *s = enrich_text("Markets", "Traders bought shares in Quorvex. A spokesman for "
                                       "Brimwell denied it, Dantrel's board met and Tessaline "
                                       "shares fell.");
    cr_expect_not_null(find(s, "organisations", "Quorvex"));
    cr_expect_not_null(find(s, "organisations", "Brimwell"));
    cr_expect_not_null(find(s, "organisations", "Dantrel"));
    cr_expect_not_null(find(s, "organisations", "Tessaline"));
    json_decref(s);
    /* a director for someone, B shares, a plural headline noun */
    s = enrich_text("Brewers' profits lose their fizz",
                    "Votes went to best director for Scorvello; the firm issued B shares.");
    cr_expect_eq(count(s, "organisations"), 0);
    json_decref(s);
}

Test(enrich, a_list_after_companies_such_as_is_of_organisations)
{
    json_t *s = enrich_text("Players", "Gadgets came from companies such as Crevative, "
                                       "Sonvia and Phelix. Artists like Kelly Clarkwin sang.");
    cr_expect_not_null(find(s, "organisations", "Crevative"));
    cr_expect_not_null(find(s, "organisations", "Sonvia"));
    cr_expect_not_null(find(s, "organisations", "Phelix"));
    cr_expect_null(find(s, "organisations", "Kelly Clarkwin"));
    json_decref(s);
}

Test(enrich, an_appositive_head_before_a_relative_makes_an_organisation)
{
    json_t *s = enrich_text("Oil", "Novrel, the Canadian company that owns Husk, agreed.");
    cr_expect_not_null(find(s, "organisations", "Novrel"));
    json_decref(s);
    s = enrich_text("Oil", "Barry Lendt, the head of the bank, agreed.");
    cr_expect_null(find(s, "organisations", "Barry Lendt"));
    json_decref(s);
}

Test(enrich, one_company_named_with_and_or_of_the)
{
    json_t *s = enrich_text("Notes", "Sumiro Trust and Banking Co Ltd sold notes to the "
                                     "Federation of the Phonic Industry.");
    cr_expect_not_null(find(s, "organisations", "Sumiro Trust and Banking Co Ltd"));
    cr_expect_not_null(find(s, "organisations", "Federation of the Phonic Industry"));
    cr_expect_null(find(s, "organisations", "Banking Co Ltd"));
    json_decref(s);
    /* two names: the left one ends in a word that ends names */
    s = enrich_text("Venture", "Dawoon Group and Gennaro Motors Corp formed a venture.");
    cr_expect_not_null(find(s, "organisations", "Dawoon Group"));
    cr_expect_not_null(find(s, "organisations", "Gennaro Motors Corp"));
    json_decref(s);
}

Test(enrich, works_products_and_labels_are_no_organisations)
{
    json_t *s = enrich_text("Chart", "Grey Dune's Boulevard of Lost Hopes is number two; a "
                                     "Pip Idol-style search began; the Golden Joyster awards "
                                     "were given; the carmaker recalled 17,815 Bruick Ranvers, "
                                     "Chevrel Trailers and Gemco Envoys.");
    cr_expect_not_null(find(s, "organisations", "Grey Dune")); /* the band */
    cr_expect_eq(count(s, "organisations"), 1);
    json_decref(s);
    s = enrich_text("RESULTS", "Qtly div six cts\n    Year     Oper shr loss 34 cts\n"
                               "    NOTE: rated AA by Ratings Agency.");
    cr_expect_null(find(s, "organisations", "Year Oper"));
    cr_expect_null(find(s, "organisations", "NOTE"));
    cr_expect_null(find(s, "organisations", "AA"));
    json_decref(s);
    /* a place's possessive ends a name: the station is one */
    s = enrich_text("Radio", "He left London's Capital Wave FM this year.");
    cr_expect_not_null(find(s, "organisations", "Capital Wave FM"));
    json_decref(s);
}

Test(enrich, short_forms_merge_into_the_registered_name)
{
    json_t *s = enrich_text("Deal", "Unifay Canada Holding Ltd bought a stake in Huskan Oil "
                                    "Ltd. Unifay Faith agreed, and Unifay said the stake in "
                                    "Huskan was small.");
    cr_expect_not_null(find(s, "organisations", "Huskan Oil Ltd"));
    cr_expect_null(find(s, "organisations", "Huskan"));
    json_decref(s);
    s = enrich_text("Burgers", "Brandmart's menu grew. Brandmart's shares rose and "
                               "Brandmart's board, the chain's, met.");
    cr_expect_not_null(find(s, "organisations", "Brandmart's"));
    json_decref(s);
}

Test(enrich, a_surname_alone_again_makes_a_person)
{
    json_t *s = enrich_text("Tennis", "Sania Mirvani won in Dubai. Later Mirvani beat the "
                                      "champion.");
    cr_expect_not_null(find(s, "people", "Sania Mirvani"));
    cr_expect_null(find(s, "organisations", "Sania Mirvani"));
    json_decref(s);
    /* a band named again after "the" stays a band */
    s = enrich_text("Gigs", "Kaizer Chieftains played. Fans of the Chieftains cheered.");
    cr_expect_not_null(find(s, "organisations", "Kaizer Chieftains"));
    json_decref(s);
}

Test(enrich, a_defined_acronym_and_channel_numbers)
{
    json_t *s = enrich_text("Awards", "She was voted by European Athletix (EAX), and EAX "
                                      "members agreed. He spoke on BBC Two and to the "
                                      "Spectrum magazine.");
    cr_expect_not_null(find(s, "organisations", "European Athletix"));
    cr_expect_null(find(s, "organisations", "EAX"));
    cr_expect_not_null(find(s, "organisations", "BBC Two"));
    cr_expect_not_null(find(s, "organisations", "Spectrum"));
    json_decref(s);
}

Test(enrich, models_areas_ages_and_sport_names_are_no_organisations)
{
    json_t *s = enrich_text("Cars", "Sales of the Vorsa X5 and the Pallan Razr V3 rose in "
                                    "North Devon. Trevan Brookwell, 26, and Halden Roe, who "
                                    "sings, bought Carrowmill Foods.");
    cr_expect_null(find(s, "organisations", "Vorsa X5"));
    cr_expect_null(find(s, "organisations", "Pallan Razr V3"));
    cr_expect_null(find(s, "organisations", "North Devon"));
    cr_expect_not_null(find(s, "people", "Trevan Brookwell"));
    cr_expect_not_null(find(s, "people", "Halden Roe"));
    cr_expect_not_null(find(s, "organisations", "Carrowmill Foods"));
    json_decref(s);
    /* in a sport story a name with no cue is a player's, kept when his
     * surname comes again */
    s = enrich_text("Arsenal win", "Arsenal beat Chelsea 2-1 in the Premiership. Quentin "
                                   "Marovic scored the first goal and Darek Tolvan saved a "
                                   "penalty in the second half. The striker and the keeper "
                                   "played well and Marovic scored again in the league match.");
    cr_expect_null(find(s, "organisations", "Darek Tolvan"));
    cr_expect_null(find(s, "organisations", "Quentin Marovic"));
    cr_expect_not_null(find(s, "people", "Quentin Marovic"));
    json_decref(s);
}

Test(enrich, a_member_role_and_a_name_after_make_an_organisation)
{
    json_t *s = enrich_text("Gas", "The deal was confirmed by Gavrosk chief Aleksei Morrin. "
                                   "Brenwick Capital energy analyst Adam Lendes agreed, and Franz "
                                   "Ferdino frontman Alec Karpanos sang.");
    cr_expect_not_null(find(s, "organisations", "Gavrosk"));
    cr_expect_not_null(find(s, "organisations", "Brenwick Capital"));
    cr_expect_not_null(find(s, "organisations", "Franz Ferdino"));
    cr_expect_null(find(s, "people", "Franz Ferdino"));
    json_decref(s);
    /* a film's director, a nation's singer, a role's and another's name */
    s = enrich_text("Film", "Touching the Vold director Kevan Macdale spoke, as did Welsh "
                            "singer Bryn Folan and Shepard Brode and chairman Morris Brode.");
    cr_expect_null(find(s, "organisations", "Vold"));
    cr_expect_null(find(s, "organisations", "Welsh"));
    cr_expect_null(find(s, "organisations", "Shepard Brode"));
    json_decref(s);
}

Test(enrich, plural_acronyms_ships_and_indices_are_no_organisations)
{
    json_t *s = enrich_text("Radio", "Three DJs will host it; the DJ said so. Personal digital "
                                     "assistants (PDAs) sold; a PDA costs less. The cruise liner "
                                     "Crystal Harmonia sailed and the Crystal Harmonia docked. "
                                     "The ISEX index rose.");
    cr_expect_eq(count(s, "organisations"), 0);
    json_decref(s);
    s = enrich_text("Radio", "The DJ worked for the BBC and the PDA maker sold to AOL.");
    cr_expect_not_null(find(s, "organisations", "AOL"));
    json_decref(s);
}

Test(enrich, told_reuters_is_the_agency_the_sign_off_is_not)
{
    json_t *s = enrich_text("Markets", "\"Shares rose,\" a trader told Reuters. Xinhua agreed.");
    cr_expect_not_null(find(s, "organisations", "Reuters"));
    cr_expect_not_null(find(s, "organisations", "Xinhua"));
    json_decref(s);
    s = enrich_text("Wheat", "Wheat prices rose in Chicago.\n Reuter");
    cr_expect_eq(count(s, "organisations"), 0);
    json_decref(s);
}

Test(enrich, a_word_after_a_known_organisation_in_a_list_is_one)
{
    json_t *s = enrich_text("Rights", "The case is backed by Amnesty International and "
                                      "Libertex.");
    cr_expect_not_null(find(s, "organisations", "Libertex"));
    json_decref(s);
    /* a word the story writes in lower case, a name after "for" */
    s = enrich_text("Arts", "The Department for Culture, Media and Sport spoke to the media.");
    cr_expect_null(find(s, "organisations", "Media"));
    cr_expect_null(find(s, "organisations", "Sport"));
    json_decref(s);
}

/* ---- what nonorgs.tsv and the span rules of helper s12b decide ---------- */

Test(enrich, events_works_and_products_of_the_table_are_no_organisations)
{
    json_t *s = enrich_text("Fans", "The Champions League tie against Rosenvik was seen by "
                                    "fans of Family Guy eating a Big Mac. He watched the RBS Six "
                                    "Nations. Vera Drake won.");
    cr_expect_null(find(s, "organisations", "Champions League"));
    cr_expect_null(find(s, "organisations", "Family Guy"));
    cr_expect_null(find(s, "organisations", "Big Mac"));
    cr_expect_null(find(s, "organisations", "RBS"), "a sponsor's name is the event's");
    cr_expect_null(find(s, "people", "Vera Drake"), "a film, no person");
    json_decref(s);
    /* a maker before its product is an organisation; a given name is no
     * maker; a name not in the table is guessed as before */
    s = enrich_text("Games", "He bought a Sony PlayStation, said Robert MacIntosh, an analyst. "
                             "It was paid for by Fennick Dale.");
    cr_expect_not_null(find(s, "organisations", "Sony"));
    cr_expect_null(find(s, "organisations", "Sony PlayStation"));
    cr_expect_not_null(find(s, "people", "Robert MacIntosh"), "not the Macintosh computer");
    cr_expect_not_null(find(s, "organisations", "Fennick Dale"));
    json_decref(s);
    /* a title of the table over "of the" is one span */
    s = enrich_text("Film", "She starred in Eternal Sunshine of the Spotless Mind and The Lord "
                            "of the Rings. The Federation of the Phonographic Industry agreed.");
    cr_expect_null(find(s, "organisations", "Eternal Sunshine"));
    cr_expect_null(find(s, "organisations", "Spotless Mind"));
    cr_expect_null(find(s, "organisations", "Lord"));
    cr_expect_not_null(find(s, "organisations", "Federation of the Phonographic Industry"));
    json_decref(s);
}

Test(enrich, two_names_joined_by_a_hyphen_are_two_organisations)
{
    json_t *s = enrich_text("Deal", "Shares in Gavrosk and Rosnova rose. The merged "
                                    "Gavrosk-Rosnova group will rank third.");
    cr_expect_not_null(find(s, "organisations", "Gavrosk"));
    cr_expect_not_null(find(s, "organisations", "Rosnova"));
    cr_expect_null(find(s, "organisations", "Gavrosk-Rosnova"));
    json_decref(s);
    /* a half the story never writes alone: one name */
    s = enrich_text("Oil", "Tenka-BP is half owned by BP.");
    cr_expect_null(find(s, "organisations", "Tenka"));
    json_decref(s);
}

Test(enrich, an_organisation_word_before_a_known_name_is_a_cue)
{
    json_t *s = enrich_text("Oil", "According to Russian News Agency Interfax, the deal is done.");
    cr_expect_not_null(find(s, "organisations", "Interfax"));
    cr_expect_null(find(s, "organisations", "News Agency Interfax"));
    json_decref(s);
    /* a known name that is an organisation's word itself stays in the name */
    s = enrich_text("Unions", "The Trades Union Congress said no.");
    cr_expect_not_null(find(s, "organisations", "Trades Union Congress"));
    json_decref(s);
}

Test(enrich, an_adjective_stop_word_can_begin_an_organisation)
{
    json_t *s = enrich_text("Charts", "The chart, compiled by the Official Charts Company, grew.");
    cr_expect_not_null(find(s, "organisations", "Official Charts Company"));
    cr_expect_null(find(s, "organisations", "Charts Company"));
    json_decref(s);
    s = enrich_text("Figures", "The Official Harlow figures fell.");
    cr_expect_null(find(s, "organisations", "Official Harlow"));
    json_decref(s);
}

Test(enrich, a_legislature_committee_keeps_its_lower_case_noun)
{
    json_t *s = enrich_text("Trade", "He told a House Appropriations subcommittee on Monday.");
    cr_expect_not_null(find(s, "organisations", "House Appropriations subcommittee"));
    cr_expect_null(find(s, "organisations", "House Appropriations"));
    json_decref(s);
    s = enrich_text("Trade", "A Commons committee met.");
    cr_expect_null(find(s, "organisations", "Commons committee"));
    json_decref(s);
}

Test(enrich, romance_names_join_over_their_particles)
{
    json_t *s = enrich_text("Debt", "The debt will be redeemed by the Caisse d Amortissement de "
                                    "la Dette Publique, the fund. The road fund Fonds des Routes "
                                    "pays.");
    cr_expect_not_null(find(s, "organisations", "Caisse d Amortissement de la Dette Publique"));
    cr_expect_not_null(find(s, "organisations", "Fonds des Routes"));
    cr_expect_null(find(s, "organisations", "Dette Publique"));
    json_decref(s);
}

Test(enrich, a_portfolio_joined_by_and_is_no_organisation)
{
    json_t *s = enrich_text("Husky", "The Minister of Regional and Industrial Expansion, Michel "
                                     "Cote, ruled.");
    cr_expect_null(find(s, "organisations", "Industrial Expansion"));
    cr_expect_not_null(find(s, "people", "Michel Cote"));
    json_decref(s);
    s = enrich_text("Husky", "The Department of Regional and Industrial Expansion agreed.");
    cr_expect_not_null(find(s, "organisations", "Department of Regional and Industrial Expansion"));
    json_decref(s);
}

Test(enrich, quotes_title_words_and_a_title_over_connectors_are_no_organisations)
{
    json_t *s = enrich_text("Music", "Fans loved \"Harbour Lights\" on Tuesday. It entered at "
                                     "number three with His Latest Flame. The single Black and "
                                     "White Town reached six. A World Dramatic and Documentary "
                                     "competition is held. Big Boi has a business, says the DJ.");
    cr_expect_null(find(s, "organisations", "Harbour Lights"));
    cr_expect_null(find(s, "organisations", "Latest Flame"));
    cr_expect_null(find(s, "organisations", "White Town"));
    cr_expect_null(find(s, "organisations", "World Dramatic"));
    cr_expect_null(find(s, "organisations", "DJ"));
    json_decref(s);
    /* unquoted, an organisation; a place after a work's word is still one */
    s = enrich_text("Music", "Harbour Lights Group said injuries have hit England and Scotland.");
    cr_expect_not_null(find(s, "organisations", "Harbour Lights Group"));
    cr_expect_not_null(find(s, "places", "Scotland"));
    json_decref(s);
}

Test(enrich, titles_written_in_title_case_are_no_organisations)
{
    json_t *s = enrich_text("Chart", "Fans voted for Room With A View and Are You Lonesome "
                                     "Tonight, then for A Different Story.");
    cr_expect_eq(count(s, "organisations"), 0, "%s",
                 json_dumps(json_object_get(s, "organisations"), 0));
    json_decref(s);
    /* a name writes its function words in lower case */
    s = enrich_text("Chart", "The deal was paid for by Fennick Dale of Harbour.");
    cr_expect_not_null(find(s, "organisations", "Fennick Dale"));
    json_decref(s);
}

Test(enrich, given_names_of_the_arts_news_make_people)
{
    json_t *s = enrich_text("Film", "The film stars Keanu Mardell and Imelda Corran.");
    cr_expect_not_null(find(s, "people", "Keanu Mardell"));
    cr_expect_null(find(s, "organisations", "Imelda Corran"));
    json_decref(s);
}

Test(enrich, role_acronyms_and_technologies_are_no_organisations)
{
    json_t *s = enrich_text("Vote", "The MEP said the MSP agreed. Songs with DRM and a USB port "
                                    "were shown; the White Paper is due.");
    cr_expect_eq(count(s, "organisations"), 0, "%s",
                 json_dumps(json_object_get(s, "organisations"), 0));
    json_decref(s);
    s = enrich_text("Vote", "The MEP worked for AOL.");
    cr_expect_not_null(find(s, "organisations", "AOL"));
    json_decref(s);
}

Test(enrich, analysts_bodies_and_consultancies_before_a_name_make_organisations)
{
    json_t *s = enrich_text("Games", "Sales doubled, according to analysts Screen Dygest. "
                                     "Microsoft referred it to trade body Intellix.");
    cr_expect_not_null(find(s, "organisations", "Screen Dygest"));
    cr_expect_not_null(find(s, "organisations", "Intellix"));
    json_decref(s);
    s = enrich_text("Games", "Sales doubled, said analysts John Pearce and Mary Lott.");
    cr_expect_not_null(find(s, "people", "John Pearce"));
    cr_expect_null(find(s, "organisations", "John Pearce"));
    json_decref(s);
}

Test(enrich, a_group_word_before_a_name_is_the_same_organisation)
{
    json_t *s =
        enrich_text("Yukos", "Group Menatep controls Yukos. A spokesman for Menatep said the "
                             "shares in Menatep rose.");
    cr_expect_not_null(find(s, "organisations", "Group Menatep"));
    cr_expect_null(find(s, "organisations", "Menatep"));
    json_decref(s);
    s = enrich_text("Banks", "Banco Santana agreed. Santana Holdings did not.");
    cr_expect_not_null(find(s, "organisations", "Santana Holdings"));
    json_decref(s);
}

Test(enrich, dividend_labels_and_market_terms_are_no_organisations)
{
    json_t *s = enrich_text("RESULTS", "Qtly div 10 cts vs 10 cts prior Pay May 15 Record April "
                                       "Seven. Class B shares rose. GNP rose and the London "
                                       "Interbank Offered Rates fell; the N.Z. Dlrs rose. U.S "
                                       "officials met in N.J. on Monday.\nNOTE - full name is "
                                       "Acme Widget Corp.");
    cr_expect_eq(count(s, "organisations"), 1, "%s",
                 json_dumps(json_object_get(s, "organisations"), 0));
    cr_expect_not_null(find(s, "organisations", "Acme Widget Corp"));
    cr_expect_eq(count(s, "people"), 0, "no \"April Seven\"");
    json_decref(s);
    /* a company whose name begins like a label stays one */
    s = enrich_text("Shares", "Pay Less Drug Stores Inc rose.");
    cr_expect_not_null(find(s, "organisations", "Pay Less Drug Stores Inc"));
    json_decref(s);
}

Test(enrich, a_partnership_named_with_a_comma_is_one_organisation)
{
    json_t *s = enrich_text("Bonds", "Goldman, Sachs and Co ran the books, with Kidder, Peabody "
                                     "and Co Inc.");
    cr_expect_not_null(find(s, "organisations", "Goldman, Sachs and Co"));
    cr_expect_not_null(find(s, "organisations", "Kidder, Peabody and Co Inc"));
    cr_expect_null(find(s, "organisations", "Sachs and Co"));
    json_decref(s);
    /* a list's item before the comma is a name of its own */
    s = enrich_text("Bonds", "It hired Lloyds, Samuel Montagu and Co Ltd and others.");
    cr_expect_null(find(s, "organisations", "Lloyds, Samuel Montagu and Co Ltd"));
    json_decref(s);
}

Test(enrich, a_title_and_a_person_end_an_organisation_name)
{
    json_t *s = enrich_text("Yen", "Bank of Japan Governor Satoshi Sumita said so.");
    cr_expect_not_null(find(s, "organisations", "Bank of Japan"));
    cr_expect_not_null(find(s, "people", "Satoshi Sumita"));
    json_decref(s);
    /* a portfolio's words are no title here */
    s = enrich_text("Talks", "The Ministry of Foreign Affairs and the Association of Chief "
                             "Police Officers agreed.");
    cr_expect_not_null(find(s, "organisations", "Ministry of Foreign Affairs"));
    cr_expect_not_null(find(s, "organisations", "Association of Chief Police Officers"));
    json_decref(s);
}

Test(enrich, offices_treaties_ages_and_sentence_surnames)
{
    json_t *s = enrich_text("Law", "Director of Public Prosecutions, Kenneth Macdale, spoke. "
                                   "The UN Convention on Seafarers was signed. The killer, "
                                   "Warran Leblane, 17 - who was jailed - confessed.");
    cr_expect_eq(count(s, "organisations"), 1);
    cr_expect_not_null(find(s, "organisations", "UN"));
    cr_expect_not_null(find(s, "people", "Warran Leblane"));
    json_decref(s);
    s = enrich_text("Radio", "The show goes to Huwel Stephano. Stephano said he was happy.");
    cr_expect_not_null(find(s, "people", "Huwel Stephano"));
    cr_expect_null(find(s, "organisations", "Huwel Stephano"));
    json_decref(s);
    /* an office's "of" before a known organisation */
    s = enrich_text("Law", "He is Director of Greenpeace.");
    cr_expect_not_null(find(s, "organisations", "Greenpeace"));
    json_decref(s);
}

Test(enrich, a_word_named_thrice_in_an_economy_story_is_a_company)
{
    const char *body = "Shares in Kolvask fell on the stock market as investors sold. Profits at "
                       "the oil producer will fall, analysts said. The bank said Kolvask "
                       "would pay a dividend; Kolvask shares and bonds dropped as the market, "
                       "the economy and the company's earnings, revenue and sales weakened.";
    json_t *s = enrich_text("Oil firm profits fall", body);
    cr_expect_not_null(find(s, "organisations", "Kolvask"));
    json_decref(s);
    /* in a story of the arts such a word is as often a work */
    s = enrich_text("Film wins award", "The Avialor won the film award. Avialor is a film "
                                       "about a pilot; the Avialor cast and the actor, the "
                                       "director and the actress were at the cinema festival.");
    cr_expect_null(find(s, "organisations", "Avialor"));
    json_decref(s);
}

Test(enrich, a_name_listed_after_a_person_is_a_person)
{
    json_t *s = enrich_text("Radio", "Huwel Stephano, Rasko Kwamel and Robi Da Banko will "
                                     "host. Stephano said so.");
    cr_expect_not_null(find(s, "people", "Rasko Kwamel"));
    cr_expect_not_null(find(s, "people", "Robi Da Banko"));
    cr_expect_eq(count(s, "organisations"), 0);
    json_decref(s);
    /* a band's plural name stays a band */
    s = enrich_text("Music", "He likes Kylie Minogan and Scissor Sistas.");
    cr_expect_not_null(find(s, "organisations", "Scissor Sistas"));
    json_decref(s);
}

Test(enrich, an_appositive_work_noun_makes_a_work)
{
    json_t *s = enrich_text("Radio", "He hosts The Blue Roomy, an early morning weekend show "
                                     "that plays dance music.");
    cr_expect_null(find(s, "organisations", "Blue Roomy"));
    json_decref(s);
    s = enrich_text("Radio", "He joined Blue Roomy Media, the company that makes it.");
    cr_expect_not_null(find(s, "organisations", "Blue Roomy Media"));
    json_decref(s);
}

Test(enrich, bad_input_never_fails_the_story)
{
    nw_enrich_result r;
    json_t *empty = json_object();
    cr_expect_eq(nw_enrich_story(core, empty, &r), 0);
    cr_expect_eq(json_object_size(empty), 0);
    json_decref(empty);
    json_t *arr = json_array();
    cr_expect_eq(nw_enrich_story(core, arr, &r), 0);
    json_decref(arr);
    json_decref(enrich(story("", "")));
    /* binary-ish, mixed script, all caps */
    char bin[512];
    for (size_t i = 0; i < sizeof bin - 1; i++)
        bin[i] = (char)(1 + (i * 37) % 254);
    bin[sizeof bin - 1] = '\0';
    json_t *s = json_pack("{s:s, s:s, s:s, s:[{s:s%}]}", "uri", "u", "type", "text", "version", "1",
                          "bodies", "value", bin, sizeof bin - 1);
    if (s)
        json_decref(enrich(s));
    json_decref(enrich(story(
        "\xd0\x9c\xd0\xbe\xd1\x81\xd0\xba\xd0\xb2\xd0\xb0 Moscow \xe5\x8c\x97\xe4\xba\xac",
        "\xd0\x9f\xd1\x83\xd1\x82\xd0\xb8\xd0\xbd met Kerry in Moscow. "
        "\xe4\xb9\xa0\xe8\xbf\x91\xe5\xb9\xb3 \xd8\xa7\xd9\x84\xd8\xb3\xd9\x84\xd8\xa7\xd9\x85")));
    json_t *caps = enrich(story("RUSSIA AND US AGREE ON SYRIA TALKS",
                                "MOSCOW, DEC 15 - RUSSIAN FOREIGN MINISTER SERGEI LAVROV AND US "
                                "SECRETARY OF STATE JOHN KERRY AGREED ON TUESDAY."));
    cr_expect_not_null(find(caps, "places", "Russia"));
    json_decref(caps);
    /* 16 MiB */
    size_t big = 16u << 20;
    char *huge = malloc(big + 1);
    cr_assert_not_null(huge);
    for (size_t i = 0; i < big; i++)
        huge[i] = "John Kerry went to Moscow. "[i % 27];
    huge[big] = '\0';
    json_t *hs = story("Big", huge);
    free(huge);
    json_decref(enrich(hs));
}

/* A document a filter built by hand may hold bytes that are not UTF-8
 * (jansson's _nocheck setters): a name cut from them is left out, never added
 * without a name (fuzz_enrich found one). */
Test(enrich, names_cut_from_invalid_utf8_are_left_out)
{
    static const char body[] = "A spokeswoman for the Harbour Board told Acme Wire"
                               "\xe0\xb0\x91\x94ine that John Kerry\x94 met Sergei Lavrov in "
                               "Moscow. Acme Wire\x94ine said the Harbour Board agreed.";
    json_t *s = json_pack("{s:s, s:s, s:s}", "uri", "u", "type", "text", "version", "1");
    json_t *b = json_object();
    json_object_set_new(b, "role", json_string("main"));
    json_object_set_new(b, "contentType", json_string("text/plain"));
    json_object_set_new(b, "value", json_stringn_nocheck(body, sizeof body - 1));
    json_object_set_new(s, "bodies", json_pack("[o]", b));
    nw_enrich_result r;
    cr_assert_eq(nw_enrich_story(core, s, &r), 0);
    const char *keys[] = {"people", "places", "organisations", "subjects"};
    for (size_t k = 0; k < 4; k++) {
        size_t i;
        json_t *v;
        json_array_foreach(json_object_get(s, keys[k]), i, v)
        {
            cr_assert(json_is_object(v) && json_is_string(json_object_get(v, "name")),
                      "%s[%zu] has no name", keys[k], i);
        }
    }
    cr_expect_not_null(json_object_get(s, "places"), "valid names are still found");
    json_decref(s);
}

typedef struct token_log {
    const char *text;
    size_t n;
    char words[32][32];
    unsigned flags[32];
} token_log;

static void log_token(void *ctx, size_t off, size_t len, unsigned flags)
{
    token_log *g = ctx;
    if (g->n >= 32 || len >= 32)
        return;
    memcpy(g->words[g->n], g->text + off, len);
    g->words[g->n][len] = '\0';
    g->flags[g->n++] = flags;
}

Test(enrich, tokenizer_flags)
{
    token_log got = {.text = "US Secretary of State John Kerry met Bashar al-Assad. He said: "
                             "\"NO\" to Syria's U.S. allies"};
    nw_enrich_tokenize(got.text, strlen(got.text), log_token, &got);
    cr_assert_gt(got.n, 10);
    cr_expect_str_eq(got.words[0], "US");
    cr_expect(got.flags[0] & NW_TOK_ALLCAPS);
    cr_expect_str_eq(got.words[8], "al-Assad");
    cr_expect(got.flags[8] & NW_TOK_CAP);
    cr_expect_str_eq(got.words[9], "He");
    cr_expect(got.flags[9] & NW_TOK_SENT_START);
    cr_expect(got.flags[11] & NW_TOK_BREAK);  /* after the colon and quote */
    cr_expect_str_eq(got.words[13], "Syria"); /* possessive cut */
    cr_expect_str_eq(got.words[14], "U.S.");
    cr_expect(!(got.flags[15] & NW_TOK_SENT_START), "an abbreviation's dot ends no sentence");
}

Test(enrich, accented_letters_stay_inside_their_word)
{
    token_log got = {.text = "José Mourinho met ÉLYSÉE staff in São Paulo, café—bar"};
    nw_enrich_tokenize(got.text, strlen(got.text), log_token, &got);
    cr_assert_eq(got.n, 10);
    cr_expect_str_eq(got.words[0], "José");
    cr_expect(got.flags[0] & NW_TOK_CAP);
    cr_expect(!(got.flags[1] & NW_TOK_BREAK), "no break inside \"José Mourinho\"");
    cr_expect_str_eq(got.words[3], "ÉLYSÉE");
    cr_expect(got.flags[3] & NW_TOK_ALLCAPS, "accented capitals count as capitals");
    cr_expect_str_eq(got.words[6], "São");
    cr_expect_str_eq(got.words[7], "Paulo");
    cr_expect_str_eq(got.words[8], "café");
    cr_expect_str_eq(got.words[9], "bar"); /* the em dash separates */
}

Test(enrich, a_name_with_accents_is_one_person)
{
    json_t *s =
        enrich_text("Chelsea win", "Chelsea manager José Mourinho said his side were ready. "
                                   "Mourinho praised the fans.");
    cr_expect_not_null(find(s, "people", "José Mourinho"));
    cr_expect_null(find(s, "people", "Mourinho"), "the surname merges into the full name");
    assert_valid(s);
    json_decref(s);
}

/* A temporary copy of the build's data directory (without `except`, if set). */
static char *copy_data(const char *tag, const char *except)
{
    char *dir = nw_test_mkdtemp(tag);
    const char *files[] = {"gazetteer.tsv",   "entities.tsv",       "nonorgs.tsv",
                           "mediatopics.tsv", "topic_keywords.tsv", "textcat.conf"};
    char src[4096], dst[4096];
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        if (except && !strcmp(files[i], except))
            continue;
        snprintf(src, sizeof src, "%s/%s", data_dir, files[i]);
        snprintf(dst, sizeof dst, "%s/%s", dir, files[i]);
        size_t len;
        char *buf = nw_test_read_file(src, &len);
        cr_assert_not_null(buf, "%s", src);
        cr_assert_eq(nw_test_write_file(dst, buf, len), 0);
        free(buf);
    }
    return dir;
}

Test(enrich, missing_or_corrupt_data_names_the_file)
{
    nw_err err;
    cr_expect_null(nw_enrich_data_load("/nonexistent-enrich", &err));
    cr_expect(strstr(err.msg, "/nonexistent-enrich/gazetteer.tsv"), "%s", err.msg);
    char *dir = copy_data("enrich", NULL);
    char dst[4096];
    nw_enrich_data *ok = nw_enrich_data_load(dir, &err);
    cr_expect_not_null(ok, "%s", err.msg);
    nw_enrich_data_release(ok);
    snprintf(dst, sizeof dst, "%s/mediatopics.tsv", dir);
    nw_test_write_file(dst, "01000000\tone\n", 13);
    cr_expect_null(nw_enrich_data_load(dir, &err));
    cr_expect(strstr(err.msg, "mediatopics.tsv:1:"), "%s", err.msg);
    nw_test_write_file(dst, "# only a comment\n", 17);
    cr_expect_null(nw_enrich_data_load(dir, &err));
    cr_expect(strstr(err.msg, "mediatopics.tsv: no topics"), "%s", err.msg);
    snprintf(dst, sizeof dst, "%s/gazetteer.tsv", dir);
    nw_test_write_file(dst, "city\t1\tX\n", 9);
    cr_expect_null(nw_enrich_data_load(dir, &err));
    cr_expect(strstr(err.msg, "gazetteer.tsv:1:"), "%s", err.msg);

    nw_test_rm_rf(dir);
    free(dir);
}

Test(enrich, missing_or_corrupt_nonorgs_names_the_file)
{
    nw_err err;
    char *dir = copy_data("enrich-nonorgs", "nonorgs.tsv");
    cr_expect_null(nw_enrich_data_load(dir, &err));
    cr_expect(strstr(err.msg, "nonorgs.tsv"), "%s", err.msg);
    char dst[4096];
    snprintf(dst, sizeof dst, "%s/nonorgs.tsv", dir);
    const char *bad = "film\t\tX\t\t\t0\t\t\n"; /* no such kind */
    nw_test_write_file(dst, bad, strlen(bad));
    cr_expect_null(nw_enrich_data_load(dir, &err));
    cr_expect(strstr(err.msg, "nonorgs.tsv:1:"), "%s", err.msg);
    const char *good = "product\t\tWidgetPhone\t\t\t0\tWidgetPhones\t\n";
    nw_test_write_file(dst, good, strlen(good));
    nw_enrich_data *d = nw_enrich_data_load(dir, &err);
    cr_assert_not_null(d, "%s", err.msg);
    uint32_t hit;
    cr_expect_eq(nw_enrich_data_lookup(d, "widgetphones", 12, &hit, 1), 1);
    cr_expect_eq(nw_enrich_data_entry(d, hit)->kind, NW_GAZ_PRODUCT);
    nw_enrich_data_release(d);
    nw_test_rm_rf(dir);
    free(dir);
}

Test(enrich, data_shared_until_a_file_changes)
{
    nw_err err;
    char *dir = copy_data("enrich-share", NULL);
    char dst[4096];
    nw_enrich_data *a = nw_enrich_data_acquire(dir, &err);
    nw_enrich_data *b = nw_enrich_data_acquire(dir, &err);
    cr_assert_not_null(a, "%s", err.msg);
    cr_expect_eq(a, b, "a second instance shares the loaded tables");
    /* what SIGHUP does: the host re-creates the chain, which acquires again */
    snprintf(dst, sizeof dst, "%s/entities.tsv", dir);
    size_t len;
    char *buf = nw_test_read_file(dst, &len);
    char *more = malloc(len + 64);
    memcpy(more, buf, len);
    int extra = snprintf(more + len, 64, "org\t\tAcme Widgets\t\t\t0\tAcme\t\n");
    cr_assert_eq(nw_test_write_file(dst, more, len + (size_t)extra), 0);
    free(buf);
    free(more);
    nw_enrich_data *c = nw_enrich_data_acquire(dir, &err);
    cr_assert_not_null(c, "%s", err.msg);
    cr_expect_neq(c, a, "changed files are loaded anew");
    uint32_t hit;
    cr_expect_eq(nw_enrich_data_lookup(c, "Acme", 4, &hit, 1), 1);
    cr_expect_eq(nw_enrich_data_lookup(a, "Acme", 4, &hit, 1), 0, "the old set is unchanged");
    nw_enrich_data_release(a);
    nw_enrich_data_release(b);
    nw_enrich_data_release(c);
    nw_test_rm_rf(dir);
    free(dir);
}

/* Tagged stories for training: "weather" words under 17000000, "religion"
 * words under 12000000, every story also naming a shared word. */
/* Every name of the tables is found, in any ASCII case: the hash folds eight
 * bytes at a time (every length exercises another load) and the filter in
 * front of the table must never turn a name away. */
Test(enrich, every_name_is_found_in_any_ascii_case)
{
    char upper[512];
    uint32_t hits[16];
    size_t names = 0;
    for (uint32_t i = 0; nw_enrich_data_entry(data, i); i++) {
        const char *name = nw_enrich_data_entry(data, i)->name;
        size_t len = strlen(name);
        if (len == 0 || len >= sizeof upper)
            continue;
        for (size_t k = 0; k <= len; k++)
            upper[k] = (char)toupper((unsigned char)name[k]);
        cr_expect_eq(nw_enrich_data_hash(name, len), nw_enrich_data_hash(upper, len), "%s", name);
        size_t n = nw_enrich_data_lookup(data, upper, len, hits, 16);
        bool found = n == 16; /* a name of more entries than that: found */
        for (size_t k = 0; k < n; k++)
            found |= hits[k] == i;
        cr_expect(found, "'%s' (entry %u) not found as '%s'", name, i, upper);
        names++;
    }
    cr_expect_gt(names, 1000);
    /* only ASCII folds: bytes beyond it compare as they are */
    cr_expect_neq(nw_enrich_data_hash("\xc3\xa9", 2), nw_enrich_data_hash("\xc3\x89", 2));
    cr_expect_gt(nw_enrich_data_lookup(data, "uNITED kINGDOM", 14, hits, 16), 0);
}

static void add_tagged(nw_topic_trainer *t, int count)
{
    for (int i = 0; i < count; i++) {
        char body[160], uri[96];
        snprintf(body, sizeof body, "%s story number %d",
                 i % 2 ? "Drizzle, fog and gusts as the isobars tighten"
                       : "The synod in the cathedral: liturgy and clergy",
                 i);
        snprintf(uri, sizeof uri, NW_MEDIATOPIC_URI "%s", i % 2 ? "17000000" : "12000000");
        json_t *s = json_pack("{ss s[{ss}]}", "body_text", body, "subjects", "uri", uri);
        cr_assert_eq(nw_topic_trainer_add(t, s), 1);
        json_decref(s);
    }
}

/* Train, write to `path`; returns the keyword count or the error. */
static int train_to(nw_topic_trainer *t, const char *path, nw_err *err)
{
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    int n = nw_topic_trainer_write(t, f, 5, err);
    fclose(f);
    return n;
}

Test(enrich, trained_topic_model_loads_and_decides)
{
    nw_err err;
    char *dir = nw_test_mkdtemp("enrich-train");
    char model[4096];
    snprintf(model, sizeof model, "%s/model.tsv", dir);
    nw_topic_trainer *t = nw_topic_trainer_new(data, &err);
    cr_assert_not_null(t);
    /* a story without a Media Topic (or with an unknown code) is not counted */
    json_t *untagged = json_pack("{ss s[{ss}]}", "body_text", "fog fog fog", "subjects", "uri",
                                 NW_MEDIATOPIC_URI "99999999");
    cr_expect_eq(nw_topic_trainer_add(t, untagged), 0);
    json_decref(untagged);
    add_tagged(t, 30);
    cr_expect_eq(nw_topic_trainer_stories(t), 30);
    cr_assert_gt(train_to(t, model, &err), 0, "%s", err.msg);
    nw_topic_trainer_free(t);
    size_t len;
    char *text = nw_test_read_file(model, &len);
    cr_expect(strstr(text, "17000000\t") && strstr(text, "drizzle"), "%s", text);
    cr_expect(!strstr(text, "story") && !strstr(text, "number"), "shared words are no keywords");
    free(text);

    nw_enrich_data *d = nw_enrich_data_load_model(data_dir, model, &err);
    cr_assert_not_null(d, "%s", err.msg);
    nw_enrich_opts o;
    nw_enrich_opts_default(&o);
    o.language = false;
    nw_enrich *c = nw_enrich_new(d, &o, &err);
    cr_assert_not_null(c, "%s", err.msg);
    json_t *s = story("Outlook", "Fog and drizzle, then gusts as the isobars tighten.");
    nw_enrich_result r;
    nw_enrich_story(c, s, &r);
    cr_expect(has_subject(s, "17000000"), "%s", json_dumps(json_object_get(s, "subjects"), 0));
    json_decref(s);
    s = story("Synod", "The clergy met in the cathedral to discuss the liturgy.");
    nw_enrich_story(c, s, &r);
    cr_expect(has_subject(s, "12000000"), "%s", json_dumps(json_object_get(s, "subjects"), 0));
    json_decref(s);
    nw_enrich_free(c);
    nw_enrich_data_release(d);

    /* shared while unchanged; a changed model (SIGHUP) is loaded anew */
    nw_enrich_data *a = nw_enrich_data_acquire_model(data_dir, model, &err);
    nw_enrich_data *b = nw_enrich_data_acquire_model(data_dir, model, &err);
    cr_assert_not_null(a, "%s", err.msg);
    cr_expect_eq(a, b);
    cr_assert_eq(nw_test_write_file(model, "15000000\t2\tgoal\n", 16), 0);
    nw_enrich_data *c2 = nw_enrich_data_acquire_model(data_dir, model, &err);
    cr_assert_not_null(c2, "%s", err.msg);
    cr_expect_neq(c2, a);
    nw_enrich_data *plain = nw_enrich_data_acquire(data_dir, &err);
    cr_expect_neq(plain, c2, "the directory's own model is another set");
    nw_enrich_data_release(plain);
    nw_enrich_data_release(c2);
    nw_enrich_data_release(b);
    nw_enrich_data_release(a);

    /* a model file that is not one names the file and line */
    cr_assert_eq(nw_test_write_file(model, "15000000\tx\tgoal\n", 16), 0);
    cr_expect_null(nw_enrich_data_load_model(data_dir, model, &err));
    cr_expect(strstr(err.msg, "model.tsv:1"), "%s", err.msg);
    nw_test_rm_rf(dir);
    free(dir);
}

Test(enrich, known_entities_carry_their_table_uri)
{
    char *dir = copy_data("enrich-uri", NULL);
    char path[4096];
    snprintf(path, sizeof path, "%s/entities.tsv", dir);
    size_t len;
    char *buf = nw_test_read_file(path, &len);
    const char *row = "org\t\tAcme Widgets Corporation\turn:test:acme\t\t0\tAcme Widgets\t\n";
    char *more = malloc(len + strlen(row) + 1);
    memcpy(more, buf, len);
    memcpy(more + len, row, strlen(row) + 1);
    cr_assert_eq(nw_test_write_file(path, more, len + strlen(row)), 0);
    free(buf);
    free(more);
    nw_err err;
    nw_enrich_data *d = nw_enrich_data_load(dir, &err);
    cr_assert_not_null(d, "%s", err.msg);
    nw_enrich_opts o;
    nw_enrich_opts_default(&o);
    o.language = false;
    nw_enrich *c = nw_enrich_new(d, &o, &err);
    cr_assert_not_null(c, "%s", err.msg);
    json_t *s = story("Results", "Acme Widgets said on Monday that profits rose.");
    nw_enrich_result r;
    nw_enrich_story(c, s, &r);
    /* the story's name for it; the uri says which it is */
    json_t *org = find(s, "organisations", "Acme Widgets");
    cr_assert_not_null(org, "%s", json_dumps(json_object_get(s, "organisations"), 0));
    cr_expect_str_eq(json_string_value(json_object_get(org, "uri")), "urn:test:acme");
    assert_valid(s);
    json_decref(s);
    nw_enrich_free(c);
    nw_enrich_data_release(d);
    nw_test_rm_rf(dir);
    free(dir);
}

Test(enrich, training_needs_tagged_stories_of_two_topics)
{
    nw_err err;
    char *dir = nw_test_mkdtemp("enrich-train-bad");
    char model[4096];
    snprintf(model, sizeof model, "%s/model.tsv", dir);
    nw_topic_trainer *t = nw_topic_trainer_new(data, &err);
    cr_expect_eq(train_to(t, model, &err), NW_EINVAL);
    cr_expect(strstr(err.msg, "no story has a known Media Topic"), "%s", err.msg);
    json_t *s = json_pack("{ss s[{ss}]}", "body_text", "goal goal", "subjects", "uri",
                          NW_MEDIATOPIC_URI "15000000");
    cr_expect_eq(nw_topic_trainer_add(t, s), 1);
    json_decref(s);
    cr_expect_eq(train_to(t, model, &err), NW_EINVAL);
    cr_expect(strstr(err.msg, "one top-level topic"), "%s", err.msg);
    nw_topic_trainer_free(t);
    /* two topics, but too few stories for any word to count */
    t = nw_topic_trainer_new(data, &err);
    add_tagged(t, 4);
    cr_expect_eq(train_to(t, model, &err), NW_EINVAL);
    cr_expect(strstr(err.msg, "train on more stories"), "%s", err.msg);
    nw_topic_trainer_free(t);
    nw_test_rm_rf(dir);
    free(dir);
}

Test(enrich, language_candidates_follow_the_script)
{
    static const struct {
        const char *text, *lang;
    } cases[] = {
        {"The government said on Tuesday that it would raise taxes on fuel and tobacco next year "
         "to pay for the new hospitals.",
         "en"},
        {"Die Bundesregierung hat am Dienstag beschlossen, die Steuern auf Kraftstoff und Tabak im "
         "kommenden Jahr zu erhöhen.",
         "de"},
        {"Правительство во вторник заявило, что в следующем году повысит налоги на топливо и "
         "табак.",
         "ru"},
        {"Η κυβέρνηση ανακοίνωσε την Τρίτη ότι θα αυξήσει τους φόρους στα καύσιμα και τον καπνό.",
         "el"},
        {"政府は火曜日、来年から燃料とたばこの税金を引き上げると発表した。", "ja"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *s = story("", cases[i].text);
        nw_enrich_result r;
        nw_enrich_story(core, s, &r);
        const char *got = json_string_value(json_object_get(s, "language"));
        cr_expect(got && !strcmp(got, cases[i].lang), "%s: %s", cases[i].lang, got ? got : "none");
        json_decref(s);
    }
    /* a text in a script no configured language uses gets none */
    nw_err err;
    static const char *const latin_only[] = {"en", "de"};
    nw_enrich_opts o;
    nw_enrich_opts_default(&o);
    o.languages = latin_only;
    o.nlanguages = 2;
    nw_enrich *c = nw_enrich_new(data, &o, &err);
    cr_assert_not_null(c, "%s", err.msg);
    json_t *s = story("", cases[2].text);
    nw_enrich_result r;
    nw_enrich_story(c, s, &r);
    cr_expect_null(json_object_get(s, "language"));
    json_decref(s);
    nw_enrich_free(c);
    /* a language the fingerprint list lacks is a start-up error naming it */
    static const char *const unknown[] = {"en", "xx"};
    o.languages = unknown;
    cr_expect_null(nw_enrich_new(data, &o, &err));
    cr_expect(strstr(err.msg, "'xx'") && strstr(err.msg, "textcat.conf"), "%s", err.msg);
}

/* ---- the plugin ---- */

static char headers[4][64];
static size_t nheaders;
static char *out_json;
static json_t *cur_doc; /* the story being processed */

static int doc_changed(void *ref)
{
    (void)ref;
    free(out_json);
    out_json = json_dumps(cur_doc, JSON_COMPACT);
    return 0;
}

static int add_header(void *ref, const char *name, const void *value, size_t len)
{
    (void)ref;
    if (nheaders < 4)
        snprintf(headers[nheaders++], 64, "%s=%.*s", name, (int)len, (const char *)value);
    return 0;
}

Test(enrich, plugin_defaults_settings_and_headers)
{
    static nw_plugin_api api = {
        .struct_size = sizeof(nw_plugin_api), .doc_changed = doc_changed, .add_header = add_header};
    char err[512];
    cr_expect_null(
        nw_test_plugin_open(&nw_plugin_enrich, &api, err, sizeof err, "colour", "x", NULL));
    cr_expect(strstr(err, "unknown key 'colour'"), "%s", err);
    cr_expect_null(nw_test_plugin_open(&nw_plugin_enrich, &api, err, sizeof err, "extractors",
                                       "people,moods", NULL));
    cr_expect(strstr(err, "moods"), "%s", err);
    cr_expect_null(nw_test_plugin_open(&nw_plugin_enrich, &api, err, sizeof err, "data_dir",
                                       "/nonexistent-enrich", NULL));
    cr_expect(strstr(err, "/nonexistent-enrich/gazetteer.tsv"), "%s", err);

    void *st =
        nw_test_plugin_open(&nw_plugin_enrich, &api, err, sizeof err, "data_dir", data_dir, NULL);
    cr_assert_not_null(st, "%s", err);
    const char *json =
        "{\"uri\":\"u\",\"type\":\"text\",\"bodies\":[{\"contentType\":\"text/plain\","
        "\"value\":\"MOSCOW (AFP) - John Kerry met Sergei Lavrov.\"}]}";
    cur_doc = json_loads(json, 0, NULL);
    nw_plugin_msg msg = {.struct_size = sizeof msg, .doc = cur_doc, .uri = "u"};
    cr_assert_eq(nw_plugin_enrich.process(st, &msg, err, sizeof err), NW_PLUGIN_OK);
    cr_assert_not_null(out_json, "the change was announced (doc_changed)");
    cr_expect(strstr(out_json, "John Kerry"), "%s", out_json);
    cr_expect_str_eq(headers[0], "nw-enrich=" NW_ENRICH_VERSION);
    cr_expect_str_eq(headers[1], "nw-enrich-text-start=15");
    json_decref(cur_doc);
    cur_doc = NULL;
    free(out_json);
    out_json = NULL;
    nw_plugin_enrich.destroy(st);
    cr_expect_null(nw_test_plugin_open(&nw_plugin_enrich, &api, err, sizeof err, "data_dir",
                                       data_dir, "topic_model", "/nonexistent-model.tsv", NULL));
    cr_expect(strstr(err, "/nonexistent-model.tsv"), "%s", err);
    cr_expect_null(nw_test_plugin_open(&nw_plugin_enrich, &api, err, sizeof err, "data_dir",
                                       data_dir, "languages", "en, klingon", NULL));
    cr_expect(strstr(err, "'klingon'"), "%s", err);
    st = nw_test_plugin_open(&nw_plugin_enrich, &api, err, sizeof err, "data_dir", data_dir,
                             "languages", "en, de", "dateline_country", "true", NULL);
    cr_expect_not_null(st, "%s", err);
    nw_plugin_enrich.destroy(st);
    /* no settings: the build tree's data */
    st = nw_test_plugin_open(&nw_plugin_enrich, &api, err, sizeof err, NULL);
    cr_expect_not_null(st, "%s", err);
    nw_plugin_enrich.destroy(st);
    nw_test_plugin_free_all();
}

/* One story: the organisation `present` is found (NULL: none asked) and
 * `absent` is not (NULL: none asked). */
static void expect_orgs(const char *headline, const char *body, const char *present,
                        const char *absent)
{
    json_t *s = enrich_text(headline, body);
    if (present)
        cr_expect_not_null(find(s, "organisations", present), "%s: no %s", body, present);
    if (absent)
        cr_expect_null(find(s, "organisations", absent), "%s: %s", body, absent);
    json_decref(s);
}

/* Bands of entities.tsv named like a word, a person or a place (flag m)
 * count only where music is news: a music word in the story or the arts its
 * top topic, never in a sport story (docs/enrich.md, "The table of known
 * organisations"). */
Test(enrich, a_band_counts_only_where_music_is_news)
{
    expect_orgs("New record", "Travis released their fifth album on Monday.", "Travis", NULL);
    expect_orgs("Late show", "Fans said Blur had played the last gig of the tour.", "Blur", NULL);
    /* a player, in a match report */
    expect_orgs("Hull win",
                "Travis scored twice in the second half as Hull beat Leeds 3-1 in the league "
                "match, and the striker's goal gave the keeper no chance before the final "
                "whistle.",
                NULL, "Travis");
    /* no music in the story */
    expect_orgs("Council", "Keane told the council that the bypass would cost more.", NULL,
                "Keane");
    /* a band opens no list of organisations: "Green Day, Usher and Eminem" */
    expect_orgs("Awards", "Green Day, Brantley and Eminem were nominated for best album.",
                "Green Day", "Brantley");
}

/* A known organisation is named as the story names it: the table's name
 * when the story writes it, else the longest form the story writes. */
Test(enrich, a_known_organisation_keeps_the_story_s_name)
{
    expect_orgs("Mortgages", "Fannie Mae said its profits fell. Fannie Mae's shares rose.",
                "Fannie Mae", "Federal National Mortgage Association");
    json_t *s = enrich_text("Mortgages", "Fannie Mae, the Federal National Mortgage "
                                         "Association, said profits fell.");
    cr_expect_not_null(find(s, "organisations", "Federal National Mortgage Association"));
    cr_expect_eq(count(s, "organisations"), 1);
    json_decref(s);
    /* a hyphenated name known whole is not two names */
    expect_orgs("Oil", "TNK-BP raised its output in March.", "TNK-BP", "BP");
    /* two known organisations, a corporation and its channel */
    expect_orgs("Ratings", "BBC One showed the film, a BBC spokesman said.", "BBC One", NULL);
    expect_orgs("Ratings", "BBC One showed the film, a BBC spokesman said.", "BBC", NULL);
    /* a known short form and a registered name the table lacks are one */
    expect_orgs("Deal",
                "Hutchison Whampoa Ltd bought the stake. Hutchison said the price was fair.",
                "Hutchison Whampoa Ltd", "Hutchison");
    /* a stop word that begins a known name stays in it */
    expect_orgs("Charts", "The chart was compiled by the Official Charts Company.",
                "Official Charts Company", "Charts Company");
    /* a known acronym and the full name broken over lines */
    expect_orgs("Loans",
                "Brazil may get money from the International Monetary\nFund. Brazil has "
                "resisted going to the IMF for help.",
                "International Monetary Fund", "IMF");
}
