/*
 * test_enrich_lang — the enrich plugin's language detector (nw_enrich_lang):
 * every language of the wire samples' evaluation and a few neighbours, the
 * letters that tell Czech from Slovak, all-capitals text, mixed scripts,
 * short, empty, binary and huge (16 MiB) input, the `languages` narrowing,
 * the shared model read again when its list changes, and the errors naming
 * the file. Fingerprints: Debian's libexttextcat-data; the list: the build
 * tree's textcat.conf.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nw_enrich_lang.h"
#include "nw_testutil.h"

#define FP_DIR "/usr/share/libexttextcat/"

static char *conf;
static nw_enrich_lang *det;

static void setup(void)
{
    conf = nw_test_bin_path("share/newswire/enrich/textcat.conf");
    nw_err err;
    det = nw_enrich_lang_new(conf, FP_DIR, NULL, 0, &err);
    cr_assert_not_null(det, "%s", err.msg);
}

static void teardown(void)
{
    nw_enrich_lang_free(det);
    free(conf);
}

TestSuite(enrich_lang, .init = setup, .fini = teardown);

static const char *detect(nw_enrich_lang *l, const char *text)
{
    static char out[16];
    return nw_enrich_lang_detect(l, text, strlen(text), out) ? out : NULL;
}

static const struct {
    const char *lang, *text;
} samples[] = {
    {"en", "The government said on Tuesday that it would raise taxes on fuel and tobacco next year "
           "to pay for new hospitals, and the opposition called the plan a burden on families who "
           "already struggle with rising prices."},
    {"de",
     "Die Bundesregierung hat am Dienstag beschlossen, die Steuern auf Kraftstoff und Tabak im "
     "kommenden Jahr zu erhöhen, um neue Krankenhäuser zu bezahlen. Die Opposition kritisierte "
     "den Plan als Belastung für die Familien."},
    {"fr", "Le gouvernement a annoncé mardi qu'il augmenterait l'an prochain les taxes sur le "
           "carburant et le tabac afin de financer de nouveaux hôpitaux, une mesure que "
           "l'opposition juge injuste pour les familles."},
    {"es", "El gobierno anunció el martes que subirá el próximo año los impuestos sobre el "
           "combustible y el tabaco para financiar nuevos hospitales, una medida que la oposición "
           "considera injusta para las familias."},
    {"pt",
     "O governo anunciou na terça-feira que vai aumentar no próximo ano os impostos sobre os "
     "combustíveis e o tabaco para pagar novos hospitais, uma medida que a oposição considera "
     "injusta para as famílias."},
    {"it",
     "Il governo ha annunciato martedì che il prossimo anno aumenterà le tasse sul carburante "
     "e sul tabacco per finanziare nuovi ospedali, una misura che l'opposizione considera "
     "ingiusta per le famiglie."},
    {"nl",
     "De regering heeft dinsdag aangekondigd dat zij volgend jaar de belastingen op brandstof "
     "en tabak verhoogt om nieuwe ziekenhuizen te betalen. De oppositie noemt het plan "
     "onrechtvaardig voor gezinnen."},
    {"sv", "Regeringen meddelade på tisdagen att skatterna på bränsle och tobak ska höjas nästa år "
           "för att betala för nya sjukhus. Oppositionen kallar förslaget orättvist mot familjer "
           "som redan har det svårt."},
    {"nb", "Regjeringen sa tirsdag at den vil øke avgiftene på drivstoff og tobakk neste år for å "
           "betale for nye sykehus. Opposisjonen kaller forslaget urettferdig overfor familier som "
           "allerede sliter med høye priser."},
    {"fi", "Hallitus ilmoitti tiistaina korottavansa ensi vuonna polttoaineiden ja tupakan veroja "
           "uusien sairaaloiden rahoittamiseksi. Oppositio pitää esitystä epäreiluna perheille, "
           "joilla on jo valmiiksi vaikeaa."},
    {"sk", "Vláda v utorok oznámila, že budúci rok zvýši dane z pohonných látok a tabaku, aby "
           "zaplatila nové nemocnice. Opozícia považuje návrh za nespravodlivý voči rodinám, ktoré "
           "už teraz ťažko zvládajú vysoké ceny a ľudia sú nespokojní."},
    {"cs", "Vláda v úterý oznámila, že příští rok zvýší daně z pohonných hmot a tabáku, aby "
           "zaplatila nové nemocnice. Opozice považuje návrh za nespravedlivý vůči rodinám, které "
           "už nyní těžko zvládají vysoké ceny."},
    {"ru", "Правительство во вторник заявило, что в следующем году повысит налоги на топливо и "
           "табак, чтобы оплатить строительство новых больниц. Оппозиция назвала план "
           "несправедливым."},
    {"el",
     "Η κυβέρνηση ανακοίνωσε την Τρίτη ότι θα αυξήσει τους φόρους στα καύσιμα και τον καπνό."},
    {"zh-Hans", "政府星期二宣布，明年将提高燃油和烟草税，用于支付新建医院的费用。反对党认为这项计"
                "划对已经承受物价上涨压力的家庭不公平。"},
    {"zh-Hant", "政府星期二宣佈，明年將提高燃油和菸草稅，用於支付新建醫院的費用。反對黨認為這項計"
                "劃對已經承受物價上漲壓力的家庭不公平。"},
    {"ja", "政府は火曜日、来年から燃料とたばこの税金を引き上げると発表した。"},
};

Test(enrich_lang, every_language_of_the_evaluation)
{
    for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) {
        const char *got = detect(det, samples[i].text);
        cr_expect(got && !strcmp(got, samples[i].lang), "%s: %s", samples[i].lang,
                  got ? got : "none");
    }
}

Test(enrich_lang, all_capitals_are_read_lower_case)
{
    char caps[512];
    const char *en = samples[0].text;
    size_t n = strlen(en);
    for (size_t i = 0; i <= n; i++)
        caps[i] = (char)(en[i] >= 'a' && en[i] <= 'z' ? en[i] - 32 : en[i]);
    const char *got = detect(det, caps);
    cr_expect(got && !strcmp(got, "en"), "%s", got ? got : "none");
}

Test(enrich_lang, mixed_scripts_follow_most_letters)
{
    /* Latin company names in Chinese, English names in Russian */
    const char *got =
        detect(det, "Cambrios Technologies Corporation今天宣布，该公司最近被Gartner评选"
                    "为最酷供应商，公司的ClearOhm材料具有其他优势。");
    cr_expect(got && !strncmp(got, "zh", 2), "%s", got ? got : "none");
    got = detect(det, "Компания Apple и Microsoft в понедельник объявили о новом соглашении, "
                      "которое вступит в силу в следующем году.");
    cr_expect(got && !strcmp(got, "ru"), "%s", got ? got : "none");
}

