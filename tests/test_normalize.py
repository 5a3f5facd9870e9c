"""Text normalization: each rule as a table of (written, spoken) rows, plus span invariants."""
from __future__ import annotations

import pytest

import enunciate
from enunciate.text.normalize import normalize
from enunciate.text.phonesets import espeak_to_kokoro


class Lexicon:
    """A tiny stand-in for the lexicons: the words and special terms they can pronounce."""

    def __init__(self, words: set[str], terms: list[str]):
        self.words, self.terms = words, terms

    def knows(self, word: str) -> bool:
        return word in self.words or word in self.terms

    def special_terms(self) -> list[str]:
        return self.terms


TERMS = ["Node.js", "C++", "C#", ".NET", "CI/CD", "I/O", "TCP/IP", "H100", "k8s", "x86_64", "Wi-Fi",
         "gRPC"]
KNOWN = Lexicon({"CUDA", "NASA", "JSON", "kubectl", "OAuth", "GPU", "API", "GitHub", "nginx", "warning",
                 "hello", "Python"}, TERMS)
INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u00ad\ufe0f"


def check_spans(text: str, tokens, offset: int = 0) -> None:
    """Spans increase, never overlap, match `original`, and cover every visible character."""
    covered = set()
    end = offset
    for tok in tokens:
        s, e = tok.span
        assert end <= s < e, f"bad span {tok.span} after {end} for {tok}"
        assert text[s - offset:e - offset] == tok.original
        assert tok.spoken == " ".join(tok.spoken.split()), f"untidy spoken {tok.spoken!r}"
        covered.update(range(s - offset, e - offset))
        end = e
    for k, ch in enumerate(text):
        assert k in covered or ch.isspace() or ch in INVISIBLE, f"{ch!r} at {k} is in no token"


def said(text: str, known=None) -> str:
    tokens = normalize(text, known=known)
    check_spans(text, tokens)
    check_spans(text, normalize(text, offset=17, known=known), offset=17)
    return " ".join(t.spoken for t in tokens if t.spoken)


def rows(table: str) -> list[tuple[str, str]]:
    """'written | spoken' lines -> parameter rows (keeps tables readable)."""
    out = []
    for line in table.strip().splitlines():
        written, _, spoken = line.rpartition(" |")  # "日本語 |": nothing is spoken
        out.append((written.strip(), spoken.strip()))
    return out


NUMBERS = rows("""
42 | forty two
0 | zero
1,024 | one thousand twenty four
2048 | two thousand forty eight
1,000,000 | one million
7,300,000,000 | seven billion three hundred million
-5 | minus five
−12 | minus twelve
3.14 | three point one four
0.5 | zero point five
.5 | point five
-0.25 | minus zero point two five
1,234.56 | one thousand two hundred thirty four point five six
007 | zero zero seven
12345678901 | one two three four five six seven eight nine zero one
in 2026 | in twenty twenty six
since 1999 | since nineteen ninety nine
In 2005, | in two thousand five
from 2020-2024 | from twenty twenty to twenty twenty four
the 2023-24 season | the twenty twenty three to twenty four season
the 1990s | the nineteen nineties
the '90s | the nineties
(2017) | twenty seventeen
a batch of 2048 | a batch of two thousand forty eight
1e-5 | one E minus five
USD 1.50 | U S D one point five zero
""")

VERSIONS = rows("""
~1.2.3 but ~5 ms | tilde one point two point three but about five milliseconds
the 0.1.z release | the zero point one point Z release
v2.3.1 | version two point three point one
v2 | version two
v1.29+ | version one point twenty nine plus
Python 3.12 | python three point twelve
Python 3.11+ | python three point eleven plus
Python 2.0 | python two point oh
Java 21 | java twenty one
Go 1.22 | go one point twenty two
Ruby 1.10 | ruby one point ten
OAuth 2.0 | O auth two point oh
TLS 1.3 | T L S one point three
HTTP/2 | H T T P two
HTTP/1.1 | H T T P one point one
node 18.x | node eighteen point X
1.2.3-beta | one point two point three beta
1.0.0-rc.1 | one point oh point oh R C one
Ubuntu 22.04 | ubuntu twenty two point oh four
0.9.1 | zero point nine point one
torch==2.3.1 | torch equals equals two point three point one
numpy>=1.26 | numpy greater than or equal to one point twenty six
3.15.0a8 and 3.14.5rc1 | three point fifteen point oh alpha eight and three point fourteen point five R C one
2.1.0.dev3 and 1.2.post1 | two point one point oh dev three and one point two post one
0.5b3 | zero point five beta three
cpu: 250m and timeout: 5m | cpu two hundred fifty millicores and timeout five minutes
127.0.0.0/8 | one hundred twenty seven dot zero dot zero dot zero slash eight
""")

