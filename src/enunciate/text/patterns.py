"""Tables and regular expressions the normalizer reads technical text with.

Data only: what a unit, abbreviation or symbol is called, which words give a number its
meaning. Every regex here is anchored and free of nested quantifiers, so matching is linear in
the length of the (whitespace-free) piece of text it is applied to.
"""
from __future__ import annotations

import re

# Units after a number: symbol -> (singular, plural). Case matters ("mW" is not "MW").
UNITS: dict[str, tuple[str, str]] = {
    "ns": ("nanosecond", "nanoseconds"), "μs": ("microsecond", "microseconds"),
    "us": ("microsecond", "microseconds"), "ms": ("millisecond", "milliseconds"),
    "s": ("second", "seconds"), "sec": ("second", "seconds"), "secs": ("second", "seconds"),
    "min": ("minute", "minutes"), "mins": ("minute", "minutes"), "h": ("hour", "hours"),
    "hr": ("hour", "hours"), "hrs": ("hour", "hours"), "d": ("day", "days"),
    "B": ("byte", "bytes"), "KB": ("kilobyte", "kilobytes"), "kB": ("kilobyte", "kilobytes"),
    "MB": ("megabyte", "megabytes"), "GB": ("gigabyte", "gigabytes"),
    "TB": ("terabyte", "terabytes"), "PB": ("petabyte", "petabytes"),
    "KiB": ("kibibyte", "kibibytes"), "MiB": ("mebibyte", "mebibytes"),
    "GiB": ("gibibyte", "gibibytes"), "TiB": ("tebibyte", "tebibytes"),
    "Kb": ("kilobit", "kilobits"), "Mb": ("megabit", "megabits"), "Gb": ("gigabit", "gigabits"),
    "bps": ("bit per second", "bits per second"), "Kbps": ("kilobit per second", "kilobits per second"),
    "kbps": ("kilobit per second", "kilobits per second"),
    "Mbps": ("megabit per second", "megabits per second"),
    "Gbps": ("gigabit per second", "gigabits per second"),
    "Hz": ("hertz", "hertz"), "kHz": ("kilohertz", "kilohertz"), "MHz": ("megahertz", "megahertz"),
    "GHz": ("gigahertz", "gigahertz"), "THz": ("terahertz", "terahertz"),
    "W": ("watt", "watts"), "kW": ("kilowatt", "kilowatts"), "mW": ("milliwatt", "milliwatts"),
    "MW": ("megawatt", "megawatts"), "Wh": ("watt hour", "watt hours"),
    "kWh": ("kilowatt hour", "kilowatt hours"), "V": ("volt", "volts"), "mV": ("millivolt", "millivolts"),
    "mA": ("milliamp", "milliamps"), "mAh": ("milliamp hour", "milliamp hours"),
    "dB": ("decibel", "decibels"), "°C": ("degree celsius", "degrees celsius"),
    "°F": ("degree fahrenheit", "degrees fahrenheit"), "°": ("degree", "degrees"),
    "%": ("percent", "percent"), "x": ("times", "times"), "X": ("times", "times"),
    "×": ("times", "times"), "fps": ("frame per second", "frames per second"),
    "FPS": ("frame per second", "frames per second"), "rpm": ("R P M", "R P M"),
    "km": ("kilometer", "kilometers"), "cm": ("centimeter", "centimeters"),
    "mm": ("millimeter", "millimeters"), "nm": ("nanometer", "nanometers"),
    "μm": ("micrometer", "micrometers"), "kg": ("kilogram", "kilograms"), "g": ("gram", "grams"),
    "mg": ("milligram", "milligrams"), "lb": ("pound", "pounds"), "lbs": ("pound", "pounds"),
    "ft": ("foot", "feet"), "mph": ("mile per hour", "miles per hour"),
    "px": ("pixel", "pixels"), "pt": ("point", "points"),
    "TFLOPS": ("teraflop", "teraflops"), "GFLOPS": ("gigaflop", "gigaflops"),
    "TFLOPs": ("teraflop", "teraflops"), "GFLOPs": ("gigaflop", "gigaflops"), "PFLOPs": ("petaflop", "petaflops"),
    "FLOPs": ("flop", "flops"), "TFLOP/s": ("teraflop", "teraflops"), "GFLOP/s": ("gigaflop", "gigaflops"),
    "PFLOP/s": ("petaflop", "petaflops"), "FLOP/s": ("flop", "flops"), "TFLOP": ("teraflop", "teraflops"),
    "GFLOP": ("gigaflop", "gigaflops"), "PFLOP": ("petaflop", "petaflops"),
    "PFLOPS": ("petaflop", "petaflops"), "TOPS": ("tops", "tops"),
    "qps": ("query per second", "queries per second"), "QPS": ("query per second", "queries per second"),
    # everyday units, as product pages and reviews write them ("5 yrs", "8 oz", "200 ha", "12KG")
    "yr": ("year", "years"), "wk": ("week", "weeks"), "mo": ("month", "months"), "KG": ("kilogram", "kilograms"),
    "Kg": ("kilogram", "kilograms"), "oz": ("ounce", "ounces"), "ha": ("hectare", "hectares"),
    "mi": ("mile", "miles"), "yd": ("yard", "yards"), "gal": ("gallon", "gallons"), "qt": ("quart", "quarts"),
    "ml": ("milliliter", "milliliters"), "mL": ("milliliter", "milliliters"), "tsp": ("teaspoon", "teaspoons"),
    "tbsp": ("tablespoon", "tablespoons"), "pc": ("piece", "pieces"), "kcal": ("kilocalorie", "kilocalories"),
    "kph": ("kilometer per hour", "kilometers per hour"),
    # plural abbreviations; no rule adds the "s" ("3 has" is not hectares)
    "yrs": ("year", "years"), "wks": ("week", "weeks"), "mos": ("month", "months"), "kgs": ("kilogram", "kilograms"),
    "KGS": ("kilogram", "kilograms"), "pcs": ("piece", "pieces"), "yds": ("yard", "yards"), "qts": ("quart", "quarts"),
    "tsps": ("teaspoon", "teaspoons"), "tbsps": ("tablespoon", "tablespoons"), "ozs": ("ounce", "ounces"),
}
# Written straight after the digits these mean something else than after a space: "7B" is a
# model size, "5m" a duration; "512 B" is bytes and "3 m" meters. Scale words have no plural.
ATTACHED_UNITS: dict[str, tuple[str, str]] = {
    "k": ("thousand", "thousand"), "M": ("million", "million"), "B": ("billion", "billion"),
    "bn": ("billion", "billion"), "T": ("trillion", "trillion"), "m": ("minute", "minutes"),
    # Kubernetes' binary quantities ("4Gi" of memory)
    "Ki": ("kibibyte", "kibibytes"), "Mi": ("mebibyte", "mebibytes"), "Gi": ("gibibyte", "gibibytes"),
    "Ti": ("tebibyte", "tebibytes"),
}
SPACED_UNITS: dict[str, tuple[str, str]] = {"m": ("meter", "meters"), "L": ("liter", "liters")}  # "2L" is C's long 2
# Before a unit: "1500 sq ft" square feet, "12 fl oz" fluid ounces.
UNIT_PREFIXES = {"sq": "square", "sq.": "square", "fl": "fluid", "fl.": "fluid"}
MATH_WORDS = {"pi", "π", "inf", "infinity", "nan", "sqrt", "self", "tau", "τ"}  # not "e": "-e" is a flag
LENGTH_UNITS = {"m", "km", "cm", "mm", "nm", "μm", "ft", "mi", "yd"}  # "m²", "km^2": square, cubic
CPU_WORDS = {"cpu", "cpus", "vcpu", "vcpus", "core", "cores"}  # "500m CPU": Kubernetes millicores
# Nouns counted per unit of time in rates such as "tok/s" or "it/s".
RATE_NOUNS: dict[str, tuple[str, str]] = {
    "tok": ("token", "tokens"), "tokens": ("token", "tokens"), "it": ("iteration", "iterations"),
    "req": ("request", "requests"), "requests": ("request", "requests"), "ops": ("op", "ops"),
    "img": ("image", "images"), "images": ("image", "images"), "samples": ("sample", "samples"),
    "frames": ("frame", "frames"), "steps": ("step", "steps"), "words": ("word", "words"),
    "GT": ("gigatransfer", "gigatransfers"), "MT": ("megatransfer", "megatransfers"),
}
PER_UNITS = {"s": "second", "sec": "second", "ms": "millisecond", "min": "minute", "h": "hour",
             "hr": "hour", "d": "day", "day": "day", "mo": "month", "month": "month", "yr": "year"}

