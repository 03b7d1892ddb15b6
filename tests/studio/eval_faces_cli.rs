//! `findme eval-faces DIR` on real labelled faces from the dev set: it must tell
//! the same person from different people with the shipped threshold, and say why
//! a photo without a face was left out.

use crate::support;

use std::path::Path;

fn copy(from: &Path, to_dir: &Path) {
    std::fs::create_dir_all(to_dir).unwrap();
    std::fs::copy(from, to_dir.join(from.file_name().unwrap())).unwrap();
}

#[test]
fn labelled_faces_are_told_apart_at_the_threshold() {
    let faces = support::devset().join("faces");
    let tmp = tempfile::tempdir().unwrap();
    let set = tmp.path().join("labelled");
    for photo in ["obama.jpg", "obama2.jpg", "obama3.jpg"] {
        copy(
            &faces.join("face_recognition").join(photo),
            &set.join("obama"),
        );
    }
    copy(
        &faces.join("face_recognition/biden.jpg"),
        &set.join("biden"),
    );
    // No face at all (a grey frame): skipped with a reason, not counted. (Not
    // dlib's dogs.jpg: YuNet takes the two dogs for faces.)
    std::fs::create_dir_all(set.join("nobody")).unwrap();
    image::RgbImage::from_pixel(640, 480, image::Rgb([128, 128, 128]))
        .save(set.join("nobody/grey.jpg"))
        .unwrap();

    let report = support::run_json(
        support::findme(&tmp.path().join("unused"))
            .args(["eval-faces", "--json"])
            .arg(&set),
    );
    assert_eq!(report["photos"], 4, "{report}");
    assert_eq!(report["people"], 2, "{report}");
    let skipped = report["skipped"].as_array().unwrap();
    assert_eq!(skipped.len(), 1, "{report}");
    assert!(skipped[0]["path"].as_str().unwrap().ends_with("grey.jpg"));
    assert_eq!(skipped[0]["reason"], "no face found");
    let at = &report["at_threshold"];
    assert_eq!(at["true_match_rate"], 1.0, "{report}");
    assert_eq!(at["false_match_rate"], 0.0, "{report}");
    assert_eq!(report["genuine"]["count"], 3);
    assert_eq!(report["impostor"]["count"], 3);
    let threshold = at["threshold"].as_f64().unwrap();
    assert!(report["genuine"]["min"].as_f64().unwrap() > threshold);
    assert!(report["impostor"]["max"].as_f64().unwrap() < threshold);
    // It needs no catalog: nothing was created in the data folder.
    assert!(!tmp.path().join("unused").exists());
}

#[test]
fn a_folder_without_person_folders_is_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let out = support::findme(tmp.path())
        .args(["eval-faces"])
        .arg(tmp.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("one folder per person"), "{stderr}");
}