UNITS = rows("""
35 ms | thirty five milliseconds
a 35 ms delay and an 80 GB model | a thirty five millisecond delay and an eighty gigabyte model
requests 500m CPU, took 5m | requests five hundred milli C P U took five minutes
1.2 TFLOP/s and 989 TFLOPS | one point two teraflops and nine hundred eighty nine teraflops
the 5000mAh battery, a 10-20 GB disk | the five thousand milliamp hour battery a ten to twenty gigabyte disk
the 16GB are used, the 10 GB of data | the sixteen gigabytes are used the ten gigabytes of data
p99 is 3/8/20 ms | P ninety nine is three slash eight slash twenty milliseconds
1 ms | one millisecond
12 GB | twelve gigabytes
512MB | five hundred twelve megabytes
2.5 GHz | two point five gigahertz
100 Mbps | one hundred megabits per second
1 Mbps | one megabit per second
4K | four K
60 fps | sixty frames per second
5 s | five seconds
10 µs | ten microseconds
10 us | ten microseconds
200 ns | two hundred nanoseconds
3 min | three minutes
2 h | two hours
80 W | eighty watts
1.5 TB | one point five terabytes
64 KiB | sixty four kibibytes
16 GiB | sixteen gibibytes
3 kHz | three kilohertz
20 dB | twenty decibels
25°C | twenty five degrees celsius
25 °C | twenty five degrees celsius
-40°F | minus forty degrees fahrenheit
1 °C | one degree celsius
10x | ten times
2x faster | two times faster
30s | thirty seconds
100ms | one hundred milliseconds
5m | five minutes
3 m | three meters
1h30m | one hour thirty minutes
7B parameters | seven billion parameters
4Gi | four gibibytes
4.1 GFLOPs | four point one gigaflops
2^32 | two to the power of thirty two
512Mi | five hundred twelve mebibytes
1.5M | one point five million
10k | ten thousand
120 tok/s | one hundred twenty tokens per second
10k requests/s | ten thousand requests per second
2.5k tok/s | two point five thousand tokens per second
500 reads/s | five hundred reads per second
3.2 it/s | three point two iterations per second
500 MB/s | five hundred megabytes per second
90 km/h | ninety kilometers per hour
10-20 ms | ten to twenty milliseconds
2-3x | two to three times
1920x1080 | nineteen twenty by ten eighty
1920 x 1080 | nineteen twenty by ten eighty
h 5 | H five
A100-80GB | A one hundred eighty gigabytes
""")

MONEY_AND_PERCENT = rows("""
95% | ninety five percent
0.5% | zero point five percent
95 % | ninety five percent
+3% | plus three percent
5-10% | five to ten percent
$9.99 | nine dollars and ninety nine cents
$1 | one dollar
$0.50 | fifty cents
$1,000 | one thousand dollars
$1.2M | one point two million dollars
$10K | ten thousand dollars
$3 billion | three billion dollars
$20/month | twenty dollars per month
$0.50/GB | fifty cents per gigabyte
€40/user/month | forty euros per user per month
~$1.2k/month | about one point two thousand dollars per month
€50 | fifty euros
50€ | fifty euros
£3 | three pounds
¥100 | one hundred yen
-$5 | minus five dollars
""")

ORDINALS_RANGES_FRACTIONS = rows("""
Listing 8-1 and fig. 3-2, pages 10-20 | listing eight dash one and figure three dash two pages ten to twenty
10/10 would buy, 3/5 stars | ten out of ten would buy three out of five stars
8/10 of the tests | eight tenths of the tests
1st | first
2nd | second
3rd | third
22nd | twenty second
11th | eleventh
101st | one hundred first
1-5 | one to five
10–20 | ten to twenty
pages 3-7 | pages three to seven
1.5-2.5 | one point five to two point five
1/2 | one half
4.5/5 | four point five out of five
rated 8/10 | rated eight out of ten
3/4 | three quarters
2/3 | two thirds
5/8 | five eighths
10/20 | ten over twenty
24/7 | twenty four seven
16:9 | sixteen to nine
""")

