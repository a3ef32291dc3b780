#!/usr/bin/env python3
"""Build the enrich plugin's gazetteer (gazetteer.tsv) from Debian packages.

Sources (see consumers/plugins/enrich/NOTICE):
  * countries and their subdivisions: Debian's iso-codes
    (/usr/share/iso-codes/json/iso_3166-1.json, iso_3166-2.json; LGPL-2.1+)
  * cities: GeoNames cities15000 (cities of 15,000 people or more, CC BY 4.0),
    as shipped inside Debian's libgeonames0 (a GResource compiled into the
    library: a GVariant array of (id, name, admin1 code, admin1 name, country
    code, country name, timezone, population, latitude, longitude)). Reading
    it needs python3-gi and libgeonames0; without them (--no-cities) the
    gazetteer has countries and subdivisions only.
  * country aliases, demonyms, world regions (continents, "Middle East", seas: regions
    without a code or country) and the press name of a few cities: the tables
    below, written for this project.

Output, one entity per line, tab separated:
  kind  code  name  uri  country  population  variants (|-separated)  flags  [region]
region (cities only): the name of the city's first-level region ("Texas", "England").
kind is country, region, city or demonym; flags is "w" when the name is also
a lower-case English word (from /usr/share/dict/words, Debian's wamerican):
such cities ("Split", "Reading", "Mobile") need context before they count.
The run is deterministic.

usage: gen_gazetteer.py OUT.tsv [--no-cities] [--iso-dir DIR] [--libgeonames PATH]
"""
import glob
import json
import os
import subprocess
import sys
import tempfile

ISO_URI = "http://www.iso.org/obp/ui/#iso:code:3166:%s"
GEONAMES_URI = "https://sws.geonames.org/%s/"

# Names the press uses that iso-codes does not give (its common_name covers some).
COUNTRY_ALIASES = {
    "US": ["United States", "U.S.", "U.S.A.", "USA", "US", "America", "United States of America"],
    "GB": ["Britain", "Great Britain", "United Kingdom", "UK", "U.K."],
    "RU": ["Russia"], "SY": ["Syria"], "IR": ["Iran"], "KR": ["South Korea"],
    "KP": ["North Korea"], "TW": ["Taiwan"], "VN": ["Vietnam"], "LA": ["Laos"],
    "BO": ["Bolivia"], "VE": ["Venezuela"], "TZ": ["Tanzania"], "MD": ["Moldova"],
    "CZ": ["Czech Republic"], "CD": ["Democratic Republic of Congo", "DR Congo", "Congo-Kinshasa"],
    "CG": ["Congo-Brazzaville"], "CI": ["Ivory Coast"], "PS": ["Palestine", "Palestinian territories"],
    "MK": ["Macedonia"], "VA": ["Vatican", "Holy See"], "BN": ["Brunei"], "FM": ["Micronesia"],
    "TR": ["Turkey"], "NL": ["Holland"], "AE": ["UAE", "Emirates"], "CV": ["Cape Verde"],
    "SZ": ["Swaziland"], "MM": ["Burma"], "TL": ["East Timor"], "CN": ["China"],
    "FK": ["Falkland Islands", "Falklands"],
}

# the name written to stories where iso-codes' name is a formal one
PREFERRED = {"RU": "Russia", "CZ": "Czech Republic", "CD": "Democratic Republic of Congo",
             "PS": "Palestine", "VA": "Vatican", "BN": "Brunei", "FM": "Micronesia",
             # the names of the news of the corpora's years (1987, 2004-05), which
             # iso-codes has since replaced
             "TR": "Turkey", "CI": "Ivory Coast", "CV": "Cape Verde", "MK": "Macedonia",
             "SZ": "Swaziland", "TL": "East Timor", "MM": "Burma",
             "FK": "Falkland Islands"}

