//! The browser-side security headers on everything the collector serves: which scripts a
//! page may run, whether it may be framed, and that no response is sniffed into another
//! type. Handlers that know better (the dashboard, the demo pages with their inline
//! snippet) set their own `Content-Security-Policy`; the layers here only fill in what a
//! response lacks. This module never reads files: the demo pages' policy is computed from
//! the bytes `static_files` already read.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use axum::Router;
use base64::Engine;
use sha2::{Digest, Sha256};
use tower_http::set_header::SetResponseHeaderLayer;

/// The dashboard shows names that visitors' browsers sent, so even if a future edit
/// rendered one as markup, no script or outside resource could load from it: same-origin
/// files only, no inline script or style, no frames, plugins or foreign form targets.
pub const DASHBOARD_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'self'; \
     frame-ancestors 'none'";

/// An HTML response no handler gave a policy to (none today): the dashboard's rules minus
/// what only the dashboard needs, so a new page starts strict and is loosened on purpose.
const HTML_CSP: &str = "default-src 'self'; script-src 'self'; object-src 'none'; \
     base-uri 'none'; frame-ancestors 'none'";

/// JSON, JavaScript, wasm, images, error text: a browser applies a policy only when it
/// renders the response as a document (an SVG or JSON opened in a tab), and then it
/// should run nothing and be framed by no one.
const OTHER_CSP: &str = "default-src 'none'; frame-ancestors 'none'";

/// Applies the headers every response gets, unless the handler already set them.
pub fn headers<S>(router: Router<S>) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    router
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("strict-origin-when-cross-origin"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            fallback_csp,
        ))
}

/// The policy for a response whose handler set none. None on a 304: a browser merges a
/// 304's headers into the copy it revalidated, and a page's own policy must not be
/// replaced by the one for bodiless responses.
fn fallback_csp(res: &Response) -> Option<HeaderValue> {
    if res.status() == StatusCode::NOT_MODIFIED {
        return None;
    }
    let html = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().starts_with("text/html"));
    Some(HeaderValue::from_static(if html {
        HTML_CSP
    } else {
        OTHER_CSP
    }))
}

/// The policy for a demo-site page: its own inline scripts (the README snippet) by hash,
/// same-origin scripts (the loader, the module's glue), wasm compilation, and fetches to
/// the collector itself. Computed on every request rather than cached per mtime: hashing
/// a page's few inline scripts costs less than reading the file, which happens anyway.
pub fn page_csp(html: &[u8]) -> HeaderValue {
    let html = String::from_utf8_lossy(html);
    let mut script_src = String::from("script-src 'self'");
    let mut seen = Vec::new();
    for script in inline_scripts(&html) {
        let hash = script_hash(&script);
        if !seen.contains(&hash) {
            script_src.push_str(" '");
            script_src.push_str(&hash);
            script_src.push('\'');
            seen.push(hash);
        }
    }
    let policy = format!(
        "{script_src} 'wasm-unsafe-eval'; connect-src 'self'; object-src 'none'; \
         base-uri 'none'; frame-ancestors 'none'"
    );
    // Only ASCII went in (base64 and fixed text), so this cannot fail; fall back to a
    // policy that runs no inline script rather than to none at all.
    HeaderValue::from_str(&policy).unwrap_or(HeaderValue::from_static(HTML_CSP))
}

