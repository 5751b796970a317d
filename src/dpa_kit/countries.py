"""Country codes (ISO 3166-1 alpha-2) with their French names, and the EU/EEA membership rules.

Names come from the CLDR data shipped with Babel, loaded on first use so that commands that never
meet a country do not pay for it.
"""

from __future__ import annotations

from functools import cache

__all__ = [
    "COUNTRY_NAMES_FR",
    "EU_EEA",
    "country_name",
    "is_eu_eea",
]

# European Union (27) plus the three EEA states: transfers inside this area are not "outside the EU".
EU_EEA = frozenset(
    "AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK IS LI NO".split()
)

# Countries with an adequacy decision of the European Commission (Art. 45 GDPR), as of 2026: Andorra,
# Argentina, Canada (commercial organisations), Faroe Islands, Guernsey, Israel, Isle of Man, Japan,
# Jersey, New Zealand, Republic of Korea, Switzerland, United Kingdom, Uruguay. The United States are
# left out: the EU-US Data Privacy Framework covers only certified organisations, so a transfer there
# needs its own safeguards unless the recipient is certified.
ADEQUATE = frozenset("AD AR CA FO GG IL IM JP JE NZ KR CH GB UY".split())

# CLDR lists a few two-letter codes that are not countries.
_NOT_COUNTRIES = frozenset({"EU", "EZ", "UN", "QO", "ZZ", "XA", "XB"})


@cache
def _names() -> dict[str, str]:
    from babel import Locale

    territories = Locale.parse("fr").territories
    return {
        code: name
        for code, name in territories.items()
        if len(code) == 2 and code.isalpha() and code not in _NOT_COUNTRIES
    }


class _LazyNames:
    """A read-only mapping view that loads the names on first use."""

    def __contains__(self, code: object) -> bool:
        return code in _names()

    def __getitem__(self, code: str) -> str:
        return _names()[code]

    def get(self, code: str, default: str | None = None) -> str | None:
        return _names().get(code, default)


COUNTRY_NAMES_FR = _LazyNames()


def country_name(code: str) -> str:
    """The French name of a country code, or the code itself if unknown."""
    return _names().get(code, code)


def is_eu_eea(code: str) -> bool:
    """True when a transfer to this country stays inside the EU/EEA."""
    return code in EU_EEA


def has_adequacy(code: str) -> bool:
    """True when the country is in the EU/EEA or covered by an adequacy decision (Art. 45 GDPR)."""
    return code in EU_EEA or code in ADEQUATE
