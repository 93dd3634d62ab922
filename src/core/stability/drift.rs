//! Segments over time: label alignment (Hungarian assignment), migration, PSI.
