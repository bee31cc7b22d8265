//! lfg-report
