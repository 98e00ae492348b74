"""What an agent's process may see of Baton's environment: an allow-list, not a deny-list.

An agent gets the basics every program needs (where to find programs, the locale, the terminal,
the time zone, a proxy and its certificates, a home), the variables its own CLI documents (its
key, base URL and configuration), and the names the user lists in `agent.env`. Nothing else of
Baton's: a token that is not named here never reaches code that Baton does not trust.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

_PROXIES = ("HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY")
BASIC_NAMES = frozenset(
    {
        "PATH",
        "HOME",
        "USER",
        "LOGNAME",
        "SHELL",
        "TMPDIR",
        "LANG",
        "LANGUAGE",
        "TERM",
        "TZ",
        "NO_COLOR",
        # Node and Go programs read the upper-case spelling, curl and others the lower case.
        *_PROXIES,
        *(name.lower() for name in _PROXIES),
        "SSL_CERT_FILE",
        "SSL_CERT_DIR",
        "NODE_EXTRA_CA_CERTS",
    }
)
BASIC_PREFIXES = ("LC_",)


def agent_environment(
    environ: Mapping[str, str], names: Iterable[str] = (), prefixes: Iterable[str] = ()
) -> dict[str, str]:
    """The variables of `environ` (Baton's own) that are basics, or in `names`, or start with one
    of `prefixes`."""
    allowed = BASIC_NAMES | frozenset(names)
    starts = (*BASIC_PREFIXES, *prefixes)
    return {k: v for k, v in environ.items() if k in allowed or k.startswith(starts)}
