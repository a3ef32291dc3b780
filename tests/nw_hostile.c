/*
 * nw_hostile — see nw_hostile.h. The shapes are small units (a few bytes
 * each) in the places a parser keeps them: a body, a subject list, a
 * package, one huge feed item, a keyword array, many stories per file.
 */
#include "nw_hostile.h"

#include <stdio.h>
#include <string.h>

#define XML_DECL  "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
#define NITF_HEAD XML_DECL NITF_OPEN
#define NITF_OPEN                                                                                  \
    "<nitf><head><title>Big</title><docdata><doc-id id-string=\"big-1\"/>"                         \
    "<date.issue norm=\"20240301T090000Z\"/></docdata></head><body><body.head>"                    \
    "<hedline><hl1>Big story</hl1></hedline></body.head><body.content>\n"
#define NITF_TAIL "</body.content></body></nitf>\n"
#define G2_ITEM_HEAD                                                                               \
    XML_DECL "<newsItem xmlns=\"http://iptc.org/std/nar/2006-10-01/\" guid=\"urn:big:g2\" "        \
             "version=\"1\" standard=\"NewsML-G2\" standardversion=\"2.33\"><itemMeta>"            \
             "<itemClass qcode=\"ninat:text\"/><provider literal=\"Big\"/>"                        \
             "<versionCreated>2024-03-01T09:00:00Z</versionCreated>"                               \
             "<pubStatus qcode=\"stat:usable\"/></itemMeta><contentMeta>"                          \
             "<headline>Big story</headline>\n"
#define G2_BODY_OPEN                                                                               \
    "<contentSet><inlineXML contenttype=\"application/xhtml+xml\">"                                \
    "<html xmlns=\"http://www.w3.org/1999/xhtml\"><head><title>t</title></head><body>\n"
#define G2_BODY_CLOSE "</body></html></inlineXML></contentSet></newsItem>\n"
#define NEWSML12_HEAD                                                                              \
    XML_DECL "<NewsML Version=\"1.2\"><NewsEnvelope><DateAndTime>20240301T090000Z</DateAndTime>"   \
             "</NewsEnvelope><NewsItem><Identification><NewsIdentifier>"                           \
             "<ProviderId>example.com</ProviderId><DateId>20240301</DateId>"                       \
             "<NewsItemId>BIG-1</NewsItemId><RevisionId PreviousRevision=\"0\" Update=\"N\">1"     \
             "</RevisionId><PublicIdentifier>urn:newsml:example.com:20240301:BIG-1:1"              \
             "</PublicIdentifier></NewsIdentifier></Identification><NewsManagement>"               \
             "<NewsItemType FormalName=\"News\"/><FirstCreated>20240301T080000Z</FirstCreated>"    \
             "<ThisRevisionCreated>20240301T090000Z</ThisRevisionCreated>"                         \
             "<Status FormalName=\"Usable\"/></NewsManagement><NewsComponent><NewsLines>"          \
             "<HeadLine>Big story</HeadLine></NewsLines><ContentItem><DataContent><nitf><body>"    \
             "<body.content>\n"
#define NEWSML12_TAIL                                                                              \
    "</body.content></body></nitf></DataContent></ContentItem></NewsComponent></NewsItem>"         \
    "</NewsML>\n"
#define RSS_HEAD                                                                                   \
    XML_DECL "<rss version=\"2.0\" xmlns:content=\"http://purl.org/rss/1.0/modules/content/\">"    \
             "<channel><title>Big</title><link>http://x/</link><description>d</description>\n"     \
             "<item><title>Big</title><link>http://x/1</link><guid>urn:big:rss</guid>"
#define ATOM_HEAD                                                                                  \
    XML_DECL "<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>Big</title>"                      \
             "<id>tag:x,2024:big</id><updated>2024-03-01T09:00:00Z</updated>"                      \
             "<link href=\"http://x/\"/><entry><title>Big</title><id>tag:x,2024:1</id>"            \
             "<updated>2024-03-01T09:00:00Z</updated><link href=\"http://x/1\"/>"
#define NINJS_HEAD                                                                                 \
    "{\"uri\": \"urn:big:1\", \"type\": \"text\", \"version\": \"1\", "                            \
    "\"headlines\": [{\"value\": \"Big\"}], "
