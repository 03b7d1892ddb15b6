//! Participants as Rekognition users: a photo face is searched against people
//! (SearchUsers), so a guest in more photo faces than one face search returns is
//! still found in every photo.

use super::*;
use findme_faces::selfie_tag;

#[tokio::test]
async fn photo_faces_find_people_even_where_a_face_search_is_cut() {
    let server = start(MockConfig::default()).await;
    let m = matcher(&server).await;
    m.prepare_event(EV).await.expect("prepare");
    // Anna (person 2) is in three photos; Ben (person 1) in one.
    let mut anna_faces = Vec::new();
    let mut ben_face = None;
    for (n, persons) in [[2, 3], [4, 2], [2, 1]].iter().enumerate() {
        let (photo, _) = group(persons, 20 + n as u64);
        let faces = m
            .index_photo(EV, &format!("ph-{n}"), &jpeg(&photo))
            .await
            .expect("index");
        let who = persons_of(&server);
        anna_faces.extend(faces.iter().filter(|f| who[&f.face_id] == 2).cloned());
        ben_face = ben_face.or(faces.iter().find(|f| who[&f.face_id] == 1).cloned());
    }
    assert_eq!(anna_faces.len(), 3);
    let anna = selfie_tag("anna");
    let selfie = m
        .index_selfie(EV, &anna, &jpeg(synth::selfie(2)), None)
        .await
        .expect("selfie")
        .face_id;
    m.enroll_person(EV, &anna, &selfie).await.expect("enroll");
    // Enrolling again (a retried job) changes nothing.
    m.enroll_person(EV, &anna, &selfie)
        .await
        .expect("enroll again");

    // A face search capped at 2 results is cut: one of Anna's photos is missing.
    let cut = m.search_face(EV, &selfie, 80.0, 2).await.expect("search");
    assert_eq!(cut.len(), 2);
    // Each of her photo faces finds her as a person, and only her.
    for face in &anna_faces {
        let people = m
            .search_people(EV, &face.face_id, 80.0)
            .await
            .expect("search people");
        assert_eq!(
            people.iter().map(|p| p.tag.as_str()).collect::<Vec<_>>(),
            [anna.as_str()],
            "{face:?}"
        );
        assert!(people[0].similarity >= 99.0);
    }
    let ben = ben_face.expect("Ben is in a photo");
    assert!(m
        .search_people(EV, &ben.face_id, 80.0)
        .await
        .expect("search")
        .is_empty());

    // Her selfie face belongs to her user: deleting the face alone is refused by
    // the service, so withdrawal forgets the person first.
    let refused = m
        .delete_faces(EV, std::slice::from_ref(&selfie))
        .await
        .expect_err("refused while she is a person");
    assert!(refused.to_string().contains(&anna), "{refused}");
    assert!(persons_of(&server).contains_key(&selfie), "still there");
    m.forget_person(EV, &anna).await.expect("forget");
    m.forget_person(EV, &anna)
        .await
        .expect("forget again is fine");
    m.delete_faces(EV, std::slice::from_ref(&selfie))
        .await
        .expect("delete");
    assert!(!persons_of(&server).contains_key(&selfie));
    assert!(m
        .search_people(EV, &anna_faces[0].face_id, 80.0)
        .await
        .expect("search")
        .is_empty());
    assert_eq!(calls(&server, "CreateUser"), 2, "the second one conflicts");
    assert_eq!(calls(&server, "AssociateFaces"), 2);
    assert_eq!(calls(&server, "SearchUsers"), 5);
    server.shutdown().await;
}

fn persons_of(server: &MockServer) -> BTreeMap<String, usize> {
    persons(server, EV)
}
