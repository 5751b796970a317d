"""dpa-kit: the Art. 28 GDPR annex of the Pas-de-Calais funding conventions as a data model.

Library first: everything the ``dpa-kit`` command does is reachable from these modules
(:mod:`dpa_kit.loader`, :mod:`dpa_kit.model`, ...). The library never prints, exits or prompts.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("dpa-kit")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"
