//! lfg-baselines