CURRENCIES: dict[str, tuple[tuple[str, str], tuple[str, str] | None]] = {
    "$": (("dollar", "dollars"), ("cent", "cents")), "€": (("euro", "euros"), ("cent", "cents")),
    "£": (("pound", "pounds"), ("penny", "pence")), "¥": (("yen", "yen"), None),
    "₹": (("rupee", "rupees"), None), "₩": (("won", "won"), None),
}
SCALE_SUFFIXES = {"K": "thousand", "k": "thousand", "M": "million", "m": "million", "B": "billion",
                  "bn": "billion", "b": "billion", "T": "trillion"}
SCALE_WORDS = {"thousand", "million", "billion", "trillion"}

MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september",
          "october", "november", "december")
MONTH_NAMES: dict[str, int] = {m: k + 1 for k, m in enumerate(MONTHS)}
MONTH_NAMES.update({m[:3]: k + 1 for k, m in enumerate(MONTHS)})
MONTH_NAMES["sept"] = 9
VERB_MONTHS = {"may", "march"}  # in lower case a date only before a year, an ordinal day, or a day and a year

# Abbreviations, looked up in lower case. Those in NEEDS_NUMBER only count before a number
# ("No. 5" but "say no."); those in CAN_END_SENTENCE also carry the sentence's full stop.
ABBREVIATIONS = {
    "e.g.": "for example", "e.g": "for example", "eg.": "for example", "i.e.": "that is",
    "i.e": "that is", "ie.": "that is", "etc.": "et cetera", "vs.": "versus", "v.s.": "versus",
    "approx.": "approximately", "cf.": "compare", "al.": "al", "incl.": "including",
    "esp.": "especially", "resp.": "respectively", "ca.": "circa", "w.r.t.": "with respect to",
    "w/": "with", "w/o": "without",
    "b/c": "because", "dr.": "doctor", "mr.": "mister", "mrs.": "missus", "ms.": "miz",
    "prof.": "professor", "fig.": "figure", "figs.": "figures", "eq.": "equation",
    "sec.": "section", "ch.": "chapter", "vol.": "volume", "dept.": "department",
    "inc.": "inc", "ltd.": "limited", "corp.": "corp", "co.": "company", "jr.": "junior",
    "sr.": "senior", "no.": "number", "nos.": "numbers", "p.": "page", "pp.": "pages",
    "max.": "maximum", "min.": "minimum", "avg.": "average", "est.": "estimated",
    "st.": "street", "ave.": "avenue", "blvd.": "boulevard", "rd.": "road", "mt.": "mount", "apt.": "apartment",
    "hwy.": "highway",
}
NEEDS_NUMBER = {"no.", "nos.", "p.", "pp.", "sec.", "ch.", "vol.", "fig.", "figs.", "eq.", "max.",
                "min."}
