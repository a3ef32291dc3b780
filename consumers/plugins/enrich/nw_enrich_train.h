/*
 * nw_enrich_train — trains the enrich plugin's topic keyword model from
 * stories tagged with IPTC Media Topics (`newswire train-topics`,
 * docs/enrich.md "Training the topic model").
 *
 * It owns the counting (in how many stories of each top-level topic a word
 * occurs) and the choice of keywords: per topic, the words most typical of it
 * against the other topics (smoothed log-odds of document frequency), weighted
 * 0.5-2, written in topic_keywords.tsv's format. Words come from the plugin's
 * own tokenizer (nw_enrich_story_words), so the model matches what the
 * plugin looks up. It never reads files itself and never changes a story.
 */
#ifndef NW_ENRICH_TRAIN_H
#define NW_ENRICH_TRAIN_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

#include "nw_enrich_data.h"
#include "nw_err.h"

#define NW_MEDIATOPIC_URI "http://cv.iptc.org/newscodes/mediatopic/"

typedef struct nw_topic_trainer nw_topic_trainer;

/* `data` (borrowed, must outlive the trainer) gives the Media Topics: a
 * subject's code maps to its top-level topic. NULL on out of memory. */
nw_topic_trainer *nw_topic_trainer_new(const nw_enrich_data *data, nw_err *err);
void nw_topic_trainer_free(nw_topic_trainer *t);

/* Count one story (a ninjs object; subjects[].uri NW_MEDIATOPIC_URI<code>).
 * Returns 1 when counted, 0 when it has no known Media Topic subject (or is
 * not an object), NW_ENOMEM. */
int nw_topic_trainer_add(nw_topic_trainer *t, json_t *story);

/* Stories counted so far. */
size_t nw_topic_trainer_stories(const nw_topic_trainer *t);

/* Write the model (at most 200 keywords per topic; a word must occur in at
 * least min_df stories of the topic). Returns the number of keywords
 * written (> 0), or NW_EINVAL with err saying why there are none (no story
 * counted, a single topic, too few stories), NW_EIO when writing fails. */
int nw_topic_trainer_write(const nw_topic_trainer *t, FILE *out, unsigned min_df, nw_err *err);

#endif
