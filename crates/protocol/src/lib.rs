//! Event server protocol v1 wire types (placeholder; being built).