DOTLESS_BEFORE_NUMBER = {"Ch", "Fig", "Figs", "Vol", "Eq"}  # "Ch 6.5", "Fig 3": capitalized, no dot, before a number
CAN_END_SENTENCE = {"etc.", "al.", "inc.", "ltd.", "corp.", "co.", "jr.", "sr.", "approx.",
                    "max.", "min.", "avg.", "est.", "ave.", "blvd.", "rd.", "st."}

# Well-known terms with symbols, said this way when no lexicon claims them.
BUILTIN_TERMS = {
    "c++": "C plus plus", "c#": "C sharp", "f#": "F sharp", ".net": "dot net",
    "wi-fi": "wifi", "q&a": "Q and A", "r&d": "R and D", "at&t": "A T and T", "i/o": "I O",
    "24/7": "twenty four seven", "a/b": "A B",
}
# Words with a fixed reading that the letter rules would get wrong, looked up in lower case.
WORD_READINGS = {"ok": "okay", "vs": "versus", "wrt": "with respect to", "ctrl": "control",
                 "cmd": "command", "esc": "escape", "pgup": "page up", "pgdn": "page down",
                 "thx": "thanks", "pls": "please", "plz": "please"}
PROSE_ABBREVIATIONS = {"eg": "for example", "ie": "that is"}  # lower case, as written in docs ("eg: foo")
# Before "M/D" these make it a date ("after 12/31", "by 3/15"), not a fraction.
DATE_BEFORE = {"after", "before", "by", "on", "until", "till", "since", "from", "due", "through", "thru"}
# C preprocessor directives: "#include" is "hash include", other "#word"s are hashtags.
HASH_WORDS = {"include", "define", "pragma", "ifdef", "ifndef", "endif", "if", "else", "elif", "undef",
              "import", "error", "warning"}

