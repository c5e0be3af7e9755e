//! iris quality. (To be written.)
