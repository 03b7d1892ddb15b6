//! The admin commands of the real binary, against a real server process where a
//! change must reach it: registration, token listing and revocation, re-added
//! participants, and the selfie bytes a removal deletes.

mod common;

use std::path::Path;

use common::cli::{run, run_json, run_status, start};
use common::{client, jpeg, status};
use findme_protocol::{sha256_hex, Registration};

fn selfie_file(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path.to_str().unwrap().to_string()
}

fn add(data: &common::Stores, event: &str, id: &str, selfie: &str) -> serde_json::Value {
    run_json(
        data,
        &[
            "add-participant",
            "--event",
            event,
            "--name",
            id,
            "--selfie",
            selfie,
            "--id",
            id,
        ],
    )
}

#[tokio::test]
async fn registration_command_opens_with_a_code_and_changes_only_what_is_given() {
    let dir = tempfile::tempdir().unwrap();
    let data = common::Stores::new(dir.path());
    run(&data, &["create-event", "--name", "Wedding", "--id", "wed"]);
    let reg: Registration = serde_json::from_value(run_json(
        &data,
        &["registration", "--event", "wed", "--open", "--code", "X"],
    ))
    .unwrap();
    assert!(reg.open);
    assert_eq!(reg.code.as_deref(), Some("X"));
    assert_eq!(reg.page_path, "/e/wed");
    let reg: Registration = serde_json::from_value(run_json(
        &data,
        &[
            "registration",
            "--event",
            "wed",
            "--intro",
            "Hello",
            "--matcher",
            "rekognition",
            "--retention-days",
            "7",
        ],
    ))
    .unwrap();
    assert!(reg.open, "--open/--close absent: unchanged");
    assert_eq!(reg.code.as_deref(), Some("X"));
    assert_eq!((reg.intro.as_str(), reg.retention_days), ("Hello", 7));
    let text = run(
        &data,
        &["registration", "--event", "wed", "--close", "--code", ""],
    );
    assert!(
        text.contains("registration: closed\ncode: (none)\n"),
        "{text}"
    );
    // Printing alone changes nothing; a running server sees the same state.
    let (_server, base) = start(&data, &[]);
    let token = run_json(&data, &["photographer-token", "--event", "wed"])["photographer_token"]
        .as_str()
        .unwrap()
        .to_string();
    let over_http = client(&base, &token).registration("wed").await.unwrap();
    let printed: Registration =
        serde_json::from_value(run_json(&data, &["registration", "--event", "wed"])).unwrap();
    assert_eq!(printed, over_http);
    assert!(!printed.open && printed.code.is_none());
    // Refusals are an error exit with the reason.
    for args in [
        &["registration", "--event", "wed", "--code", "a b"][..],
        &["registration", "--event", "wed", "--retention-days", "400"],
        &["registration", "--event", "wed", "--matcher", "cloud"],
        &["registration", "--event", "nope", "--open"],
        &["registration", "--event", "wed", "--open", "--close"],
    ] {
        let out = run_status(&data, args);
        assert!(!out.status.success(), "{args:?} succeeded");
        assert!(!out.stderr.is_empty(), "{args:?}: no reason given");
    }
}

#[tokio::test]
async fn list_and_revoke_tokens_against_a_running_server() {
    let dir = tempfile::tempdir().unwrap();
    let data = common::Stores::new(dir.path());
    let ev = run_json(&data, &["create-event", "--name", "Wedding", "--id", "wed"]);
    let first = ev["photographer_token"].as_str().unwrap().to_string();
    let selfie = selfie_file(dir.path(), "ada.jpg", &jpeg(1));
    let ada = add(&data, "wed", "ada", &selfie)["attendee_token"]
        .as_str()
        .unwrap()
        .to_string();
    let second = run_json(&data, &["photographer-token", "--event", "wed"])["photographer_token"]
        .as_str()
        .unwrap()
        .to_string();
    run(&data, &["create-event", "--name", "Other", "--id", "other"]);

    let list = run_json(&data, &["list-tokens", "--event", "wed"]);
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 3, "{list:?}");
    let ids: Vec<&str> = list.iter().map(|t| t["id"].as_str().unwrap()).collect();
    for (t, token) in list.iter().zip([&first, &ada, &second]) {
        let id = t["id"].as_str().unwrap();
        assert_eq!(id, &sha256_hex(token.as_bytes())[..12], "id = hash prefix");
        assert!(!token.contains(id), "the id is not part of the token");
        assert_eq!(t["revoked"], false);
        assert!(t["created"].as_str().unwrap().ends_with('Z'), "{t}");
    }
    assert_eq!(
        list.iter()
            .map(|t| t["kind"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["photographer", "attendee", "photographer"]
    );
    assert_eq!(list[1]["participant"], "ada");
    let text = run(&data, &["list-tokens", "--event", "wed"]);
    assert_eq!(text.lines().count(), 3);
    assert!(text
        .lines()
        .nth(1)
        .unwrap()
        .starts_with(&format!("{}  attendee  ada  ", ids[1])));
    for token in [&first, &ada, &second] {
        assert!(!text.contains(token.as_str()));
    }

    let (_server, base) = start(&data, &[]);
    assert!(client(&base, &first).event_info("wed").await.is_ok());
    assert!(client(&base, &ada).my_photos().await.is_ok());
    // By token: refused from the next request on; the other token still works.
    let out = run_json(&data, &["revoke-token", "--token", &first]);
    assert_eq!(out["already_revoked"], false);
    assert_eq!(out["token"]["id"], ids[0]);
    assert_eq!(
        status(&client(&base, &first).event_info("wed").await.unwrap_err()),
        401
    );
    assert!(client(&base, &second).event_info("wed").await.is_ok());
    // By id (a hash prefix).
    let text = run(&data, &["revoke-token", "--id", ids[1]]);
    assert!(text.starts_with("revoked: "), "{text}");
    assert_eq!(
        status(&client(&base, &ada).my_photos().await.unwrap_err()),
        401
    );
    // Again: still revoked, said so, not an error.
    let again = run_json(&data, &["revoke-token", "--id", ids[1]]);
    assert_eq!(again["already_revoked"], true);
    let list = run_json(&data, &["list-tokens", "--event", "wed"]);
    let revoked: Vec<bool> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["revoked"].as_bool().unwrap())
        .collect();
    assert_eq!(revoked, [true, true, false]);
    // Unknown tokens, ids and events are error exits.
    let unknown = format!("fmp_{}", "0".repeat(64));
    for args in [
        &["revoke-token", "--token", unknown.as_str()][..],
        &["revoke-token", "--id", "00000000"],
        &["revoke-token", "--id", "abc"],
        &["revoke-token", "--token", "not-a-token"],
        &["list-tokens", "--event", "nope"],
    ] {
        assert!(!run_status(&data, args).status.success(), "{args:?}");
    }
    assert!(client(&base, &second).event_info("wed").await.is_ok());
}

