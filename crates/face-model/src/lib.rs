//! On-device face detection and embedding (placeholder; being built).