#define JSONFEED_HEAD                                                                              \
    "{\"version\": \"https://jsonfeed.org/version/1.1\", \"title\": \"Big\", "                     \
    "\"home_page_url\": \"http://x/\", "
#define REUTERS_DOC                                                                                \
    "<REUTERS NEWID=\"%ld\"><DATE> 2-MAR-1987 09:15:05.40</DATE><TOPICS><D>ship</D></TOPICS>"      \
    "<TEXT><TITLE>T</TITLE><BODY>a</BODY></TEXT></REUTERS>\n"

static const nw_hostile shapes[] = {
    {"nitf-paragraphs", "nitf", NITF_HEAD, "<p>a b</p>\n", NULL, NITF_TAIL, 0, 99000},
    {"nitf-empty-elements", "nitf", NITF_HEAD, "<br/>", NULL, "<p>a</p>" NITF_TAIL, 0, 299000},
    {"nitf-comments", "nitf", NITF_HEAD, "<!---->", NULL, "<p>a</p>" NITF_TAIL, 0, 299000},
    {"nitf-entity-references", "nitf", XML_DECL "<!DOCTYPE nitf [<!ENTITY e \"x\">]>\n" NITF_OPEN,
     "&e;", NULL, NITF_TAIL, 0, 299000},
    {"nitf-attributes", "nitf", NITF_HEAD "<p", " a%ld=\"\"", NULL, ">a</p>" NITF_TAIL, 0, 1000},
    {"nitf-attribute-defaults", "nitf", XML_DECL "<!DOCTYPE nitf [<!ATTLIST p", " a%ld CDATA \"\"",
     NULL, ">]>\n" NITF_OPEN "<p>a</p><p>b</p>" NITF_TAIL, 0, 100},
    {"nitf-deep", "nitf", NITF_HEAD "<p>", "<em>", "</em>", "</p>" NITF_TAIL, 0, 250},
    {"newsmlg2-subjects", "newsml-g2", G2_ITEM_HEAD, "<subject qcode=\"x:%ld\"/>\n", NULL,
     "</contentMeta>" G2_BODY_OPEN "<p>a</p>" G2_BODY_CLOSE, 0, 74000},
    {"newsmlg2-paragraphs", "newsml-g2", G2_ITEM_HEAD "</contentMeta>" G2_BODY_OPEN, "<p>a b</p>\n",
     NULL, G2_BODY_CLOSE, 0, 99000},
    {"newsmlg2-itemrefs", "newsml-g2",
     XML_DECL "<packageItem xmlns=\"http://iptc.org/std/nar/2006-10-01/\" guid=\"urn:big:pkg\" "
              "version=\"1\"><itemMeta><itemClass qcode=\"ninat:composite\"/>"
              "<provider literal=\"Big\"/><versionCreated>2024-03-01T09:00:00Z</versionCreated>"
              "<pubStatus qcode=\"stat:usable\"/><title>Big</title></itemMeta><contentMeta>"
              "<headline>Big</headline></contentMeta><groupSet root=\"r\">"
              "<group id=\"r\" role=\"group:main\">\n",
     "<itemRef residref=\"urn:x:%ld\"/>\n", NULL, "</group></groupSet></packageItem>\n", 0, 74000},
    {"newsml12-paragraphs", "newsml-1.2", NEWSML12_HEAD, "<p>a b</p>\n", NULL, NEWSML12_TAIL, 0,
     99000},
    {"rss-item-escaped-html", "rss", RSS_HEAD "<description>", "&lt;p&gt;a&lt;/p&gt;\n", NULL,
     "</description></item></channel></rss>\n", 0, 99000},
    {"rss-item-cdata-html", "rss", RSS_HEAD "<content:encoded><![CDATA[", "<p>a b</p>\n", NULL,
     "]]></content:encoded></item></channel></rss>\n", 900000, 99000},
    {"rss-item-categories", "rss", RSS_HEAD "<description>a</description>",
     "<category>c</category>\n", NULL, "</item></channel></rss>\n", 0, 99000},
    {"atom-entry-xhtml", "atom",
     ATOM_HEAD "<content type=\"xhtml\"><div xmlns=\"http://www.w3.org/1999/xhtml\">",
     "<p>a b</p>\n", NULL, "</div></content></entry></feed>\n", 0, 99000},
    {"iptc7901-lines", "iptc7901",
     "\x16\x16\x01"
     "a0001\x1f-----\r\nu i\x13\x11 BC-Big   03-01 0120\r\n\x02^BC-Big,120<\r\n"
     "^Big story<\r\n",
     "\t   a b.\r\n", NULL, "\t   AP-WF-03-01-24 1746EST<\r\n\x03", 0, 0},
    {"iptc7901-takes", "iptc7901", "",
     "\x16\x16\x01"
     "a%ld\x1f-----\r\nu i\x13\x11 BC-Big   03-01 0120\r\n\x02^BC-Big,1<\r\n"
     "^Big<\r\n\t   a.\r\nAP<\r\n\x03",
     NULL, "", 0, 0},
    {"webcopy-paragraphs", "webcopy", "Big story\n\nSource:Big Published: 2024-03-01 9:00:00\n\n",
     "a\n\n", NULL, "Posted in: World\n", 0, 199000},
    {"headline-text-lines", "headline-text", "Big story\n\n", "a\n", NULL, "", 0, 0},
    {"reuters-documents", "reuters-sgml", "", REUTERS_DOC, NULL, "", 0, 0},
    {"ninjs-keywords", "ninjs", NINJS_HEAD "\"keywords\": [", "\"k%ld\", ", NULL, "\"k\"]}", 0,
     199000},
    {"ninjs-numbers", "ninjs", NINJS_HEAD "\"x-numbers\": [", "0,", NULL, "0]}", 0, 199000},
    {"ninjs-subjects", "ninjs", NINJS_HEAD "\"subjects\": [", "{\"name\": \"s%ld\"}, ", NULL,
     "{\"name\": \"s\"}]}", 0, 66000},
    {"ninjs-deep", "ninjs", NINJS_HEAD "\"x-deep\": ", "[", "]", "}", 0, 2000},
    {"ninjs-stories", "ninjs", "[", "{\"uri\": \"urn:x:%ld\"}, ", NULL, "{\"uri\": \"urn:x\"}]", 0,
     66000},
    {"jsonfeed-items", "jsonfeed", JSONFEED_HEAD "\"items\": [",
     "{\"id\": \"%ld\", \"content_text\": \"a\"}, ", NULL,
     "{\"id\": \"x\", \"content_text\": \"a\"}]}", 0, 39000},
    {"jsonfeed-numbers", "jsonfeed", JSONFEED_HEAD "\"x\": [", "0,", NULL,
     "0], \"items\": [{\"id\": \"1\", \"content_text\": \"a\"}]}", 0, 199000},
};

