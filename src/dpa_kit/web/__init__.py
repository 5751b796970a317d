"""The web edge of dpa-kit: an ASGI application (FastAPI) over the same library as the command line.

Routes read a form, call one library function and render a Jinja2 page in French; authorisation is
decided by :mod:`dpa_kit.access`, accounts by :mod:`dpa_kit.accounts`. ``create_app(WebConfig(...))``
builds the application; ``dpa-kit serve`` runs it with uvicorn.
"""

from dpa_kit.web.app import WebConfig, create_app

__all__ = ["WebConfig", "create_app"]
