/*
 * validate — filter plugin that lets through only stories that are JSON
 * objects valid against the IPTC ninjs schema, and dead-letters the rest with
 * the reason (the first failing JSON pointer and keyword, or the JSON syntax
 * error with line and column).
 *
 * The schema is not shipped with newswire: point `schema` at the IPTC file
 * (ninjs-schema_3.1.json from https://github.com/iptc/newsinjson) installed on
 * the host. The 2.x/3.x schemas reference the GeoJSON schema by URL; give its
 * local copy as `geojson_schema`, or geoJSON members are accepted unchecked
 * (logged once at start). Nothing is fetched from the network.
 *
 * Settings:
 *   schema          path of the ninjs JSON Schema (required)
 *   geojson_schema  path of the GeoJSON schema (optional)
 *   check_formats   check "date-time" and "uri" formats (default true)
 */
#ifndef NW_PLUGIN_VALIDATE_H
#define NW_PLUGIN_VALIDATE_H

#include <newswire/plugin.h>

extern const nw_plugin_descriptor nw_plugin_validate;

#endif
