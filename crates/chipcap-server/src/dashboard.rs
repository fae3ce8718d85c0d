//! The dashboard: static HTML, CSS and JavaScript embedded in the binary; it reads only the public
//! API, and needs no network beyond the server (no CDN, no web fonts).

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

const INDEX: &str = include_str!("../assets/index.html");
const CSS: &str = include_str!("../assets/app.css");
const JS: &str = include_str!("../assets/app.js");
const MAP: &str = include_str!("../assets/map.js");
const WORLD: &str = include_str!("../assets/world.js");

fn asset(body: &'static str, ct: &'static str) -> Response {
    let mut r = (StatusCode::OK, body).into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(ct));
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    r.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'",
        ),
    );
    r
}

/// `/`, `/assets/app.css`, `/assets/app.js`, `/assets/map.js`, `/assets/world.js` (outlines).
pub fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route(
            "/",
            get(|| async { asset(INDEX, "text/html; charset=utf-8") }),
        )
        .route(
            "/assets/app.css",
            get(|| async { asset(CSS, "text/css; charset=utf-8") }),
        )
        .route(
            "/assets/app.js",
            get(|| async { asset(JS, "text/javascript; charset=utf-8") }),
        )
        .route(
            "/assets/map.js",
            get(|| async { asset(MAP, "text/javascript; charset=utf-8") }),
        )
        .route(
            "/assets/world.js",
            get(|| async { asset(WORLD, "text/javascript; charset=utf-8") }),
        )
}