#[tokio::test]
async fn a_re_added_participant_never_gets_the_old_token_back() {
    let dir = tempfile::tempdir().unwrap();
    let data = common::Stores::new(dir.path());
    let ph = run_json(&data, &["create-event", "--name", "Wedding", "--id", "wed"])
        ["photographer_token"]
        .as_str()
        .unwrap()
        .to_string();
    let selfie = selfie_file(dir.path(), "ada.jpg", &jpeg(1));
    let old = add(&data, "wed", "ada", &selfie)["attendee_token"]
        .as_str()
        .unwrap()
        .to_string();
    let (_server, base) = start(&data, &[]);
    assert!(client(&base, &old).my_photos().await.is_ok());
    run(
        &data,
        &["remove-participant", "--event", "wed", "--id", "ada"],
    );
    assert_eq!(
        status(&client(&base, &old).my_photos().await.unwrap_err()),
        401
    );
    let new = add(&data, "wed", "ada", &selfie)["attendee_token"]
        .as_str()
        .unwrap()
        .to_string();
    let mine = client(&base, &new).my_photos().await.unwrap();
    assert_eq!(mine.participant.id, "ada");
    assert_eq!(
        status(&client(&base, &old).my_photos().await.unwrap_err()),
        401
    );
    let roster = client(&base, &ph).participants("wed", None).await.unwrap();
    assert!(roster
        .participants
        .iter()
        .any(|p| p.id == "ada" && !p.deleted));
}

#[tokio::test]
async fn removing_a_participant_deletes_their_selfie_unless_still_used() {
    let dir = tempfile::tempdir().unwrap();
    let data = common::Stores::new(dir.path());
    run(&data, &["create-event", "--name", "Wedding", "--id", "wed"]);
    run(&data, &["create-event", "--name", "Other", "--id", "other"]);
    let own = jpeg(1);
    let shared = jpeg(2);
    let own_file = selfie_file(dir.path(), "own.jpg", &own);
    let shared_file = selfie_file(dir.path(), "shared.jpg", &shared);
    add(&data, "wed", "ada", &own_file);
    add(&data, "wed", "ben", &shared_file);
    add(&data, "other", "twin", &shared_file);
    add(
        &data,
        "wed",
        "chloe",
        &selfie_file(dir.path(), "c.jpg", &jpeg(3)),
    );
    let (own_sha, shared_sha, chloe_sha) =
        (sha256_hex(&own), sha256_hex(&shared), sha256_hex(&jpeg(3)));
    for sha in [&own_sha, &shared_sha, &chloe_sha] {
        assert!(data.image_stored(sha));
    }

    run(
        &data,
        &["remove-participant", "--event", "wed", "--id", "ada"],
    );
    assert!(!data.image_stored(&own_sha), "ada's selfie is gone");
    run(
        &data,
        &["remove-participant", "--event", "wed", "--id", "ben"],
    );
    assert!(
        data.image_stored(&shared_sha),
        "another participant (another event) still uses these bytes"
    );
    run(
        &data,
        &["remove-participant", "--event", "other", "--id", "twin"],
    );
    assert!(!data.image_stored(&shared_sha), "last user removed");
    // Withdrawing consent keeps the bytes (the participant stays); removal then
    // deletes them.
    run(&data, &["set-consent", "--event", "wed", "--id", "chloe"]);
    assert!(data.image_stored(&chloe_sha));
    run(
        &data,
        &["remove-participant", "--event", "wed", "--id", "chloe"],
    );
    assert!(!data.image_stored(&chloe_sha));
    // A second removal of the same id is an error exit and touches nothing.
    assert!(!run_status(
        &data,
        &["remove-participant", "--event", "wed", "--id", "ada"]
    )
    .status
    .success());
}

#[tokio::test]
async fn a_selfie_that_is_also_a_photo_rendition_is_kept() {
    let s = common::TestServer::start().await;
    let bytes = jpeg(42);
    let ph = s.photographer();
    ph.put_image("ev1", &common::photo_key(1), bytes.clone())
        .await
        .unwrap();
    s.admin
        .add_participant("ev1", "Ada", &bytes, Some("ada"))
        .unwrap();
    s.admin.remove_participant("ev1", "ada").unwrap();
    let sha = sha256_hex(&bytes);
    assert_eq!(s.stores.image_bytes(&sha), Some(bytes));
}