# Spoken names of symbols in code, paths and on their own. "" means silent but kept.
SYMBOLS = {
    "&": "and", "&&": "and", "||": "or", "+": "plus", "++": "plus plus", "=": "equals",
    "==": "equals equals", "===": "triple equals", "!=": "not equal to", "<": "less than",
    ">": "greater than", "<=": "less than or equal to", ">=": "greater than or equal to",
    "->": "to", "=>": "to", "→": "to", "←": "from", "@": "at", "%": "percent", "#": "hash",
    "$": "dollar", "~": "tilde", "^": "caret", "|": "pipe", "\\": "backslash", "/": "slash",
    ".": "dot", ":": "colon", "::": "colon colon", "?": "question mark", "*": "star",
    "**": "star star", "!": "bang", "§": "section", "×": "times", "÷": "divided by",
    "±": "plus or minus", "−": "minus", "≈": "approximately", "≠": "not equal to", "≤": "less than or equal to",
    "≥": "greater than or equal to", "∞": "infinity", "√": "square root of", "°": "degrees",
    "€": "euro", "£": "pound", "¥": "yen", "₹": "rupee",
    "⌘": "command", "⌥": "option", "⇧": "shift", "⌃": "control", "⏎": "return", "↵": "return", "⌫": "delete",
    "⇥": "tab", "⎋": "escape", "↑": "up", "↓": "down",
    "_": "", "-": "", "'": "", '"': "", "`": "", ",": "", ";": "", "()": "", "[]": "",
    "{}": "", "(": "", ")": "", "[": "", "]": "", "{": "", "}": "", "©": "", "®": "", "™": "",
    "•": "", "·": "", "¶": "", "†": "", "‡": "",
}
# Comparison marks written straight before a number: "~5 ms" about five milliseconds.
APPROXIMATE = {"~": "about", "≈": "approximately", "<": "less than", ">": "more than",
               "<=": "at most", ">=": "at least", "≤": "at most", "≥": "at least", "±": "plus or minus"}
# Two-letter words inside a CONSTANT_NAME that are words, not letters ("NO_COLOR": no color)
CONSTANT_WORDS = {"NO", "ON", "OF", "TO", "IS", "IF", "IN", "AT", "BY", "OR", "UP", "AS", "DO", "GO", "MY", "WE"}
# After a lone "A", these words mean it is a letter ("A vs. B"), not the article.
LETTER_CONTEXT = {"vs", "vs.", "versus", "and", "or", "to", "through", "is", "and/or",
                  # math read aloud ("A over B", "A inverse", "A plus B")
                  "over", "sub", "plus", "minus", "times", "squared", "cubed", "equals", "inverse", "transposed",
                  "prime", "factorial"}
# Separators spelled out in paths, URLs and e-mail addresses, where every character counts.
PATH_SEPARATORS = {"-": "dash", "_": "underscore", "=": "equals", "&": "and", "?": "question mark",
                   ",": "comma", "+": "plus", "%": "percent"}
GREEK = {
    "α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "ε": "epsilon", "ζ": "zeta", "η": "eta",
    "θ": "theta", "ι": "iota", "κ": "kappa", "λ": "lambda", "μ": "mu", "ν": "nu", "ξ": "xi",
    "π": "pi", "ρ": "rho", "σ": "sigma", "τ": "tau", "φ": "phi", "χ": "chi", "ψ": "psi",
    "ω": "omega", "Δ": "delta", "Σ": "sigma", "Ω": "omega", "Φ": "phi", "Π": "pi", "Λ": "lambda",
}

# Punctuation that shapes prosody, and what it is passed on as; a dash or an ellipsis between
# words is a pause. Stronger marks win when several follow one word.
PROSODY = {",": ",", ".": ".", "?": "?", "!": "!", ";": ";", ":": ":", "—": ",", "–": ",",
           "-": ",", "--": ",", "…": ".", "...": ".", "..": "."}
PROSODY_STRENGTH = {"?": 5, "!": 4, ".": 3, ";": 2, ":": 1, ",": 0}
OPENERS = "([{\"'“‘«¿¡`"
CLOSERS = {")": "(", "]": "[", "}": "{"}
TRAILING = ",.;:!?\"'”’»…™®©`"

