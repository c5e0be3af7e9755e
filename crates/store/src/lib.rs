//! Durable enrollment record store (in progress).
