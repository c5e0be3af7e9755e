//! face quality. (To be written.)
