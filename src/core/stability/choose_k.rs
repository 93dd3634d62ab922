//! Choosing k: gap statistic, prediction strength, bootstrap agreement.
