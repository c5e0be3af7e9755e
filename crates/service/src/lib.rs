//! Rekam's office workflow: the published service standard of a KTP-el office.
#![warn(missing_docs)]
