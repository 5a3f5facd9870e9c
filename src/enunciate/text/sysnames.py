"""Names of system constants read as engineers say them: errno names (`EINVAL` "E inval",
`ENOENT` "E no ent"), signals (`SIGSEGV` "sig seg V") and open(2) flags (`O_RDONLY` "O read only").

The spelled-or-said rule for acronyms (`acronyms.py`) reads them wrong both ways: `ENOENT` spelled
letter by letter, `EINVAL` guessed as one word. These names are a prefix (E, SIG, O_) and a stem of
abbreviated words, so the stem is cut into the pieces below (the cut that spells the fewest letters,
then the fewest pieces) and each piece is said as its word; a piece no one says as a word is spelled
(`EIO` E I O, `SIGFPE` sig F P E). Only the names Linux defines are read so (the lists below are
Python's `errno`, `signal` and `os` modules on Linux, held by tests/test_acronyms.py), so a capital
word that merely begins with E is left to the acronym rule.
"""
from __future__ import annotations

from functools import lru_cache

ERRNO_NAMES = frozenset("""
E2BIG EACCES EADDRINUSE EADDRNOTAVAIL EADV EAFNOSUPPORT EAGAIN EALREADY EBADE EBADF EBADFD EBADMSG EBADR
EBADRQC EBADSLT EBFONT EBUSY ECANCELED ECHILD ECHRNG ECOMM ECONNABORTED ECONNREFUSED ECONNRESET EDEADLK EDEADLOCK
EDESTADDRREQ EDOM EDOTDOT EDQUOT EEXIST EFAULT EFBIG EHOSTDOWN EHOSTUNREACH EIDRM EILSEQ EINPROGRESS EINTR EINVAL
EIO EISCONN EISDIR EISNAM EKEYEXPIRED EKEYREJECTED EKEYREVOKED EL2HLT EL2NSYNC EL3HLT EL3RST ELIBACC ELIBBAD
ELIBEXEC ELIBMAX ELIBSCN ELNRNG ELOOP EMEDIUMTYPE EMFILE EMLINK EMSGSIZE EMULTIHOP ENAMETOOLONG ENAVAIL ENETDOWN
ENETRESET ENETUNREACH ENFILE ENOANO ENOBUFS ENOCSI ENODATA ENODEV ENOENT ENOEXEC ENOKEY ENOLCK ENOLINK ENOMEDIUM
ENOMEM ENOMSG ENONET ENOPKG ENOPROTOOPT ENOSPC ENOSR ENOSTR ENOSYS ENOTBLK ENOTCONN ENOTDIR ENOTEMPTY ENOTNAM
ENOTRECOVERABLE ENOTSOCK ENOTSUP ENOTTY ENOTUNIQ ENXIO EOPNOTSUPP EOVERFLOW EOWNERDEAD EPERM EPFNOSUPPORT EPIPE
EPROTO EPROTONOSUPPORT EPROTOTYPE ERANGE EREMCHG EREMOTE EREMOTEIO ERESTART ERFKILL EROFS ESHUTDOWN
ESOCKTNOSUPPORT ESPIPE ESRCH ESRMNT ESTALE ESTRPIPE ETIME ETIMEDOUT ETOOMANYREFS ETXTBSY EUCLEAN EUNATCH EUSERS
EWOULDBLOCK EXDEV EXFULL
""".split())
SIGNAL_NAMES = frozenset("""
SIGABRT SIGALRM SIGBUS SIGCHLD SIGCONT SIGFPE SIGHUP SIGILL SIGINT SIGIO SIGIOT SIGKILL SIGPIPE SIGPOLL SIGPROF
SIGPWR SIGQUIT SIGRTMAX SIGRTMIN SIGSEGV SIGSTKFLT SIGSTOP SIGSYS SIGTERM SIGTRAP SIGTSTP SIGTTIN SIGTTOU SIGURG
SIGUSR1 SIGUSR2 SIGVTALRM SIGWINCH SIGXCPU SIGXFSZ
""".split())
OPEN_FLAGS = frozenset("""
O_ACCMODE O_APPEND O_ASYNC O_CLOEXEC O_CREAT O_DIRECT O_DIRECTORY O_DSYNC O_EXCL O_FSYNC O_LARGEFILE O_NDELAY
O_NOATIME O_NOCTTY O_NOFOLLOW O_NONBLOCK O_PATH O_RDONLY O_RDWR O_RSYNC O_SYNC O_TMPFILE O_TRUNC O_WRONLY
""".split())

