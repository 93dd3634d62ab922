//! Per-segment bootstrap stability (Hennig's clusterboot, R fpc).
