//! lfg-data
