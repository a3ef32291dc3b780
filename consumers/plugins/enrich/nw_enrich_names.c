/*
 * nw_enrich_names — see nw_enrich_names.h. Written for newswire.
 */
#include "nw_enrich_names.h"

#include <stddef.h>

const char *const nw_enrich_given_names[] = {
    "aaron", "abbas", "abdel", "abdul", "abdullah", "abraham", "adam", "adil", "adolf", "adrian",
    "adrienne", "agnes", "ahmad", "ahmed", "aidan", "aileen", "akbar", "akio", "akira", "al",
    "alain", "alan", "albert", "alberto", "alec", "alejandro", "aleksandr", "alessandro", "alex",
    "alexander", "alexandra", "alexei", "alexis", "alfred", "alfredo", "ali", "alice", "alicia",
    "alison", "allan", "allen", "alvaro", "amanda", "amber", "amy", "ana", "anders", "andre",
    "andrea", "andreas", "andrei", "andres", "andrew", "andy", "angela", "angelina", "angelo",
    "angus", "anita", "ann", "anna", "anne", "annette", "annie", "anthony", "antoine", "anton",
    "antonio", "anwar", "april", "archie", "ariel", "arnold", "arthur", "ashley", "atal", "audrey",
    "ayman", "barack", "barbara", "barry", "bart", "bashar", "basil", "ben", "benazir", "benedict",
    "benjamin", "benoit", "bernard", "bernie", "beth", "betty", "bill", "billy", "bjorn", "blake",
    "bob", "bobby", "bonnie", "boris", "brad", "bradley", "brenda", "brendan", "brett", "brian",
    "bridget", "brooke", "bruce", "bruno", "bryan", "burt", "caitlin", "calvin", "cameron",
    "camilla", "carl", "carla", "carlos", "carmen", "carol", "caroline", "carolyn", "carrie",
    "catherine", "cathy", "cecilia", "celine", "chad", "charles", "charlie", "charlotte", "chen",
    "cheryl", "chris", "christian", "christina", "christine", "christopher", "chuck", "claire",
    "clara", "clare", "clarence", "claude", "claudia", "clayton", "cliff", "clint", "clive",
    "colin", "colleen", "connie", "conor", "constance", "craig", "cristina", "cynthia", "daisy",
    "dale", "damon", "dan", "dana", "daniel", "danielle", "danny", "daphne", "darren", "dave",
    "david", "dawn", "dean", "debbie", "deborah", "deng", "denis", "denise", "dennis", "derek",
    "diana", "diane", "dick", "diego", "dieter", "dmitri", "dmitry", "dolores", "dominic",
    "dominique", "don", "donald", "donna", "doris", "dorothy", "doug", "douglas", "duncan",
    "dwight", "earl", "ed", "eddie", "edgar", "edith", "edmund", "eduardo", "edward", "edwin",
    "ehud", "eileen", "elaine", "eleanor", "elena", "eli", "elizabeth", "ella", "ellen", "elliott",
    "elsa", "elton", "elvis", "emily", "emma", "emmanuel", "enrique", "eric", "erica", "erik",
    "erin", "ernest", "ernesto", "esther", "ethan", "eugene", "eva", "evan", "evelyn", "fabio",
    "faisal", "farouk", "fatima", "federico", "felipe", "felix", "fernando", "fidel", "fiona",
    "florence", "frances", "francesca", "francesco", "francis", "francisco", "francois", "frank",
    "franklin", "franz", "fred", "freddie", "frederick", "gail", "gareth", "garry", "gary", "gavin",
    "gene", "geoff", "geoffrey", "george", "georges", "gerald", "gerard", "gerhard", "gianni",
    "gideon", "gilbert", "gillian", "gina", "giorgio", "giovanni", "giuseppe", "glen", "glenn",
    "gloria", "goodluck", "gordon", "grace", "graham", "grant", "greg", "gregory", "guido",
    "gustavo", "guy", "hamid", "hans", "harold", "harriet", "harry", "hassan", "hazel", "heather",
    "hector", "heidi", "helen", "helena", "helmut", "henri", "henrik", "henry", "herbert", "herman",
    "hilary", "hillary", "hiroshi", "holly", "hosni", "howard", "huang", "hugh", "hugo", "hussein",
    "iain", "ian", "ichiro", "igor", "imran", "indira", "ingrid", "irene", "iris", "isaac",
    "isabel", "isabella", "ivan", "iyad", "jack", "jackie", "jacob", "jacques", "jake", "jalal",
    "james", "jamie", "jan", "jane", "janet", "janice", "jason", "javier", "jay", "jean", "jeff",
    "jeffrey", "jennifer", "jenny", "jeremy", "jerome", "jerry", "jesse", "jessica", "jiabao",
    "jiang", "jill", "jim", "jimmy", "jo", "joan", "joanna", "joanne", "joe", "joel", "johan",
    "johann", "john", "johnny", "jon", "jonathan", "jordan", "jorge", "jose", "josef", "joseph",
    "josh", "joshua", "joyce", "juan", "judith", "judy", "julia", "julian", "julie", "julio",
    "junichiro", "justin", "kamal", "karen", "karin", "karl", "kate", "katherine", "kathleen",
    "kathryn", "kathy", "katie", "katrina", "kazuo", "keith", "kelly", "ken", "kenji", "kenneth",
    "kenny", "kevin", "khalid", "kiichi", "kim", "kirk", "kirsty", "klaus", "kofi", "koji", "kurt",
    "kwame", "kylie", "lance", "larry", "laura", "lauren", "laurence", "lawrence", "lee", "leigh",
    "len", "leo", "leon", "leonard", "leslie", "lewis", "li", "liam", "linda", "lindsay", "lisa",
    "liu", "liz", "lloyd", "lorenzo", "lorraine", "louis", "louise", "lucas", "lucy", "luigi",
    "luis", "luiz", "luke", "lynn", "lynne", "madeleine", "maggie", "mahmoud", "makoto", "malcolm",
    "mandla", "manmohan", "manuel", "marc", "marcel", "marco", "marcus", "margaret", "maria",
    "marian", "marie", "marilyn", "mario", "marion", "mark", "martha", "martin", "martina",
    "marvin", "mary", "masahiro", "massimo", "massoud", "mathew", "matt", "matthew", "maureen",
    "maurice", "max", "maxine", "megan", "mel", "melanie", "melissa", "menachem", "michael",
    "michel", "michele", "michelle", "miguel", "mike", "mikhail", "miles", "mitchell", "mohamed",
    "mohammad", "mohammed", "monica", "morgan", "muammar", "muhammad", "murray", "nadia", "nancy",
    "naomi", "naoto", "narendra", "natalie", "natasha", "nathan", "nawaz", "neil", "nelson",
    "nicholas", "nick", "nicola", "nicolas", "nicole", "nigel", "nikolai", "nina", "noel", "nora",
    "norman", "nouri", "oleg", "oliver", "olivia", "olly", "olusegun", "omar", "oscar", "owen",
    "pablo", "pamela", "pat", "patricia", "patrick", "paul", "paula", "pauline", "pedro", "penny",
    "pervez", "peter", "phil", "philip", "philippe", "phillip", "pierre", "piers", "rachel",
    "rafael", "rahul", "rajiv", "ralph", "ramon", "randy", "raul", "ray", "raymond", "rebecca",
    "recep", "reg", "reginald", "rex", "ricardo", "richard", "rick", "ricky", "rita", "rob",
    "robbie", "robert", "roberto", "robin", "rod", "roger", "roland", "ron", "ronald", "rory",
    "rosa", "rose", "ross", "roy", "ruby", "rudolf", "rupert", "russell", "ruth", "ryan", "sabine",
    "saddam", "sally", "salman", "sam", "samantha", "samuel", "sandra", "sara", "sarah", "satoshi",
    "scott", "sean", "sebastian", "serena", "sergei", "sergey", "seth", "shane", "sharon", "shaun",
    "shawn", "sheila", "shimon", "shinzo", "shirley", "shoichi", "sian", "silvio", "simon",
    "simone", "sion", "sonia", "sophie", "stan", "stanley", "stefan", "stella", "stephanie",
    "stephen", "steve", "steven", "stuart", "sue", "susan", "suzanne", "sven", "sylvia", "takeshi",
    "tamara", "tanya", "taro", "ted", "teresa", "terry", "tetsuya", "thabo", "theo", "theresa",
    "thierry", "thomas", "tiger", "tim", "timothy", "tina", "toby", "todd", "tom", "tommy", "toni",
    "tony", "toshiki", "tracy", "trevor", "troy", "ursula", "valerie", "vanessa", "vera",
    "veronica", "victor", "victoria", "vijay", "viktor", "vince", "vincent", "vladimir", "walter",
    "wang", "wayne", "wen", "wendy", "werner", "wes", "wesley", "will", "william", "willie",
    "wilson", "wolfgang", "xavier", "xi", "xu", "yang", "yasser", "yasuhiro", "yitzhak", "yoko",
    "yoshihiko", "yoshio", "yukio", "yuri", "yusuf", "yvonne", "zach", "zhang", "zhao", "zhou",
    "zoe",
    /* English given names of the arts and entertainment news ("Joss Stone",
     * "Keanu Reeves", "Imelda Staunton") */
    "abigail", "beatrice", "beverley", "brandon", "britney", "cate", "charlene", "chloe", "dolly",
    "dustin", "dylan", "elsie", "felicity", "gemma", "gwen", "gwyneth", "hannah", "imelda",
    "jacqueline", "jodie", "joss", "katharine", "katy", "keanu", "keira", "kristin", "leah",
    "lenny", "leonardo", "lionel", "lois", "mandy", "mariah", "marlon", "mick", "miranda", "molly",
    "peggy", "penelope", "phoebe", "quentin", "quincy", "renee", "rhys", "rodney", "rosemary",
    "sadie", "scarlett", "sofia", "stacey", "stevie", "tamsin", "tania", "thelma", "tracey",
    "vivian", "vivienne", "wanda", "warren", "whitney", "winona", NULL};