TIMES_AND_DATES = rows("""
7:30 pm | seven thirty P M
after 12/31 | after december thirty first
by 3/15 | by march fifteenth
on 1/2 of them | on one half of them
end of Dec. The end | end of december the end
7:30pm | seven thirty P M
7 PM | seven P M
11 a.m. | eleven A M
at 3 p.m. Then | at three P M then
7:05 | seven oh five
7:00 | seven o'clock
14:05 | fourteen oh five
14:00 | fourteen hundred
12:30:45 | twelve thirty and forty five seconds
2026-11-26 | november twenty sixth twenty twenty six
2026-13-40 | twenty twenty six thirteen forty
11/26/2026 | november twenty sixth twenty twenty six
26/11/2026 | november twenty sixth twenty twenty six
Nov 26, 2026 | november twenty sixth twenty twenty six
November 26th, 2026 | november twenty sixth twenty twenty six
Nov. 3 | november third
March 2026 | march twenty twenty six
26 November 2026 | the twenty sixth of november twenty twenty six
may 5 | may five
""")

STATUS_AND_GROUPED = rows("""
HTTP 404 | H T T P four oh four
a 503 error | a five oh three error
returns 200 OK | returns two hundred okay
status 429 | status four twenty nine
a 404 page | a four oh four page
I ate 404 apples | I ate four hundred four apples
RTX 4090 | R T X forty ninety
the 4090 Ti | the forty ninety ti
ports 80/443 | ports eighty and four forty three
GTX 1080 Ti | G T X ten eighty ti
two RTX 4090s | two R T X forty nineties
port 8080 | port eighty eighty
port 443 | port four forty three
ISO 8601 | I S O eighty six oh one
4xx errors | four X X errors
555-123-4567 | five five five one two three four five six seven
+1-555-123-4567 | plus one five five five one two three four five six seven
192.168.0.1 | one hundred ninety two dot one hundred sixty eight dot zero dot one
""")

PATHS_URLS_EMAILS = rows("""
/etc/nginx/nginx.conf | slash etc slash nginx slash nginx dot conf
~/.bashrc | tilde slash dot bashrc
./run.sh | dot slash run dot S H
C:\\Users\\dev | C colon backslash users backslash dev
src/enunciate/text.py | S R C slash enunciate slash text dot py
config/my_settings.yaml | config slash my underscore settings dot yaml
/usr/lib/x86-64 | slash usr slash lib slash X eighty six dash sixty four
https://example.com/docs | example dot com slash docs
https://example.com/docs/ | example dot com slash docs
http://localhost:8080/api | localhost colon eighty eighty slash api
0.0.0.0:8080 | zero dot zero dot zero dot zero colon eighty eighty
www.python.org | W W W dot python dot org
github.com/user/repo | github dot com slash user slash repo
dev@example.com | dev at example dot com
first.last+tag@my-site.io | first dot last plus tag at my dash site dot io
(see https://x.io/a). | see X dot io slash A
r/MachineLearning | R slash machine learning
in https://github.com/pyenv/pyenv/pull/3442 | in pyenv pull request thirty four forty two
https://github.com/python/cpython/issues/12345#x | cpython issue twelve three forty five
https://gitlab.com/group/sub/proj/-/merge_requests/17 | proj merge request seventeen
https://github.com/org/repo/commit/3f9a2b1c0d | repo commit three F nine A two B one
https://github.com/a/b/compare/v2.6...v2.7 | B changes from version two point six to version two point seven
nodejs/node#58188 and org/repo#42 | node number fifty eight one eighty eight and repo number forty two
""")