# Context words. A 4-digit number after YEAR_BEFORE is a year ("in 2026"); a decimal after a
# PRODUCT is a version ("Python 3.12"); a 3-digit number in STATUS context is an HTTP status.
YEAR_BEFORE = {"in", "since", "from", "until", "till", "through", "circa", "year", "before",
               "after", "during", "around", "early", "late", "mid", "summer", "winter", "spring",
               "fall", "autumn", "fy", "q1", "q2", "q3", "q4"}
PRODUCTS = {
    "python", "py", "java", "jdk", "go", "golang", "node", "node.js", "nodejs", "deno", "bun",
    "rust", "ruby", "rails", "php", "perl", "kotlin", "swift", "scala", "typescript", "ts",
    "javascript", "es", "ecmascript", "tls", "ssl", "oauth", "http", "https", "cuda", "cudnn",
    "ubuntu", "debian", "fedora", "centos", "rhel", "alpine", "macos", "ios", "android", "windows",
    "linux", "kernel", "chrome", "firefox", "safari", "gcc", "clang", "llvm", "cmake", "react",
    "angular", "vue", "django", "flask", "fastapi", "numpy", "pandas", "pytorch", "torch",
    "tensorflow", "jax", "onnx", "onnxruntime", "opset", "postgres", "postgresql", "mysql",
    "redis", "kafka", "spark", "kubernetes", "k8s", "docker", "helm", "terraform", "gpt",
    "llama", "claude", "gemini", "mistral", "bert", "whisper", "unicode", "utf", "ipv", "usb",
    "pcie", "bluetooth", "wifi", "version", "release", "ver", "v", "build", "api", "sdk",
    "spec", "rfc", "pep", "html", "css", "sql", "c++", "c#", "openssl", "openssh", "ssh", "git",
}
STATUS_BEFORE = {"http", "https", "status", "code", "returns", "returned", "return", "returning",
                 "responds", "responded", "throws", "threw", "raises", "raised"}
STATUS_AFTER = {"error", "errors", "ok", "response", "responses", "status", "not", "found",
                "forbidden", "unauthorized", "bad", "internal", "service", "gateway", "too",
                "created", "accepted", "moved", "redirect", "page", "conflict", "gone"}
GROUPED_BEFORE = {"port", "ports", "iso", "rfc", "pep"}
# After a model number these make it a product name, read in pairs ("the 4090 Ti").
PRODUCT_SUFFIXES = {"ti", "super", "xt", "xtx", "gre", "ultra"}
# Capitals before a decimal that are money, not a product with a version ("USD 1.50").
CURRENCY_CODES = {"USD", "EUR", "GBP", "JPY", "CNY", "INR", "CAD", "AUD", "CHF", "BTC", "ETH"}
AM_PM = {"am": "A M", "pm": "P M", "a.m.": "A M", "p.m.": "P M"}
# Zones after a time are spelled ("10:30 EST"), never the word "est".
TIME_ZONES = {"EST", "EDT", "CST", "CDT", "MST", "MDT", "PST", "PDT", "AKST", "HST", "GMT", "UTC", "BST", "CET",
              "CEST", "IST", "JST", "AEST", "AEDT"}
ERAS = {"AD", "BC", "BCE", "CE"}  # spelled beside a year ("AD 79", "44 BC")
# Roman numerals: after a monarch's, pope's or person's name an ordinal ("Henry III" the third, "John Smith
# III"); after these words, "World War" and any other capitalized word a cardinal ("Chapter IV", "World War
# II", "Diablo III"); after a function word, none ("The II in the loop").
GIVEN_NAMES = set("""Henry Edward George William Richard Charles James Louis Elizabeth Mary Anne John Paul Pius Leo
Benedict Gregory Innocent Clement Alexander Nicholas Peter Frederick Ferdinand Philip Catherine Victor Constantine
Otto Rudolf Francis Joseph Gustav Christian Olaf Harald Haakon Alfonso Carlos Felipe Juan Umberto Wilhelm Ludwig
Friedrich Napoleon Ramesses Amenhotep Thutmose Ptolemy Antiochus Darius Edmund Stephen Robert David Kamehameha
Rama Baldwin Boniface Urban Sixtus Honorius Celestine Adrian Martin Eugene Sergius Stanislaus Thomas Michael
Daniel Mark Matthew Andrew Anthony Christopher Joshua Kevin Brian Thurston Douglas Arthur Albert Harold Walter
Samuel Benjamin Jonathan Nathaniel Hugh Roger Ralph Raymond Kenneth Donald Ronald Gerald Frank Howard""".split())
NOT_NAMES = set("""The A An This That These Those Its It Our Your My His Her Their Each Every No Not All Any Some
Set Use Call Run See And Or But If Then When Where While With For In On At To Of By From As Is Are Was Were Be Do
Let Add Remove Fix Update Bump Revert Merge Make Move Rename Drop Support Allow Handle Implement Refactor Deprecate
Improve Replace Enable Disable""".split())  # a change log's verbs too: "Remove XX"
ROMAN_CARDINAL_BEFORE = {"chapter", "part", "episode", "act", "scene", "type", "phase", "volume", "vol.", "book",
                         "section", "article", "title", "stage", "level", "grade", "class", "category", "appendix",
                         "season", "round", "mark", "tier", "league", "division", "canto", "psalm", "bowl"}
