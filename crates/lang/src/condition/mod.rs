//! The condition language (in progress).
