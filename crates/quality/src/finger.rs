//! finger quality. (To be written.)
