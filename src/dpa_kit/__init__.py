"""dpa-kit: the Art. 28 GDPR annex of the Pas-de-Calais funding conventions as a data model.

Library first: everything the ``dpa-kit`` command does is reachable from these modules
(:mod:`dpa_kit.loader`, :mod:`dpa_kit.model`, ...). The library never prints, exits or prompts.
"""

from typing import Any


def __getattr__(name: str) -> Any:
    # Resolved on first use: importlib.metadata costs ~60 ms at start-up, which `check` should not pay.
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("dpa-kit")
        except PackageNotFoundError:  # a source tree that was never installed
            return "0+unknown"
    raise AttributeError(name)