# The abbreviated words of the stems, as said. Pieces without a vowel letter are said only where the
# abbreviation stands for one word everyone reads out ("LCK" lock, "MSG" message); others are spelled.
PIECES = {
    "ABORTED": "aborted", "ABRT": "abort", "ACCES": "access", "ACC": "acc", "ADDR": "adder", "AGAIN": "again",
    "ALREADY": "already", "ALRM": "alarm", "APPEND": "append", "AVAIL": "avail", "BAD": "bad", "BLK": "block",
    "BLOCK": "block", "BUFS": "buffs", "BUS": "bus", "BUSY": "busy", "BSY": "busy", "CANCELED": "canceled",
    "CHILD": "child", "CHLD": "child", "CLOEXEC": "close exec", "CONN": "conn", "CONT": "cont", "CREAT": "create",
    "DATA": "data", "DEAD": "dead", "DEADLK": "dead lock", "DEADLOCK": "dead lock", "DELAY": "delay", "DEST": "dest",
    "DEV": "dev", "DIR": "dir", "DIRECT": "direct", "DIRECTORY": "directory", "DOM": "dom", "DOT": "dot",
    "DOWN": "down", "EMPTY": "empty", "ENT": "ent", "EXCL": "exclusive", "EXEC": "exec", "EXIST": "exist",
    "EXPIRED": "expired", "FAULT": "fault", "FILE": "file", "FOLLOW": "follow", "FULL": "full", "HOST": "host",
    "HUP": "hup", "ILL": "ill", "IN": "in", "INT": "int", "INTR": "inter", "INVAL": "inval", "IS": "is",
    "KEY": "key", "KILL": "kill", "LARGE": "large", "LCK": "lock", "LIB": "lib", "LINK": "link", "LOCK": "lock",
    "LONG": "long", "LOOP": "loop", "MANY": "many", "MAX": "max", "MEDIUM": "medium", "MEM": "mem",
    "MIN": "min", "MODE": "mode", "MSG": "message", "MULTI": "multi", "NAME": "name", "NET": "net", "NO": "no",
    "NON": "non", "NOT": "not", "ONLY": "only", "OPT": "opt", "OVERFLOW": "overflow", "OWNER": "owner",
    "PATH": "path", "PERM": "perm", "PIPE": "pipe", "POLL": "poll", "PROF": "prof", "PROGRESS": "progress",
    "PROTO": "proto", "PWR": "power", "QUIT": "quit", "RANGE": "range", "RD": "read", "RECOVERABLE": "recoverable",
    "REFS": "refs", "REFUSED": "refused", "REJECTED": "rejected", "REMOTE": "remote", "RESET": "reset",
    "RESTART": "restart", "REVOKED": "revoked", "SEGV": "seg V", "SHUTDOWN": "shutdown", "SIZE": "size",
    "SOCK": "sock", "SRCH": "search", "STALE": "stale", "STOP": "stop", "STR": "stir", "SUP": "sup",
    "SUPPORT": "support", "SUPP": "sup", "SYNC": "sync", "SYS": "sis", "TERM": "term", "TIME": "time",
    "TIMED": "timed", "TMP": "temp", "TOO": "too", "TRAP": "trap", "TRUNC": "trunc", "TXT": "text", "TYPE": "type",
    "UNIQ": "unique", "UNREACH": "unreach", "URG": "urge", "USE": "use", "USERS": "users", "USR": "user",
    "WINCH": "winch", "WOULD": "would", "WR": "write", "OUT": "out", "OVER": "over", "BIG": "big",
    "TTY": "T T Y", "TTOU": "T T out", "SEQ": "seek", "CLEAN": "clean", "OP": "op", "FONT": "font", "COMM": "comm",
    "HOP": "hop", "PKG": "package", "QUOT": "quot", "STK": "stack", "FLT": "fault",
}
_LONGEST = max(map(len, PIECES))
_DIGITS = {"1": "one", "2": "two", "3": "three"}


def _stem(stem: str) -> str:
    """The cut of `stem` into pieces that spells the fewest letters, then has the fewest pieces."""
    best: list[tuple[int, int, list[str]] | None] = [(0, 0, [])] + [None] * len(stem)
    for end in range(1, len(stem) + 1):
        options = []
        for start in range(max(0, end - _LONGEST), end):
            prior = best[start]
            piece = stem[start:end]
            if prior is None:
                continue
            if piece in PIECES:
                options.append((prior[0], prior[1] + 1, [*prior[2], PIECES[piece]]))
            elif end - start == 1:  # a letter spelled, a digit said ("SIGUSR1": sig user one)
                options.append((prior[0] + 1, prior[1] + 1, [*prior[2], _DIGITS.get(piece, piece)]))
        best[end] = min(options, key=lambda o: (o[0], o[1])) if options else None
    return " ".join(best[-1][2]) if best[-1] else ""


@lru_cache(maxsize=512)
def system_name(word: str) -> str | None:
    """The words for an errno, signal or open-flag name Linux defines, else None:
    "EINVAL" -> "E inval", "SIGTERM" -> "sig term", "O_RDONLY" -> "O read only"."""
    if word in ERRNO_NAMES:
        return f"E {_stem(word[1:])}"
    if word in SIGNAL_NAMES:
        return f"sig {_stem(word[3:])}"
    if word in OPEN_FLAGS:
        return f"O {_stem(word[2:])}"
    return None
