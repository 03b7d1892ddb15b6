//! What a failed Rekognition call means for the job: retry (throttled,
//! unavailable), pause (credentials), fail (this image), or recreate the index.

use std::error::Error as StdError;

use aws_sdk_rekognition::config::http::HttpResponse;
use aws_sdk_rekognition::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

use crate::MatcherError;

const THROTTLING: &[&str] = &[
    "ThrottlingException",
    "ProvisionedThroughputExceededException",
    "LimitExceededException",
];
const REFUSED_CREDENTIALS: &[&str] = &[
    "ExpiredTokenException",
    "ExpiredToken",
    "UnrecognizedClientException",
    "InvalidSignatureException",
    "InvalidClientTokenId",
    "AccessDeniedException",
    "AccessDenied",
    "MissingAuthenticationToken",
    "MissingAuthenticationTokenException",
];

/// A failed call: what the job should do, plus the service's error code.
pub(super) struct Failure {
    pub(super) error: MatcherError,
    pub(super) code: Option<String>,
    pub(super) message: String,
}

impl Failure {
    /// The searched face is not in the index (deleted meanwhile): a search finds
    /// nothing, rather than the collection being missing.
    pub(super) fn face_not_in_index(&self, face_id: &str) -> bool {
        self.code.as_deref() == Some("ResourceNotFoundException") && self.message.contains(face_id)
    }
}

/// What a failed call means for the job. Uses only error codes, AWS's messages
/// and transport errors: none of them carry keys or tokens.
pub(super) fn classify<E>(op: &str, err: &SdkError<E, HttpResponse>) -> Failure
where
    E: ProvideErrorMetadata + StdError + 'static,
{
    let status = err.raw_response().map(|r| r.status().as_u16());
    let (code, message) = match err {
        SdkError::ServiceError(ctx) => (
            ctx.err().code().map(str::to_string),
            ctx.err().message().unwrap_or_default().to_string(),
        ),
        _ => (None, String::new()),
    };
    let error = match (err, code.as_deref()) {
        (SdkError::ServiceError(_), Some(c)) if THROTTLING.contains(&c) => {
            MatcherError::Throttled(format!("{op}: {c}"))
        }
        (SdkError::ServiceError(_), Some(c)) if REFUSED_CREDENTIALS.contains(&c) => refused(c),
        (SdkError::ServiceError(_), Some("InvalidImageFormatException")) => {
            MatcherError::BadImage(format!("the face service cannot read this image (use JPEG or PNG): {message}"))
        }
        (SdkError::ServiceError(_), Some("ImageTooLargeException")) => {
            MatcherError::BadImage(format!("the image is too large for the face service: {message}"))
        }
        (SdkError::ServiceError(_), Some("InvalidParameterException")) if op == "IndexFaces" => {
            MatcherError::BadImage(format!("the face service cannot use this image: {message}"))
        }
        (SdkError::ServiceError(_), Some("ResourceNotFoundException")) => MatcherError::MissingIndex(message.clone()),
        (SdkError::ServiceError(_), c) if status == Some(403) => refused(c.unwrap_or("HTTP 403")),
        (SdkError::ServiceError(_) | SdkError::ResponseError(_), c) if status.is_some_and(|s| s >= 500) => {
            MatcherError::Unavailable(format!("{op}: {} (HTTP {})", c.unwrap_or("server error"), status.unwrap_or(500)))
        }
        (SdkError::TimeoutError(_), _) => MatcherError::Unavailable(format!("{op}: no answer in time")),
        (SdkError::DispatchFailure(_), _) if mentions_credentials(err) => MatcherError::Credentials(format!(
            "no usable AWS credentials ({}): sign in (aws sso login), choose a profile (AWS_PROFILE) or add keys to ~/.aws/credentials",
            DisplayErrorContext(err)
        )),
        (SdkError::DispatchFailure(_), _) => MatcherError::Unavailable(format!("{op}: {}", DisplayErrorContext(err))),
        (SdkError::ServiceError(_), Some(c)) => MatcherError::Other(format!("{op}: {c}: {message}")),
        _ => MatcherError::Other(format!("{op}: {}", DisplayErrorContext(err))),
    };
    Failure {
        error,
        code,
        message,
    }
}

fn refused(code: &str) -> MatcherError {
    MatcherError::Credentials(if code.starts_with("Expired") {
        format!("AWS credentials expired ({code}): sign in again (aws sso login) or update them")
    } else if code.starts_with("AccessDenied") {
        format!("the AWS account is not allowed to use Rekognition ({code}): check the IAM permissions of the profile")
    } else {
        format!("AWS credentials were refused ({code}): sign in again (aws sso login) or update the access keys")
    })
}

/// A dispatch failure caused by the credentials provider (nothing configured, SSO
/// session expired): the SDK reports those as a dispatch failure whose cause is a
/// `CredentialsError`, a type this crate cannot name, so look at the causes' text.
fn mentions_credentials(err: &(dyn StdError + 'static)) -> bool {
    let mut cause = err.source();
    while let Some(e) = cause {
        if e.to_string().to_ascii_lowercase().contains("credential") {
            return true;
        }
        cause = e.source();
    }
    false
}
