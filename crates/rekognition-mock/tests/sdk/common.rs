//! The real AWS SDK, configured like the app (static credentials, us-east-1, endpoint
//! override), with retries off so each test sees the raw answer.

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region};
use aws_sdk_rekognition::config::http::HttpResponse;
use aws_sdk_rekognition::config::{Credentials, SharedCredentialsProvider};
use aws_sdk_rekognition::error::SdkError;
use aws_sdk_rekognition::primitives::Blob;
use aws_sdk_rekognition::types::Image;
use aws_sdk_rekognition::Client;
use findme_rekognition_mock::synth::{self, SynthFace};
use std::time::Duration;

pub fn client(endpoint: &str) -> Client {
    client_with(endpoint, RetryConfig::disabled(), None)
}

pub fn client_with(
    endpoint: &str,
    retry: RetryConfig,
    attempt_timeout: Option<Duration>,
) -> Client {
    let mut timeouts = TimeoutConfig::builder().connect_timeout(Duration::from_secs(5));
    if let Some(t) = attempt_timeout {
        timeouts = timeouts.operation_attempt_timeout(t);
    }
    let sdk = aws_config::SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
            "AKIDTEST", "secret", None, None, "test",
        )))
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .retry_config(retry)
        .timeout_config(timeouts.build())
        .build();
    Client::new(&sdk)
}

pub fn image(bytes: Vec<u8>) -> Image {
    Image::builder().bytes(Blob::new(bytes)).build()
}

pub fn face(person: usize, left: u32, top: u32, size: u32) -> SynthFace {
    SynthFace {
        person,
        left,
        top,
        size,
    }
}

/// A 1280×720 photo of the given people, side by side.
pub fn group_photo(persons: &[usize], seed: u64) -> (Vec<u8>, Vec<SynthFace>) {
    let faces: Vec<SynthFace> = persons
        .iter()
        .enumerate()
        .map(|(i, &p)| {
            face(
                p,
                40 + i as u32 * 200,
                200 + (i as u32 % 2) * 150,
                150 - i as u32 * 10,
            )
        })
        .collect();
    (synth::photo(1280, 720, &faces, seed), faces)
}

/// HTTP status of an SDK error's raw response.
pub fn status<E>(err: &SdkError<E, HttpResponse>) -> Option<u16> {
    err.raw_response().map(|r| r.status().as_u16())
}