CODE = rows("""
snake_case_name | snake case name
V8's heap, Python 3's typing, the 1990's | V eight's heap python three's typing the nineteen nineties
Some(&element) and f(a,&b) | some ref element and F A ref B
commit 3f9a2b1c | commit three F nine A two B one C
0xDEADBEEF or 0x1F | hex D E A D B E E F or hex one F
#ff8800 and #FFF but #123 | hash F F eight eight zero zero and hash F F F but number one hundred twenty three
sha256:9f86d081 | sha two fifty six colon nine F eight six D zero eight one
1e100 and 1000000e and deadbeef | one E one hundred and one million E and deadbeef
camelCase | camel case
getUserName | get user name
PascalCase | pascal case
HTTPServer | H T T P server
XMLHttpRequest | X M L H T T P request
--dry-run | dash dash dry run
-v | dash V
-rf | dash R F
--threads=4 | dash dash threads equals four
foo() | foo
np.array | N P dot array
os.path.join() | os dot path dot join
std::vector | S T D colon colon vector
a->b | A to B
x == y | X equals equals Y
a != b | A not equal to B
x=5 | X equals five
i++ | I plus plus
#include | hash include
#python | hashtag python
@alice | at alice
issue #123 | issue number one hundred twenty three
PR #4512 | P R number forty five twelve
__init__ | init
a1b2c3d | A one B two C three D
lr=3e-4 | L R equals three E minus four
x^2 | X squared
O(1) | O of one
ssh <user>@<host> | ssh user at host
Bearer <token> | bearer token
x = a + b | X equals A plus B
a[i-1] and n-1 workers | A I minus one and N minus one workers
len(x)-1 | len X minus one
2**31-1 and x**2 | two to the power of thirty one minus one and X squared
2^8-1 | two to the power of eight minus one
10^-3 s | ten to the power of minus three seconds
-(a + b) | minus A plus B
5 - 3 and x - y | five minus three and X minus Y
10 - 2 = 8 | ten minus two equals eight
(a + b) - c | A plus B minus C
pages 5 - 10 | pages five to ten
Version 1.1 - 26 February 2007 | version one point one the twenty sixth of february two thousand seven
2019 - 2023 | twenty nineteen to twenty twenty three
5 – 10 GB | five to ten gigabytes
Tip - use this | tip use this
W-2 and B-52 | W two and B fifty two
x = 1_000_000 and 98_222 | X equals one million and ninety eight thousand two hundred twenty two
my_var_123 | my var one twenty three
peek/peek_mut and src/my_mod/lib.rs | peek slash peek mut and S R C slash my underscore mod slash lib dot R S
Location::file's docs | location colon colon file's docs
0.000_001 and 1_000.5 | zero point zero zero zero zero zero one and one thousand point five
prefixes 0x, 0o or 0b | prefixes zero X zero O or zero B
-pi/2 and π/2 | minus pi over two and pi over two
1/sqrt(2π) | one over the square root of two pi
x.sqrt() and -inf | X dot square root and minus inf
e^(self) | E to the power of self
x/2 and 1/x | X over two and one over X
-v and -rf | dash V and dash R F
(a + b) - (c + d) | A plus B minus C plus D
[`5014f22332`] - lib: fix | five zero one four F two two three three two lib fix
(CVE-2025-55132) | CVE twenty twenty five fifty five one thirty two
1e100000 | one E one hundred thousand
the # of requests | the number of requests
""")

WORDS_AND_ACRONYMS = rows("""
Hello world | hello world
XYZ | X Y Z
GPU | G P U
GPUs | G P U
API's | A P I
NASA | N A S A
WARNING | warning
OK | okay
A user | a user
plan A | plan A
I think | I think
the x axis | the X axis
macOS | mac O S
iPhone | I phone
GitHub | git hub
e-mail | E mail
state-of-the-art | state of the art
read/write | read write
and/or | and or
don't | don't
Q&A | Q and A
R&D | R and D
AT&T | A T and T
x86 | X eighty six
k8s | K eight S
3D | three D
5G | five G
H100 | H one hundred
A100 | A one hundred
M2 | M two
RTX4090 | R T X forty ninety
GPT-4 | G P T four
i7 | I seven
PhD | P H D
IoT | I O T
PCIe | P C I E
ctrl+C | control plus C
sha256 | sha two fifty six
C++ | C plus plus
C# | C sharp
.NET | dot net
Wi-Fi | wifi
I/O | I O
""")