Test(enrich_lang, short_empty_and_letterless_text_get_none)
{
    char out[16];
    cr_expect_not(nw_enrich_lang_detect(det, "", 0, out));
    cr_expect_not(nw_enrich_lang_detect(det, NULL, 0, out));
    cr_expect_null(detect(det, "Hello world"));
    cr_expect_null(detect(det, "12345 67890 -- 2024-01-01 12:00:00 +0100 ... !!!"));
}

Test(enrich_lang, binary_input_never_breaks)
{
    unsigned char buf[4096];
    unsigned x = 12345;
    for (int round = 0; round < 50; round++) {
        for (size_t i = 0; i < sizeof buf; i++) {
            x = x * 1103515245u + 12345u;
            buf[i] = (unsigned char)(x >> 16);
        }
        char out[16] = "";
        if (nw_enrich_lang_detect(det, (const char *)buf, sizeof buf, out))
            cr_expect(out[0] != '\0' && memchr(out, '\0', sizeof out));
    }
    /* invalid UTF-8 inside a text still reads the text */
    char mixed[600];
    snprintf(mixed, sizeof mixed, "%s \xff\xfe\xc3 %s", samples[1].text, samples[1].text);
    const char *got = detect(det, mixed);
    cr_expect(got && !strcmp(got, "de"), "%s", got ? got : "none");
}