/// The CSP source expression (`sha256-…`, without quotes) a browser matches `script`
/// against: SHA-256 of its UTF-8 text, base64.
pub fn script_hash(script: &str) -> String {
    let digest = Sha256::digest(script.as_bytes());
    format!(
        "sha256-{}",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

/// The text of each inline `<script>` (one without `src`) outside comments, with line
/// breaks normalised the way the HTML parser does before the browser hashes it. A small
/// scanner, not a full HTML parser: it reads the site's own pages, whose markup the site
/// owner controls, and a script it misreads is merely blocked by the browser.
fn inline_scripts(html: &str) -> Vec<String> {
    // ASCII lowercasing keeps every byte offset, so positions found in `lower` index `html`.
    let lower = html.to_ascii_lowercase();
    let mut scripts = Vec::new();
    let mut at = 0;
    while let Some(found) = lower.get(at..).and_then(|rest| rest.find('<')) {
        let start = at + found;
        let rest = lower.get(start..).unwrap_or_default();
        if rest.starts_with("<!--") {
            match rest.find("-->") {
                Some(end) => at = start + end + 3,
                None => break,
            }
            continue;
        }
        let after_name = start + "<script".len();
        let is_script = rest.starts_with("<script")
            && lower
                .get(after_name..)
                .and_then(|r| r.chars().next())
                .is_some_and(|c| c.is_ascii_whitespace() || c == '>' || c == '/');
        if !is_script {
            at = start + 1;
            continue;
        }
        let Some((tag_len, has_src)) = start_tag(lower.get(after_name..).unwrap_or_default())
        else {
            break;
        };
        let body_start = after_name + tag_len;
        let body_end = script_end(&lower, body_start);
        if !has_src {
            let text = html.get(body_start..body_end).unwrap_or_default();
            scripts.push(text.replace("\r\n", "\n").replace('\r', "\n"));
        }
        at = body_end;
    }
    scripts
}

/// Reads a start tag's attributes up to its `>`: the length consumed (through the `>`)
/// and whether one of them is `src`. `None` when the tag never closes.
fn start_tag(tag: &str) -> Option<(usize, bool)> {
    let bytes = tag.as_bytes();
    let mut i = 0;
    let mut has_src = false;
    loop {
        while bytes
            .get(i)
            .is_some_and(|b| b.is_ascii_whitespace() || *b == b'/')
        {
            i += 1;
        }
        if *bytes.get(i)? == b'>' {
            return Some((i + 1, has_src));
        }
        let name_start = i;
        while bytes
            .get(i)
            .is_some_and(|b| !b.is_ascii_whitespace() && !matches!(b, b'/' | b'>' | b'='))
        {
            i += 1;
        }
        has_src |= tag.get(name_start..i) == Some("src");
        while bytes.get(i).is_some_and(u8::is_ascii_whitespace) {
            i += 1;
        }
        if bytes.get(i) != Some(&b'=') {
            continue;
        }
        i += 1;
        while bytes.get(i).is_some_and(u8::is_ascii_whitespace) {
            i += 1;
        }
        match bytes.get(i) {
            Some(&quote @ (b'"' | b'\'')) => {
                i += 1;
                while bytes.get(i)? != &quote {
                    i += 1;
                }
                i += 1;
            }
            _ => {
                while bytes
                    .get(i)
                    .is_some_and(|b| !b.is_ascii_whitespace() && *b != b'>')
                {
                    i += 1;
                }
            }
        }
    }
}

/// Where a script's text ends: at the next `</script` followed by a space, `/` or `>`
/// (the end of the document if there is none).
fn script_end(lower: &str, from: usize) -> usize {
    let mut at = from;
    while let Some(found) = lower.get(at..).and_then(|rest| rest.find("</script")) {
        let end = at + found;
        let next = lower.as_bytes().get(end + "</script".len());
        if next.is_none_or(|b| b.is_ascii_whitespace() || matches!(b, b'/' | b'>')) {
            return end;
        }
        at = end + 1;
    }
    lower.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_inline_scripts_and_skips_external_ones_and_comments() {
        let html = "<head><SCRIPT>a()</SCRIPT>\n<script async src=\"/x.js\"></script>\
            <!-- <script>commented()</script> -->\
            <script type='module' data-src=\"y\">b()\r\n</script >\
            <script src=/z.js></script><scripts>no</scripts></head>";
        assert_eq!(inline_scripts(html), ["a()", "b()\n"]);
    }

    #[test]
    fn a_page_without_inline_scripts_allows_only_same_origin_ones() {
        let csp = page_csp(b"<script src=\"/a.js\"></script>");
        assert_eq!(
            csp,
            "script-src 'self' 'wasm-unsafe-eval'; connect-src 'self'; object-src 'none'; \
             base-uri 'none'; frame-ancestors 'none'"
        );
    }

    #[test]
    fn identical_scripts_are_listed_once() {
        let csp = page_csp(b"<script>x</script><p><script>x</script>");
        let hash = script_hash("x");
        assert_eq!(csp.to_str().unwrap().matches(&hash).count(), 1);
    }

    #[test]
    fn hashes_match_the_csp_spec_example() {
        // The empty script's hash, as browsers report it in their console.
        assert_eq!(
            script_hash(""),
            "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
        );
    }
}
