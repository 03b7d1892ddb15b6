//! Reference event server (placeholder; being built).
