//! Prometheus metrics through `prometheus-client` (the Prometheus project's Rust client): request
//! counts and latency histograms per route, determinations by outcome, requests in flight, written
//! in the Prometheus text format 0.0.4. Allowance utilisation is read from the ledger when
//! `/metrics` is scraped and written as gauges of that scrape.

use std::sync::atomic::AtomicU64;
use std::time::Duration;

use prometheus_client::encoding::prometheus_text::encode;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS_S: [f64; 14] = [
    0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

/// The decisions, in the order they are written.
const DECISIONS: [&str; 4] = [
    "not_controlled",
    "authorized",
    "license_required",
    "no_license_required",
];

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: &'static str,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: &'static str,
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DecisionLabels {
    decision: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct AllowanceLabels {
    allowance: String,
    entity: String,
    country: String,
    period: String,
}

fn latency_histogram() -> Histogram {
    Histogram::new(BUCKETS_S)
}

/// The server's metrics: the registry and handles to the metrics registered in it.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram, fn() -> Histogram>,
    in_flight: Gauge,
    decisions: Family<DecisionLabels, Counter>,
}

impl Default for Metrics {
    fn default() -> Metrics {
        let mut registry = Registry::default();
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = Family::<RouteLabels, Histogram, fn() -> Histogram>::new_with_constructor(
            latency_histogram,
        );
        let in_flight = Gauge::default();
        let decisions = Family::<DecisionLabels, Counter>::default();
        // The client adds the `_total` suffix of counters and the full stop of the help texts.
        registry.register(
            "chipcap_http_requests",
            "HTTP requests by method, route and status",
            requests.clone(),
        );
        registry.register(
            "chipcap_http_request_duration_seconds",
            "HTTP request latency by method and route",
            latency.clone(),
        );
        registry.register(
            "chipcap_http_requests_in_flight",
            "Requests being served",
            in_flight.clone(),
        );
        registry.register(
            "chipcap_determinations",
            "Determinations made, by decision",
            decisions.clone(),
        );
        // Every decision is written from the start, at 0 until one is made.
        for decision in DECISIONS {
            let _ = decisions.get_or_create(&DecisionLabels { decision });
        }
        Metrics {
            registry,
            requests,
            latency,
            in_flight,
            decisions,
        }
    }
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
        self.in_flight.inc();
    }

    /// Requests being served now.
    pub fn in_flight(&self) -> i64 {
        self.in_flight.get()
    }

    /// A request finished.
    pub fn finish(&self, method: &axum::http::Method, route: &str, status: u16, took: Duration) {
        self.in_flight.dec();
        let method = method_label(method);
        self.requests
            .get_or_create(&RequestLabels {
                method,
                route: route.to_string(),
                status,
            })
            .inc();
        self.latency
            .get_or_create(&RouteLabels {
                method,
                route: route.to_string(),
            })
            .observe(took.as_secs_f64());
    }

    /// A determination was made.
    pub fn decision(&self, d: chipcap_core::determination::Decision) {
        use chipcap_core::determination::Decision as D;
        let decision = match d {
            D::NotControlled => DECISIONS[0],
            D::Authorized => DECISIONS[1],
            D::LicenseRequired => DECISIONS[2],
            D::NoLicenseRequired => DECISIONS[3],
        };
        self.decisions
            .get_or_create(&DecisionLabels { decision })
            .inc();
    }

    /// The exposition text; `utilisation` rows are (allowance, entity, country, period, ratio),
    /// read from the ledger for this scrape.
    pub fn render(&self, utilisation: &[(String, String, String, String, f64)]) -> String {
        let mut o = String::with_capacity(4096);
        // Writing into a `String` cannot fail.
        let _ = encode(&mut o, &self.registry);
        let mut scrape = Registry::default();
        let ratio = Family::<AllowanceLabels, Gauge<f64, AtomicU64>>::default();
        scrape.register(
            "chipcap_allowance_utilisation_ratio",
            "Used over cap for every capped allowance in the ledger (today)",
            ratio.clone(),
        );
        for (allowance, entity, country, period, v) in utilisation {
            ratio
                .get_or_create(&AllowanceLabels {
                    allowance: allowance.clone(),
                    entity: entity.clone(),
                    country: country.clone(),
                    period: period.clone(),
                })
                .set(*v);
        }
        let _ = encode(&mut o, &scrape);
        o
    }
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

    #[test]
    fn writes_every_decision_and_escapes_label_values() {
        let m = Metrics::default();
        let t = m.render(&[(
            "lpp".into(),
            "Acme \"Quoted\" \\ Co\nLtd".into(),
            "AE".into(),
            "2025".into(),
            1.0,
        )]);
        for d in DECISIONS {
            assert!(
                t.contains(&format!(
                    "chipcap_determinations_total{{decision=\"{d}\"}} 0"
                )),
                "{t}"
            );
        }
        assert!(t.contains("# HELP chipcap_http_requests_in_flight Requests being served.\n# TYPE chipcap_http_requests_in_flight gauge\nchipcap_http_requests_in_flight 0\n"), "{t}");
        assert!(
            t.contains("entity=\"Acme \\\"Quoted\\\" \\\\ Co\\nLtd\",country=\"AE\""),
            "{t}"
        );
    }
}