# nationality / demonym -> country, for "Russian officials" when Russia is not named
DEMONYMS = {
    "AF": "Afghan", "AL": "Albanian", "DZ": "Algerian", "AR": "Argentine|Argentinian",
    "AM": "Armenian", "AU": "Australian", "AT": "Austrian", "AZ": "Azerbaijani",
    "BH": "Bahraini", "BD": "Bangladeshi", "BY": "Belarusian", "BE": "Belgian",
    "BO": "Bolivian", "BA": "Bosnian", "BR": "Brazilian", "GB": "British",
    "BG": "Bulgarian", "KH": "Cambodian", "CM": "Cameroonian", "CA": "Canadian",
    "CL": "Chilean", "CN": "Chinese", "CO": "Colombian", "HR": "Croatian", "CU": "Cuban",
    "CY": "Cypriot", "CZ": "Czech", "DK": "Danish", "NL": "Dutch", "EC": "Ecuadorian",
    "EG": "Egyptian", "EE": "Estonian", "ET": "Ethiopian", "FI": "Finnish",
    "FR": "French", "GE": "Georgian", "DE": "German", "GH": "Ghanaian", "GR": "Greek",
    "HU": "Hungarian", "IS": "Icelandic", "IN": "Indian", "ID": "Indonesian",
    "IR": "Iranian", "IQ": "Iraqi", "IE": "Irish", "IL": "Israeli", "IT": "Italian",
    "JP": "Japanese", "JO": "Jordanian", "KZ": "Kazakh", "KE": "Kenyan",
    "KW": "Kuwaiti", "LV": "Latvian", "LB": "Lebanese", "LY": "Libyan",
    "LT": "Lithuanian", "MY": "Malaysian", "MX": "Mexican", "MA": "Moroccan",
    "NP": "Nepalese", "NZ": "New Zealand", "NG": "Nigerian", "KP": "North Korean",
    "NO": "Norwegian", "OM": "Omani", "PK": "Pakistani", "PS": "Palestinian",
    "PE": "Peruvian", "PH": "Philippine|Filipino", "PL": "Polish", "PT": "Portuguese",
    "QA": "Qatari", "RO": "Romanian", "RU": "Russian", "SA": "Saudi",
    "RS": "Serbian", "SG": "Singaporean", "SK": "Slovak", "SI": "Slovenian",
    "SO": "Somali", "ZA": "South African", "KR": "South Korean", "ES": "Spanish",
    "LK": "Sri Lankan", "SD": "Sudanese", "SE": "Swedish", "CH": "Swiss",
    "SY": "Syrian", "TW": "Taiwanese", "TH": "Thai", "TN": "Tunisian",
    "TR": "Turkish", "UA": "Ukrainian", "AE": "Emirati", "US": "American|US|U.S.",
    "UY": "Uruguayan", "UZ": "Uzbek", "VE": "Venezuelan", "VN": "Vietnamese",
    "YE": "Yemeni", "ZW": "Zimbabwean", "ZM": "Zambian",
}

# countries of the past the press (Reuters-21578: 1987) names as such, with the ISO code of
# the country that continues them: a place of their own name, so "West Germany" is written as
# the story wrote it and "Germany" beside it stays a second place (code, names, demonyms)
FORMER_COUNTRIES = [("DE", "West Germany", "West German"),
                    ("RU", "Soviet Union|USSR|U.S.S.R.", "Soviet"),
                    ("DE", "East Germany", "East German"),
                    ("RS", "Yugoslavia", "Yugoslav"),
                    ("CZ", "Czechoslovakia", "Czechoslovak")]

# the name written to stories where GeoNames' name is not the one the press uses
CITY_NAMES = {"4140963": "Washington"}

# continents, world regions and seas the press names (no ISO code, no country)
WORLD_REGIONS = [
    "Europe", "Africa", "Asia", "North America", "South America", "Latin America",
    "Central America", "Middle East|Mideast", "Western Europe", "Eastern Europe",
    "Central Europe", "Southern Europe", "Northern Europe", "Scandinavia", "Caribbean",
    "Oceania", "Antarctica", "Southeast Asia|South-East Asia|South East Asia", "East Asia",
    "South Asia", "Central Asia", "Asia-Pacific|Asia Pacific", "Far East", "West Africa",
    "East Africa", "North Africa", "Southern Africa", "Central Africa",
    "Sub-Saharan Africa", "Horn of Africa", "Balkans", "Baltics", "Gulf states",
    # seas and oceans
    "Atlantic|Atlantic Ocean", "Pacific|Pacific Ocean", "Indian Ocean", "Arctic Ocean",
    "Southern Ocean", "North Sea", "Irish Sea", "Baltic Sea", "Black Sea", "Caspian Sea",
    "Red Sea", "Dead Sea", "Arabian Sea", "Mediterranean|Mediterranean Sea", "Aegean Sea",
    "Adriatic Sea", "Caribbean Sea", "South China Sea", "East China Sea", "Yellow Sea",
    "Sea of Japan", "Bering Sea", "Barents Sea", "Norwegian Sea", "English Channel",
    "Persian Gulf", "Gulf of Mexico", "Gulf of Aden", "Bay of Bengal", "Bay of Biscay",
]

# what the press calls some cities besides their GeoNames name (by GeoNames id)
CITY_ALIASES = {
    "4140963": ["Washington", "Washington DC", "Washington, D.C."],
    "5128581": ["New York City", "NYC"],
    "1816670": ["Peking"],
}

# subdivision types worth a gazetteer entry (districts and municipalities are
# too fine-grained and too often homonyms of common words)
REGION_TYPES = {"State", "Province", "Region", "Governorate", "Prefecture", "Republic",
                "Autonomous region", "Autonomous community", "Land", "Country", "Nation",
                "Emirate", "Territory", "Autonomous republic", "Oblast", "Federal district",
                "Capital territory", "Autonomous province", "Voivodship", "Two-tier county",
                "Unitary authority"}
# region types that are the nations of a country: never flagged as a common
# word ("Wales" is also "wales")
NATION_TYPES = {"Country", "Nation"}