const char *const nw_enrich_role_words[] = {
    "dj",           "djs",        "mep",        "meps",
    "msp",          "msps",       "actor",      "actress",
    "analyst",      "artist",     "author",     "batsman",
    "bishop",       "boss",       "bowler",     "boxer",
    "captain",      "chairman",   "chairwoman", "champion",
    "chancellor",   "chef",       "coach",      "comedian",
    "commentator",  "composer",   "crooner",    "cricketer",
    "dancer",       "defender",   "designer",   "diplomat",
    "director",     "drummer",    "economist",  "editor",
    "executive",    "footballer", "founder",    "frontbencher",
    "goalkeeper",   "golfer",     "guitarist",  "jockey",
    "journalist",   "judge",      "keeper",     "lawyer",
    "leader",       "manager",    "midfielder", "minister",
    "model",        "musician",   "novelist",   "performer",
    "photographer", "pianist",    "pilot",      "player",
    "playwright",   "poet",       "president",  "presenter",
    "producer",     "professor",  "pundit",     "rapper",
    "referee",      "reporter",   "scientist",  "secretary",
    "senator",      "singer",     "songwriter", "spokesman",
    "spokeswoman",  "sprinter",   "star",       "striker",
    "substitute",   "trainer",    "umpire",     "veteran",
    "winger",       "writer",     NULL};

