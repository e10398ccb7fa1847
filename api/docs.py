"""/docs (Swagger UI) and /redoc (ReDoc) from files bundled with the package (fastapi-offline's
copies), not from a CDN: they render with no network at all. ReDoc's bundle draws Redocly's
logo from cdn.redoc.ly; it is served with that address pointed at the bundled favicon."""

from __future__ import annotations

from importlib.resources import files

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

ASSETS = "/docs-assets"
STATIC = files("fastapi_offline") / "static"
REDOC_LOGO = b"https://cdn.redoc.ly/redoc/logo-mini.svg"


def add_docs(app: FastAPI) -> None:
    """Mount the bundled assets and the two pages (the app is created with docs_url=None)."""
    title = app.title
    redoc_js = (STATIC / "redoc.standalone.js").read_bytes()
    redoc_js = redoc_js.replace(REDOC_LOGO, f"{ASSETS}/favicon.png".encode())

    @app.get(f"{ASSETS}/redoc.js", include_in_schema=False)
    def redoc_bundle() -> Response:
        return Response(redoc_js, media_type="text/javascript")

    app.mount(ASSETS, StaticFiles(directory=str(STATIC)), "docs")

    @app.get("/docs", include_in_schema=False)
    def swagger() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{title}: API",
            swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS}/favicon.png",
        )

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{title}: API",
            redoc_js_url=f"{ASSETS}/redoc.js",
            redoc_favicon_url=f"{ASSETS}/favicon.png",
            with_google_fonts=False,
        )