Test(enrich_lang, huge_text_reads_only_its_start)
{
    size_t n = 16u << 20;
    char *big = malloc(n);
    cr_assert_not_null(big);
    const char *fr = samples[2].text;
    size_t len = strlen(fr);
    for (size_t i = 0; i < n; i++)
        big[i] = fr[i % len];
    char out[16];
    cr_expect(nw_enrich_lang_detect(det, big, n, out));
    cr_expect_str_eq(out, "fr");
    free(big);
}

Test(enrich_lang, czech_and_slovak_by_their_letters)
{
    /* Slovak with ľ and ô, which Czech never writes */
    const char *got = detect(det, "Lietadlo s Navaľným na palube pristálo v Moskve, kde ho polícia "
                                  "zadržala pri pasovej kontrole. Ľudia na letisku čakali dlho, "
                                  "ale ôsmy let odklonili.");
    cr_expect(got && !strcmp(got, "sk"), "%s", got ? got : "none");
    /* Czech with ř, ě and ů */
    got = detect(det, "Letadlo s Navalným přistálo v Moskvě, kde ho policie zadržela při pasové "
                      "kontrole. Lidé na letišti čekali dlouho, ale let nakonec odklonili k "
                      "jinému domu.");
    cr_expect(got && !strcmp(got, "cs"), "%s", got ? got : "none");
}

Test(enrich_lang, norwegian_and_danish_by_their_spelling)
{
    /* Bokmål that the n-grams alone read as Danish (same letters): its
     * words "ble, etter, sier, fikk" are not Danish spelling */
    const char *nb[] = {
        "Styret i selskapet ble enige om en ny avtale etter et lengre møte mandag kveld, sier "
        "daglig leder til NTB. Avtalen gjelder fra neste år.",
        "Hun fikk prisen for sin innsats i mange år, og sier at hun ble svært overrasket. Det var "
        "en stor dag for henne og familien.",
    };
    for (size_t i = 0; i < 2; i++) {
        const char *got = detect(det, nb[i]);
        cr_expect(got && !strcmp(got, "nb"), "%zu: %s", i, got ? got : "none");
    }
    /* the same in Danish stays Danish */
    const char *got = detect(det, "Bestyrelsen i selskabet blev enige om en ny aftale efter et "
                                  "længere møde mandag aften, siger direktøren til Ritzau. "
                                  "Aftalen gælder fra næste år.");
    cr_expect(got && !strcmp(got, "da"), "%s", got ? got : "none");
}

Test(enrich_lang, languages_narrow_the_candidates)
{
    nw_err err;
    static const char *const two[] = {"en", "de"};
    nw_enrich_lang *l = nw_enrich_lang_new(conf, FP_DIR, two, 2, &err);
    cr_assert_not_null(l, "%s", err.msg);
    const char *got = detect(l, samples[2].text); /* French */
    cr_expect(got && (!strcmp(got, "en") || !strcmp(got, "de")), "%s", got ? got : "none");
    cr_expect_null(detect(l, samples[12].text)); /* Russian: no candidate writes Cyrillic */
    nw_enrich_lang_free(l);
    /* a primary subtag keeps every script of it */
    static const char *const zh[] = {"zh"};
    l = nw_enrich_lang_new(conf, FP_DIR, zh, 1, &err);
    cr_assert_not_null(l, "%s", err.msg);
    got = detect(l, samples[15].text);
    cr_expect(got && !strcmp(got, "zh-Hant"), "%s", got ? got : "none");
    nw_enrich_lang_free(l);
    static const char *const unknown[] = {"en", "xx"};
    cr_expect_null(nw_enrich_lang_new(conf, FP_DIR, unknown, 2, &err));
    cr_expect(strstr(err.msg, "'xx'") && strstr(err.msg, "textcat.conf"), "%s", err.msg);
}

/* English told by its words (docs/enrich.md, "English told by its words"):
 * only when English is a candidate, and never over another language's words. */
static const char *const plain_english =
    "The company said on Monday that it would cut 200 jobs after its profits fell by a third "
    "last year. A spokesman said the cuts, which were first reported by the BBC, would be made "
    "over the next two years and that they had been agreed with the unions.";

