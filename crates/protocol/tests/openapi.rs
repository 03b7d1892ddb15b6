//! `docs/api/openapi.yaml` and this crate must describe the same protocol: every
//! path and method the client and server use must appear in the YAML, and the YAML
//! must not list endpoints nobody implements.
//!
//! The check reads the YAML's `paths:` block by indentation (the file is ours and
//! block-style), which avoids a YAML dependency for one test.

use std::collections::{BTreeMap, BTreeSet};

const METHODS: &[&str] = &["get", "put", "post", "delete", "patch", "head", "options"];

/// `path -> methods` from the top-level `paths:` mapping.
fn openapi_paths(yaml: &str) -> BTreeMap<String, BTreeSet<String>> {
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut in_paths = false;
    let mut current: Option<String> = None;
    for line in yaml.lines() {
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let indent = line.len() - line.trim_start().len();
        if indent == 0 {
            in_paths = line.trim_end() == "paths:";
            current = None;
            continue;
        }
        if !in_paths {
            continue;
        }
        let key = line.trim().split(':').next().unwrap_or("").to_string();
        if indent == 2 && line.trim_end().ends_with(':') {
            out.entry(key.clone()).or_default();
            current = Some(key);
        } else if indent == 4 && METHODS.contains(&key.as_str()) {
            let path = current.clone().expect("method outside a path");
            out.entry(path).or_default().insert(key);
        }
    }
    out
}

fn load() -> BTreeMap<String, BTreeSet<String>> {
    let file = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/api/openapi.yaml");
    let yaml = std::fs::read_to_string(file).expect("docs/api/openapi.yaml");
    assert!(yaml.starts_with("openapi: 3.1"), "not an OpenAPI 3.1 file");
    openapi_paths(&yaml)
}

#[test]
fn every_route_is_described() {
    let spec = load();
    assert!(spec.len() >= 8, "parsed too few paths: {spec:?}");
    for (path, methods) in findme_protocol::paths::ROUTES {
        let described = spec
            .get(*path)
            .unwrap_or_else(|| panic!("{path} is missing from openapi.yaml"));
        for m in *methods {
            assert!(
                described.contains(*m),
                "{m} {path} is missing from openapi.yaml"
            );
        }
    }
}

#[test]
fn every_described_api_route_exists() {
    let routes: BTreeMap<&str, &[&str]> = findme_protocol::paths::ROUTES.iter().copied().collect();
    for (path, methods) in load() {
        if path == "/" {
            continue; // the attendee HTML page, not part of the client
        }
        let ours = routes
            .get(path.as_str())
            .unwrap_or_else(|| panic!("openapi.yaml describes {path}, which paths::ROUTES lacks"));
        for m in methods {
            assert!(
                ours.contains(&m.as_str()),
                "openapi.yaml describes {m} {path}, not in ROUTES"
            );
        }
    }
}

#[test]
fn builders_match_templates() {
    use findme_protocol::paths;
    let sha = "a".repeat(64);
    let fill = |t: &str| {
        t.replace("{event}", "E")
            .replace("{participant}", "P")
            .replace("{sha256}", &sha)
    };
    assert_eq!(paths::event("E"), fill(paths::EVENT));
    assert_eq!(paths::participants("E"), fill(paths::PARTICIPANTS));
    assert_eq!(paths::selfie("E", "P"), fill(paths::SELFIE));
    assert_eq!(paths::photo("E", &sha), fill(paths::PHOTO));
    assert_eq!(paths::photo_image("E", &sha), fill(paths::PHOTO_IMAGE));
    assert_eq!(paths::stats("E"), fill(paths::STATS));
    assert_eq!(paths::registration("E"), fill(paths::REGISTRATION));
    assert_eq!(paths::guest_page("E"), fill(paths::GUEST_PAGE));
    assert_eq!(
        paths::photo_grid_image("E", &sha),
        fill(paths::PHOTO_GRID_IMAGE)
    );
    assert_eq!(
        paths::public_photo_grid_image(&sha),
        format!("{}?size=grid", fill(paths::PUBLIC_PHOTO_IMAGE))
    );
    assert_eq!(
        paths::registration_card("E"),
        fill(paths::REGISTRATION_CARD)
    );
    assert_eq!(paths::my_photos(), fill(paths::MY_PHOTOS));
    assert_eq!(
        paths::public_photo_image(&sha),
        fill(paths::PUBLIC_PHOTO_IMAGE)
    );
}

#[test]
fn the_parser_sees_a_missing_method() {
    let yaml = "openapi: 3.1.0\npaths:\n  /a:\n    get:\n      x: 1\n  /b:\n    put: {}\ncomponents:\n  /c:\n    get: {}\n";
    let parsed = openapi_paths(yaml);
    assert_eq!(parsed.len(), 2);
    assert!(parsed["/a"].contains("get") && !parsed["/a"].contains("put"));
    assert!(parsed["/b"].contains("put"));
}