const char *const nw_enrich_org_cue_words[] = {
    "act",          "airline",     "airlines",     "bank",       "banks",     "band",
    "bands",        "broadcaster", "brokerage",    "brokers",    "carmaker",  "carrier",
    "chain",        "channel",     "charity",      "club",       "company",   "companies",
    "conglomerate", "daily",       "developer",    "duo",        "firm",      "firms",
    "giant",        "group",       "groups",       "insurer",    "label",     "lender",
    "magazine",     "maker",       "manufacturer", "network",    "newspaper", "operator",
    "outfit",       "paper",       "publisher",    "quartet",    "regulator", "retailer",
    "rival",        "station",     "studio",       "subsidiary", "supplier",  "tabloid",
    "trio",         "watchdog",    "agency",       "body",       "analysts",  "consultancy",
    "consultants",  NULL};

const char *const nw_enrich_no_name_words[] = {
    "award",      "awards",  "avenue",       "bay",
    "bridge",     "castle",  "championship", "championships",
    "cup",        "day",     "festival",     "film",
    "games",      "prix",    "headquarters", "lane",
    "olympics",   "nations", "palace",       "park",
    "prize",      "road",    "series",       "show",
    "square",     "stadium", "street",       "summit",
    "trophy",     "eastern", "western",      "northern",
    "southern",   "me",      "my",           "up",
    "your",       "oh",      "week",         "game",
    "collection", "edition", "tour",         "agreement",
    "treaty",     "accord",  "act",          "protocol",
    "convention", NULL};