Test(enrich_lang, plain_english_is_english)
{
    const char *got = detect(det, plain_english);
    cr_expect(got && !strcmp(got, "en"), "%s", got ? got : "none");
}

Test(enrich_lang, english_words_decide_nothing_when_english_is_no_candidate)
{
    nw_err err;
    static const char *const two[] = {"de", "nl"};
    nw_enrich_lang *l = nw_enrich_lang_new(conf, FP_DIR, two, 2, &err);
    cr_assert_not_null(l, "%s", err.msg);
    const char *got = detect(l, plain_english);
    cr_expect(got && (!strcmp(got, "de") || !strcmp(got, "nl")), "%s", got ? got : "none");
    nw_enrich_lang_free(l);
}

Test(enrich_lang, a_german_text_quoting_english_is_german)
{
    /* ASCII only, and more than one word in eight English: the German words
     * ("und", "das", "mit") leave the answer to the n-grams */
    const char *got = detect(det, "Die Band spielte am Abend vor ausverkauftem Haus, und das "
                                  "Publikum sang mit: \"We said that the year would be ours, "
                                  "and it was, they have been with us from the first night\". "
                                  "Der Manager sprach von einem grossen Erfolg fuer die "
                                  "Gruppe und kuendigte eine neue Tournee an.");
    cr_expect(got && !strcmp(got, "de"), "%s", got ? got : "none");
}

static void write_file(const char *path, const char *text)
{
    cr_assert_eq(nw_test_write_file(path, text, strlen(text)), 0, "%s", path);
}

Test(enrich_lang, a_changed_list_is_read_again)
{
    char *dir = nw_test_mkdtemp("enrich-lang");
    char path[256];
    snprintf(path, sizeof path, "%s/textcat.conf", dir);
    write_file(path, "# only English\nen.lm en--utf8\n");
    nw_err err;
    nw_enrich_lang *a = nw_enrich_lang_new(path, FP_DIR, NULL, 0, &err);
    cr_assert_not_null(a, "%s", err.msg);
    cr_expect_str_eq(detect(a, samples[1].text), "en"); /* the only candidate */
    /* a second detector of the same list shares the model; a changed list
     * (another size) is read again, while the first detector keeps its own */
    write_file(path, "en.lm en--utf8\nde.lm de--utf8\n");
    nw_enrich_lang *b = nw_enrich_lang_new(path, FP_DIR, NULL, 0, &err);
    cr_assert_not_null(b, "%s", err.msg);
    cr_expect_str_eq(detect(b, samples[1].text), "de");
    cr_expect_str_eq(detect(a, samples[1].text), "en");
    nw_enrich_lang_free(a);
    nw_enrich_lang_free(b);
    nw_test_rm_tmp(&dir);
}

Test(enrich_lang, errors_name_the_file)
{
    nw_err err;
    cr_expect_null(nw_enrich_lang_new("/nonexistent/textcat.conf", FP_DIR, NULL, 0, &err));
    cr_expect(strstr(err.msg, "/nonexistent/textcat.conf"), "%s", err.msg);
    char *dir = nw_test_mkdtemp("enrich-lang");
    char path[256];
    snprintf(path, sizeof path, "%s/textcat.conf", dir);
    write_file(path, "en.lm en--utf8\nxx-missing.lm xx\n");
    cr_expect_null(nw_enrich_lang_new(path, FP_DIR, NULL, 0, &err));
    cr_expect(strstr(err.msg, "textcat.conf:2") && strstr(err.msg, "xx-missing.lm"), "%s", err.msg);
    write_file(path, "english en--utf8\n");
    cr_expect_null(nw_enrich_lang_new(path, FP_DIR, NULL, 0, &err));
    cr_expect(strstr(err.msg, "textcat.conf:1") && strstr(err.msg, "english"), "%s", err.msg);
    write_file(path, "# nothing\n");
    cr_expect_null(nw_enrich_lang_new(path, FP_DIR, NULL, 0, &err));
    cr_expect(strstr(err.msg, "lists no language"), "%s", err.msg);
    nw_test_rm_tmp(&dir);
}
