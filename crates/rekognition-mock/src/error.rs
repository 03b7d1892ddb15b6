//! Error answers in AWS JSON 1.1 form, with the codes and HTTP statuses AWS uses.
//!
//! The SDK picks the error variant from the `x-amzn-ErrorType` header (else the body's
//! `__type`), after stripping a `namespace#` prefix and a `:url` suffix; the status only
//! matters to its retry classifier (5xx is transient). So the code must be exact, and the
//! status should be what AWS sends so raw-status assertions in the app's tests hold.

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// Every error this mock can answer with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// 400, modelled by Rekognition.
    AccessDenied,
    /// A user that already exists (CreateUser).
    Conflict,
    /// 400: image bytes over the limit (5 MB by default).
    ImageTooLarge,
    /// 500: "Amazon Rekognition experienced a service issue".
    InternalServerError,
    /// 400: not a JPEG or PNG, or undecodable.
    InvalidImageFormat,
    /// 400: a NextToken this server did not hand out.
    InvalidPaginationToken,
    /// 400: e.g. "There are no faces in the image", image under 80×80.
    InvalidParameter,
    /// 400: S3 images are not supported by the mock (only `Image.Bytes`).
    InvalidS3Object,
    /// 400: "Provisioned Rate exceeded." (a throttling error to the SDK).
    ProvisionedThroughputExceeded,
    /// 400: CreateCollection on an existing id.
    ResourceAlreadyExists,
    /// 400: unknown collection (or face, for SearchFaces).
    ResourceNotFound,
    /// 400 ThrottlingException: "Slow down; sudden increase in rate of requests."
    Throttling,
    /// 500 ThrottlingException: "Service Unavailable" (AWS documents both statuses).
    ThrottlingServer,
    /// 400, AWS-wide: a field breaks its length/pattern/range constraint.
    Validation,
    /// 400, AWS-wide: body is not JSON, or a field has the wrong JSON type.
    Serialization,
    /// 400, AWS-wide: `X-Amz-Target` missing or names no operation we serve.
    UnknownOperation,
    /// 400, AWS-wide: no `Authorization` header (as AWS JSON services answer).
    MissingAuthenticationToken,
    /// 403, AWS-wide: session credentials expired.
    ExpiredToken,
    /// 403, AWS-wide: access key unknown.
    UnrecognizedClient,
    /// 503, AWS-wide.
    ServiceUnavailable,
    /// 413: body larger than the transport limit (not an AWS code; AWS closes earlier).
    RequestEntityTooLarge,
}

impl ErrorKind {
    /// The error code (`__type`) the SDK matches on.
    pub fn code(self) -> &'static str {
        match self {
            Self::AccessDenied => "AccessDeniedException",
            Self::Conflict => "ConflictException",
            Self::ImageTooLarge => "ImageTooLargeException",
            Self::InternalServerError => "InternalServerError",
            Self::InvalidImageFormat => "InvalidImageFormatException",
            Self::InvalidPaginationToken => "InvalidPaginationTokenException",
            Self::InvalidParameter => "InvalidParameterException",
            Self::InvalidS3Object => "InvalidS3ObjectException",
            Self::ProvisionedThroughputExceeded => "ProvisionedThroughputExceededException",
            Self::ResourceAlreadyExists => "ResourceAlreadyExistsException",
            Self::ResourceNotFound => "ResourceNotFoundException",
            Self::Throttling | Self::ThrottlingServer => "ThrottlingException",
            Self::Validation => "ValidationException",
            Self::Serialization => "SerializationException",
            Self::UnknownOperation => "UnknownOperationException",
            Self::MissingAuthenticationToken => "MissingAuthenticationTokenException",
            Self::ExpiredToken => "ExpiredTokenException",
            Self::UnrecognizedClient => "UnrecognizedClientException",
            Self::ServiceUnavailable => "ServiceUnavailable",
            Self::RequestEntityTooLarge => "RequestEntityTooLargeException",
        }
    }

    /// The HTTP status AWS uses for this code.
    pub fn status(self) -> StatusCode {
        match self {
            Self::InternalServerError | Self::ThrottlingServer => StatusCode::INTERNAL_SERVER_ERROR,
            Self::ServiceUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::ExpiredToken | Self::UnrecognizedClient => StatusCode::FORBIDDEN,
            Self::RequestEntityTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            _ => StatusCode::BAD_REQUEST,
        }
    }

    /// Errors raised by AWS's front end (not the Rekognition model): they come with the
    /// `com.amazon.coral.service#` namespace in `__type`, which the SDK strips.
    fn is_front_end(self) -> bool {
        matches!(
            self,
            Self::Validation
                | Self::Serialization
                | Self::UnknownOperation
                | Self::MissingAuthenticationToken
                | Self::ExpiredToken
                | Self::UnrecognizedClient
                | Self::ServiceUnavailable
                | Self::RequestEntityTooLarge
        )
    }

    /// Whether this is one of the two throttling codes.
    pub fn is_throttling(self) -> bool {
        matches!(
            self,
            Self::Throttling | Self::ThrottlingServer | Self::ProvisionedThroughputExceeded
        )
    }
}

/// An error answer: kind plus human message.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{}: {message}", kind.code())]
pub struct ApiError {
    pub kind: ErrorKind,
    pub message: String,
}

impl ApiError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }

    /// AWS's wording for a field that breaks a model constraint.
    pub fn validation(value: &str, field: &str, constraint: &str) -> Self {
        Self::new(
            ErrorKind::Validation,
            format!(
                "1 validation error detected: Value '{value}' at '{field}' failed to satisfy constraint: {constraint}"
            ),
        )
    }

    /// AWS's wording for a missing required field.
    pub fn missing(field: &str) -> Self {
        Self::new(
            ErrorKind::Validation,
            format!("1 validation error detected: Value null at '{field}' failed to satisfy constraint: Member must not be null"),
        )
    }

    pub fn invalid_parameter() -> Self {
        Self::new(
            ErrorKind::InvalidParameter,
            "Request has invalid parameters",
        )
    }

    /// Builds the HTTP answer; `request_id` also goes into `Logref` like AWS does.
    pub fn into_response_with_id(self, request_id: &str) -> Response {
        let code = self.kind.code();
        let body = if self.kind.is_front_end() {
            serde_json::json!({
                "__type": format!("com.amazon.coral.service#{code}"),
                "message": self.message,
            })
        } else {
            serde_json::json!({
                "__type": code,
                "Code": code,
                "Logref": request_id,
                "Message": self.message,
            })
        };
        let mut resp = (self.kind.status(), body.to_string()).into_response();
        let headers = resp.headers_mut();
        headers.insert(
            "content-type",
            HeaderValue::from_static("application/x-amz-json-1.1"),
        );
        headers.insert("x-amzn-ErrorType", HeaderValue::from_static(code));
        if let Ok(v) = HeaderValue::from_str(request_id) {
            headers.insert("x-amzn-RequestId", v);
        }
        resp
    }
}
