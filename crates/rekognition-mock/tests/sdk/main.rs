//! Compatibility tests with the real `aws-sdk-rekognition` as the client: every success
//! shape must parse, and every error must come back as the variant the app matches on.
//! One test binary so the SDK is linked once.

mod common;
mod faults;
mod ops;
mod search;