RE_ROMAN = re.compile(r"(?=[IVXL])L?X{0,3}(?:IX|IV|V?I{0,3})")  # I to LXXXIX: no C, D, M ("Type C", "CD", "MD")
# Domains an address ends in: "my-site.com", "some_university.edu" say their "-" and "_", as an address
# must. With "_" (no identifier has a "-") only the domains code never ends in: "log_handler.info",
# "self_model.net" are attributes.
ADDRESS_TLDS = {"com", "org", "net", "edu", "gov", "mil", "io", "co", "uk", "us", "ca", "de", "fr", "jp", "au",
                "info", "biz", "dev", "app", "ai"}
UNDERSCORE_TLDS = {"com", "org", "edu", "gov", "mil"}

# ---- regular expressions over whitespace-free pieces (fullmatch) ----
# Pieces longer than this skip the pattern rules and are read by the linear code reader.
MAX_PATTERN_LEN = 256
NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+"
RE_DECIMAL = re.compile(rf"[-−]?(?:{NUM})")
RE_UNDERSCORED_NUMBER = re.compile(r"\d+(?:_\d+)+(?:\.\d+(?:_\d+)*)?|\d+\.\d+(?:_\d+)+")  # "1_000", "0.000_001"
RE_QUANTITY_UNIT = re.compile(rf"(?P<num>[-−]?(?:{NUM}))(?P<unit>[A-Za-zμ°%×][A-Za-zμ°/]*(?:\^[23])?)")
RE_RANGE = re.compile(rf"(?P<a>[-−]?(?:{NUM}))[-–](?P<b>{NUM})(?P<unit>[A-Za-zμ°%][A-Za-zμ°/]*)?")
RE_ORDINAL = re.compile(r"(\d{1,3}(?:,\d{3})+|\d+)(st|nd|rd|th)", re.IGNORECASE)  # "1,000th"
RE_DECADE = re.compile(r"'(?P<short>\d0)s|(?P<year>1\d\d0|20\d0)s")
RE_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
RE_SLASH_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
RE_SLASH_DATE_SHORT = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{2})")  # "11/17/05"
RE_DOT_DATE = re.compile(r"(\d{2})\.(\d{2})\.((?:19|20)\d{2})")  # "01.10.2010": day.month.year
RE_TIME = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?(?P<ampm>[AaPp]\.?[Mm]\.?)?")
RE_HOUR_AMPM = re.compile(r"(\d{1,2})(?P<ampm>[AaPp]\.?[Mm]\.?)")
RE_DOT_TIME = re.compile(r"(\d{1,2})\.(\d{2})(?P<ampm>[AaPp]\.?[Mm]\.?)?")  # "2.30 a.m.", "7.15am": only with am/pm
RE_DASH_PAIR = re.compile(r"([^-–]+)[-–]([^-–]+)")  # "$250-$300", "1960s-80s", "9am-5pm", "10:30-11:45"
RE_RATIO = re.compile(r"(\d+):(\d+)")
# A link to a pull request, issue or commit on GitHub or GitLab, as release notes write them
RE_FORGE_REF = re.compile(r"(?:https?://)?(?:www\.)?(?:github|gitlab)\.com/(?:[\w.-]+/)+?(?P<repo>[\w.-]+)/(?:-/)?"
                          r"(?P<kind>pull|issues|merge_requests|discussions|commit)/(?P<ref>\d+|[0-9a-f]{7,40})/?"
                          r"(?:#[\w-]*)?")