const char *const nw_enrich_more_no_name_words[] = {
    "fair", "plan", "policy", "bill", "inquiry", "list", "river", "lake", "rate", "index", "bonds",
    "operation", "study", "campaign", "appeal", "constitution", "showcase", "dam",
    /* the markets' measures and paper: "Gross National Product", "London
     * Interbank Offered Rates", "Investment Notes", "N.Z. Dlrs" */
    "product", "rates", "notes", "dlrs", "dlr", NULL};

const char *const nw_enrich_foreign_legal_forms[] = {"oy",   "oyj", "s.a.", "spa",
                                                     "n.v.", "bv",  "asa",  NULL};

const char *const nw_enrich_more_org_suffixes[] = {
    "museum", "gallery", "choir", "orchestra", "brothers", "ballet", "limited", "bancorp",
    "harriers", "ac", "fc", "rfc", "herald", "tribune", "gazette",
    /* the head words of French, Italian, Spanish and Portuguese names, which
     * come first: "Caisse d'Amortissement de la Dette Publique", "Fonds des
     * Routes", "Banca d'Italia" */
    "caisse", "fonds", "banque", "banco", "banca", "compagnie", "societe", "cassa", "caja",
    "instituto", "istituto", "institut", NULL};

const char *const nw_enrich_org_head_words[] = {"Group", "Groupe", "Grupo",     "Banco",
                                                "Banca", "Banque", "Compagnie", NULL};

const char *const nw_enrich_work_words[] = {
    "album", "book", "documentary", "drama", "film", "game", "hit", "movie", "musical", "novel",
    "opera", "play", "programme", "program", "series", "show", "single", "sitcom", "song", "title",
    "track", "work",
    /* a ship's name is no organisation: "the cruise liner Crystal Harmony" */
    "liner", "ship", "vessel", "tanker", "yacht", "ferry", "warship", "frigate", "submarine", NULL};

const char *const nw_enrich_speech_words[] = {
    "said", "says", "told", "added", "explained", "argued", "warned", "insisted", "admitted", NULL};

const char *const nw_enrich_org_after_words[] = {
    "airline",  "bank",      "brokerage",  "carmaker", "company",  "conglomerate",
    "firm",     "insurer",   "laboratory", "lender",   "retailer", "subsidiary",
    "magazine", "newspaper", "tabloid",    "station",  NULL};

const char *const nw_enrich_not_org_after_words[] = {
    "album",       "award",     "awards",   "book",  "brand",      "ceremony",   "chart",
    "competition", "console",   "contest",  "coupe", "coupes",     "exhibition", "festival",
    "film",        "franchise", "game",     "games", "handset",    "model",      "models",
    "movie",       "musical",   "novel",    "prize", "project",    "saloon",     "sedan",
    "sedans",      "series",    "sitcom",   "song",  "soundtrack", "suv",        "suvs",
    "tour",        "trilogy",   "vehicles", "index", NULL};

const char *const nw_enrich_org_context_words[] = {
    "analyst",      "analysts",  "boss",         "chairman",   "chairwoman",
    "director",     "directors", "executive",    "executives", "founder",
    "owner",        "shares",    "shareholders", "spokesman",  "spokeswoman",
    "spokesperson", "stake",     "subsidiary",   "unit",       NULL};

const char *const nw_enrich_org_possessed_words[] = {
    "board",  "chairman",     "chairwoman", "directors", "executive",  "executives", "profits",
    "shares", "shareholders", "stake",      "stock",     "subsidiary", NULL};

const char *const nw_enrich_music_words[] = {
    "album",   "albums",   "band",     "bands",     "bassist",    "chart",    "charts",
    "concert", "concerts", "drummer",  "frontman",  "gig",        "gigs",     "guitarist",
    "lyrics",  "music",    "musician", "musicians", "pop",        "rapper",   "rock",
    "singer",  "singers",  "song",     "songs",     "songwriter", "vocalist", NULL};
