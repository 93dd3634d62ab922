//! kmeans (to be written).