RE_FORGE_COMPARE = re.compile(r"(?:https?://)?(?:www\.)?(?:github|gitlab)\.com/(?:[\w.-]+/)+?(?P<repo>[\w.-]+)/(?:-/)?"
                              r"compare/(?P<a>[\w.-]+?)\.\.\.?(?P<b>[\w.-]+)/?")
FORGE_REFS = {"pull": "pull request", "issues": "issue", "merge_requests": "merge request",
              "discussions": "discussion", "commit": "commit"}
PRE_RELEASES = {"a": "alpha", "b": "beta", "rc": "R C"}
RE_VERSION = re.compile(r"(?P<v>v)?(?P<nums>\d+(?:\.(?:\d+|[xyzXYZ*]))+|(?<=v)\d+)"
                        r"(?P<pep>(?:a|b|rc)\d+)?(?P<release>\.(?:post|dev)\d+)?"  # PEP 440: "3.15.0a8", ".dev3"
                        r"(?:[-+](?P<tag>[A-Za-z][A-Za-z0-9.+-]*))?")
RE_SLASH_VERSION = re.compile(r"(?P<name>[A-Za-z][A-Za-z0-9]*)/(?P<nums>\d+(?:\.\d+)*)")
RE_SCIENTIFIC = re.compile(r"(?P<mantissa>[-−]?\d+(?:\.\d+)?)[eE](?P<exp>[-+]?\d+)")
RE_SCIENTIFIC_IN_CODE = re.compile(r"(?<![\w.])\d+(?:\.\d+)?[eE][-+]?\d+(?![\w.])")  # "lr=3e-4"
RE_POWER = re.compile(r"(?P<base>\d+)(?:\^|\*\*)(?P<exp>[-−]?\d{1,3})")  # "2^32", "2**31", "10^-3"
RE_INSTANCE_TYPE = re.compile(r"(?P<family>[a-z]{1,4}\d+[a-z]*(?:-flex)?)\."
                              r"(?P<count>\d+)?(?P<x>x)?(?P<size>large|medium|small|micro|nano|metal)")
RE_IP = re.compile(r"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}")
RE_CURRENCY = re.compile(rf"(?P<sign>[-−])?(?P<cur>[$€£¥₹₩])(?P<num>{NUM})(?P<scale>[KkMmBbT]|bn)?"
                         r"(?:/(?P<per>[A-Za-z]+))?(?:/(?P<per2>[A-Za-z]+))?")
RE_CURRENCY_AFTER = re.compile(rf"(?P<sign>[-−])?(?P<num>{NUM})(?P<cur>[€£¥₹₩])")
RE_PERCENT = re.compile(rf"(?P<num>[-−+]?(?:{NUM}))%")
RE_FRACTION = re.compile(r"(\d{1,3})/(\d{1,3})")
RE_PER_UNIT = re.compile(rf"(?P<num>{NUM})/(?P<unit>[A-Za-zμ°][A-Za-zμ°]*(?:\^[23])?)")  # "12/kg"
# Before "1/4" these make it one of a series ("part 1/4": part one of four), not a quarter.
SERIES_BEFORE = {"part", "step", "chapter", "page", "episode", "lesson", "phase", "stage", "module", "volume",
                 "video", "post", "exercise", "lab", "round", "slide", "question", "task"}
RE_PLACEHOLDER = re.compile(r"<([A-Za-z][\w.-]*)>")  # "<token>", "<user>@<host>"
RE_RATING = re.compile(r"(\d{1,3}(?:\.\d{1,2})?)/(\d{1,3})")
RATING_BEFORE = {"rating", "rated", "score", "scored", "scores", "verdict", "gets", "got", "gave", "give", "stars"}
NUMBERED_LABELS = {"listing", "figure", "fig", "fig.", "table", "example", "exercise", "equation", "eq", "eq.",
                   "snippet", "diagram", "algorithm", "theorem", "lemma", "definition", "appendix"}
