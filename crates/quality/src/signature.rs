//! signature quality. (To be written.)
