//! dbscan (to be written).