RATING_AFTER = {"stars", "star", "rating", "score", "overall", "would", "recommend", "recommended", "points"}
RE_PHONE = re.compile(r"(?:\+\d{1,3}[-.])?(?:\(?\d{3}\)?[-.]\d{3}[-.]\d{4}|\d{3}-\d{4})")
# Before a dotted number in code, these make it a version ("torch>=2.1") rather than a decimal.
VERSION_PINS = {"==", ">=", "<=", "<", ">", "~=", "!=", "^", "~", "@"}
RE_DIMENSIONS = re.compile(r"(\d+)[x×](\d+)")
RE_DURATION = re.compile(r"(?:\d+(?:ms|d|h|m|s)){2,4}")
RE_DURATION_PART = re.compile(r"(\d+)(ms|d|h|m|s)")
RE_ORDINAL_DAY = re.compile(r"(\d{1,2})(?:st|nd|rd|th)?")
RE_URL = re.compile(r"(?:[A-Za-z][A-Za-z0-9+.-]*://|www\.)\S+")
RE_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
RE_DOMAIN = re.compile(r"[A-Za-z0-9][\w-]*(?:\.[\w-]+)*\.(?P<tld>[a-z]{2,4})")  # "some_university.edu"
RE_WINDOWS_PATH = re.compile(r"[A-Za-z]:\\\S*")
RE_FLAG = re.compile(r"--?[A-Za-z][\w-]*(?:=\S+)?")
# Hexadecimal identifiers, read character by character: UUIDs, "0x" literals, CSS colours and
# digests or commit hashes (7+ hex digits of one case, with two digits and two letters or more)
RE_UUID = re.compile(r"[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}")
RE_HEX_LITERAL = re.compile(r"0[xX](?P<hex>[0-9a-fA-F]+)")
RE_HEX_COLOR = re.compile(r"#(?P<hex>(?=[0-9]*[a-fA-F])(?:[0-9a-fA-F]{3,4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8}))")
RE_HEX_DIGEST = re.compile(r"(?<![0-9A-Za-z])(?=(?:[a-f]*[0-9]){2})(?=(?:[0-9]*[a-f]){2})(?:[0-9a-f]{7,}|[0-9A-F]{7,})"
                           r"(?![0-9A-Za-z])")
RE_COMMIT = re.compile(r"(?=[0-9]*[a-f])[0-9a-f]{7,40}")  # a bracketed commit ("[`662998787a`]") may hold one letter
RE_SLASH_NUMBERS = re.compile(r"\d+(?:\.\d+)?(?:/\d+(?:\.\d+)?){2,}")  # "3/8/20" before a unit
RE_HANDLE = re.compile(r"(?:[\w.-]+/(?P<repo>[\w.-]+))?(?P<sign>[#@])(?:(?P<name>[A-Za-z_][\w-]*)|(?P<number>\d+))")
RE_CVE = re.compile(r"CVE-(?P<year>\d{4})-(?P<number>\d{4,7})")
RE_HYPHENATED = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)+")
RE_SLASH_WORDS = re.compile(r"[^\W\d_]+/[^\W\d_]+")
RE_DOTTED_LETTERS = re.compile(r"(?:[A-Za-z]\.){2,}")
# "Ph.D.", "M.Sc.", "B.C"; without the final dot only with a small letter ("Ph.D") or beside a number ("300 B.C"),
# so that SemVer's "X.Y.Z" keeps its dots
RE_DOTTED_INITIALS = re.compile(r"[A-Z][a-z]?\.(?:[A-Za-z][a-z]?\.)*[A-Z][a-z]?\.?")
RE_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
RE_ACRONYM_PLURAL = re.compile(r"([A-Z]{2,})(?:'?s)")
# Pieces of code or paths: letter runs, digit runs, and runs of one repeated symbol.
RE_CODE_PART = re.compile(r"\d+(?:\.\d+)+|[^\W\d_]+|\d+|_+|[^\w\s]+")
RE_OVERRIDE = re.compile(r"\[(?P<word>[^\[\]\n]{1,100})\]\((?:/(?P<ipa>[^/()\n]{1,300})/|"
                         r"kokoro:(?P<kokoro>[^()\n]{1,300}))\)")
VOWELS = set("aeiouyAEIOUY")


def takes_power(before: str) -> bool:
    """Whether a superscript after `before` is an exponent: after a digit, a bracket, a one-letter
    variable or a unit ("2⁸", "(n+1)²", "x²", "km²", "m/s²"); after a word it is a footnote mark."""
    if before[-1:].isdigit() or before[-1:] in ")]":
        return True
    word = re.search(r"[^\W\d_]*$", before).group()
    head = before[:len(before) - len(word)]
    return bool(word) and (len(word) == 1 or word in LENGTH_UNITS or head.endswith("/"))