ABBREVIATIONS_AND_SYMBOLS = rows("""
Press ⌘K or ⌥⇧F, then ⏎ | press command K or option shift F then return
e.g. this | for example this
(finally 🎉). Next | finally next
Thx! | thanks
i.e. that | that is that
apples, pears, etc. | apples pears et cetera
A vs. B | A versus B
X vs Y | X versus Y
approx. 5 | approximately five
Smith et al. | smith et al
U.S. | U S
No. 5 | number five
say no. | say no
w/ cache | with cache
salt & pepper | salt and pepper
1 + 2 = 3 | one plus two equals three
a * b | A times B
5 × 3 | five times three
~5 ms | about five milliseconds
±2 | plus or minus two
x ≈ 3 | X approximately three
a → b | A to B
§ 4 | section four
λ | lambda
""")

UNICODE = rows("""
x ́ y | X Y
ﬁne ﬂow | fine flow
１２３ | one hundred twenty three
“quoted” | quoted
it’s | it's
zero\u200bwidth | zerowidth
café | café
😀 hello 🎉 | hello
👍🏽 ok | okay
© 2026 Acme™ | two thousand twenty six acme
日本語 |
½ | one half
25℃ | twenty five degrees celsius
wait… what | wait what
a — b | A B
a – b | A B
5 − 3 and a − b | five minus three and A minus B
− item | item
2⁸−1 | two to the power of eight minus one
x² and 2³ | X squared and two cubed
10 m² and 3 m³ of water | ten square meters and three cubic meters of water
9.8 m/s² | nine point eight meters per second squared
c = 3 × 10⁸ m/s | C equals three times ten to the power of eight meters per second
10⁻³ s | ten to the power of minus three seconds
1990 – 1995 | nineteen ninety to nineteen ninety five
Δt and αβ | delta T and alpha beta
σ² | sigma squared
as shown¹ here, Python³ | as shown here python
(2ⁿ-1) and 2²ⁿ⁻² - 1 | two to the power of N minus one and two to the power of two N minus two minus one
the "µs" suffix | the microseconds suffix
""")

KNOWN_ROWS = rows("""
CUDA and NASA | CUDA and NASA
JSON API | JSON API
GPUs | GPU
APIs | API
kubectl apply | kubectl apply
XYZ | X Y Z
WARNING | warning
GitHub | GitHub
OAuth 2.0 | OAuth two point oh
Node.js | Node.js
node.js | Node.js
Node.js-based | Node.js based
C++17 | C++ seventeen
C# code | C# code
ASP.NET | A S P .NET
CI/CD pipeline | CI/CD pipeline
TCP/IP | TCP/IP
8 H100s | eight H100
k8s | k8s
/usr/lib/x86_64 | slash usr slash lib slash x86_64
Wi-Fi | Wi-Fi
gRPC | gRPC
Hello | hello
""")


@pytest.mark.parametrize("text, spoken", NUMBERS)
def test_numbers(text, spoken):
    assert said(text) == spoken


@pytest.mark.parametrize("text, spoken", VERSIONS)
def test_versions(text, spoken):
    assert said(text) == spoken


@pytest.mark.parametrize("text, spoken", UNITS)
def test_units(text, spoken):
    assert said(text) == spoken


@pytest.mark.parametrize("text, spoken", MONEY_AND_PERCENT)
def test_money_and_percent(text, spoken):
    assert said(text) == spoken


@pytest.mark.parametrize("text, spoken", ORDINALS_RANGES_FRACTIONS)
def test_ordinals_ranges_fractions(text, spoken):
    assert said(text) == spoken


@pytest.mark.parametrize("text, spoken", TIMES_AND_DATES)
def test_times_and_dates(text, spoken):
    assert said(text) == spoken


@pytest.mark.parametrize("text, spoken", STATUS_AND_GROUPED)
def test_status_codes_and_model_numbers(text, spoken):
    assert said(text) == spoken


@pytest.mark.parametrize("text, spoken", PATHS_URLS_EMAILS)
def test_paths_urls_emails(text, spoken):
    assert said(text) == spoken


@pytest.mark.parametrize("text, spoken", CODE)
def test_code(text, spoken):
    assert said(text) == spoken


def test_a_uuid_is_read_group_by_group():
    assert said("550e8400-e29b-41d4-a716-446655440000") == (
        "five five zero E eight four zero zero dash E two nine B dash four one D four dash A seven one six dash "
        "four four six six five five four four zero zero zero zero")


@pytest.mark.parametrize("text, spoken", WORDS_AND_ACRONYMS)
def test_words_and_acronyms_without_lexicon(text, spoken):
    assert said(text) == spoken


