//! Prometheus metrics, kept by hand (no client library): request counts and latency histograms per
//! route, determinations by outcome, requests in flight. Allowance utilisation is read from the
//! ledger when `/metrics` is scraped.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// Upper bounds of the latency buckets, in microseconds.
const BUCKETS_US: [u64; 14] = [
    250, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000, 1_000_000,
    2_500_000, 10_000_000,
];

#[derive(Default, Clone)]
struct RouteStats {
    by_status: BTreeMap<u16, u64>,
    buckets: [u64; BUCKETS_US.len()],
    count: u64,
    sum_us: u64,
}

/// The server's metrics.
#[derive(Default)]
pub struct Metrics {
    routes: Mutex<BTreeMap<(&'static str, String), RouteStats>>,
    /// not_controlled, authorized, license_required, no_license_required.
    decisions: [AtomicU64; 4],
    in_flight: AtomicI64,
}

fn method_label(m: &axum::http::Method) -> &'static str {
    match m.as_str() {
        "GET" => "GET",
        "POST" => "POST",
        "PUT" => "PUT",
        "DELETE" => "DELETE",
        "HEAD" => "HEAD",
        "PATCH" => "PATCH",
        "OPTIONS" => "OPTIONS",
        _ => "OTHER",
    }
}

impl Metrics {
    /// A request reached the router.
    pub fn start(&self) {
        self.in_flight.fetch_add(1, Ordering::SeqCst);
    }

    /// Requests being served now.
    pub fn in_flight(&self) -> i64 {
        self.in_flight.load(Ordering::SeqCst)
    }

    /// A request finished.
    pub fn finish(&self, method: &axum::http::Method, route: &str, status: u16, took: Duration) {
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        let us = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        let key = (method_label(method), route.to_string());
        if let Ok(mut g) = self.routes.lock() {
            let s = g.entry(key).or_default();
            *s.by_status.entry(status).or_insert(0) += 1;
            s.count += 1;
            s.sum_us = s.sum_us.saturating_add(us);
            for (i, b) in BUCKETS_US.iter().enumerate() {
                if us <= *b {
                    s.buckets[i] += 1;
                }
            }
        }
    }

    /// A determination was made.
    pub fn decision(&self, d: chipcap_core::determination::Decision) {
        use chipcap_core::determination::Decision as D;
        let i = match d {
            D::NotControlled => 0,
            D::Authorized => 1,
            D::LicenseRequired => 2,
            D::NoLicenseRequired => 3,
        };
        self.decisions[i].fetch_add(1, Ordering::Relaxed);
    }

    /// The exposition text; `utilisation` rows are (allowance, entity, country, period, ratio).
    pub fn render(&self, utilisation: &[(String, String, String, String, f64)]) -> String {
        let mut o = String::with_capacity(4096);
        let routes = self.routes.lock().map(|g| g.clone()).unwrap_or_default();
        let _ = writeln!(
            o,
            "# HELP chipcap_http_requests_total HTTP requests by method, route and status.\n# TYPE chipcap_http_requests_total counter"
        );
        for ((m, r), s) in &routes {
            for (st, n) in &s.by_status {
                let _ = writeln!(
                    o,
                    "chipcap_http_requests_total{{method=\"{m}\",route=\"{}\",status=\"{st}\"}} {n}",
                    esc(r)
                );
            }
        }
        let _ = writeln!(
            o,
            "# HELP chipcap_http_request_duration_seconds HTTP request latency by method and route.\n# TYPE chipcap_http_request_duration_seconds histogram"
        );
        for ((m, r), s) in &routes {
            let r = esc(r);
            for (i, b) in BUCKETS_US.iter().enumerate() {
                let _ = writeln!(
                    o,
                    "chipcap_http_request_duration_seconds_bucket{{method=\"{m}\",route=\"{r}\",le=\"{}\"}} {}",
                    secs(*b),
                    s.buckets[i]
                );
            }
            let _ = writeln!(
                o,
                "chipcap_http_request_duration_seconds_bucket{{method=\"{m}\",route=\"{r}\",le=\"+Inf\"}} {}",
                s.count
            );
            let _ = writeln!(
                o,
                "chipcap_http_request_duration_seconds_sum{{method=\"{m}\",route=\"{r}\"}} {}",
                secs(s.sum_us)
            );
            let _ = writeln!(
                o,
                "chipcap_http_request_duration_seconds_count{{method=\"{m}\",route=\"{r}\"}} {}",
                s.count
            );
        }
        let _ = writeln!(
            o,
            "# HELP chipcap_http_requests_in_flight Requests being served.\n# TYPE chipcap_http_requests_in_flight gauge\nchipcap_http_requests_in_flight {}",
            self.in_flight()
        );
        let _ = writeln!(
            o,
            "# HELP chipcap_determinations_total Determinations made, by decision.\n# TYPE chipcap_determinations_total counter"
        );
        for (i, name) in [
            "not_controlled",
            "authorized",
            "license_required",
            "no_license_required",
        ]
        .iter()
        .enumerate()
        {
            let _ = writeln!(
                o,
                "chipcap_determinations_total{{decision=\"{name}\"}} {}",
                self.decisions[i].load(Ordering::Relaxed)
            );
        }
        let _ = writeln!(
            o,
            "# HELP chipcap_allowance_utilisation_ratio Used over cap for every capped allowance in the ledger (today).\n# TYPE chipcap_allowance_utilisation_ratio gauge"
        );
        for (a, e, c, p, v) in utilisation {
            let _ = writeln!(
                o,
                "chipcap_allowance_utilisation_ratio{{allowance=\"{}\",entity=\"{}\",country=\"{}\",period=\"{}\"}} {v}",
                esc(a),
                esc(e),
                esc(c),
                esc(p)
            );
        }
        o
    }
}

fn secs(us: u64) -> String {
    let whole = us / 1_000_000;
    let frac = us % 1_000_000;
    if frac == 0 {
        format!("{whole}")
    } else {
        let f = format!("{frac:06}");
        format!("{whole}.{}", f.trim_end_matches('0'))
    }
}

fn esc(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_histograms_and_counters() {
        let m = Metrics::default();
        m.start();
        m.finish(
            &axum::http::Method::POST,
            "/v1/determinations",
            200,
            Duration::from_micros(700),
        );
        m.decision(chipcap_core::determination::Decision::Authorized);
        let t = m.render(&[("lpp".into(), "X".into(), "".into(), "2025".into(), 0.5)]);
        assert!(t.contains("chipcap_http_requests_total{method=\"POST\",route=\"/v1/determinations\",status=\"200\"} 1"));
        assert!(t.contains("le=\"0.0005\"} 0"));
        assert!(t.contains("le=\"0.001\"} 1"));
        assert!(t.contains("chipcap_determinations_total{decision=\"authorized\"} 1"));
        assert!(t.contains("chipcap_allowance_utilisation_ratio{allowance=\"lpp\",entity=\"X\",country=\"\",period=\"2025\"} 0.5"));
        assert_eq!(m.in_flight(), 0);
    }
}
