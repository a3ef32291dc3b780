/*
 * commands — the subcommands of the `newswire` tool. Each takes the argv
 * after the subcommand name (argv[0] is the subcommand) and returns the
 * process exit status (sysexits.h codes: 0, 64 usage, 65 data error, ...).
 */
#ifndef NW_COMMANDS_H
#define NW_COMMANDS_H

int nw_cmd_parse(int argc, char **argv);  /* cmd_parse.c: files -> ninjs JSON lines */
int nw_cmd_broker(int argc, char **argv); /* cmd_broker.c: the embedded Kafka broker */
int nw_cmd_search(int argc, char **argv); /* cmd_search.c: query the sqlite-fts index */
int nw_cmd_show(int argc, char **argv);   /* cmd_search.c: a story's stored current version */
/* cmd_train_topics.c: the enrich plugin's topic model from tagged ninjs */
int nw_cmd_train_topics(int argc, char **argv);

#endif