def clean(s):
    return s.replace("\t", " ").replace("|", " ").strip()


def load_iso(iso_dir):
    c1 = json.load(open(os.path.join(iso_dir, "iso_3166-1.json"), encoding="utf-8"))["3166-1"]
    c2 = json.load(open(os.path.join(iso_dir, "iso_3166-2.json"), encoding="utf-8"))["3166-2"]
    return c1, c2


def find_libgeonames(explicit):
    if explicit:
        return explicit
    hits = sorted(glob.glob("/usr/lib/*/libgeonames.so.0*"))
    return hits[0] if hits else None


def load_cities(lib):
    from gi.repository import GLib  # python3-gi

    with tempfile.TemporaryDirectory() as tmp:
        blob = subprocess.run(["gresource", "extract", lib, "/com/lomiri/geonames/cities.compiled"],
                              check=True, capture_output=True).stdout
    v = GLib.Variant.new_from_bytes(GLib.VariantType("a(sssssssudd)"), GLib.Bytes.new(blob), False)
    return [v.get_child_value(i).unpack() for i in range(v.n_children())]


def main():
    args = sys.argv[1:]
    if not args:
        sys.exit(__doc__)
    out_path = args[0]
    no_cities = "--no-cities" in args
    iso_dir = args[args.index("--iso-dir") + 1] if "--iso-dir" in args else "/usr/share/iso-codes/json"
    lib = find_libgeonames(args[args.index("--libgeonames") + 1] if "--libgeonames" in args else None)

    c1, c2 = load_iso(iso_dir)
    words = set()
    if os.path.exists("/usr/share/dict/words"):
        with open("/usr/share/dict/words", encoding="utf-8", errors="replace") as f:
            words = {w.strip() for w in f if w[:1].islower()}
    rows = []
    names = {}
    for c in c1:
        cc = c["alpha_2"]
        variants = [c["name"]] + [c[k] for k in ("common_name", "official_name") if k in c]
        variants += COUNTRY_ALIASES.get(cc, [])
        canonical = PREFERRED.get(cc) or c.get("common_name") or c["name"]
        if "," in canonical:
            canonical = canonical.split(",")[0]
        names[cc] = canonical
        seen = []
        for v in variants:
            v = clean(v)
            if v and v not in seen:
                seen.append(v)
        rows.append(("country", cc, canonical, ISO_URI % cc, cc, "0", "|".join(seen), ""))
    # after the present countries: the loader's code index keeps the first row of a code
    for cc, names_, dem in FORMER_COUNTRIES:
        name = names_.split("|")[0]
        rows.append(("country", cc, name, ISO_URI % cc, cc, "0", names_, ""))
        rows.append(("demonym", cc, name, ISO_URI % cc, cc, "0", dem, ""))
    for s in c2:
        if s["type"] not in REGION_TYPES:
            continue
        name = clean(s["name"].split("[")[0].split("(")[0])
        if len(name) < 3 or "," in name:
            continue
        common = name.lower() in words and s["type"] not in NATION_TYPES
        rows.append(("region", s["code"], name, ISO_URI % s["code"], s["code"][:2], "0", name,
                     "w" if common else ""))
    for names_ in WORLD_REGIONS:
        variants = names_.split("|")
        rows.append(("region", "", variants[0], "", "", "0", names_, ""))
    for cc, dem in sorted(DEMONYMS.items()):
        rows.append(("demonym", cc, names.get(cc, cc), ISO_URI % cc, cc, "0", dem, ""))
    taken = set()
    for r in rows:
        taken.update(v.lower() for v in r[6].split("|"))
    ncity = 0
    if not no_cities:
        if not lib:
            sys.exit("gen_gazetteer: libgeonames0 not found (install it, or pass --no-cities)")
        for gid, name, _a1, a1name, cc, _cname, _tz, pop, lat, lon in load_cities(lib):
            name = clean(name)
            if len(name) < 3:
                continue
            variants = [name] + CITY_ALIASES.get(gid, [])
            name = CITY_NAMES.get(gid, name)
            # "Mexico City" is also "Mexico"... unless that names a country or region
            if name.endswith(" City") and name[:-5].lower() not in taken and pop >= 100000:
                variants.append(name[:-5])
            rows.append(("city", gid, name, GEONAMES_URI % gid, cc, str(pop), "|".join(variants),
                         "w" if name.lower() in words else "", clean(a1name or "")))
            ncity += 1
    rows.sort()
    tmp = out_path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as out:
        out.write("# newswire enrich gazetteer; generated by tools/enrich/gen_gazetteer.py; "
                  "sources and licences: NOTICE\n")
        for r in rows:
            out.write("\t".join(r) + "\n")
    os.replace(tmp, out_path)
    print("gen_gazetteer: %d entries (%d cities) -> %s" % (len(rows), ncity, out_path))


if __name__ == "__main__":
    main()