@pytest.mark.parametrize("text, spoken", ABBREVIATIONS_AND_SYMBOLS)
def test_abbreviations_and_symbols(text, spoken):
    assert said(text) == spoken


@pytest.mark.parametrize("text, spoken", UNICODE)
def test_unicode(text, spoken):
    assert said(text) == spoken


@pytest.mark.parametrize("text, spoken", KNOWN_ROWS)
def test_with_lexicon(text, spoken):
    assert said(text, KNOWN) == spoken


KINDS = [
    ("42", "number"), ("3.14", "decimal"), ("v1.2", "version"), ("12 GB", "unit"), ("95%", "percent"),
    ("$5", "currency"), ("3rd", "ordinal"), ("1-5", "range"), ("7:30", "time"), ("2026-11-26", "date"),
    ("/etc/hosts", "path"), ("https://a.io", "url"), ("a@b.io", "email"), ("snake_case", "code"),
    ("--dry-run", "flag"), ("XYZ", "acronym"), ("U.S.", "letters"), ("e.g.", "abbreviation"),
    ("1/2", "fraction"), ("555-123-4567", "phone"), ("#tag", "hashtag"), ("@bob", "mention"),
    ("&", "symbol"), ("!", "punct"), ("GPUs", "acronym_plural"), ("hello", "word"),
]


@pytest.mark.parametrize("text, kind", KINDS)
def test_kind_of_each_rule(text, kind):
    (tok,) = normalize(text)
    assert tok.kind == kind


def kinds(text: str, known=None) -> list[tuple[str, str]]:
    return [(t.original, t.kind) for t in normalize(text, known=known)]


def test_kinds_of_pieces():
    assert kinds("In 2026, RTX 4090 runs v1.2 at 35 ms.") == [
        ("In", "word"), ("2026", "year"), (",", "punct"), ("RTX", "acronym"), ("4090", "number"),
        ("runs", "word"), ("v1.2", "version"), ("at", "word"), ("35 ms", "unit"), (".", "punct")]
    assert kinds("XYZ GPUs 😀") == [("XYZ", "acronym"), ("GPUs", "acronym_plural"), ("😀", "symbol")]
    assert kinds("GPUs CUDA Node.js", KNOWN) == [("GPUs", "term_plural"), ("CUDA", "term"),
                                                  ("Node.js", "term")]


@pytest.mark.parametrize("text, unit", [("It takes 35 ms.", "35 ms"), ("Wait 3 min. Then go.", "3 min"),
                                        ("about 3 min. later", "3 min.")])
def test_a_sentence_final_dot_is_not_part_of_the_unit(text, unit):
    tokens = normalize(text)
    assert unit in [t.original for t in tokens]


def test_punctuation_goes_to_the_preceding_spoken_token():
    tokens = normalize("Wait, what? (Really!) Yes... no; maybe: fine — done")
    marks = {t.original: t.punct for t in tokens if t.spoken}
    assert marks == {"Wait": ",", "what": "?", "Really": "!", "Yes": ".", "no": ";", "maybe": ":",
                     "fine": ",", "done": ""}
    assert all(t.punct == "" and t.spoken == "" for t in tokens if t.kind == "punct")


def test_strongest_mark_wins_and_abbreviations_end_sentences():
    tokens = normalize("Really?! We use apples, pears, etc. Then U.S.")
    marks = [(t.original, t.punct) for t in tokens if t.punct]
    assert marks == [("Really", "?"), ("apples", ","), ("pears", ","), ("etc.", "."), ("U.S.", ".")]


def test_inline_ipa_override_is_one_token():
    text = "Run [kubectl](/kjuːb kənˈtɹoʊl/) now."
    tokens = normalize(text, offset=100)
    check_spans(text, tokens, offset=100)
    override = tokens[1]
    assert override.original == "[kubectl](/kjuːb kənˈtɹoʊl/)"
    assert override.span == (104, 104 + len(override.original))
    assert (override.spoken, override.kind) == ("kubectl", "override")
    assert override.phonemes == espeak_to_kokoro("kjuːb kənˈtɹoʊl")
    assert tokens[2].punct == "."


def test_kokoro_override_keeps_its_phonemes():
    (tok,) = normalize("[k8s](kokoro:kˈAts)")
    assert (tok.spoken, tok.kind, tok.phonemes) == ("k8s", "override", "kˈAts")


