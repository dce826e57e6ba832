//! The app's visit commands beyond add/list/delete, and `stats`: real binaries on real files.

use crate::support::Sandbox;

fn add(sandbox: &Sandbox, onsen: &str, date: &str, rating: &str, fee: &str) {
    sandbox
        .onsendo()
        .args([
            "visit", "add", "--onsen", onsen, "--date", date, "--rating", rating, "--fee", fee,
        ])
        .run()
        .ok();
}

#[test]
fn visit_show_prints_one_visit_and_an_unknown_id_is_a_usage_error() {
    let sandbox = Sandbox::new();
    sandbox.init("test");
    add(&sandbox, "4", "2026-11-22", "9", "1000");
    let out = sandbox.onsendo().args(["visit", "show", "1"]).run().ok();
    assert!(
        out.stdout.contains("visit 1 on 2026-11-22"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("rating:  9"), "{}", out.stdout);
    let json = sandbox
        .onsendo()
        .args(["visit", "show", "1", "--json"])
        .run()
        .ok()
        .json();
    assert_eq!(json["onsen_id"], 4);
    assert_eq!(json["entry_fee_yen"], 1000);
    let missing = sandbox.onsendo().args(["visit", "show", "7"]).run().code(2);
    assert!(
        missing.stderr.contains("no visit with id 7"),
        "{}",
        missing.stderr
    );
}

#[test]
fn stats_counts_months_favourites_and_ratings() {
    let sandbox = Sandbox::new();
    sandbox.init("test");
    let empty = sandbox.onsendo().arg("stats").run().ok();
    assert!(empty.stdout.contains("no visits yet"), "{}", empty.stdout);
    add(&sandbox, "1", "2026-01-05", "8", "300");
    add(&sandbox, "1", "2026-01-20", "6", "300");
    add(&sandbox, "2", "2026-03-01", "10", "200");
    let json = sandbox
        .onsendo()
        .args(["stats", "--json", "--top", "1"])
        .run()
        .ok()
        .json();
    assert_eq!(json["visits"], 3);
    assert_eq!(json["onsens"], 2);
    assert_eq!(json["total_fees_yen"], 800);
    assert_eq!(json["average_rating"], 8.0);
    assert_eq!(
        json["per_month"][0],
        serde_json::json!({"month": "2026-01", "visits": 2, "average_rating": 7.0})
    );
    assert_eq!(json["per_month"][1]["month"], "2026-03");
    assert_eq!(json["favourites"].as_array().unwrap().len(), 1);
    assert_eq!(json["favourites"][0]["onsen_id"], 1);
    let since = sandbox
        .onsendo()
        .args(["stats", "--since", "2026-02-01", "--json"])
        .run()
        .ok()
        .json();
    assert_eq!(since["visits"], 1);
    let text = sandbox.onsendo().arg("stats").run().ok().stdout;
    assert!(
        text.starts_with("3 visits to 2 onsens, average rating 8.0, 800 yen in fees"),
        "{text}"
    );
    sandbox
        .onsendo()
        .args(["stats", "--since", "2026-02-30"])
        .run()
        .code(2);
}