size_t nw_hostile_all(const nw_hostile **out)
{
    *out = shapes;
    return sizeof shapes / sizeof shapes[0];
}

const nw_hostile *nw_hostile_find(const char *name)
{
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
        if (!strcmp(shapes[i].name, name))
            return &shapes[i];
    return NULL;
}

/* unit with "%ld" replaced by n, into out (NUL-terminated); its length. */
static size_t expand(const char *unit, long n, char *out, size_t size)
{
    const char *at = strstr(unit, "%ld");
    if (!at)
        return (size_t)snprintf(out, size, "%s", unit);
    return (size_t)snprintf(out, size, "%.*s%ld%s", (int)(at - unit), unit, n, at + 3);
}

long nw_hostile_make(const nw_hostile *h, size_t max_bytes, long max_units, nw_buf *b)
{
    size_t fixed = strlen(h->head) + strlen(h->tail);
    size_t close_len = h->close ? strlen(h->close) : 0;
    nw_buf_puts(b, h->head);
    char unit[1024];
    long n = 0;
    size_t used = fixed;
    if (h->max_units && (max_units == 0 || max_units > h->max_units))
        max_units = h->max_units;
    for (; max_units == 0 || n < max_units; n++) {
        size_t len = expand(h->unit, n, unit, sizeof unit);
        if (used + len + close_len > max_bytes)
            break;
        nw_buf_append(b, unit, len);
        used += len + close_len;
    }
    for (long i = 0; h->close && i < n; i++)
        nw_buf_puts(b, h->close);
    nw_buf_puts(b, h->tail);
    return nw_buf_failed(b) ? -1 : n;
}