def test_offset_shifts_every_span():
    text = "Costs $9.99/month on 2026-11-26 🎉"
    plain, shifted = normalize(text), normalize(text, offset=1000)
    assert [(s.span[0] + 1000, s.span[1] + 1000) for s in plain] == [s.span for s in shifted]
    check_spans(text, shifted, offset=1000)


def test_empty_and_blank_text():
    assert normalize("") == []
    assert normalize("   \n\t ") == []
    assert normalize("\u200b") == []


def test_unspeakable_characters_are_reported_not_dropped():
    tokens = normalize("ok 🙂 © ✓ 日本")
    symbols = [t.original for t in tokens if t.kind == "symbol" and not t.spoken]
    assert symbols == ["🙂", "©", "✓", "日本"]


def test_compatibility_characters_keep_original_spans():
    text = "ﬁle １２３ms"
    tokens = normalize(text)
    check_spans(text, tokens)
    assert [(t.original, t.spoken) for t in tokens] == [("ﬁle", "file"),
                                                        ("１２３ms", "one hundred twenty three milliseconds")]


def test_known_words_change_readings():
    assert said("XYZ uses CUDA") == "X Y Z uses C U D A"
    assert said("XYZ uses CUDA", KNOWN) == "X Y Z uses CUDA"


@pytest.mark.parametrize("text", [
    "((((((((((((((((((((((((((((((", "a" * 5000, "1" * 3000, "-" * 2000, "." * 2000,
    "[" * 1000 + "](" * 1000, "x.y" * 1000, "_a" * 2000, "A" * 3000 + "s", "1.2" * 1000, "/a" * 2000,
])
def test_pathological_pieces(text):
    check_spans(text, normalize(text))


def test_large_mixed_text_is_linear_and_spans_stay_valid():
    paragraph = ("On 2026-11-26 the RTX 4090 ran Python 3.12 at 35 ms per step (v2.3.1, 95% util); "
                 "see https://example.com/docs or /etc/nginx/nginx.conf, e.g. `--dry-run` for $9.99. "
                 "GPUs and [kubectl](/kjuːb kənˈtɹoʊl/) — fine 😀 ﬁne 12:30 pm, HTTP 404, 1-5 GB. ")
    text = paragraph * (200_000 // len(paragraph))
    tokens = normalize(text, offset=5, known=KNOWN)
    check_spans(text, tokens, offset=5)
    assert sum(t.kind == "override" for t in tokens) == text.count("[kubectl]")


GENERICS = [
    ("a Vec<T> of items", "a vec of T of items"),
    ("lib<name>.a, Array<string>", "lib name dot A array of string"),  # a placeholder is no type argument
    ("HashMap<String, Vec<u8>>", "hash map of string and vec of U eight"),
    ("Option<&'a mut str>", "option of ref mut str"),
    ("Cow<'a, str>", "cow of str"),                    # lifetimes are not read
    ("Box<dyn Error + Send>", "box of dyn error plus send"),
    ("Result<(), E>", "result of unit and E"),
    ("Box<[u8]>", "box of slice of U eight"),
    ("Promise<void>", "promise of void"),
    ("if a<b and c>d", "if A less than B and C greater than D"),   # a comparison, not a type
    ("x < y > z", "X less than Y greater than Z"),
    ("n<10 && m>5", "N less than ten and M greater than five"),
    ("use &mut self", "use ref mut self"),            # "&" opening code is a reference
    ("takes &[u8] or &self", "takes ref U eight or ref self"),
    ("R&D and a & b", "R and D and A and B"),          # elsewhere it is "and"
]


@pytest.mark.parametrize("text, spoken", GENERICS)
def test_generic_types_read_of_their_arguments(text, spoken):
    assert said(text) == spoken
    check_spans(text, normalize(text))


@pytest.mark.parametrize("text, spoken", [
    ("a .env file", "a dot env file"),               # "a" before a path or variable is the article
    ("a ~/.bashrc entry", "a tilde slash dot bashrc entry"),
    ("a != b", "A not equal to B"),                   # before an operator it is the letter
    ("a / b", "A slash B"),
])
def test_article_before_paths_and_variables(text, spoken):
    assert said(text) == spoken


# Everyday text around the technical words (issue 28): dates with lower-case months, numeric dates,
# times with a.m./p.m., everyday and plural unit abbreviations, mixed fractions, ordinals with digit
# groups, Roman numerals after names, ranges of money, decades and times, addresses and e-mail names;
# and the technical readings beside them that must not change ("3/8/20", "v1.2-3", "The II", "2L").
EVERYDAY = rows("""
july 25 2012 | july twenty fifth twenty twelve
july 1876 | july eighteen seventy six
january 1 | january first
june 20 2014 | june twentieth twenty fourteen
released on aug 3 | released on august third
1st january 2000 | the first of january two thousand
may 2020 | may twenty twenty
may 5 tests fail | may five tests fail
march 3 miles | march three miles
dec 5 decrements | dec five decrements
11/17/05 | november seventeenth two thousand five
01.10.2010 | the first of october twenty ten
3/8/20 | three over eight over twenty
8/16/32 | eight over sixteen over thirty two
version 01.10.2010 | version zero one point ten point two thousand ten
2.30 a.m. | two thirty A M
7.15am | seven fifteen A M
1.5 PM | one point five P M
10:30 EST | ten thirty E S T
AD 79 | A D seventy nine
5 yrs | five years
2 wks | two weeks
6 mos | six months
3 kgs | three kilograms
12KG | twelve kilograms
12/kg | twelve per kilogram
1/x | one over X
8 oz | eight ounces
200 ha | two hundred hectares
1500 sq ft | one thousand five hundred square feet
12 fl oz | twelve fluid ounces
120 people/km² | one hundred twenty people per square kilometer
2 L | two liters
return 2L; | return two L
4 1/2 lbs | four and a half pounds
2 1/2 | two and a half
1½ | one and a half
7/16 | seven sixteenths
1,000th | one thousandth
10,001st | ten thousand first
Henry III | henry the third
World War II | world war two
World War I | world war one
Chapter IV | chapter four
Super Bowl LVII | super bowl fifty seven
John Smith III | john smith the third
Diablo III | diablo three
The II in the loop | the I I in the loop
Malcolm X | malcolm X
USB Type C | U S B type C
Then I ran it | then I ran it
$250-$300 | two hundred fifty to three hundred dollars
$0.50-$1 | fifty cents to one dollar
1960s-80s | nineteen sixties to eighties
10:30-11:45 | ten thirty to eleven forty five
9am-5pm | nine A M to five P M
7:30-9:00 pm | seven thirty to nine o'clock P M
3pm - 5pm | three P M to five P M
x86-64 and v1.2-3 and 3-4 | X eighty six sixty four and V one point two three and three to four
asdf123@example.com | asdf one two three at example dot com
some_university.edu | some underscore university dot edu
Elm St. | elm street
St. Louis | saint louis
Ph.D. in physics | P H D in physics
300 B.C | three hundred B C
Sunset Blvd. | sunset boulevard
X.Y.Z ranges | X dot Y dot Z ranges
version 3 has shipped | version three has shipped
Remove XXX markers | remove X X X markers
Daniel X Moore | daniel X moore
Charles V of Spain | charles the fifth of spain
Part I Introduction | part one introduction
jenkins-iojs.nodesource.com | jenkins dash iojs dot nodesource dot com
log_handler.info and self_model.net | log handler dot info and self model dot net
""")


@pytest.mark.parametrize("text, spoken", EVERYDAY)
def test_everyday_text(text, spoken):
    assert said(text) == spoken


@pytest.mark.parametrize("text, spoken", rows("""
In the Rust Reference: Ch 6.5 | in the rust reference chapter six point five
see Fig 3 and Vol 2 | see figure three and volume two
Ch is a digraph | ch is a digraph
"""))
def test_dotless_abbreviations_before_a_number(text, spoken):
    assert said(text) == spoken


@pytest.mark.parametrize("text, spoken", [
    ("With no FILE, or when FILE is -, read standard input.", "with no file or when file is dash read standard input"),
    ("Pipe it to cat -", "pipe it to cat dash"),
    ("It is fast - and small.", "it is fast and small"),    # a dash between phrases is a pause
    ("Ranges like 5 - 10.", "ranges like five to ten"),
])
def test_a_lone_dash_before_a_mark_is_an_operand(text, spoken):
    assert " ".join(w.spoken for w in enunciate.phonemize(text).words) == spoken
